"""The loader accepts the shipped knowledge base and reports every problem with its place."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.core import loader
from bot.core.loader import (
    KnowledgeError,
    KnowledgeFolder,
    Problem,
    _assemble,
    _Checker,
    _construct_fast,
    _SafeLoader,
    _Unlocated,
    load_knowledge,
    parse_knowledge,
    read_knowledge_files,
)
from bot.core.normalize import normalize
from bot.core.store import KnowledgeStore

SOURCES = """\
sources:
  - id: nbc
    title: Same-sex ties are family ties
    publisher: NBC News
    date: 2012-09-28
    url: https://example.org/nbc
"""

ENTRY = """\
entries:
  - id: what-is-doma
    question: What is DOMA?
    asks:
      - doma?
      - defense of marriage act
      - what does the marriage law of 1996 do
      - why does doma block green cards
    answer: A 1996 federal law.
    sources:
      - id: nbc
        quote: "bars federal recognition"
    as_of: 2012-09-28
    reviewed: 2026-11-22
    tags: [law]
"""


def good_files() -> dict[str, str]:
    return {"sources.yaml": SOURCES, "law.yaml": ENTRY}


def problems(files: dict[str, str]) -> tuple[Problem, ...]:
    with pytest.raises(KnowledgeError) as caught:
        parse_knowledge(files)
    return caught.value.problems


def test_valid_knowledge_loads() -> None:
    knowledge = parse_knowledge(good_files())
    entry = knowledge.entries["what-is-doma"]
    assert entry.sources[0].quote == "bars federal recognition"
    assert knowledge.files == {"what-is-doma": "law.yaml"}
    assert knowledge.summary() == "1 entries, 5 phrasings, 1 sources"


def test_shipped_knowledge_base_is_valid() -> None:
    knowledge = load_knowledge(Path(__file__).resolve().parents[2] / "knowledge")
    assert len(knowledge.entries) >= 35
    for entry in knowledge.entries.values():
        assert entry.sources, entry.id
        assert len(entry.asks) >= 4, entry.id


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "message"),
    [
        ("      - id: nbc\n", "      - id: nbx\n", 11, "sources", "unknown source `nbx`"),
        ("    answer: A 1996 federal law.\n", "", 2, "answer", "is missing"),
        (
            "    answer: A 1996 federal law.\n",
            "    answer: ''\n",
            9,
            "answer",
            "at least 1 character",
        ),
        (
            "    answer: A 1996 federal law.\n",
            f"    answer: {'x' * 901}\n",
            9,
            "answer",
            "is 901 characters; the limit is 900",
        ),
        ("    as_of: 2012-09-28\n", "    as_of: 2012-13-01\n", 13, "as_of", "is not a date"),
        ("    as_of: 2012-09-28\n", "    as_of: September 2012\n", 13, "as_of", "is not a date"),
        (
            "    tags: [law]\n",
            "    tags: [law]\n    see_also: [nope]\n",
            16,
            "see_also",
            "unknown entry `nope`",
        ),
        (
            "    tags: [law]\n",
            "    tags: [law]\n    answr: typo\n",
            16,
            "answr",
            "is not a known field",
        ),
        ("    tags: [law]\n", "    tags: [law]\n    tags: [again]\n", 16, "tags", "twice"),
        ("      - doma?\n", "      - What is DOMA?\n", 5, "asks", "repeats the phrasing"),
        ("      - doma?\n", "", 4, "asks", "needs at least 4"),
        ("  - id: what-is-doma\n", "  - id: What Is DOMA\n", 2, "id", "not a valid id"),
    ],
)
def test_each_problem_is_located(old: str, new: str, line: int, field: str, message: str) -> None:
    files = good_files()
    assert old in files["law.yaml"]
    files["law.yaml"] = files["law.yaml"].replace(old, new, 1)
    found = problems(files)
    assert any(
        p.file == "law.yaml" and p.line == line and p.field == field and message in p.message
        for p in found
    ), found
    assert all(p.hint or p.message for p in found)


def test_source_problems_are_located() -> None:
    files = good_files()
    files["sources.yaml"] = SOURCES.replace("https://example.org/nbc", "example dot org")
    (problem,) = problems(files)
    assert (problem.file, problem.line, problem.field) == ("sources.yaml", 6, "url")
    assert "source `nbc`" in str(problem)
    assert problem.hint.startswith("Write the full link")


def test_duplicate_ids_and_phrasings_across_files() -> None:
    files = good_files()
    files["more.yaml"] = ENTRY.replace("doma?", "doma??").replace(
        "defense of marriage act", "the marriage act"
    )
    found = problems(files)
    assert any(
        p.file == "more.yaml" and "id already used in law.yaml line 2" in p.message for p in found
    ), found


def test_same_phrasing_in_two_entries_is_reported_with_both_places() -> None:
    files = good_files()
    files["more.yaml"] = (
        ENTRY.replace("what-is-doma", "doma-lawsuits")
        .replace("What is DOMA?", "Who sued over DOMA?")
        .replace("      - doma?\n", "      - DOMA ?\n")
        .replace("defense of marriage act", "doma lawsuits")
        .replace("what does the marriage law of 1996 do", "which couples sued")
        .replace("why does doma block green cards", "blesch v holder")
    )
    found = problems(files)
    assert [(p.file, p.line, p.entry) for p in found] == [("more.yaml", 5, "doma-lawsuits")]
    assert "in entry `what-is-doma`" in found[0].message


def test_yaml_syntax_error_has_its_line_and_every_file_is_reported() -> None:
    files = good_files()
    files["broken.yaml"] = "entries:\n  - id: x\n    question: [unclosed\n"
    files["other.yaml"] = "entries:\n  - id: y\n\tquestion: tab\n"
    found = problems(files)
    assert {p.file for p in found} == {"broken.yaml", "other.yaml"}
    broken = next(p for p in found if p.file == "broken.yaml")
    assert broken.line == 4 and "not valid YAML" in broken.message


def test_unsafe_yaml_tags_are_rejected() -> None:
    files = good_files()
    files["evil.yaml"] = "entries: !!python/object/apply:os.system ['true']\n"
    (problem,) = problems(files)
    assert problem.file == "evil.yaml" and "not valid YAML" in problem.message


def test_missing_sources_file_and_empty_file() -> None:
    found = problems({"law.yaml": ENTRY, "empty.yaml": ""})
    messages = {(p.file, p.message) for p in found}
    assert ("sources.yaml", "is missing") in messages
    assert ("empty.yaml", "is empty") in messages


def test_problem_reads_as_file_line_entry_field_and_fix() -> None:
    problem = Problem(
        "dates.yaml",
        42,
        "must be a list",
        "Put each item on its own line.",
        "what-is-doma",
        "sources",
    )
    assert str(problem) == (
        "dates.yaml line 42: entry `what-is-doma`, `sources` must be a list. "
        "Fix: Put each item on its own line."
    )


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


def test_valid_files_load_without_yaml_node_trees(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first pass builds data from events; node trees are only for locating problems."""
    located = parse_knowledge(good_files())

    def no_nodes(*_: object) -> None:
        raise AssertionError("a valid knowledge base was composed into node trees")

    monkeypatch.setattr(_SafeLoader, "get_single_node", no_nodes)
    fast = parse_knowledge(good_files())
    assert fast == located
    assert fast.normalized.ids == ["what-is-doma"]
    assert list(fast.normalized.take()) == [
        list(map(normalize, fast.entries["what-is-doma"].phrasings))
    ]


