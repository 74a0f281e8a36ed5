"""The loader accepts the shipped knowledge base and reports every problem with its place."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core import validation
from bot.core.loader import KnowledgeError, Problem, _assemble, parse_knowledge
from bot.core.validation import Checker
from bot.core.yaml_events import SafeLoader, Unlocated
from bot.storage.folder import load_knowledge

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


def test_valid_files_load_without_yaml_node_trees(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first pass builds data from events; node trees are only for locating problems."""
    located = parse_knowledge(good_files())

    def no_nodes(*_: object) -> None:
        raise AssertionError("a valid knowledge base was composed into node trees")

    monkeypatch.setattr(SafeLoader, "get_single_node", no_nodes)
    fast = parse_knowledge(good_files())
    assert fast == located


def test_the_first_pass_gives_up_on_problems_and_the_second_locates_them() -> None:
    files = good_files()
    files["law.yaml"] = files["law.yaml"].replace("      - id: nbc\n", "      - id: nbx\n")
    with pytest.raises(Unlocated):
        _assemble(files, Checker(locate=False))
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
    with pytest.raises(Unlocated):
        _assemble(files, Checker(locate=False))
    entry = parse_knowledge(files).entries["what-is-doma"]
    assert str(entry.reviewed) == "2012-09-28" and entry.sources[0].quote == "b"


def test_the_first_pass_gives_up_on_a_repeated_phrasing() -> None:
    files = good_files()
    files["law.yaml"] = files["law.yaml"].replace("      - doma?\n", "      - What is DOMA?\n")
    with pytest.raises(Unlocated):
        _assemble(files, Checker(locate=False))
    (problem,) = problems(files)
    assert (problem.line, problem.field) == (5, "asks")


@pytest.mark.parametrize("block", [1, 2, 3, 1 << 16])
def test_the_first_pass_finds_a_repeat_across_blocks_of_hashes(
    monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    monkeypatch.setattr(validation, "_BLOCK", block)
    files = good_files()
    _assemble(files, Checker(locate=False))  # no repeat: nothing given up
    files["law.yaml"] = files["law.yaml"].replace("      - doma?\n", "      - What is DOMA?\n")
    with pytest.raises(Unlocated):
        _assemble(files, Checker(locate=False))
