"""Hostile knowledge files are refused clearly through import, reload and validate.

Each path must answer with a located problem and its fix, quickly, while the files on disk
and the knowledge base being served stay exactly as they were. The timeout is a hang guard
(an alias bomb used to run for minutes, then exhaust memory), not a timing assertion:
benchmarks/fuzz_report.py prints the refusal times.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
import yaml

from bot.__main__ import main
from bot.core import loader, validation, yaml_events
from bot.core.editor import Actor
from bot.core.loader import KnowledgeError, Problem, decode_knowledge
from bot.db import Database
from bot.paths import EXIT_INVALID
from bot.storage.editor import KnowledgeEditor
from bot.storage.folder import KnowledgeFolder, load_knowledge
from bot.storage.store import KnowledgeStore
from bot.storage.transaction import LOCK_FILE
from tests.core.hostile import CASES, Hostile

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "tests" / "data" / "knowledge"
MOD = Actor(101, "Alice (mod)")
HANG_GUARD = pytest.mark.timeout(10)
cases = pytest.mark.parametrize("case", CASES, ids=str)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SHIPPED, tmp_path / "knowledge"))


@pytest.fixture
def store(folder: Path) -> KnowledgeStore:
    return KnowledgeStore(folder)


@pytest.fixture
async def editor(store: KnowledgeStore, tmp_path: Path) -> AsyncIterator[KnowledgeEditor]:
    database = await Database.open(tmp_path / "data")
    yield KnowledgeEditor(store, database)
    await database.close()


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file in the folder (but the editor's lock file), as bytes."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != LOCK_FILE
    }


def assert_refused(case: Hostile, problems: Sequence[Problem]) -> None:
    """The refusal names the file, says what is wrong (and where, when it can), and the fix."""
    # A repeated id is reported on whichever of the two files comes second, naming the other.
    mine = [p for p in problems if p.file == case.name or f"in {case.name} line" in p.message]
    assert mine, f"no problem names {case.name}: {problems}"
    (problem, *_) = [problem for problem in mine if case.says in problem.message] or [None]
    assert problem is not None, f"{case.says!r} not in {[p.message for p in mine]}"
    assert problem.hint, "a refusal says how to fix it"
    assert "Fix: " in str(problem)
    assert len(str(problem)) < 400, "a refusal never quotes a whole file back"
    if case.located:
        assert problem.line > 0


@HANG_GUARD
@cases
async def test_import_refuses_a_hostile_file_and_changes_nothing(
    case: Hostile, editor: KnowledgeEditor, store: KnowledgeStore, folder: Path
) -> None:
    """As `/kb import` does: decode the upload, preview it, and (if forced) apply it."""
    files, served = snapshot(folder), store.knowledge
    try:
        text = decode_knowledge(case.name, case.data)
    except KnowledgeError as error:
        problems = error.problems
    else:
        preview = await editor.preview_import(case.name, text)
        assert not preview.ok
        problems = preview.problems
        with pytest.raises(KnowledgeError):  # applying re-validates: a bad preview never lands
            await editor.apply_import(MOD, preview)
    assert_refused(case, problems)
    assert snapshot(folder) == files
    assert store.knowledge is served


@HANG_GUARD
@cases
def test_reload_refuses_a_hostile_file_and_keeps_serving(
    case: Hostile, store: KnowledgeStore, folder: Path
) -> None:
    served = store.knowledge
    (folder / case.name).write_bytes(case.data)
    files = snapshot(folder)
    for only_if_changed in (False, True):
        with pytest.raises(KnowledgeError) as caught:
            store.reload(only_if_changed=only_if_changed)
        assert_refused(case, caught.value.problems)
        assert store.knowledge is served
        assert not store.last_reload_ok
    assert snapshot(folder) == files


@HANG_GUARD
@cases
def test_validate_refuses_a_hostile_file(
    case: Hostile, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / case.name).write_bytes(case.data)
    files = snapshot(folder)
    assert main(["validate", str(folder)]) == EXIT_INVALID
    out, err = capsys.readouterr()
    assert out == ""
    assert f"{case.name}" in err
    assert case.says in err
    assert "Fix: " in err
    assert err.rstrip().endswith("nothing was changed.")
    assert snapshot(folder) == files


@pytest.mark.timeout(30)
def test_python_m_bot_validate_lists_every_hostile_file_at_once(folder: Path) -> None:
    """The real command, all hostile files in one folder: exit 1, each named, no traceback.

    Files that are not UTF-8 are left out: when one is present, only those are reported.
    """
    names = []
    for case in CASES:
        if case.says == "is not UTF-8 text":
            continue
        name = case.name if case.name == "sources.yaml" else f"{case.id}.yaml"
        (folder / name).write_bytes(case.data)
        names.append(name)
    files = snapshot(folder)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "validate", str(folder)],
        capture_output=True,
        text=True,
        timeout=25,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == EXIT_INVALID
    assert "Traceback" not in done.stderr
    for name in names:
        assert f"{name}" in done.stderr
    assert snapshot(folder) == files


class _PurePythonLoader(yaml.SafeLoader):
    """PyYAML without libyaml: its composer recurses, and its reader counts characters."""


_PurePythonLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)


# PyYAML's own scanner is quadratic in flow nesting (10,000 `[` take 25 s): 1,500 levels
# are enough to pass Python's recursion limit.
WITHOUT_LIBYAML = [
    *(c for c in CASES if c.id.startswith(("alias", "control", "nested-mappings", "nested-block"))),
    Hostile("nested-lists-1500", "hostile.yaml", b"entries: " + b"[" * 1500 + b"]" * 1500, ""),
]


@HANG_GUARD
@pytest.mark.parametrize("case", WITHOUT_LIBYAML, ids=str)
def test_without_libyaml_the_same_files_are_refused(
    case: Hostile, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An install without libyaml must refuse them too, not crash on Python's recursion limit."""
    monkeypatch.setattr(yaml_events, "SafeLoader", _PurePythonLoader)  # the first pass's
    monkeypatch.setattr(validation, "SafeLoader", _PurePythonLoader)  # the locating pass's
    monkeypatch.setattr(validation, "_LIBYAML", False)
    (folder / case.name).write_bytes(case.data)
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(folder)
    if case.id.startswith("nested"):  # PyYAML's message differs; the refusal is the point
        (problem,) = [p for p in caught.value.problems if p.file == case.name]
        assert "too deep" in problem.message or "nesting" in problem.message
        assert problem.hint
    else:
        assert_refused(case, caught.value.problems)


def test_a_problem_quotes_an_entry_id_short_even_when_it_is_huge() -> None:
    (case,) = [c for c in CASES if c.id == "megabyte-id"]
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge_with(case)
    (problem,) = caught.value.problems
    assert problem.entry is not None
    assert len(problem.entry) == 80
    assert problem.entry.endswith("…")


def load_knowledge_with(case: Hostile) -> None:
    files = {path.name: path.read_text() for path in SHIPPED.glob("*.yaml")}
    loader.parse_knowledge({**files, case.name: decode_knowledge(case.name, case.data)})


def test_a_file_removed_between_listing_and_reading_is_a_refusal(
    folder: Path, store: KnowledgeStore
) -> None:
    """Editors save by renaming, and the watcher reloads meanwhile: never a FileNotFoundError."""
    served = store.knowledge
    listed = KnowledgeFolder(folder)
    (folder / "people.yaml").unlink()
    with pytest.raises(KnowledgeError) as caught:
        loader.parse_knowledge(listed)
    (problem,) = caught.value.problems
    assert (problem.file, problem.message) == ("people.yaml", "was removed while being read")
    assert store.knowledge is served
