"""Moderator edits of the knowledge files: validated whole, written atomically, audited, undoable.

Every change runs under one lock per process and an advisory file lock shared by every process
using the folder, reads the files from disk (another process may have changed them), computes
the new text of only the files it touches, validates the whole would-be knowledge base, and
only then writes: temp file, fsync, `os.replace`. The audit log keeps the exact texts before
and after, so any change can be undone byte for byte, and undoing is itself a change.

Edited YAML keeps the moderators' layout: an entry is re-rendered with ruamel.yaml's round-trip
mode and spliced into the original text in place of its own lines, so every other byte of the
file (comments, quotes, blank lines, other entries) stays exactly as it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import datetime as dt
import difflib
import fcntl
import io
import logging
import os
import re
import tempfile
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from rapidfuzz import process
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import LiteralScalarString

from bot.core.loader import (
    SOURCES_FILE,
    KnowledgeError,
    Problem,
    parse_knowledge,
    read_knowledge_files,
)
from bot.core.models import ENTRY_FIELDS, SOURCE_FIELDS, KnowledgeBase
from bot.core.store import Diff, KnowledgeStore, fingerprint
from bot.db import AuditRecord, Database
from bot.storage import journal

__all__ = [
    "DEFAULT_FILE",
    "DIFF_TEXT_LIMIT",
    "LOCK_FILE",
    "Actor",
    "Change",
    "EditError",
    "ImportPreview",
    "KnowledgeEditor",
]

log = logging.getLogger(__name__)
_T = TypeVar("_T")

DEFAULT_FILE = "community.yaml"
LOCK_FILE = ".lock"
DIFF_TEXT_LIMIT = 1500
# Temp files never end in .yaml, so a crash that leaves one behind cannot be loaded as data.
_TEMP_SUFFIX = ".tmp"
_PLAIN_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*\.yaml$")
_ENTRY_ORDER = ENTRY_FIELDS
_SOURCE_ORDER = SOURCE_FIELDS
_FLOW_LISTS = frozenset({"tags", "see_also"})
_DATE_FIELDS = frozenset({"as_of", "reviewed", "date"})
# Split lines where ruamel.yaml counts them, so its line numbers index this list.
_LINE_END = re.compile(r"(?<=\n)|(?<=\r)(?!\n)|(?<=[\x85\u2028\u2029])")
_NEW_FILE_HEADER = "Entries added by moderators; move them to a theme file when one fits."


@dataclass(frozen=True, slots=True)
class Actor:
    """The moderator making a change, as the audit log names them."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Change:
    """A saved change: its audit number (for undo), what it did, and a diff for the mod-log."""

    id: int
    command: str
    entry_id: str | None
    summary: str
    diff: Diff
    diff_text: str
    files: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ImportPreview:
    """What importing a file would do; nothing is written until `apply_import`."""

    name: str
    text: str
    before: str | None
    diff: Diff
    problems: tuple[Problem, ...]
    diff_text: str
    # Fingerprint of every knowledge file at preview time: applying refuses if it changed.
    base: str = field(repr=False)

    @property
    def ok(self) -> bool:
        """Whether the import would validate."""
        return not self.problems


class EditError(Exception):
    """A request that cannot be carried out; the message says why and what to do instead."""


@dataclass(frozen=True, slots=True)
class _Plan:
    """New texts (None: delete) of the files an operation changes, in the order to write."""

    files: dict[str, str | None]
    summary: str
    entry_id: str | None
    with_diff: bool = False  # append the entry diff to the summary (imports, undo)


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


