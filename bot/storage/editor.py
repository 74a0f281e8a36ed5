"""Moderator edits of the knowledge files: validated whole, written atomically, audited, undoable.

Each change computes the new text of only the files it touches, validates the whole would-be
knowledge base, and only then writes (bot.storage.transaction). The audit log keeps the exact
texts before and after, so any change can be undone byte for byte, and undoing is itself a
change. Each change is journalled before its files are written (bot.storage.journal): a
process killed part-way has its change finished, or forgotten, by the next one to take the lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import os
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rapidfuzz import process
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from bot.core.audit import AuditLog, AuditRecord
from bot.core.diff import Diff
from bot.core.editor import (
    Actor,
    Change,
    EditError,
    ImportPreview,
    Reload,
    check_name,
    diff_text,
    required_id,
    shorten,
    theme_file,
)
from bot.core.loader import SOURCES_FILE, KnowledgeError, parse_knowledge
from bot.core.models import ENTRY_FIELDS, SOURCE_FIELDS, TRANSLATION_LANGUAGES, KnowledgeBase
from bot.core.translations import KNOWLEDGE_FILE, LANGUAGE_NAMES, PRIMARY
from bot.storage import journal
from bot.storage.folder import fingerprint, read_knowledge_files
from bot.storage.store import KnowledgeStore
from bot.storage.transaction import finish, locked, read_files, write_files
from bot.storage.yaml_edit import YamlFile, append_to_list, drop_link, new_item, set_field

__all__ = ["KnowledgeEditor"]

log = logging.getLogger(__name__)


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
        database: AuditLog,
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
        _, build = self._addition(fields, file)
        return await self._commit(actor, "add", build)

    async def check_entry(self, fields: Mapping[str, Any], file: str | None = None) -> None:
        """Check a new entry before its translations are written; write nothing.

        Raises what `add_entry` would, except that the entry's missing translations are
        allowed: `/kb add` asks for them in a second form, then saves both in one change.
        """
        entry_id, build = self._addition(fields, file)
        async with locked(self.directory, self._lock):
            files = await asyncio.to_thread(read_files, self.directory)
        plan = await asyncio.to_thread(build, files)
        new_files = {**files, **{k: v for k, v in plan.files.items() if v is not None}}
        try:
            await asyncio.to_thread(parse_knowledge, new_files)
        except KnowledgeError as error:
            # Only check_translated names a language code as the new entry's field.
            problems = [
                problem
                for problem in error.problems
                if not (problem.entry == entry_id and problem.field in TRANSLATION_LANGUAGES)
            ]
            if problems:
                raise KnowledgeError(problems) from None

    def _addition(
        self, fields: Mapping[str, Any], file: str | None
    ) -> tuple[str, Callable[[Mapping[str, str]], _Plan]]:
        """Check a new entry's id and file; return the id and how to build its plan."""
        entry_id = required_id(fields, "entry")
        if entry_id in self.store.knowledge.entries:
            where = self.store.knowledge.files.get(entry_id, "the knowledge base")
            raise EditError(
                f"An entry `{entry_id}` already exists in {where}. "
                "Choose another id, or edit that entry instead."
            )
        if file is not None:
            check_name(file)
            if file in {SOURCES_FILE, KNOWLEDGE_FILE}:
                raise EditError(f"Entries can't go in {file}; pick a theme file.")
        values = {**fields, "id": entry_id}
        for key in ("as_of", "reviewed"):
            if values.get(key) is None:
                values[key] = self._today()
        for language in TRANSLATION_LANGUAGES:
            block = values.get(language)
            if isinstance(block, Mapping) and block.get("reviewed") is None:
                values[language] = {**block, "reviewed": self._today()}

        def build(files: Mapping[str, str]) -> _Plan:
            name = file or theme_file(values.get("tags"), files)
            target = YamlFile.load(files, name, "entries")
            item = new_item(values, ENTRY_FIELDS)
            return _Plan(
                {name: target.append(item)}, f"added entry `{entry_id}` to {name}", entry_id
            )

        return entry_id, build

    async def edit_entry(
        self, actor: Actor, entry_id: str, fields: Mapping[str, Any], language: str = PRIMARY
    ) -> Change:
        """Replace the given fields (None removes one) of the entry in `language`.

        That language's `reviewed` becomes today unless given; the other languages' dates stay,
        so a translation checked before an English change still shows as behind.
        """
        if "id" in fields and str(fields["id"]).strip() != entry_id:
            raise EditError(
                "An entry's id can't be changed by editing, because other entries and the test "
                "questions refer to it. Add a new entry and remove this one instead."
            )
        if language != PRIMARY and language not in TRANSLATION_LANGUAGES:
            raise EditError(f"`{language}` is not a language of the knowledge base.")
        values = {key: value for key, value in fields.items() if key != "id"}
        if not values:
            raise EditError("Say which fields to change.")
        values.setdefault("reviewed", self._today())
        name = LANGUAGE_NAMES.get(language, language)
        what = "" if language == PRIMARY else f"the {name} "

        def build(files: Mapping[str, str]) -> _Plan:
            target, index = self._locate(files, {}, entry_id)
            item = target.item(index)
            block = item if language == PRIMARY else item.get(language)
            if language != PRIMARY and not isinstance(block, CommentedMap):
                set_field(item, language, values)
            else:
                for key, value in values.items():
                    set_field(block, key, value)
            names = ", ".join(f"`{key}`" for key in fields if key != "id")
            return _Plan(
                {target.name: target.edit({index: item})},
                f"edited {what}{names} of `{entry_id}`",
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
                append_to_list(asks, phrasing)
            else:
                set_field(item, "asks", [phrasing])
            return _Plan(
                {target.name: target.edit({index: item})},
                f"added the phrasing “{shorten(phrasing)}” to `{entry_id}`",
                entry_id,
            )

        return await self._commit(actor, "alias", build)

    async def remove_entry(self, actor: Actor, entry_id: str) -> Change:
        """Remove an entry and every `see_also` link to it, so the base stays valid."""

        def build(files: Mapping[str, str]) -> _Plan:
            cache: dict[str, YamlFile] = {}
            own, own_index = self._locate(files, cache, entry_id)
            texts: dict[str, str | None] = {}
            links = 0
            own_edits: dict[int, Any] = {own_index: None}
            for name, text in files.items():
                if name in {SOURCES_FILE, KNOWLEDGE_FILE} or entry_id not in text:
                    continue
                target = cache.get(name) or YamlFile.load(files, name, "entries")
                edits: dict[int, Any] = {}
                for index in range(len(target.items)):
                    if index == own_index and target is own:
                        continue
                    if drop_link(target.item(index), entry_id):
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
        source_id = required_id(fields, "source")
        if source_id in self.store.knowledge.sources:
            raise EditError(
                f"A source `{source_id}` already exists in {SOURCES_FILE}. Choose another id."
            )

        def build(files: Mapping[str, str]) -> _Plan:
            target = YamlFile.load(files, SOURCES_FILE, "sources")
            item = new_item({**fields, "id": source_id}, SOURCE_FIELDS)
            return _Plan({SOURCES_FILE: target.append(item)}, f"added source `{source_id}`", None)

        return await self._commit(actor, "source", build)

    async def preview_import(self, name: str, text: str) -> ImportPreview:
        """Check what adding or replacing file `name` with `text` would do; write nothing."""
        check_name(name)
        async with self._locked():
            files = await asyncio.to_thread(read_files, self.directory)
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
            diff_text=diff_text({name: before}, {name: text}),
            base=fingerprint(files),
        )

    async def apply_import(self, actor: Actor, preview: ImportPreview) -> Change:
        """Write a previewed import, if no knowledge file changed since the preview."""
        check_name(preview.name)
        async with self._locked():
            files = await asyncio.to_thread(read_files, self.directory)
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
        if not record.after:
            raise EditError(
                f"Change #{record.id} was a reload ({record.summary}); it changed no file, so "
                "there is nothing to undo. Undo the edits it picked up, or fix the files."
            )
        async with self._locked():
            files = await asyncio.to_thread(read_files, self.directory)
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

    async def reload(self, actor: Actor, *, only_if_changed: bool = False) -> Reload:
        """Re-read the folder, serve it if it validates, and audit the outcome, failures too.

        With `only_if_changed` (the watcher), a folder that changes no entry is not recorded:
        that is this process's own write, or an edit that changes nothing served.
        """
        async with self._reading():
            try:
                diff = await asyncio.to_thread(self.store.reload, only_if_changed=only_if_changed)
            except KnowledgeError as error:
                outcome = Reload(actor, problems=error.problems)
            else:
                outcome = Reload(actor, diff=diff)
                if only_if_changed and not diff:
                    return outcome
            change_id = await self.database.add_audit(
                actor_id=actor.id,
                actor_name=actor.name,
                command="reload",
                entry_id=None,
                summary=outcome.summary(),
                before={},
                after={},
            )
        log.info("Knowledge change #%d: reload by %s, ok=%s", change_id, actor.name, outcome.ok)
        return dataclasses.replace(outcome, change_id=change_id)

    @contextlib.asynccontextmanager
    async def _reading(self) -> AsyncIterator[None]:
        """Take the writers' locks, so a reload never sees half of an edit being saved.

        A read-only folder has no writers (and no lock file can be made in it).
        """
        if os.access(self.directory, os.W_OK):
            async with self._locked():
                yield
        else:
            async with self._lock:
                yield

    async def export(self) -> dict[str, bytes]:
        """Return the knowledge files as they are on disk (name -> bytes), for attachments."""
        async with self._locked():
            files = await asyncio.to_thread(read_knowledge_files, self.directory)
            return {name: text.encode("utf-8") for name, text in files.items()}

    async def _commit(
        self, actor: Actor, command: str, build: Callable[[Mapping[str, str]], _Plan]
    ) -> Change:
        async with self._locked():
            files = await asyncio.to_thread(read_files, self.directory)
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
        return await finish(self._save(actor, command, plan, knowledge, new_files, before, after))

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
            await asyncio.to_thread(write_files, self.directory, after, before)
        except BaseException:
            await asyncio.to_thread(journal.forget_if_undone, self.directory, entry)
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
            diff_text=diff_text(before, after),
            files=tuple(after),
        )

    async def recover(self) -> None:
        """Finish or forget a change interrupted by a crash (also done before every change)."""
        async with self._locked():
            pass

    @contextlib.asynccontextmanager
    async def _locked(self) -> AsyncIterator[None]:
        """Take the writers' locks, then deal with a change a killed writer left unfinished."""
        async with locked(self.directory, self._lock):
            await finish(journal.recover(self.directory, self.database, self.store))
            yield

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
        self, files: Mapping[str, str], cache: dict[str, YamlFile], entry_id: str
    ) -> tuple[YamlFile, int]:
        """Find the file and position of an entry on disk, trying the file it was loaded from."""
        hint = self.store.knowledge.files.get(entry_id)
        names = [hint] if hint in files else []
        names += [n for n in files if n not in {hint, SOURCES_FILE} and entry_id in files[n]]
        for name in names:
            if name is None:
                continue
            target = cache.get(name) or YamlFile.load(files, name, "entries")
            cache[name] = target
            index = target.find(entry_id)
            if index is not None:
                return target, index
        known = list(self.store.knowledge.entries)
        match = process.extractOne(entry_id, known, score_cutoff=60)
        hint_text = f"Did you mean `{match[0]}`?" if match else "Check the spelling of the id."
        raise EditError(f"There is no entry `{entry_id}`. {hint_text}")
