"""The edit journal: a moderator change written down before its files, so a crash can finish it.

Why: an edit writes one or more knowledge files and then appends to the audit log. A process
killed in between would leave files the audit log does not know (so `undo` refuses them), or
half of a change to several files. The journal (`.edit-journal.json` in the knowledge folder,
never a `.yaml`, so never loaded) holds the change's texts before and after; the next writer,
holding the folder lock, compares the files with it and finishes or forgets the change.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.core.audit import AuditLog
from bot.core.loader import KnowledgeError
from bot.storage.store import KnowledgeStore
from bot.storage.transaction import fsync_directory, read_files, write_files

__all__ = [
    "JOURNAL_FILE",
    "JournalEntry",
    "Outcome",
    "clear",
    "forget_if_undone",
    "outcome",
    "read",
    "recover",
    "write",
]

log = logging.getLogger(__name__)

JOURNAL_FILE = ".edit-journal.json"
_TEMP = ".edit-journal.json.tmp"

Texts = Mapping[str, str | None]


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """A change about to be written: who, what, and every touched file before and after."""

    actor_id: int
    actor_name: str
    command: str
    entry_id: str | None
    summary: str
    before: dict[str, str | None]
    after: dict[str, str | None]


def write(directory: Path, entry: JournalEntry) -> None:
    """Record `entry` durably (temp file, fsync, rename, fsync the folder)."""
    temp = directory / _TEMP
    try:
        with temp.open("w", encoding="utf-8") as handle:
            json.dump(_as_dict(entry), handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, directory / JOURNAL_FILE)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    fsync_directory(directory)


def read(directory: Path) -> JournalEntry | None:
    """Return the change a crashed writer left unfinished, if any."""
    try:
        data: Any = json.loads((directory / JOURNAL_FILE).read_text(encoding="utf-8"))
        return JournalEntry(**data)
    except FileNotFoundError:
        return None
    except (ValueError, TypeError):
        clear(directory)  # written only after the temp file was complete, so never torn
        return None


def clear(directory: Path) -> None:
    """Forget the change: it is wholly in the files and the audit log, or wholly out."""
    for name in (JOURNAL_FILE, _TEMP):
        with contextlib.suppress(FileNotFoundError):
            (directory / name).unlink()
    fsync_directory(directory)


Outcome = str  # "in", "out", "partial" or "moved"


def outcome(entry: JournalEntry, files: Texts) -> Outcome:
    """Compare the files with the journal's change.

    "in": every file as after; "out": every file as before; "partial": a mix (a change to
    several files cut short); "moved": some file is neither (changed by hand since: left alone).
    """
    states = set()
    for name, after in entry.after.items():
        current = files.get(name)
        if current == after:
            states.add("in")
        elif current == entry.before.get(name):
            states.add("out")
        else:
            return "moved"
    if states == {"in"}:
        return "in"
    if states == {"out"}:
        return "out"
    return "partial"


def forget_if_undone(directory: Path, entry: JournalEntry) -> None:
    """After a failed write that put the files back, the journal has nothing to finish."""
    if outcome(entry, read_files(directory)) == "out":
        clear(directory)


async def recover(directory: Path, audit: AuditLog, store: KnowledgeStore) -> None:
    """Finish or forget the change a killed writer left here (the caller holds the locks).

    Its files were validated as a whole before writing, so a change cut short is finished
    (rolled forward) and audited once; one that wrote nothing is forgotten.
    """
    entry = await asyncio.to_thread(read, directory)
    if entry is None:
        return
    files = await asyncio.to_thread(read_files, directory)
    state = outcome(entry, files)
    if state == "partial":
        rest = {name: text for name, text in entry.after.items() if files.get(name) != text}
        await asyncio.to_thread(write_files, directory, rest, entry.before)
        state = "in"
    if state == "in":
        latest = await audit.audit(limit=1)
        if not latest or (latest[0].before, latest[0].after) != (entry.before, entry.after):
            await audit.add_audit(
                actor_id=entry.actor_id,
                actor_name=entry.actor_name,
                command=entry.command,
                entry_id=entry.entry_id,
                summary=f"{entry.summary} (finished after an interruption)",
                before=entry.before,
                after=entry.after,
            )
        with contextlib.suppress(KnowledgeError):
            await asyncio.to_thread(store.reload, only_if_changed=True)
        log.warning("Finished an interrupted knowledge change: %s", entry.summary)
    elif state == "moved":
        log.error(
            "An interrupted knowledge change (%s) was not finished: its files were changed "
            "by hand since. Check them and the history.",
            entry.summary,
        )
    else:
        log.warning("An interrupted knowledge change wrote nothing: %s", entry.summary)
    await asyncio.to_thread(clear, directory)


def _as_dict(entry: JournalEntry) -> dict[str, Any]:
    return {field: getattr(entry, field) for field in entry.__slots__}