class KnowledgeEditor:
    """Apply moderator changes to the knowledge files safely, then serve and audit them."""

    def __init__(
        self,
        store: KnowledgeStore,
        database: Database,
        *,
        today: Callable[[], dt.date] = _today,
    ) -> None:
        self.store = store
        self.database = database
        self._today = today
        self._lock = asyncio.Lock()

    @property
    def directory(self) -> Path:
        """The knowledge folder being edited (the store's)."""
        return self.store.directory

    async def add_entry(
        self, actor: Actor, fields: Mapping[str, Any], file: str | None = None
    ) -> Change:
        """Append a new entry to `file`, or to its first tag's theme file, or community.yaml."""
        entry_id = _required_id(fields, "entry")
        if entry_id in self.store.knowledge.entries:
            where = self.store.knowledge.files.get(entry_id, "the knowledge base")
            raise EditError(
                f"An entry `{entry_id}` already exists in {where}. "
                "Choose another id, or edit that entry instead."
            )
        if file is not None:
            _check_name(file)
            if file == SOURCES_FILE:
                raise EditError(f"Entries can't go in {SOURCES_FILE}; pick a theme file.")
        values = {**fields, "id": entry_id}
        for key in ("as_of", "reviewed"):
            if values.get(key) is None:
                values[key] = self._today()

        def build(files: Mapping[str, str]) -> _Plan:
            name = file or _theme_file(values.get("tags"), files)
            target = _File.load(files, name, "entries")
            item = _new_item(values, _ENTRY_ORDER)
            return _Plan(
                {name: target.append(item)}, f"added entry `{entry_id}` to {name}", entry_id
            )

        return await self._commit(actor, "add", build)

    async def edit_entry(self, actor: Actor, entry_id: str, fields: Mapping[str, Any]) -> Change:
        """Replace the given fields (None removes one); `reviewed` becomes today unless given."""
        if "id" in fields and str(fields["id"]).strip() != entry_id:
            raise EditError(
                "An entry's id can't be changed by editing, because other entries and the test "
                "questions refer to it. Add a new entry and remove this one instead."
            )
        values = {key: value for key, value in fields.items() if key != "id"}
        if not values:
            raise EditError("Say which fields to change.")
        values.setdefault("reviewed", self._today())

        def build(files: Mapping[str, str]) -> _Plan:
            target, index = self._locate(files, {}, entry_id)
            item = target.item(index)
            for key, value in values.items():
                _set_field(item, key, value)
            names = ", ".join(f"`{key}`" for key in fields if key != "id")
            return _Plan(
                {target.name: target.edit({index: item})},
                f"edited {names} of `{entry_id}`",
                entry_id,
            )

        return await self._commit(actor, "edit", build)

    async def add_alias(self, actor: Actor, entry_id: str, phrasing: str) -> Change:
        """Append another way of asking to the entry's `asks`."""
        phrasing = " ".join(phrasing.split())
        if not phrasing:
            raise EditError("Write the phrasing to add.")

        def build(files: Mapping[str, str]) -> _Plan:
            target, index = self._locate(files, {}, entry_id)
            item = target.item(index)
            asks = item.get("asks")
            if isinstance(asks, CommentedSeq):
                _append(asks, phrasing)
            else:
                _set_field(item, "asks", [phrasing])
            return _Plan(
                {target.name: target.edit({index: item})},
                f"added the phrasing “{_shorten(phrasing)}” to `{entry_id}`",
                entry_id,
            )

        return await self._commit(actor, "alias", build)

    async def remove_entry(self, actor: Actor, entry_id: str) -> Change:
        """Remove an entry and every `see_also` link to it, so the base stays valid."""

        def build(files: Mapping[str, str]) -> _Plan:
            cache: dict[str, _File] = {}
            own, own_index = self._locate(files, cache, entry_id)
            texts: dict[str, str | None] = {}
            links = 0
            own_edits: dict[int, Any] = {own_index: None}
            for name, text in files.items():
                if name == SOURCES_FILE or entry_id not in text:
                    continue
                target = cache.get(name) or _File.load(files, name, "entries")
                edits: dict[int, Any] = {}
                for index in range(len(target.items)):
                    if index == own_index and target is own:
                        continue
                    if _drop_link(target.item(index), entry_id):
                        edits[index] = target.items[index]
                        links += 1
                if target is own:
                    own_edits.update(edits)
                elif edits:
                    texts[name] = target.edit(edits)
            # The entry's own file goes last: if the process dies part-way, the files on disk
            # still validate (links are gone before the entry they pointed to).
            texts[own.name] = own.edit(own_edits)
            summary = f"removed entry `{entry_id}` from {own.name}"
            if links:
                summary += f" and {links} `see_also` link{'s' if links > 1 else ''} to it"
            return _Plan(texts, summary, entry_id)

        return await self._commit(actor, "remove", build)

    async def add_source(self, actor: Actor, fields: Mapping[str, Any]) -> Change:
        """Append a new source to sources.yaml."""
        source_id = _required_id(fields, "source")
        if source_id in self.store.knowledge.sources:
            raise EditError(
                f"A source `{source_id}` already exists in {SOURCES_FILE}. Choose another id."
            )

        def build(files: Mapping[str, str]) -> _Plan:
            target = _File.load(files, SOURCES_FILE, "sources")
            item = _new_item({**fields, "id": source_id}, _SOURCE_ORDER)
            return _Plan({SOURCES_FILE: target.append(item)}, f"added source `{source_id}`", None)

        return await self._commit(actor, "source", build)

    async def preview_import(self, name: str, text: str) -> ImportPreview:
        """Check what adding or replacing file `name` with `text` would do; write nothing."""
        _check_name(name)
        async with self._locked():
            files = await asyncio.to_thread(_read_files, self.directory)
        before = files.get(name)
        try:
            knowledge = await asyncio.to_thread(parse_knowledge, {**files, name: text})
        except KnowledgeError as error:
            diff, problems = Diff(), error.problems
        else:
            diff, problems = Diff.between(self.store.knowledge, knowledge), ()
        return ImportPreview(
            name=name,
            text=text,
            before=before,
            diff=diff,
            problems=problems,
            diff_text=_diff_text({name: before}, {name: text}),
            base=fingerprint(files),
        )

    async def apply_import(self, actor: Actor, preview: ImportPreview) -> Change:
        """Write a previewed import, if no knowledge file changed since the preview."""
        _check_name(preview.name)
        async with self._locked():
            files = await asyncio.to_thread(_read_files, self.directory)
            if fingerprint(files) != preview.base:
                raise EditError(
                    "The knowledge files changed since this preview (another change was saved). "
                    "Preview the import again, check it, then apply it."
                )
            verb = "replaced" if preview.name in files else "added"
            plan = _Plan(
                {preview.name: preview.text}, f"imported {preview.name} ({verb})", None, True
            )
            return await self._apply(actor, "import", files, plan)

    async def undo(self, actor: Actor, change_id: int) -> Change:
        """Restore the files of change `change_id` exactly as they were before it."""
        found = await self.database.audit(limit=1, change_id=change_id)
        if not found:
            raise EditError(f"There is no change #{change_id}. Check the number in the history.")
        record = found[0]
        async with self._locked():
            files = await asyncio.to_thread(_read_files, self.directory)
            moved = sorted(name for name, text in record.after.items() if files.get(name) != text)
            if moved:
                raise EditError(await self._undo_refusal(record, moved))
            plan = _Plan(
                dict(record.before),
                f"undid change #{record.id} ({record.summary})",
                record.entry_id,
                True,
            )
            return await self._apply(actor, "undo", files, plan)

    async def export(self) -> dict[str, bytes]:
        """Return the knowledge files as they are on disk (name -> bytes), for attachments."""
        async with self._locked():
            files = await asyncio.to_thread(read_knowledge_files, self.directory)
            return {name: text.encode("utf-8") for name, text in files.items()}

    async def _commit(
        self, actor: Actor, command: str, build: Callable[[Mapping[str, str]], _Plan]
    ) -> Change:
        async with self._locked():
            files = await asyncio.to_thread(_read_files, self.directory)
            plan = await asyncio.to_thread(build, files)
            return await self._apply(actor, command, files, plan)

    async def _apply(
        self, actor: Actor, command: str, files: Mapping[str, str], plan: _Plan
    ) -> Change:
        """Validate, write, swap and audit a plan; the caller holds the locks."""
        after = {name: text for name, text in plan.files.items() if files.get(name) != text}
        if not after:
            raise EditError("That would change nothing: the files already say this.")
        new_files = {name: text for name, text in files.items() if name not in after}
        new_files.update({name: text for name, text in after.items() if text is not None})
        knowledge = await asyncio.to_thread(parse_knowledge, new_files)
        before = {name: files.get(name) for name in after}
        # Once writing starts, a cancelled caller must not let go of the locks half-way.
        return await _finish(self._save(actor, command, plan, knowledge, new_files, before, after))

    async def _save(
        self,
        actor: Actor,
        command: str,
        plan: _Plan,
        knowledge: KnowledgeBase,
        files: Mapping[str, str],
        before: dict[str, str | None],
        after: dict[str, str | None],
    ) -> Change:
        """Journal, write, swap and audit a validated change, then clear the journal."""
        entry = journal.JournalEntry(
            actor.id, actor.name, command, plan.entry_id, plan.summary, before, after
        )
        await asyncio.to_thread(journal.write, self.directory, entry)
        try:
            await asyncio.to_thread(_write_files, self.directory, after, before)
        except BaseException:
            await asyncio.to_thread(_forget_if_undone, self.directory, entry)
            raise
        # Building the engine takes a while; the swap itself is one assignment.
        diff = await asyncio.to_thread(self.store.replace, knowledge, files)
        summary = f"{plan.summary}: {diff.summary()}" if plan.with_diff else plan.summary
        change_id = await self.database.add_audit(
            actor_id=actor.id,
            actor_name=actor.name,
            command=command,
            entry_id=plan.entry_id,
            summary=summary,
            before=before,
            after=after,
        )
        await asyncio.to_thread(journal.clear, self.directory)
        log.info("Knowledge change #%d: %s of %s", change_id, command, plan.entry_id or "files")
        return Change(
            id=change_id,
            command=command,
            entry_id=plan.entry_id,
            summary=summary,
            diff=diff,
            diff_text=_diff_text(before, after),
            files=tuple(after),
        )

    async def _undo_refusal(self, record: AuditRecord, moved: Sequence[str]) -> str:
        names = ", ".join(moved)
        for later in await self.database.audit_after(record.id, files=moved, limit=1):
            return (
                f"Change #{later.id} ({later.summary}, by {later.actor_name}) changed "
                f"{names} after change #{record.id}. Undo #{later.id} first, then "
                f"#{record.id}."
            )
        return (
            f"{names} changed outside the bot after change #{record.id}, so undoing it "
            "could lose that work. Fix the file by hand instead."
        )

    def _locate(
        self, files: Mapping[str, str], cache: dict[str, _File], entry_id: str
    ) -> tuple[_File, int]:
        """Find the file and position of an entry on disk, trying the file it was loaded from."""
        hint = self.store.knowledge.files.get(entry_id)
        names = [hint] if hint in files else []
        names += [n for n in files if n not in {hint, SOURCES_FILE} and entry_id in files[n]]
        for name in names:
            if name is None:
                continue
            target = cache.get(name) or _File.load(files, name, "entries")
            cache[name] = target
            index = target.find(entry_id)
            if index is not None:
                return target, index
        known = list(self.store.knowledge.entries)
        match = process.extractOne(entry_id, known, score_cutoff=60)
        hint_text = f"Did you mean `{match[0]}`?" if match else "Check the spelling of the id."
        raise EditError(f"There is no entry `{entry_id}`. {hint_text}")

    async def _recover(self) -> None:
        """Finish or forget a change a killed writer left in the journal (locks held).

        Its files were validated as a whole before writing, so a change cut short is finished
        (rolled forward) and audited once; one that wrote nothing is forgotten.
        """
        entry = await asyncio.to_thread(journal.read, self.directory)
        if entry is None:
            return
        files = await asyncio.to_thread(read_knowledge_files, self.directory)
        state = journal.outcome(entry, files)
        if state == "partial":
            rest = {name: text for name, text in entry.after.items() if files.get(name) != text}
            await asyncio.to_thread(_write_files, self.directory, rest, entry.before)
            state = "in"
        if state == "in":
            latest = await self.database.audit(limit=1)
            if not latest or (latest[0].before, latest[0].after) != (entry.before, entry.after):
                await self.database.add_audit(
                    actor_id=entry.actor_id,
                    actor_name=entry.actor_name,
                    command=entry.command,
                    entry_id=entry.entry_id,
                    summary=f"{entry.summary} (finished after an interruption)",
                    before=entry.before,
                    after=entry.after,
                )
            with contextlib.suppress(KnowledgeError):
                await asyncio.to_thread(self.store.reload, only_if_changed=True)
            log.warning("Finished an interrupted knowledge change: %s", entry.summary)
        elif state == "moved":
            log.error(
                "An interrupted knowledge change (%s) was not finished: its files were changed "
                "by hand since. Check them and the history.",
                entry.summary,
            )
        else:
            log.warning("An interrupted knowledge change wrote nothing: %s", entry.summary)
        await asyncio.to_thread(journal.clear, self.directory)

    async def recover(self) -> None:
        """Finish or forget a change interrupted by a crash (also done before every change)."""
        async with self._locked():
            pass

    @contextlib.asynccontextmanager
    async def _locked(self) -> AsyncIterator[None]:
        """Hold the process lock, then the folder's file lock, taken in a thread."""
        async with self._lock:
            fd = os.open(self.directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                await _flock(fd)
            except asyncio.CancelledError:
                raise  # _flock closes the descriptor once the thread lets go of it
            except BaseException:
                os.close(fd)
                raise
            try:
                await _finish(self._recover())
                yield
            finally:
                os.close(fd)  # closing releases the lock


async def _finish(work: Coroutine[Any, Any, _T]) -> _T:
    """Run `work` to the end even if the caller is cancelled meanwhile (then re-raise that)."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        while not task.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait({task})
        if not task.cancelled() and task.exception() is not None:
            log.error("Saving a knowledge change failed after a cancel", exc_info=task.exception())
        raise


async def _flock(fd: int) -> None:
    """Take the exclusive lock without blocking the event loop, even if cancelled meanwhile."""
    waiting = asyncio.ensure_future(asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX))
    try:
        await asyncio.shield(waiting)
    except asyncio.CancelledError:
        # The thread cannot be interrupted; when it gets the lock, let go of it at once.
        waiting.add_done_callback(lambda _: os.close(fd))
        raise


# --- Reading and writing files -------------------------------------------------------------


def _forget_if_undone(directory: Path, entry: journal.JournalEntry) -> None:
    """After a failed write that put the files back, the journal has nothing to finish."""
    if journal.outcome(entry, read_knowledge_files(directory)) == "out":
        journal.clear(directory)


def _read_files(directory: Path) -> dict[str, str]:
    """Clear temp files left by a crash, then read the knowledge files exactly."""
    _sweep(directory)
    return read_knowledge_files(directory)


def _sweep(directory: Path) -> None:
    """Delete temp files a crashed writer left behind; safe because we hold the file lock."""
    for pattern in (f".*.yaml.*{_TEMP_SUFFIX}", f".*.yml.*{_TEMP_SUFFIX}"):
        for path in directory.rglob(pattern):
            with contextlib.suppress(OSError):
                path.unlink()
                log.warning("Removed %s, left behind by an interrupted write", path.name)


def _write_files(
    directory: Path, after: Mapping[str, str | None], before: Mapping[str, str | None]
) -> None:
    """Write every file atomically; if one fails, put back the ones already written."""
    done: list[str] = []
    try:
        for name, text in after.items():
            _write_one(directory / name, text)
            done.append(name)
    except BaseException:
        for name in reversed(done):
            try:
                _write_one(directory / name, before[name])
            except OSError:
                log.exception("Could not restore %s after a failed write", name)
        raise


def _write_one(path: Path, text: str | None) -> None:
    """Replace (or delete, for None) one file so that a crash leaves the old or the new one."""
    if text is None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        _fsync_directory(path.parent)
        return
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=_TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    """Make a rename or delete durable: it lives in the directory's own data."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _diff_text(
    before: Mapping[str, str | None], after: Mapping[str, str | None], limit: int = DIFF_TEXT_LIMIT
) -> str:
    """Diff the changed files (unified), cut to about `limit` characters for the mod-log."""
    lines: list[str] = []
    for name, new in after.items():
        old = before.get(name)
        lines += difflib.unified_diff(
            (old or "").splitlines(keepends=True),
            (new or "").splitlines(keepends=True),
            fromfile=f"a/{name}" if old is not None else "/dev/null",
            tofile=f"b/{name}" if new is not None else "/dev/null",
            n=1,
        )
    text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit - 40) + 1 or limit - 40
    return f"{text[:cut]}… ({len(text) - cut} more characters)\n"


