"""Print the bad-input figures for the README: inputs tried, crashes, hostile files, refusal times.

The same strategies and files as tests/core/test_properties.py and test_hostile_files.py, run
longer and counted instead of stopped at the first failure:

    .venv/bin/python benchmarks/fuzz_report.py                 # 2,000 messages per mode
    .venv/bin/python benchmarks/fuzz_report.py --examples 300  # CI-sized
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from bot.__main__ import main as bot_main  # noqa: E402
from bot.core.decide import Mode  # noqa: E402
from bot.core.loader import KnowledgeError, decode_knowledge  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.storage.editor import KnowledgeEditor  # noqa: E402
from bot.storage.store import KnowledgeStore  # noqa: E402
from tests.core.fuzz_inputs import decide_and_compose, messages  # noqa: E402
from tests.core.hostile import CASES, Hostile  # noqa: E402

SHIPPED = ROOT / "tests" / "data" / "knowledge"


def fuzz(examples: int) -> tuple[Counter[str], list[str]]:
    """Run `examples` messages per mode through decide and compose; count kinds and crashes."""
    kinds: Counter[str] = Counter()
    crashes: list[str] = []
    for mode in Mode:

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(text=messages(), mode=st.just(mode))
        def run(text: str, mode: Mode) -> None:
            kinds["tried"] += 1
            try:
                decision, _ = decide_and_compose(text, mode)
            except Exception:  # counted, not raised: the report shows every crash
                crashes.append(f"{mode} {text[:80]!r}: {traceback.format_exc(limit=1)}")
                return
            kinds[f"{mode}: {decision.kind}"] += 1

        run()
    return kinds, crashes


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.yaml"))}


async def refusals(case: Hostile, work: Path) -> tuple[dict[str, float], bool, bool]:
    """Time the refusal of `case` by import, reload and validate; whether each refused cleanly."""
    folder = Path(shutil.copytree(SHIPPED, work / "knowledge"))
    store = KnowledgeStore(folder)
    served = store.knowledge
    database = await Database.open(work / "data")
    editor = KnowledgeEditor(store, database)
    times: dict[str, float] = {}
    refused = True
    try:
        before = snapshot(folder)
        start = time.perf_counter()
        try:
            preview = await editor.preview_import(case.name, decode_knowledge(case.name, case.data))
            refused &= not preview.ok
        except KnowledgeError:
            pass
        times["import"] = time.perf_counter() - start
        changed = snapshot(folder) != before

        (folder / case.name).write_bytes(case.data)
        before = snapshot(folder)
        start = time.perf_counter()
        try:
            store.reload()
            refused = False
        except KnowledgeError:
            pass
        times["reload"] = time.perf_counter() - start
        refused &= store.knowledge is served

        start = time.perf_counter()
        code = bot_main(["validate", str(folder)])
        times["validate"] = time.perf_counter() - start
        refused &= code != 0
        changed |= snapshot(folder) != before
    finally:
        await database.close()
    return times, refused, changed


async def hostile_report() -> tuple[int, int, int, float]:
    print(f"\n{'hostile file':28} {'import':>8} {'reload':>8} {'validate':>8}  refused")
    slowest, not_refused, changed_files = 0.0, 0, 0
    for case in CASES:
        with tempfile.TemporaryDirectory() as work:
            times, refused, changed = await refusals(case, Path(work))
        slowest = max(slowest, *times.values())
        not_refused += not refused
        changed_files += changed
        cells = " ".join(
            f"{times[path] * 1000:6.0f}ms" for path in ("import", "reload", "validate")
        )
        print(f"{case.id:28} {cells}  {'yes' if refused and not changed else 'NO'}")
    return len(CASES), not_refused, changed_files, slowest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000, help="messages per mode")
    args = parser.parse_args()
    start = time.perf_counter()
    kinds, crashes = fuzz(args.examples)
    print(
        f"messages tried: {kinds['tried']} ({time.perf_counter() - start:.1f} s), "
        f"crashes: {len(crashes)}"
    )
    print(
        "  "
        + ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items()) if kind != "tried")
    )
    for crash in crashes[:10]:
        print("  CRASH", crash)
    # validate prints every problem to stderr; the table is enough here
    with contextlib.redirect_stderr(io.StringIO()):
        tried, not_refused, changed, slowest = asyncio.run(hostile_report())
    print(
        f"hostile files tried: {tried} x 3 paths, not refused: {not_refused}, "
        f"files changed: {changed}, slowest refusal: {slowest * 1000:.0f} ms"
    )
    return 1 if crashes or not_refused or changed else 0


if __name__ == "__main__":
    sys.exit(main())
