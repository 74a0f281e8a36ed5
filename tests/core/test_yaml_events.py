"""The event builder gives exactly what PyYAML's safe loader gives, or gives up."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.core import yaml_events
from bot.core.yaml_events import SafeLoader, Unlocated, construct_fast

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_FILES = sorted(
    [
        *(ROOT / "knowledge").rglob("*.yaml"),
        *(ROOT / "tests" / "data" / "knowledge").rglob("*.yaml"),
    ]
)


def test_there_are_shipped_files_to_compare() -> None:
    assert len(SHIPPED_FILES) >= 10


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda path: path.name)
def test_every_shipped_file_builds_as_yaml_load_builds_it(path: Path) -> None:
    text = path.read_text("utf-8")
    expected = yaml.load(text, Loader=SafeLoader)  # noqa: S506 - the safe loader
    assert list(construct_fast(text)) == [expected]
    (listing,) = expected
    assert list(construct_fast(text, listing)) == expected[listing]


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\nb: [yes, no, null, ~, 1.5, 0x1f, 1_000, '2012-01-01', 2012-01-01, 12:30]\n",
        "a: {b: c, 'd': \"e\\n\", f: [g, {h: i}]}\nlist:\n  - |\n    block\n  - >-\n    folded\n",
        "a: !!str 12\nb: !!int '7'\nc: !!float 1\nd: ''\ne:\n",
        "? complex\n: key\n'=': equals\n",
        "a: [2012-01-01, 2012-01-01, '2012-01-01', yes, yes, 'yes', 12, 12, '12', ~, ~, t, t]\n",
        "a: [true love is the theme of this long text, no one at all knows it yet, on and on "
        "and on and on and on and on, 1234567890123456789012345678901234567890]\n",
    ],
)
def test_the_event_builder_gives_what_yaml_load_gives(text: str) -> None:
    assert list(construct_fast(text)) == [yaml.load(text, Loader=SafeLoader)]  # noqa: S506


def test_the_types_of_single_words_are_never_long() -> None:
    """A long plain scalar that starts as only they may is text (see _TEXT_WHEN_LONG)."""
    for resolvers in SafeLoader.yaml_implicit_resolvers.values():
        for tag, regexp in resolvers:
            if tag in yaml_events._WORD_TAGS:
                widest = re._parser.parse(regexp.pattern, regexp.flags).getwidth()[1]
                assert widest <= yaml_events._SHORT, tag
    assert set("yYnNtTfFoO<=") <= yaml_events._TEXT_WHEN_LONG
    assert not set("0123456789+-.") & yaml_events._TEXT_WHEN_LONG


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a: &x 1\nb: *x\n",
        "a: 1\na: 2\n",
        "<<: {a: 1}\n",
        "a: !!set {b}\n",
        "--- 1\n--- 2\n",
        "a: [unclosed\n",
        "a: !!python/object/apply:os.system ['true']\n",
        "[1]: x\n",
    ],
)
def test_the_event_builder_gives_up_on_what_it_does_not_handle(text: str) -> None:
    with pytest.raises(Unlocated):
        list(construct_fast(text))


def test_the_event_builder_yields_a_listing_item_by_item() -> None:
    text = "entries:\n  - id: a\n    tags: [x]\n  - id: b\n  - [1, 2]\n"
    items = construct_fast(text, "entries")
    assert next(items) == {"id": "a", "tags": ["x"]}
    assert list(items) == [{"id": "b"}, [1, 2]]


@pytest.mark.parametrize(
    "text",
    ["entries: {a: 1}\n", "entries: [1]\nother: 2\n", "other: [1]\n", "- 1\n", "entries: 7\n"],
)
def test_the_event_builder_gives_up_on_another_shape_than_the_listing(text: str) -> None:
    with pytest.raises(Unlocated):
        list(construct_fast(text, "entries"))