# --- Building new texts ----------------------------------------------------------------------


def _yaml() -> YAML:
    """Make a round-trip YAML in the house layout: `  - id:` items, fields by four spaces."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 100_000  # never re-wrap a moderator's long line
    return yaml


def _split_lines(text: str) -> list[str]:
    return [line for line in _LINE_END.split(text) if line]


def _is_gap(line: str, column: int) -> bool:
    """Whether a line between items is layout (blank, or a comment at item level)."""
    stripped = line.strip()
    indent = len(line) - len(line.lstrip(" "))
    return not stripped or (stripped.startswith("#") and indent <= column)


def _body_end(lines: Sequence[str], start: int, end: int, column: int) -> int:
    while end > start + 1 and _is_gap(lines[end - 1], column):
        end -= 1
    return end


class _File:
    """One knowledge file being edited: its text, its round-trip document, its items' lines."""

    def __init__(self, name: str, text: str | None, key: str, document: Any) -> None:
        self.name = name
        self.text = text or ""
        self.key = key
        self.document = document
        self.newline = "\r\n" if "\r\n" in self.text else "\n"
        listing = document.get(key) if isinstance(document, CommentedMap) else None
        self.items: list[Any] = list(listing) if isinstance(listing, CommentedSeq) else []
        self._listing = listing if isinstance(listing, CommentedSeq) else None

    @classmethod
    def load(cls, files: Mapping[str, str], name: str, key: str) -> _File:
        text = files.get(name)
        if not text or not text.strip():
            return cls(name, text, key, None)
        try:
            document = _yaml().load(text)
        except YAMLError as error:
            parse_knowledge(files)  # raises the located problem when PyYAML agrees
            raise EditError(
                f"{name} can't be read for editing ({error}). Fix it by hand."
            ) from None
        if document is not None and not isinstance(document, CommentedMap):
            raise EditError(f"{name} does not start with `{key}:`. Fix it by hand first.")
        return cls(name, text, key, document)

    def item(self, index: int) -> Any:
        """Return an item to change, without the layout that follows it (kept by splicing)."""
        item = self.items[index]
        _strip_tail(item)
        return item

    def find(self, item_id: str) -> int | None:
        for index, item in enumerate(self.items):
            if isinstance(item, CommentedMap) and str(item.get("id", "")).strip() == item_id:
                return index
        return None

    def edit(self, changes: Mapping[int, Any]) -> str:
        """Return the text with the items at these positions replaced (or removed, for None)."""
        spans = self._spans()
        if spans is None or all(changes.get(index, 0) is None for index in range(len(spans))):
            return self._dump_whole(changes, None)
        lines = _split_lines(self.text)
        # From the bottom up, so the line numbers of the items above stay right.
        for index in sorted(changes, reverse=True):
            start, body_end, _ = spans[index]
            item = changes[index]
            if item is not None:
                lines[start:body_end] = self._render(item, spans[index][2])
            else:
                del lines[slice(*self._removal(lines, spans, index))]
        return "".join(lines)

    def _removal(
        self, lines: Sequence[str], spans: Sequence[tuple[int, int, int]], index: int
    ) -> tuple[int, int]:
        """Lines to delete with an item: the comments right above it and one blank gap."""
        start, end, column = spans[index]
        floor = spans[index - 1][1] if index else 0
        while start > floor and _is_gap(lines[start - 1], column) and lines[start - 1].strip():
            start -= 1
        if index:
            while start > floor and not lines[start - 1].strip():
                start -= 1
        else:
            while end < spans[1][0] and not lines[end].strip():
                end += 1
        return start, end

    def append(self, item: Any) -> str:
        """Return the text with `item` added after the last item, a blank line between."""
        spans = self._spans()
        if not spans:
            return self._dump_whole({}, item)
        lines = _split_lines(self.text)
        _, at, column = spans[-1]
        if not lines[at - 1].endswith(("\n", "\r")):
            lines[at - 1] += self.newline
        lines[at:at] = [self.newline, *self._render(item, column)]
        return "".join(lines)

    def _spans(self) -> list[tuple[int, int, int]] | None:
        """(first line, end of body, dash column) of each item; None when splicing won't do."""
        listing = self._listing
        if listing is None or not listing or listing.fa.flow_style():
            return None
        lines = _split_lines(self.text)
        starts: list[tuple[int, int]] = []
        for index in range(len(listing)):
            line = listing.lc.item(index)[0]
            if line >= len(lines) or not lines[line].lstrip(" ").startswith("-"):
                return None
            starts.append((line, len(lines[line]) - len(lines[line].lstrip(" "))))
        keys = list(self.document)
        following = keys[keys.index(self.key) + 1 :]
        end = self.document.lc.key(following[0])[0] if following else len(lines)
        spans: list[tuple[int, int, int]] = []
        for index, (line, column) in enumerate(starts):
            stop = starts[index + 1][0] if index + 1 < len(starts) else end
            spans.append((line, _body_end(lines, line, stop, column), column))
        return spans

    def _render(self, item: Any, column: int) -> list[str]:
        """Render one item alone, shifted to the file's indentation, without trailing layout."""
        root = CommentedMap()
        root[self.key] = CommentedSeq([item])
        buffer = io.StringIO()
        _yaml().dump(root, buffer)
        lines = _split_lines(buffer.getvalue())[1:]
        lines = lines[: _body_end(lines, 0, len(lines), 2)]
        shift = column - 2
        if shift:
            lines = [_shift(line, shift) for line in lines]
        return [self._newlines(line) for line in lines]

    def _newlines(self, text: str) -> str:
        return text.replace("\n", self.newline) if self.newline != "\n" else text

    def _dump_whole(self, changes: Mapping[int, Any], append: Any) -> str:
        """Re-emit the whole document: for new, empty or unusually laid out files."""
        document = self.document
        if document is None:
            document = CommentedMap()
            document.yaml_set_start_comment(_NEW_FILE_HEADER)
        listing = document.get(self.key)
        if not isinstance(listing, CommentedSeq):
            listing = CommentedSeq()
            document[self.key] = listing
        for index in sorted(changes, reverse=True):
            if changes[index] is None:
                del listing[index]
            else:
                listing[index] = changes[index]
        if append is not None:
            listing.append(append)
        if not listing:
            listing.fa.set_flow_style()  # `entries: []`, not a null
        buffer = io.StringIO()
        _yaml().dump(document, buffer)
        return self._newlines(buffer.getvalue())


