"""Moderator edits reach the disk validated, atomically, in the moderators' layout, and undoably."""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import os
import shutil
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.core.editor import Actor, EditError
from bot.core.loader import KnowledgeError
from bot.db import Database
from bot.storage.editor import KnowledgeEditor
from bot.storage.folder import load_knowledge
from bot.storage.store import KnowledgeStore
from bot.storage.transaction import LOCK_FILE

# A frozen copy of the knowledge base: these tests pin exact bytes, so they must not follow
# content edits to the shipped one.
SHIPPED = Path(__file__).resolve().parents[1] / "data" / "knowledge"
TODAY = dt.date(2030, 1, 2)
ALICE = Actor(101, "Alice (mod)")
BOB = Actor(202, "Bob (mod)")

NEW_ENTRY: dict[str, Any] = {
    "id": "kb-editing",
    "question": "How do moderators change the bot's answers?",
    "asks": [
        "who edits the bot answers",
        "can mods change an answer",
        "updating the faq: how",
        "changing entries of the bot",
    ],
    "answer": "Moderators use the bot's commands.  \n\nEvery change is checked first.\n\n",
    "sources": ["nbc-news-2012-09-28", {"id": "doma-1996", "quote": "Section 3"}],
    "as_of": "2012-09-28",
    "tags": ["law", "meta"],
}

NEW_ENTRY_TEXT = """\

  - id: kb-editing
    question: How do moderators change the bot's answers?
    asks:
      - who edits the bot answers
      - can mods change an answer
      - 'updating the faq: how'
      - changing entries of the bot
    answer: |
      Moderators use the bot's commands.

      Every change is checked first.
    sources:
      - nbc-news-2012-09-28
      - id: doma-1996
        quote: Section 3
    as_of: 2012-09-28
    reviewed: 2030-01-02
    tags: [law, meta]
"""

