"""SIGKILL the moderator editor at random points during a run of edits; check nothing tears.

    python benchmarks/sigkill_edits.py [--edits 200] [--seed 1]

A driver process (this script, `drive`) applies edits with the real KnowledgeEditor, SQLite
audit log and files: a cycle of add entry, edit another entry's `see_also` to point at it,
add a phrasing, remove the entry (two files: the link, then the entry). This script kills it
with SIGKILL at random moments, checks that every knowledge file still parses, and restarts
it; the driver resumes after the last audited edit. At the end the audit log, replayed file
by file, must give exactly the files on disk, with one row per edit in order.

Prints SIGKILLs survived, edits torn, lost and duplicated; the last line is JSON (for tests).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.core.editor import Actor
from bot.core.loader import KnowledgeError
from bot.db import Database
from bot.storage.editor import KnowledgeEditor
from bot.storage.folder import load_knowledge, read_knowledge_files
from bot.storage.store import KnowledgeStore

ROOT = Path(__file__).resolve().parents[1]
MODERATOR = Actor(1, "sigkill")
LINKED = "what-is-doma"  # the existing entry whose `see_also` the cycle edits (law.yaml)
COMMANDS = ("add", "edit", "alias", "remove")


async def perform(editor: KnowledgeEditor, store: KnowledgeStore, index: int) -> None:
    """Apply edit `index` of the cycle (entries are named after the cycle's first edit)."""
    step, entry = index % 4, f"sk-{index - index % 4}"
    if step == 0:
        await editor.add_entry(
            MODERATOR,
            {
                "id": entry,
                "question": f"What is test topic number {index}?",
                "asks": [
                    f"test topic {index} zqx",
                    f"about test topic {index} zqx please",
                    f"what about zqx topic {index}",
                    f"tell me of zqx test {index}",
                ],
                "answer": f"Test topic {index} is an entry made by the SIGKILL test.",
                "sources": ["nbc-news-2012-09-28"],
                "as_of": "2012-09-28",
                "es": {  # knowledge.yaml declares Spanish: every entry has its version
                    "question": f"¿Qué es el tema de prueba número {index}?",
                    "asks": [
                        f"tema de prueba {index} zqx",
                        f"sobre el tema de prueba {index} zqx",
                        f"que hay del tema zqx {index}",
                        f"cuentame del tema zqx {index}",
                    ],
                    "answer": f"El tema de prueba {index} es una entrada de la prueba SIGKILL.",
                    "reviewed": "2026-12-07",
                },
            },
        )
    elif step == 1:
        links = [*store.knowledge.entries[LINKED].see_also, entry]
        await editor.edit_entry(MODERATOR, LINKED, {"see_also": links})
    elif step == 2:
        await editor.add_alias(MODERATOR, entry, f"sigkill phrasing {index} zqx")
    else:
        await editor.remove_entry(MODERATOR, entry)


async def drive(knowledge: Path, data: Path, total: int) -> None:
    database = await Database.open(data)
    try:
        store = KnowledgeStore(knowledge)
        editor = KnowledgeEditor(store, database)
        await editor.recover()
        done = len(await database.audit(limit=1_000_000))
        print(f"ready {done}", flush=True)
        for index in range(done, total):
            await perform(editor, store, index)
            print(f"done {index}", flush=True)
    finally:
        await database.close()


def audit_rows(data: Path) -> list[tuple[str, dict[str, str | None]]]:
    with sqlite3.connect(data / "familyties.sqlite3") as connection:
        rows = connection.execute("SELECT command, after FROM audit ORDER BY id").fetchall()
    return [(str(command), json.loads(after)) for command, after in rows]


def torn_files(original: dict[str, str], knowledge: Path, data: Path) -> list[str]:
    """Files whose text is not what the audit log, replayed in order, says it should be."""
    expected: dict[str, str | None] = dict(original)
    for _, after in audit_rows(data):
        expected.update(after)
    actual = read_knowledge_files(knowledge)
    names = {name for name, text in expected.items() if text is not None} | set(actual)
    return sorted(name for name in names if expected.get(name) != actual.get(name))


def run(edits: int, seed: int, work: Path) -> dict[str, Any]:
    rng = random.Random(seed)
    knowledge, data = work / "knowledge", work / "data"
    shutil.copytree(ROOT / "knowledge", knowledge)
    original = read_knowledge_files(knowledge)
    kills = unparsable = reported = finished = 0
    started = time.perf_counter()
    while True:
        driver = subprocess.Popen(  # noqa: S603 - this script, by path
            [sys.executable, __file__, "drive", str(knowledge), str(data), str(edits)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert driver.stdout is not None
        first = driver.stdout.readline()
        assert first.startswith("ready"), first
        deadline = time.monotonic() + rng.uniform(0.02, 0.8)
        while driver.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        if driver.poll() is None:
            driver.send_signal(signal.SIGKILL)
            kills += 1
        driver.wait()
        lines = driver.stdout.read().splitlines()
        driver.stdout.close()
        assert driver.stderr is not None
        errors = driver.stderr.read()
        driver.stderr.close()
        finished += errors.count("Finished an interrupted knowledge change")
        if driver.returncode not in (0, -signal.SIGKILL):
            raise RuntimeError(f"the driver failed:\n{errors}")
        reported = max([reported, *(int(line.split()[1]) + 1 for line in lines if line)])
        try:
            load_knowledge(knowledge)
        except KnowledgeError:
            unparsable += 1
        if driver.returncode == 0:
            break
    rows = audit_rows(data)
    commands = [command for command, _ in rows]
    expected = [COMMANDS[index % 4] for index in range(edits)]
    return {
        "edits": edits,
        "sigkills_survived": kills,
        "interrupted_edits_finished": finished,
        "unparsable_after_a_kill": unparsable,
        "edits_torn": len(torn_files(original, knowledge, data)),
        "edits_lost": max(0, min(reported, edits) - len(rows)) + (commands[:edits] != expected),
        "edits_duplicated": max(0, len(rows) - edits),
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "drive":
        knowledge, data, total = sys.argv[2:5]
        asyncio.run(drive(Path(knowledge), Path(data), int(total)))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sigkill-") as work:
        result = run(args.edits, args.seed, Path(work))
    print(
        f"{result['edits']} edits in {result['seconds']} s: "
        f"{result['sigkills_survived']} SIGKILLs survived, "
        f"{result['edits_torn']} edits torn, {result['edits_lost']} lost, "
        f"{result['edits_duplicated']} duplicated "
        f"({result['interrupted_edits_finished']} interrupted edits finished on restart), "
        f"{result['unparsable_after_a_kill']} times a file did not parse after a kill"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