def _shift(line: str, by: int) -> str:
    """Indent a non-blank line by `by` columns (negative: fewer), for files indented otherwise."""
    if not line.strip():
        return line
    if by > 0:
        return " " * by + line
    spaces = len(line) - len(line.lstrip(" "))
    return line[min(-by, spaces) :]


def _required_id(fields: Mapping[str, Any], what: str) -> str:
    value = fields.get("id")
    if not isinstance(value, str) or not value.strip():
        raise EditError(f"Give the new {what} an `id`: lowercase words joined by hyphens.")
    return value.strip()


def _check_name(name: str) -> None:
    if not _PLAIN_NAME.match(name):
        raise EditError(
            f"`{name}` is not a plain knowledge file name. Use lowercase letters, digits and "
            "hyphens ending in `.yaml`, for example `community.yaml`."
        )


def _theme_file(tags: Any, files: Mapping[str, str]) -> str:
    """Pick the theme file named by the first tag, if there is one; else the community file."""
    if isinstance(tags, list | tuple) and tags and isinstance(tags[0], str):
        name = f"{tags[0].strip()}.yaml"
        if name in files and name != SOURCES_FILE:
            return name
    return DEFAULT_FILE


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _date(value: Any) -> Any:
    """Dates as dates, so they are written bare (`2012-09-28`); bad ones left for validation."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return dt.date.fromisoformat(value.strip())
        return value.strip()
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _to_yaml(key: str, value: Any) -> Any:
    """Turn a plain value into the round-trip node it should be written as."""
    if key == "answer" and isinstance(value, str):
        lines = [line.rstrip() for line in value.replace("\r\n", "\n").split("\n")]
        return LiteralScalarString("\n".join(lines).strip("\n") + "\n")
    if key in _DATE_FIELDS:
        return _date(value)
    if isinstance(value, Mapping):
        mapping = CommentedMap()
        for name, item in value.items():
            mapping[name] = _to_yaml(str(name), item)
        return mapping
    if isinstance(value, list | tuple):
        listing = CommentedSeq(_to_yaml(key, item) for item in value)
        if key in _FLOW_LISTS:
            listing.fa.set_flow_style()
        else:
            listing.fa.set_block_style()
        return listing
    if isinstance(value, str):
        return value.strip()
    return value


def _new_item(fields: Mapping[str, Any], order: tuple[str, ...]) -> CommentedMap:
    """Build a new item, fields in the documented order (unknown ones last, to be reported)."""
    item = CommentedMap()
    for key in sorted(fields, key=lambda k: order.index(k) if k in order else len(order)):
        if fields[key] is not None:
            item[key] = _to_yaml(key, fields[key])
    return item


def _set_field(item: CommentedMap, key: str, value: Any) -> None:
    """Set one field in place, keeping the key's position and its list style."""
    if value is None:
        item.pop(key, None)
        return
    new = _to_yaml(key, value)
    old = item.get(key)
    if isinstance(old, CommentedSeq) and isinstance(new, CommentedSeq):
        if old.fa.flow_style():
            new.fa.set_flow_style()
        else:
            new.fa.set_block_style()
    if key in item:
        item[key] = new
        return
    rank = _ENTRY_ORDER.index(key) if key in _ENTRY_ORDER else len(_ENTRY_ORDER)
    position = len(item)
    for index, existing in enumerate(item):
        if existing in _ENTRY_ORDER and _ENTRY_ORDER.index(existing) > rank:
            position = index
            break
    item.insert(position, key, new)


