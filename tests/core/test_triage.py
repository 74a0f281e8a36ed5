"""Triage: its patterns searched after a space give the same verdicts; reading asked kinds."""

from __future__ import annotations

import re
from pathlib import Path
from re import _constants as sre  # the regex parser's own view, for the proof
from re import _parser as sre_parse
from typing import Any

import pytest
import yaml

from bot.core import question as question_module
from bot.core.normalize import normalize
from bot.core.question import asked_kinds, sentences
from bot.core.triage import _SIGNALS, triage

ROOT = Path(__file__).resolve().parents[2]


def plain(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """The pattern as written: without the leading space and group _any adds."""
    assert pattern.pattern.startswith(" (?:")
    assert pattern.pattern.endswith(")")
    return re.compile(pattern.pattern[len(" (?:") : -1])


def starts_with_a_word_character(items: list[tuple[Any, Any]]) -> bool:
    """Whether whatever the parsed items match starts with a word character (no proof: False)."""
    if not items:
        return False
    op, value = items[0]
    if op is sre.LITERAL:
        return chr(value).isalnum()
    if op is sre.BRANCH:
        return all(starts_with_a_word_character(list(branch)) for branch in value[1])
    if op is sre.SUBPATTERN:
        return starts_with_a_word_character([*value[3], *items[1:]])
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
        least, _, repeated = value
        once = starts_with_a_word_character([*repeated, *items[1:]])
        return once and (least > 0 or starts_with_a_word_character(items[1:]))
    return False


@pytest.mark.parametrize(("name", "pattern"), _SIGNALS)
def test_every_alternative_starts_at_a_word(name: str, pattern: re.Pattern[str]) -> None:
    """What makes the anchor exact: a match can only start at a word's first character.

    The parser moves a `\\b` that begins every alternative out in front: it must be there,
    followed by alternatives that all start with a letter or digit.
    """
    parsed = list(sre_parse.parse(plain(pattern).pattern))
    assert parsed[0] == (sre.AT, sre.AT_BOUNDARY), name
    assert starts_with_a_word_character(parsed[1:]), name


def texts() -> list[str]:
    """Evaluation questions, their sentences, and the same run together as one message."""
    items = yaml.safe_load((ROOT / "evaluation" / "questions.yaml").read_text("utf-8"))["items"]
    questions = [str(item["q"]) for item in items]
    return [
        *questions,
        *(part for question in questions for part in sentences(question)),
        " ".join(questions),
        "my partner's visa expired and we were married in court, what should I do? thanks!",
    ]


@pytest.mark.parametrize(("name", "pattern"), _SIGNALS)
def test_anchored_patterns_find_what_the_plain_ones_find(
    name: str, pattern: re.Pattern[str]
) -> None:
    unanchored = plain(pattern)
    found = 0
    for text in texts():
        normalized = normalize(text)
        expected, anchored = unanchored.search(normalized), pattern.search(" " + normalized)
        assert (anchored and anchored.start()) == (expected and expected.start()), (name, text)
        found += expected is not None
    assert found, name


def test_the_quick_check_for_a_kind_word_skips_no_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    """asked_kinds skips ASCII text with no kind word: the full reading finds nothing there."""
    samples = texts()
    quick = [asked_kinds(text) for text in samples]
    monkeypatch.setattr(question_module, "_MAY_ASK_A_KIND", re.compile(""))
    assert [asked_kinds(text) for text in samples] == quick
    assert sum(bool(kinds) for kinds in quick) >= 20


# Written for these tests (not from evaluation/): detention slang, stops that end in custody,
# reporting to immigration, what to tell an official, and whether the guidance covers oneself.
PERSONAL_SITUATIONS = [
    "ice got my hubby on his way to work",
    "they have him at the processing center since friday",
    "my girl got pulled over and taken, nobody knows where",
    "cops stopped my boyfriend and called la migra",
    "my wife is locked up and i cant reach her",
    "my partner reports to ICE every month, will that ever end?",
    "he has a check-in at the ice office tuesday",
    "my husband wears an ankle bracelet since his release",
    "should i tell the judge i have a same sex partner",
    "do we mention our relationship to the officer at the interview?",
    "what should I say at my hearing",
    "does this guidance apply to me? i came here on a student visa in 2010",
    "am i included if i overstayed",
    "would the memo protect us",
    # written for the undocumented-partner, mail, travel and proof classes
    "my fiance doesn't have any papers, does he qualify?",
    "my boyfriend has no status and we are thinking should we get married",
    "my husband got a letter from USCIS this morning",
    "ICE mailed something to our apartment for my wife",
    "my partner was granted voluntary departure last month",
    "is it safe for my girlfriend to travel to mexico with her papers like that",
    "can my husband still fly to see his dad",
    "how can we prove we are a couple when we never lived together",
    "what documents do we need to prove our relationship",
]

NOT_PERSONAL = [
    "my boyfriend and I just adopted a kitten",
    "who does the guidance apply to",
    "what did ice officers have to consider under the memo",
    "does the guidance cover couples who are not married",
    "what is a check in with immigration, in general",
    "does the guidance help people who do not have papers",
    "what is voluntary departure",
    "is it safe to travel to russia as a gay man",
    "my girlfriend and i are going to fly to paris next week",
    "who sent the letter from dhs to congress",
]


@pytest.mark.parametrize("text", PERSONAL_SITUATIONS)
def test_personal_situations_go_to_the_contact_page(text: str) -> None:
    assert triage(text).legal, triage(text).signals


@pytest.mark.parametrize("text", NOT_PERSONAL)
def test_small_talk_and_general_questions_are_not_personal(text: str) -> None:
    assert not triage(text).legal, triage(text).signals
