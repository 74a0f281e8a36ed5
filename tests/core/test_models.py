"""The compact data model: entries hold exactly what was validated, in far less memory."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core import models
from bot.core.models import (
    ENTRY_FIELDS,
    Entry,
    EntryFields,
    SourceRef,
    validate_entry,
)
from bot.storage.folder import load_knowledge

ROOT = Path(__file__).resolve().parents[2]


def shipped_items() -> list[dict[str, Any]]:
    """The entries of the shipped files as YAML data, before validation."""
    items: list[dict[str, Any]] = []
    for path in sorted((ROOT / "knowledge").glob("*.yaml")):
        if path.name not in {"sources.yaml", "knowledge.yaml"}:
            items += yaml.safe_load(path.read_text("utf-8"))["entries"]
    return items


def test_each_entry_gives_back_exactly_its_validated_fields() -> None:
    items = shipped_items()
    assert items
    for data in items:
        validated: EntryFields = validate_entry(data)
        entry = Entry(**validated)
        expected = {"tags": (), "see_also": (), **validated}
        assert entry.fields() == expected
        assert {name: getattr(entry, name) for name in ENTRY_FIELDS} == expected
        assert entry.phrasings == (validated["question"], *validated["asks"])


def test_entries_compare_pickle_and_copy_by_their_fields() -> None:
    data = shipped_items()[0]
    entry, again = Entry(**validate_entry(data)), Entry(**validate_entry(data))
    assert entry == again and hash(entry) == hash(again) and entry is not again
    assert pickle.loads(pickle.dumps(entry, protocol=5)) == entry  # noqa: S301 - our own data
    changed = entry.replace(answer=entry.answer + " More.")
    assert changed != entry and changed.answer.endswith(" More.")
    assert changed.replace(answer=entry.answer) == entry
    assert repr(entry).startswith(f"Entry(id={entry.id!r}, question=")


def test_entries_are_immutable() -> None:
    entry = Entry(**validate_entry(shipped_items()[0]))
    with pytest.raises(AttributeError):
        entry.question = "changed"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del entry.id  # type: ignore[misc]


def test_values_shared_by_entries_are_kept_once_per_load() -> None:
    first, second = shipped_items()[:2]
    table: dict[Any, Any] = {}
    copies = [
        Entry(
            **validate_entry(
                {**data, "as_of": "2012-09-28", "tags": ["law"], "sources": ["nbc"]}, table
            )
        )
        for data in (first, second)
    ]
    one, other = copies
    assert one.as_of is other.as_of and one.tags is other.tags
    assert one.sources[0] is other.sources[0] == SourceRef("nbc")
    alone = Entry(**validate_entry({**second, "as_of": "2012-09-28"}))
    assert alone.as_of == one.as_of and alone.as_of is not one.as_of


def test_entries_of_a_loaded_base_share_their_ids_and_dates() -> None:
    knowledge = load_knowledge(ROOT / "knowledge")
    entries = knowledge.entries
    for entry in entries.values():
        for other in entry.see_also:
            assert other is entries[other].id
    dates = {id(entry.reviewed) for entry in entries.values()}
    assert len(dates) == len({entry.reviewed for entry in entries.values()})


def test_an_entry_unpacks_its_texts_at_once() -> None:
    entry = Entry(**validate_entry(shipped_items()[0]))
    assert entry.texts() == (entry.asks, entry.answer)


@pytest.mark.parametrize(
    ("asks", "answer"),
    [
        (("how?", "why?", "when?", "where?"), "Because."),
        (("a\0b", "", "é ü", "x"), "with a NUL\0 inside"),
        (("one", "two", "three", "four"), ""),
    ],
)
def test_packed_texts_come_back_exactly(asks: tuple[str, ...], answer: str) -> None:
    packed = models._pack(asks, answer)
    assert models._unpack(packed) == (asks, answer)
    assert packed == models._pack(tuple(asks), str(answer))