def _append(listing: CommentedSeq, value: Any) -> None:
    """Append to a block list, moving the layout after its last item (blank lines) below."""
    last = len(listing) - 1
    listing.append(value)
    if last < 0 or isinstance(listing[last], CommentedMap | CommentedSeq):
        return
    slot = listing.ca.items.get(last)
    token = slot[0] if slot else None
    if token is None or "\n" not in token.value:
        return
    own, _, rest = token.value.partition("\n")
    if not rest:
        return
    moved = copy.copy(token)
    moved.value = "\n" + rest
    listing.ca.items[last + 1] = [moved, None, None, None]
    if own.strip():
        token.value = own + "\n"
    else:
        slot[0] = None


def _strip_tail(node: Any) -> None:
    """Drop the blank lines and comments ruamel.yaml hangs on a node's last value.

    They are the layout before the next item; left on an edited item they would end up in
    its middle once a field is added after the last one.
    """
    if isinstance(node, CommentedMap) and node:
        last: Any = next(reversed(node))
        position = 2
    elif isinstance(node, CommentedSeq) and node:
        last, position = len(node) - 1, 0
    else:
        return
    slot = node.ca.items.get(last)
    token = slot[position] if slot else None
    if token is not None:
        own, newline, _ = token.value.partition("\n")
        if own.strip():
            token.value = own + newline
        else:
            slot[position] = None
    _strip_tail(node[last])


def _drop_link(item: Any, entry_id: str) -> bool:
    """Remove `entry_id` from an item's `see_also`; return whether it was there."""
    links = item.get("see_also") if isinstance(item, CommentedMap) else None
    if not isinstance(links, CommentedSeq) or entry_id not in {str(x).strip() for x in links}:
        return False
    kept = [link for link in links if str(link).strip() != entry_id]
    if not kept:
        del item["see_also"]
        return True
    replacement = CommentedSeq(kept)
    if links.fa.flow_style():
        replacement.fa.set_flow_style()
    item["see_also"] = replacement
    return True
