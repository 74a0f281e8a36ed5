"""The last-good snapshot: written after a good load, verified on read, served on bad files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.core.decide import Thresholds
from bot.core.loader import KnowledgeError
from bot.storage.folder import read_knowledge_files
from bot.storage.snapshot import LINK, open_store, read_snapshot, save_snapshot

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", folder)
    return folder


def test_a_good_load_leaves_a_verified_copy(knowledge: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    store, fallback = open_store(knowledge, Thresholds(), data_dir=data)
    assert fallback is None
    snapshot = read_snapshot(data)
    assert snapshot is not None and snapshot.fingerprint == store.fingerprint
    assert read_knowledge_files(data / LINK) == read_knowledge_files(knowledge)


def test_a_new_snapshot_replaces_the_old_one_whole(knowledge: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    files = read_knowledge_files(knowledge)
    first = save_snapshot(data, files)
    changed = {**files, "law.yaml": files["law.yaml"] + "\n# reviewed\n"}
    second = save_snapshot(data, changed)
    assert first.directory != second.directory and not first.directory.exists()
    assert read_knowledge_files(data / LINK) == changed
    assert sorted(p.name for p in data.iterdir() if "last-good" in p.name) == [
        ".last-good.lock",
        LINK,
        second.directory.name,
    ]


def test_a_tampered_snapshot_is_not_served(knowledge: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    save_snapshot(data, read_knowledge_files(knowledge))
    (data / LINK / "law.yaml").write_text("entries: []\n")
    assert read_snapshot(data) is None
    (knowledge / "law.yaml").write_text("entries: [\n")
    with pytest.raises(KnowledgeError):
        open_store(knowledge, Thresholds(), data_dir=data)


def test_invalid_files_serve_the_snapshot_and_keep_following_the_folder(
    knowledge: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    good, _ = open_store(knowledge, Thresholds(), data_dir=data)
    law = knowledge / "law.yaml"
    text = law.read_text()
    law.write_text(text + "\n  - id: [broken\n")
    store, fallback = open_store(knowledge, Thresholds(), data_dir=data)
    assert fallback is not None and fallback.error.problems
    assert store.knowledge.entries == good.knowledge.entries
    assert store.directory == knowledge and store.last_reload_ok is False
    law.write_text(text)
    store.reload(only_if_changed=True)
    assert store.last_reload_ok is True


def test_invalid_files_without_a_snapshot_raise(knowledge: Path, tmp_path: Path) -> None:
    (knowledge / "law.yaml").write_text("entries: [\n")
    with pytest.raises(KnowledgeError):
        open_store(knowledge, Thresholds(), data_dir=tmp_path / "data")
