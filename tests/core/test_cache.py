"""The engine cache: used only for the very same files, and never trusted when damaged."""

from __future__ import annotations

import pickle
from array import array
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from bot.core import cache as cache_module
from bot.core import store as store_module
from bot.core.decide import Mode
from bot.core.loader import KnowledgeFolder, read_knowledge_files
from bot.core.matching import postings as matcher_module
from bot.core.matching.postings import Forward as _Forward
from bot.core.matching.postings import Postings as _Postings
from bot.core.matching.postings import respell as _respell
from bot.core.store import KnowledgeStore, fingerprint

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    for path in (ROOT / "knowledge").glob("*.yaml"):
        (knowledge / path.name).write_bytes(path.read_bytes())
    return knowledge


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the knowledge bases the store parses (a cache hit parses none)."""
    calls: list[int] = []
    real = store_module.parse_knowledge

    def counted(files: dict[str, str]) -> object:
        calls.append(1)
        return real(files)

    monkeypatch.setattr(store_module, "parse_knowledge", counted)
    return calls


QUESTIONS = ("what is doma", "wat is prosecutorial discretion", "can I get a green card now?")


def decisions(store: KnowledgeStore) -> list[object]:
    return [store.engine.decide(q, mode) for q in QUESTIONS for mode in Mode]


def test_a_restart_on_the_same_files_uses_the_cache(
    folder: Path, tmp_path: Path, parses: list[int]
) -> None:
    cache = tmp_path / "cache"
    first = KnowledgeStore(folder, cache_dir=cache)
    assert len(parses) == 1 and len(list(cache.glob("engine-*.pickle"))) == 1
    second = KnowledgeStore(folder, cache_dir=cache)
    assert len(parses) == 1  # hit: nothing parsed
    assert second.knowledge == first.knowledge
    assert second.knowledge.files == first.knowledge.files
    assert decisions(second) == decisions(first)


def test_changed_files_are_parsed_again_and_replace_the_cache(
    folder: Path, tmp_path: Path, parses: list[int]
) -> None:
    cache = tmp_path / "cache"
    store = KnowledgeStore(folder, cache_dir=cache)
    (before,) = cache.glob("engine-*.pickle")
    law = folder / "law.yaml"
    law.write_text(law.read_text("utf-8") + "\n# a comment changes the bytes\n", "utf-8")
    store.reload()
    assert len(parses) == 2
    (after,) = cache.glob("engine-*.pickle")
    assert after != before
    KnowledgeStore(folder, cache_dir=cache)
    assert len(parses) == 2


# Ways a cache file can be damaged, each given the whole file and the key it was written for.
DAMAGES: dict[str, Callable[[bytes, bytes], bytes]] = {
    "empty": lambda whole, key: b"",
    "not a pickle": lambda whole, key: b"not a pickle at all",
    "another object": lambda whole, key: pickle.dumps({"something": "else"}),
    "written for another key": lambda whole, key: whole.replace(key, b"x" * len(key)),
    "cut in the arrays after the pickle": lambda whole, key: whole[: len(whole) // 2],
    "cut in the table of where they are": lambda whole, key: whole[: int(len(whole) * 0.99)],
}


@pytest.mark.parametrize("damage", DAMAGES.values(), ids=DAMAGES)
def test_a_damaged_cache_file_is_ignored_removed_and_rebuilt(
    folder: Path, tmp_path: Path, parses: list[int], damage: Callable[[bytes, bytes], bytes]
) -> None:
    cache = tmp_path / "cache"
    good = KnowledgeStore(folder, cache_dir=cache)
    (path,) = cache.glob("engine-*.pickle")
    whole = path.read_bytes()
    damaged = damage(whole, path.name.encode())
    assert damaged != whole
    path.write_bytes(damaged)
    rebuilt = KnowledgeStore(folder, cache_dir=cache)
    assert len(parses) == 2
    assert decisions(rebuilt) == decisions(good)
    # Written again, and whole: the next start reads it. (Not byte for byte the first file:
    # which equal strings a pickle shares depends on what the process cached before.)
    assert path.read_bytes() != damaged
    assert decisions(KnowledgeStore(folder, cache_dir=cache)) == decisions(good)
    assert len(parses) == 2


def test_the_index_arrays_are_mapped_from_the_file_read_only(folder: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    built = KnowledgeStore(folder, cache_dir=cache).engine.matcher
    loaded = KnowledgeStore(folder, cache_dir=cache).engine.matcher
    for name in ("_phrasing_weight", "_phrasing_entry", "_entry_phrasing_bounds"):
        array, fresh = getattr(loaded, name), getattr(built, name)
        assert not array.flags.writeable
        assert array.dtype == fresh.dtype and np.array_equal(array, fresh)
    for name in ("_word_phrasings", "_entry_postings"):
        assert vars(getattr(loaded, name)).keys() == vars(getattr(built, name)).keys()
        for key, array in vars(getattr(loaded, name)).items():
            assert np.array_equal(array, vars(getattr(built, name))[key])


def test_an_engine_outlives_its_cache_file_being_replaced(
    folder: Path, tmp_path: Path, parses: list[int]
) -> None:
    cache = tmp_path / "cache"
    KnowledgeStore(folder, cache_dir=cache)
    store = KnowledgeStore(folder, cache_dir=cache)  # mapped from the file
    engine, expected = store.engine, decisions(store)
    law = folder / "law.yaml"
    law.write_text(law.read_text("utf-8") + "\n# a comment changes the bytes\n", "utf-8")
    store.reload()  # writes the new file, deletes the one the old engine maps
    assert len(parses) == 2 and len(list(cache.glob("engine-*.pickle"))) == 1
    assert [engine.decide(q, mode) for q in QUESTIONS for mode in Mode] == expected


def test_another_code_version_does_not_use_the_cache(
    folder: Path, tmp_path: Path, parses: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    KnowledgeStore(folder, cache_dir=cache)
    monkeypatch.setattr(cache_module, "code_version", lambda: "a newer release")
    KnowledgeStore(folder, cache_dir=cache)
    assert len(parses) == 2


def test_an_unwritable_cache_only_costs_time(
    folder: Path, tmp_path: Path, parses: list[int]
) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    store = KnowledgeStore(folder, cache_dir=blocked / "cache")
    assert store.engine.decide("what is doma").entry_id == "what-is-doma"


def test_the_cache_key_covers_every_file(folder: Path, tmp_path: Path) -> None:
    files = read_knowledge_files(folder)
    cache = cache_module.EngineCache(tmp_path)
    renamed = {f"x-{name}" if name == "law.yaml" else name: text for name, text in files.items()}
    assert cache.path(fingerprint(files)) != cache.path(fingerprint(renamed))


def test_a_folder_is_fingerprinted_as_its_texts(folder: Path) -> None:
    (folder / "more").mkdir()
    (folder / "more" / "extra.yml").write_bytes("# é\r\nentries: []\r\n".encode())
    expected = fingerprint(read_knowledge_files(folder))
    assert store_module.folder_fingerprint(KnowledgeFolder(folder)) == expected


def test_files_changed_while_loading_are_not_cached(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = store_module.parse_knowledge

    def parse_then_edit(files: KnowledgeFolder) -> object:
        knowledge = real(files)
        path = folder / "law.yaml"
        path.write_text(path.read_text("utf-8") + "\n# edited\n", "utf-8")
        return knowledge

    monkeypatch.setattr(store_module, "parse_knowledge", parse_then_edit)
    cache = tmp_path / "cache"
    KnowledgeStore(folder, cache_dir=cache)
    assert not list(cache.glob("engine-*.pickle"))


def test_row_sums_add_exactly_as_numpy_sum_does() -> None:
    rng = np.random.default_rng(7)
    table = rng.random(500) * 7
    rows = [list(rng.integers(0, 500, rng.integers(0, 20))) for _ in range(3000)]
    forward = _Forward([t for row in rows for t in row], [len(row) for row in rows], table.size)
    sums = forward.row_sums(table)
    assert all(sums[i] == table[row].sum() for i, row in enumerate(rows))
    assert [forward.tokens(i) for i in (5, 0, 5)] == [rows[5], rows[0], rows[5]]


@pytest.mark.parametrize("block", [4, 1 << 16])
def test_respelling_in_blocks_drops_each_items_later_repeat(
    block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(matcher_module, "_BLOCK_TOKENS", block)
    rng = np.random.default_rng(3)
    rows = [
        list(dict.fromkeys(rng.integers(0, 30, rng.integers(0, 9)).tolist())) for _ in range(400)
    ]
    variants = {3: 4, 7: 1, 29: 0}
    tokens, lengths = _respell(
        array("i", [t for row in rows for t in row]), [len(row) for row in rows], variants, 30
    )
    expected = [list(dict.fromkeys(variants.get(t, t) for t in row)) for row in rows]
    assert tokens.tolist() == [t for row in expected for t in row]
    assert lengths.tolist() == [len(row) for row in expected]
    postings = _Postings(tokens, np.concatenate(([0], np.cumsum(lengths))), 30, ranks=True)
    for token in range(30):
        owners = [i for i, row in enumerate(expected) if token in row]
        (start,), (length,), _ = postings.runs(np.array([token]))
        index = np.arange(start, start + length)
        assert postings.items(index).tolist() == owners
        assert postings.ranks(index).tolist() == [expected[i].index(token) for i in owners]
