"""The store and the folder: files read exactly, reloads all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.loader import KnowledgeError, parse_knowledge
from bot.storage.folder import KnowledgeFolder, load_knowledge, read_knowledge_files
from bot.storage.store import KnowledgeStore
from tests.core.test_loader import ENTRY, good_files


def test_broken_reload_keeps_serving_the_old_knowledge(tmp_path: Path) -> None:
    for name, text in good_files().items():
        (tmp_path / name).write_text(text)
    store = KnowledgeStore(tmp_path)
    before = store.engine
    (tmp_path / "law.yaml").write_text(ENTRY.replace("sources:\n      - id: nbc", "sources: 7"))
    with pytest.raises(KnowledgeError):
        store.reload()
    assert store.engine is before
    assert store.engine.decide("what is doma").entry_id == "what-is-doma"
    (tmp_path / "law.yaml").write_text(ENTRY.replace("A 1996 federal law.", "A 1996 law."))
    diff = store.reload()
    assert diff.changed == ("what-is-doma",) and not diff.added and not diff.removed
    assert store.engine is not before


def test_a_file_that_is_not_utf8_is_a_located_problem(tmp_path: Path) -> None:
    for name, text in good_files().items():
        (tmp_path / name).write_text(text)
    (tmp_path / "latin.yaml").write_bytes("entries: []  # café\n".encode("latin-1"))
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(tmp_path)
    (problem,) = caught.value.problems
    assert (problem.file, problem.message) == ("latin.yaml", "is not UTF-8 text")


def test_a_watched_reload_after_a_replace_from_the_same_files_does_nothing(tmp_path: Path) -> None:
    for name, text in good_files().items():
        (tmp_path / name).write_text(text)
    store = KnowledgeStore(tmp_path)
    files = {**good_files(), "law.yaml": ENTRY.replace("A 1996 federal law.", "A 1996 law.")}
    (tmp_path / "law.yaml").write_text(files["law.yaml"])
    store.replace(parse_knowledge(files), files)
    engine = store.engine
    assert not store.reload(only_if_changed=True)
    assert store.engine is engine


def test_a_folder_loads_every_yaml_file_under_it(tmp_path: Path) -> None:
    for name, text in good_files().items():
        (tmp_path / name).write_text(text)
    (tmp_path / "more").mkdir()
    uafa = ENTRY.replace("what-is-doma", "what-is-uafa").replace("DOMA", "UAFA")
    for old, new in (("doma?", "uafa?"), ("defense of", "permanent partners"), ("1996", "2012")):
        uafa = uafa.replace(old, new)
    (tmp_path / "more" / "uafa.yml").write_text(uafa.replace("doma", "the bill"))
    folder = KnowledgeFolder(tmp_path)
    assert list(folder) == ["law.yaml", "more/uafa.yml", "sources.yaml"]
    assert dict(folder) == read_knowledge_files(tmp_path)
    assert folder["law.yaml"] == ENTRY
    loaded = load_knowledge(tmp_path)
    assert loaded == parse_knowledge(read_knowledge_files(tmp_path))
    assert loaded.files == {"what-is-doma": "law.yaml", "what-is-uafa": "more/uafa.yml"}
