"""The storing rule: only questions asked directly, left unanswered and not personal are kept."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from bot.core.decide import Decision, Engine, Kind, Mode
from bot.core.keep import should_keep_text
from bot.storage.folder import load_knowledge

ROOT = Path(__file__).resolve().parents[2]


@cache
def engine() -> Engine:
    return Engine(load_knowledge(ROOT / "knowledge"))


@pytest.mark.parametrize(
    ("decision", "mode", "kept"),
    [
        (Decision(Kind.NONE), Mode.ASK, True),
        (Decision(Kind.SUGGEST, suggestions=("what-is-doma",)), Mode.ASK, True),
        (Decision(Kind.ANSWER, "what-is-doma"), Mode.ASK, False),  # nothing missing
        (Decision(Kind.NONE), Mode.LISTEN, False),  # overheard
        (Decision(Kind.SUGGEST), Mode.LISTEN, False),
        (Decision(Kind.LEGAL), Mode.ASK, False),
        (Decision(Kind.SUGGEST, signals=("personal",)), Mode.ASK, False),
        # A signal of the semantic stage naming personal counts the same.
        (Decision(Kind.NONE, signals=("question", "semantic-personal")), Mode.ASK, False),
    ],
)
def test_the_rule(decision: Decision, mode: Mode, kept: bool) -> None:
    assert should_keep_text(decision, mode) is kept


@pytest.mark.parametrize(
    "text",
    [
        "can my boyfriend get a green card from this?",
        "my partner has court on the 15th what do we bring",
        "Can I sponsor my same-sex partner for a visa now?",
    ],
)
def test_personal_questions_of_the_real_engine_are_never_kept(text: str) -> None:
    for mode in Mode:
        assert not should_keep_text(engine().decide(text, mode), mode)


def test_an_unanswered_general_question_asked_directly_is_kept() -> None:
    decision = engine().decide("who won the football game", Mode.ASK)
    assert decision.kind is Kind.NONE
    assert should_keep_text(decision, Mode.ASK)
    assert not should_keep_text(
        engine().decide("who won the football game", Mode.LISTEN), Mode.LISTEN
    )