def test_the_first_pass_gives_up_on_problems_and_the_second_locates_them() -> None:
    files = good_files()
    files["law.yaml"] = files["law.yaml"].replace("      - id: nbc\n", "      - id: nbx\n")
    with pytest.raises(_Unlocated):
        _assemble(files, _Checker(locate=False))
    (problem,) = problems(files)
    assert (problem.file, problem.line, problem.field) == ("law.yaml", 11, "sources")


def test_yaml_the_first_pass_does_not_handle_is_read_the_usual_way() -> None:
    """Anchors, merge keys and nested repeated keys are valid YAML: the second pass reads them."""
    files = good_files()
    files["law.yaml"] = (
        ENTRY.replace("    as_of: 2012-09-28\n", "    as_of: &day 2012-09-28\n")
        .replace("    reviewed: 2026-11-22\n", "    reviewed: *day\n")
        .replace(
            '        quote: "bars federal recognition"\n', "        quote: a\n        quote: b\n"
        )
    )
    with pytest.raises(_Unlocated):
        _assemble(files, _Checker(locate=False))
    entry = parse_knowledge(files).entries["what-is-doma"]
    assert str(entry.reviewed) == "2012-09-28" and entry.sources[0].quote == "b"


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
    assert list(_construct_fast(text)) == [yaml.load(text, Loader=_SafeLoader)]  # noqa: S506