IMPORTED = """\
# Extra entries, imported.
entries:
  - id: imported-entry
    question: Is this entry imported from a file?
    asks:
      - imported from an attachment
      - entry that came from an upload
      - file import test question
      - uploaded yaml entry
    answer: Yes.
    sources: [the-nation-2012-09-28]
    as_of: 2012-09-28
    reviewed: 2030-01-02
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SHIPPED, tmp_path / "knowledge"))


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = await Database.open(tmp_path / "data")
    yield db
    await db.close()


@pytest.fixture
def store(folder: Path) -> KnowledgeStore:
    return KnowledgeStore(folder)


@pytest.fixture
def editor(store: KnowledgeStore, database: Database) -> KnowledgeEditor:
    return KnowledgeEditor(store, database, today=lambda: TODAY)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file in the folder (but the lock file), as bytes."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != LOCK_FILE
    }


def entry_lines(text: str, entry_id: str) -> tuple[int, int]:
    """0-based (first, end) lines of an entry in a shipped file: from `- id:` to the next one."""
    lines = text.splitlines(keepends=True)
    start = lines.index(f"  - id: {entry_id}\n")
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].startswith("  - id: ")), len(lines)
    )
    return start, end


def line_of(text: str, entry_id: str, needle: str) -> int:
    """1-based line of the first line starting with `needle` inside an entry."""
    start, end = entry_lines(text, entry_id)
    lines = text.splitlines()
    return next(i for i in range(start, end) if lines[i].startswith(needle)) + 1


# --- Each operation writes the files and the store serves the result ------------------------


async def test_add_entry_appends_to_the_theme_file_in_house_style(
    editor: KnowledgeEditor, folder: Path, store: KnowledgeStore
) -> None:
    before = (folder / "law.yaml").read_text()

    change = await editor.add_entry(ALICE, NEW_ENTRY)

    assert (folder / "law.yaml").read_text() == before + NEW_ENTRY_TEXT
    entry = store.knowledge.entries["kb-editing"]
    assert entry.reviewed == TODAY
    assert entry.as_of == dt.date(2012, 9, 28)
    assert store.knowledge.files["kb-editing"] == "law.yaml"
    assert change.diff.added == ("kb-editing",)
    assert change.files == ("law.yaml",)
    assert change.summary == "added entry `kb-editing` to law.yaml"
    assert "+  - id: kb-editing" in change.diff_text
    assert "kb-editing" in load_knowledge(folder).entries


async def test_add_entry_without_a_theme_file_creates_community_yaml(
    editor: KnowledgeEditor, folder: Path, store: KnowledgeStore
) -> None:
    fields = {**NEW_ENTRY, "tags": ["meta"]}
    fields.pop("as_of")

    change = await editor.add_entry(ALICE, fields)

    text = (folder / "community.yaml").read_text()
    assert text.startswith("# Entries added by moderators")
    assert "\nentries:\n  - id: kb-editing\n" in text
    assert store.knowledge.entries["kb-editing"].as_of == TODAY
    assert store.knowledge.files["kb-editing"] == "community.yaml"
    assert change.files == ("community.yaml",)


async def test_add_entry_into_a_named_file(editor: KnowledgeEditor, folder: Path) -> None:
    await editor.add_entry(ALICE, NEW_ENTRY, file="help.yaml")
    assert (folder / "help.yaml").read_text().endswith(NEW_ENTRY_TEXT)


async def test_add_entry_with_a_used_id_is_refused(editor: KnowledgeEditor, folder: Path) -> None:
    before = snapshot(folder)
    with pytest.raises(EditError, match=r"`what-is-doma` already exists in law\.yaml"):
        await editor.add_entry(ALICE, {**NEW_ENTRY, "id": "what-is-doma"})
    assert snapshot(folder) == before


async def test_edit_rewrites_only_the_edited_entry(
    editor: KnowledgeEditor, folder: Path, store: KnowledgeStore
) -> None:
    path = folder / "law.yaml"
    before = path.read_text()
    start, end = entry_lines(before, "doma-lawsuits")
    lines = before.splitlines(keepends=True)
    old_block = "".join(lines[start:end])
    answer_at = old_block.index("    answer: |\n")
    sources_at = old_block.index("    sources:\n")
    new_block = (
        old_block[:answer_at]
        + "    answer: |\n      A new answer.\n\n      *This describes 2012.*\n"
        + old_block[sources_at:]
    )
    new_block = new_block.replace("    reviewed: 2026-11-22\n", "    reviewed: 2030-01-02\n")
    new_block = new_block.replace("[law, doma, courts]", "[law, courts]")

    change = await editor.edit_entry(
        ALICE,
        "doma-lawsuits",
        {"answer": "A new answer.\n\n*This describes 2012.*", "tags": ["law", "courts"]},
    )

    after = path.read_text()
    # Every other byte (header comment, other entries, quotes, blank lines) is untouched.
    assert after == "".join(lines[:start]) + new_block + "".join(lines[end:])
    entry = store.knowledge.entries["doma-lawsuits"]
    assert entry.answer == "A new answer.\n\n*This describes 2012.*"
    assert entry.reviewed == TODAY
    assert change.diff.changed == ("doma-lawsuits",)
    assert change.summary == "edited `answer`, `tags` of `doma-lawsuits`"


async def test_edits_keep_comments_and_every_other_byte(
    editor: KnowledgeEditor, folder: Path
) -> None:
    path = folder / "law.yaml"
    text = path.read_text()
    for old, new in [
        ("      - doma?\n", "      - doma?  # the bare keyword\n"),
        ("\n  - id: doma-lawsuits\n", "\n  # --- Lawsuits ---\n  - id: doma-lawsuits\n"),
        (
            "      - did couples take doma to court\n",
            "      - did couples take doma to court\n    # Answer checked by the legal team.\n",
        ),
    ]:
        assert text.count(old) == 1
        text = text.replace(old, new)
    path.write_text(text)
    start, end = entry_lines(text, "doma-lawsuits")
    lines = text.splitlines(keepends=True)

    await editor.add_alias(ALICE, "doma-lawsuits", "suing the government over doma")
    await editor.edit_entry(ALICE, "doma-lawsuits", {"as_of": "2012-09-29"})

    after = path.read_text().splitlines(keepends=True)
    assert after[:start] == lines[:start]
    assert after[-(len(lines) - end) :] == lines[end:]
    assert "".join(after[start : -(len(lines) - end)]) == "".join(lines[start:end]).replace(
        "    # Answer checked",
        "      - suing the government over doma\n    # Answer checked",
    ).replace("as_of: 2012-09-28", "as_of: 2012-09-29").replace(
        "reviewed: 2026-11-22", "reviewed: 2030-01-02"
    )


async def test_edit_can_remove_an_optional_field(
    editor: KnowledgeEditor, store: KnowledgeStore
) -> None:
    await editor.edit_entry(ALICE, "doma-lawsuits", {"see_also": None, "reviewed": "2029-05-05"})
    entry = store.knowledge.entries["doma-lawsuits"]
    assert entry.see_also == ()
    assert entry.reviewed == dt.date(2029, 5, 5)


async def test_add_alias_is_written_and_matched(
    editor: KnowledgeEditor, folder: Path, store: KnowledgeStore
) -> None:
    text = (folder / "law.yaml").read_text()

    await editor.add_alias(ALICE, "what-is-uafa", "  the  permanent partners bill ")

    last_ask = "      - uafa\n    answer: |\n"
    assert text.count(last_ask) == 1
    assert (folder / "law.yaml").read_text() == text.replace(
        last_ask, "      - uafa\n      - the permanent partners bill\n    answer: |\n"
    )
    assert store.knowledge.entries["what-is-uafa"].asks[-1] == "the permanent partners bill"
    assert store.engine.knowledge is store.knowledge


async def test_remove_entry_removes_the_links_to_it(
    editor: KnowledgeEditor, folder: Path, store: KnowledgeStore
) -> None:
    change = await editor.remove_entry(ALICE, "windsor-2013")

    knowledge = load_knowledge(folder)
    assert "windsor-2013" not in knowledge.entries
    assert "windsor-2013" not in store.knowledge.entries
    assert all("windsor-2013" not in entry.see_also for entry in knowledge.entries.values())
    assert change.diff.removed == ("windsor-2013",)
    assert "what-is-doma" in change.diff.changed
    assert set(change.files) == {"eligibility.yaml", "history.yaml", "law.yaml"}
    assert change.files[-1] == "history.yaml"  # the entry's own file is written last
    assert "see_also` links to it" in change.summary
    text = (folder / "history.yaml").read_text()
    assert text.startswith("# ")
    assert "\nentries:\n  - id: dhs-implements-windsor\n" in text


async def test_add_source_then_cite_it(
    editor: KnowledgeEditor, folder: Path, store: KnowledgeStore
) -> None:
    before = (folder / "sources.yaml").read_text()

    await editor.add_source(
        ALICE,
        {
            "id": "example-2013-01-01",
            "url": "https://example.org/a",
            "title": "An example: with a colon",
            "publisher": "Example",
            "date": "2013-01-01",
        },
    )

    assert (folder / "sources.yaml").read_text() == before + (
        "\n  - id: example-2013-01-01\n"
        "    title: 'An example: with a colon'\n"
        "    publisher: Example\n"
        "    date: 2013-01-01\n"
        "    url: https://example.org/a\n"
    )
    assert store.knowledge.sources["example-2013-01-01"].date == dt.date(2013, 1, 1)
    await editor.edit_entry(ALICE, "doma-lawsuits", {"sources": ["example-2013-01-01"]})
    assert store.knowledge.entries["doma-lawsuits"].sources[0].id == "example-2013-01-01"


async def test_unknown_entry_suggests_the_closest_id(editor: KnowledgeEditor) -> None:
    with pytest.raises(EditError, match=r"There is no entry `what-is-dome`\. Did you mean"):
        await editor.add_alias(ALICE, "what-is-dome", "a new way to ask")


# --- Invalid changes are refused with file and line, and nothing changes ----------------------


@pytest.mark.parametrize(
    ("fields", "field_line", "message"),
    [
        ({"answer": "x" * 901}, "    answer:", "characters; the limit is 900"),
        ({"sources": ["no-such-source"]}, "    sources:", "cites an unknown source"),
    ],
)
async def test_invalid_edit_changes_nothing(
    editor: KnowledgeEditor,
    database: Database,
    folder: Path,
    store: KnowledgeStore,
    fields: dict[str, Any],
    field_line: str,
    message: str,
) -> None:
    before = snapshot(folder)
    served = store.knowledge
    line = line_of(before["law.yaml"].decode(), "doma-lawsuits", field_line)

    with pytest.raises(KnowledgeError) as caught:
        await editor.edit_entry(ALICE, "doma-lawsuits", fields)

    [problem] = caught.value.problems
    assert problem.file == "law.yaml"
    assert problem.line in {line, line + 1}  # the field, or its first item
    assert message in str(problem)
    assert "Fix:" in str(problem)
    assert snapshot(folder) == before
    assert store.knowledge is served
    assert await database.audit() == []


async def test_alias_used_by_another_entry_is_refused(
    editor: KnowledgeEditor, folder: Path
) -> None:
    before = snapshot(folder)
    with pytest.raises(KnowledgeError) as caught:
        await editor.add_alias(ALICE, "what-is-uafa", "doma section 3 explained")
    [problem] = caught.value.problems
    assert (problem.file, problem.entry) == ("law.yaml", "what-is-uafa")
    assert "in entry `what-is-doma`" in problem.message
    assert snapshot(folder) == before


# --- Concurrency: no lost updates -------------------------------------------------------------


async def test_concurrent_aliases_on_one_entry_are_both_kept(
    editor: KnowledgeEditor, folder: Path, store: KnowledgeStore
) -> None:
    await asyncio.gather(
        editor.add_alias(ALICE, "what-is-uafa", "first new way to ask about uafa"),
        editor.add_alias(BOB, "what-is-uafa", "second new way to ask about uafa"),
    )
    asks = load_knowledge(folder).entries["what-is-uafa"].asks
    assert {"first new way to ask about uafa", "second new way to ask about uafa"} <= set(asks)
    assert store.knowledge.entries["what-is-uafa"].asks == asks


async def test_concurrent_edits_in_one_file_are_both_kept(
    editor: KnowledgeEditor, folder: Path
) -> None:
    await asyncio.gather(
        editor.add_alias(ALICE, "what-is-uafa", "first new way to ask about uafa"),
        editor.edit_entry(BOB, "doma-lawsuits", {"tags": ["law", "courts"]}),
    )
    entries = load_knowledge(folder).entries
    assert "first new way to ask about uafa" in entries["what-is-uafa"].asks
    assert entries["doma-lawsuits"].tags == ("law", "courts")


async def test_editors_of_two_processes_serialize_on_the_file_lock(
    folder: Path, database: Database
) -> None:
    # Two editors with their own stores and asyncio locks: only the file lock orders them.
    first = KnowledgeEditor(KnowledgeStore(folder), database, today=lambda: TODAY)
    second = KnowledgeEditor(KnowledgeStore(folder), database, today=lambda: TODAY)
    await asyncio.gather(
        first.add_alias(ALICE, "what-is-uafa", "first new way to ask about uafa"),
        second.add_alias(BOB, "doma-lawsuits", "second new way to ask about doma suits"),
    )
    entries = load_knowledge(folder).entries
    assert "first new way to ask about uafa" in entries["what-is-uafa"].asks
    assert "second new way to ask about doma suits" in entries["doma-lawsuits"].asks


async def test_a_cancelled_wait_for_the_file_lock_does_not_keep_it(
    editor: KnowledgeEditor, folder: Path
) -> None:
    other = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT)
    fcntl.flock(other, fcntl.LOCK_EX)  # another process is saving a change
    try:
        waiting = asyncio.create_task(editor.add_alias(ALICE, "what-is-uafa", "first new way"))
        await asyncio.sleep(0.2)  # the event loop runs on while the editor waits
        assert not waiting.done()
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
    finally:
        os.close(other)
    await asyncio.wait_for(editor.add_alias(ALICE, "what-is-uafa", "second new way"), 10)
    asks = load_knowledge(folder).entries["what-is-uafa"].asks
    assert "second new way" in asks
    assert "first new way" not in asks


async def test_a_change_cancelled_while_writing_is_finished_and_audited(
    editor: KnowledgeEditor,
    database: Database,
    folder: Path,
    store: KnowledgeStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_replace = os.replace
    writing, go_on = threading.Event(), threading.Event()

    def slow_replace(source: Any, target: Any) -> None:
        writing.set()
        go_on.wait(10)
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", slow_replace)
    task = asyncio.create_task(editor.add_alias(ALICE, "what-is-uafa", "a new way to ask"))
    await asyncio.to_thread(writing.wait, 10)
    task.cancel()
    go_on.set()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert "a new way to ask" in load_knowledge(folder).entries["what-is-uafa"].asks
    assert "a new way to ask" in store.knowledge.entries["what-is-uafa"].asks
    [record] = await database.audit()
    assert record.command == "alias"


# --- Crashes leave the old files --------------------------------------------------------------


async def test_crash_before_the_rename_leaves_the_old_file(
    editor: KnowledgeEditor,
    database: Database,
    folder: Path,
    store: KnowledgeStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = snapshot(folder)
    served = store.knowledge

    def crash(source: Any, target: Any) -> None:
        assert Path(source).read_bytes()  # the temp file was written in full
        raise OSError("simulated crash before the rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        await editor.add_alias(ALICE, "what-is-uafa", "a new way to ask about uafa")

    assert snapshot(folder) == before  # old bytes intact, no temp file left behind
    assert store.knowledge is served
    assert await database.audit() == []
    monkeypatch.undo()
    await editor.add_alias(ALICE, "what-is-uafa", "a new way to ask about uafa")
    assert "a new way to ask about uafa" in store.knowledge.entries["what-is-uafa"].asks


async def test_failure_in_a_later_file_puts_back_the_earlier_ones(
    editor: KnowledgeEditor, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(folder)
    real_replace = os.replace
    calls: list[str] = []

    def fail_second(source: Any, target: Any) -> None:
        if not str(target).endswith(".yaml"):  # the edit journal
            real_replace(source, target)
            return
        calls.append(str(target))
        if len(calls) == 2:
            raise OSError("disk full")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", fail_second)
    with pytest.raises(OSError, match="disk full"):
        await editor.remove_entry(ALICE, "windsor-2013")

    assert snapshot(folder) == before
    assert len(calls) == 3  # first file, second (failed), first put back


async def test_temp_files_left_by_a_crash_are_cleaned_up(
    editor: KnowledgeEditor, folder: Path
) -> None:
    stale = folder / ".law.yaml.abc123.tmp"
    stale.write_text("half a file")
    await editor.add_alias(ALICE, "what-is-uafa", "a new way to ask about uafa")
    assert not stale.exists()


# --- Undo -------------------------------------------------------------------------------------


async def test_undo_restores_every_byte(
    editor: KnowledgeEditor, database: Database, folder: Path, store: KnowledgeStore
) -> None:
    before = snapshot(folder)
    removal = await editor.remove_entry(ALICE, "windsor-2013")

    undo = await editor.undo(BOB, removal.id)

    assert snapshot(folder) == before
    assert "windsor-2013" in store.knowledge.entries
    assert undo.diff.added == ("windsor-2013",)
    assert undo.summary.startswith(f"undid change #{removal.id} (removed entry `windsor-2013`")
    [record] = await database.audit(limit=1)
    assert (record.id, record.command, record.actor_name) == (undo.id, "undo", "Bob (mod)")

    await editor.undo(ALICE, undo.id)  # undoing the undo removes it again
    assert "windsor-2013" not in load_knowledge(folder).entries


async def test_undo_of_an_added_file_deletes_it(editor: KnowledgeEditor, folder: Path) -> None:
    before = snapshot(folder)
    added = await editor.add_entry(ALICE, {**NEW_ENTRY, "tags": ["meta"]})
    assert (folder / "community.yaml").exists()

    await editor.undo(ALICE, added.id)

    assert snapshot(folder) == before


async def test_undo_is_refused_after_a_later_change_to_the_same_file(
    editor: KnowledgeEditor, folder: Path
) -> None:
    first = await editor.add_alias(ALICE, "what-is-uafa", "a new way to ask about uafa")
    second = await editor.add_alias(BOB, "doma-lawsuits", "a new way to ask about doma suits")
    before_undo = snapshot(folder)

    with pytest.raises(EditError) as caught:
        await editor.undo(ALICE, first.id)

    assert str(caught.value) == (
        f"Change #{second.id} (added the phrasing “a new way to ask about doma suits” to "
        f"`doma-lawsuits`, by Bob (mod)) changed law.yaml after change #{first.id}. "
        f"Undo #{second.id} first, then #{first.id}."
    )
    assert snapshot(folder) == before_undo
    await editor.undo(ALICE, second.id)
    await editor.undo(ALICE, first.id)
    assert "a new way to ask about uafa" not in load_knowledge(folder).entries["what-is-uafa"].asks


async def test_undo_of_an_unknown_change(editor: KnowledgeEditor) -> None:
    with pytest.raises(EditError, match=r"There is no change #99\."):
        await editor.undo(ALICE, 99)


# --- Import -----------------------------------------------------------------------------------


async def test_import_preview_writes_nothing_and_apply_writes(
    editor: KnowledgeEditor, database: Database, folder: Path, store: KnowledgeStore
) -> None:
    before = snapshot(folder)

    preview = await editor.preview_import("extra.yaml", IMPORTED)

    assert preview.ok
    assert preview.before is None
    assert preview.diff.added == ("imported-entry",)
    assert "+  - id: imported-entry" in preview.diff_text
    assert snapshot(folder) == before
    assert "imported-entry" not in store.knowledge.entries

    change = await editor.apply_import(ALICE, preview)

    assert (folder / "extra.yaml").read_text() == IMPORTED
    assert "imported-entry" in store.knowledge.entries
    assert change.summary == "imported extra.yaml (added): 1 added (imported-entry)"
    [record] = await database.audit(limit=1)
    assert record.before == {"extra.yaml": None}
    assert record.after == {"extra.yaml": IMPORTED}


async def test_import_can_replace_a_file(editor: KnowledgeEditor, folder: Path) -> None:
    text = (
        (folder / "help.yaml")
        .read_text()
        .replace("    reviewed: 2026-11-22", "    reviewed: 2031-01-01")
    )
    preview = await editor.preview_import("help.yaml", text)
    assert preview.diff.changed == ("get-legal-help",)
    assert preview.before == (folder / "help.yaml").read_text()
    await editor.apply_import(ALICE, preview)
    assert (folder / "help.yaml").read_text() == text


async def test_a_bad_import_is_reported_with_file_and_line(
    editor: KnowledgeEditor, folder: Path
) -> None:
    before = snapshot(folder)
    bad = IMPORTED.replace("sources: [the-nation-2012-09-28]", "sources: [the-nation-2012]")

    preview = await editor.preview_import("extra.yaml", bad)

    assert not preview.ok
    [problem] = preview.problems
    assert (problem.file, problem.line) == ("extra.yaml", 11)
    assert "Did you mean `the-nation-2012-09-28`?" in str(problem)
    with pytest.raises(KnowledgeError):
        await editor.apply_import(ALICE, preview)
    assert snapshot(folder) == before


async def test_apply_refuses_when_files_changed_since_the_preview(
    editor: KnowledgeEditor, folder: Path
) -> None:
    preview = await editor.preview_import("extra.yaml", IMPORTED)
    await editor.add_alias(BOB, "what-is-uafa", "a new way to ask about uafa")
    with pytest.raises(EditError, match="Preview the import again"):
        await editor.apply_import(ALICE, preview)
    assert not (folder / "extra.yaml").exists()


@pytest.mark.parametrize(
    "name", ["../extra.yaml", "sub/extra.yaml", "extra.yml", ".extra.yaml", "extra.txt", ""]
)
async def test_import_needs_a_plain_yaml_name(editor: KnowledgeEditor, name: str) -> None:
    with pytest.raises(EditError, match="not a plain knowledge file name"):
        await editor.preview_import(name, IMPORTED)


# --- Audit and export -------------------------------------------------------------------------


async def test_audit_keeps_who_what_and_the_exact_texts(
    editor: KnowledgeEditor, database: Database, folder: Path
) -> None:
    before = (folder / "law.yaml").read_text()
    change = await editor.add_alias(ALICE, "what-is-uafa", "a new way to ask about uafa")

    [record] = await database.audit()

    assert record.id == change.id
    assert (record.actor_name, record.command, record.entry_id) == (
        "Alice (mod)",
        "alias",
        "what-is-uafa",
    )
    assert record.summary == "added the phrasing “a new way to ask about uafa” to `what-is-uafa`"
    assert record.before == {"law.yaml": before}
    assert record.after == {"law.yaml": (folder / "law.yaml").read_text()}


async def test_export_returns_the_files_on_disk(editor: KnowledgeEditor, folder: Path) -> None:
    exported = await editor.export()
    assert exported == {
        name: data for name, data in snapshot(folder).items() if name.endswith(".yaml")
    }