def test_the_types_of_single_words_are_never_long() -> None:
    """A long plain scalar that starts as only they may is text (see loader._TEXT_WHEN_LONG)."""
    for resolvers in _SafeLoader.yaml_implicit_resolvers.values():
        for tag, regexp in resolvers:
            if tag in loader._WORD_TAGS:
                widest = re._parser.parse(regexp.pattern, regexp.flags).getwidth()[1]
                assert widest <= loader._SHORT, tag
    assert set("yYnNtTfFoO<=") <= loader._TEXT_WHEN_LONG
    assert not set("0123456789+-.") & loader._TEXT_WHEN_LONG


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
    with pytest.raises(_Unlocated):
        list(_construct_fast(text))


def test_the_event_builder_yields_a_listing_item_by_item() -> None:
    text = "entries:\n  - id: a\n    tags: [x]\n  - id: b\n  - [1, 2]\n"
    items = _construct_fast(text, "entries")
    assert next(items) == {"id": "a", "tags": ["x"]}
    assert list(items) == [{"id": "b"}, [1, 2]]


@pytest.mark.parametrize(
    "text",
    ["entries: {a: 1}\n", "entries: [1]\nother: 2\n", "other: [1]\n", "- 1\n", "entries: 7\n"],
)
def test_the_event_builder_gives_up_on_another_shape_than_the_listing(text: str) -> None:
    with pytest.raises(_Unlocated):
        list(_construct_fast(text, "entries"))


def test_a_folder_loads_from_streams_as_its_texts_parse(tmp_path: Path) -> None:
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
    with folder.open("law.yaml") as stream:
        assert stream.read() == folder["law.yaml"] == ENTRY
    loaded = load_knowledge(tmp_path)
    assert loaded == parse_knowledge(read_knowledge_files(tmp_path))
    assert loaded.files == {"what-is-doma": "law.yaml", "what-is-uafa": "more/uafa.yml"}


def test_the_first_pass_gives_up_on_a_repeated_phrasing() -> None:
    files = good_files()
    files["law.yaml"] = files["law.yaml"].replace("      - doma?\n", "      - What is DOMA?\n")
    with pytest.raises(_Unlocated):
        _assemble(files, _Checker(locate=False))
    (problem,) = problems(files)
    assert (problem.line, problem.field) == (5, "asks")


@pytest.mark.parametrize("block", [1, 2, 3, 1 << 16])
def test_the_first_pass_finds_a_repeat_across_blocks_of_hashes(
    monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    monkeypatch.setattr(loader, "_BLOCK", block)
    files = good_files()
    _assemble(files, _Checker(locate=False))  # no repeat: nothing given up
    files["law.yaml"] = files["law.yaml"].replace("      - doma?\n", "      - What is DOMA?\n")
    with pytest.raises(_Unlocated):
        _assemble(files, _Checker(locate=False))
