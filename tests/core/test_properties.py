"""The core never raises on any message, and what it returns is always usable and sourced.

Hypothesis draws hostile text (tests/core/fuzz_inputs.py); benchmarks/fuzz_report.py runs the
same strategies longer and prints the counts. FAMILYTIES_FUZZ_PROFILE=deep tries 5,000 each.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import event, example, given, settings

from bot.core.decide import Decision, Kind, Mode
from bot.core.replies import Organization, compose
from tests.core.fuzz_inputs import (
    BIDI,
    MAX_CHARS,
    MENTIONS,
    SPACES,
    check_decision,
    decide_and_compose,
    engine,
    messages,
    modes,
)

PROFILE = settings.get_profile(os.environ.get("FAMILYTIES_FUZZ_PROFILE", "ci"))


@PROFILE
@given(text=messages(), mode=modes())
@example(text="", mode=Mode.ASK)
@example(text="\x00" * MAX_CHARS, mode=Mode.ASK)
@example(text="\u202eAMOD si tahw", mode=Mode.ASK)
@example(text=" ".join(MENTIONS), mode=Mode.LISTEN)
@example(text="".join(SPACES) * 10, mode=Mode.ASK)
@example(text="what is doma" + "\u0301" * 3988, mode=Mode.ASK)
def test_decide_never_raises_and_returns_a_usable_decision(text: str, mode: Mode) -> None:
    decision = engine().decide(text, mode)
    event(f"{mode}: {decision.kind}")
    event(f"length {min(len(text) // 1000 * 1000, 3000)}+")
    check_decision(decision, mode)


@PROFILE
@given(text=messages(), mode=modes())
def test_every_reply_composes_and_every_answer_is_sourced_and_dated(text: str, mode: Mode) -> None:
    decide_and_compose(text, mode)


@PROFILE
@given(text=messages())
def test_bidi_and_zero_width_noise_around_a_message_changes_nothing_of_its_safety(
    text: str,
) -> None:
    """Invisible characters must not turn silence or a choice into an answer to something else."""
    plain = engine().decide(text, Mode.ASK)
    noisy = engine().decide("".join(BIDI) + text + "\u200b", Mode.ASK)
    check_decision(noisy, Mode.ASK)
    if noisy.kind is Kind.ANSWER:
        assert plain.kind in {Kind.ANSWER, Kind.SUGGEST}


@pytest.mark.parametrize("kind", list(Kind))
def test_compose_handles_a_decision_naming_entries_that_are_gone(kind: Kind) -> None:
    """A decision made just before a reload may name entries the new base no longer has."""
    decision = Decision(kind, "no-such-entry", 50.0, ("no-such-entry", "gone-too"))
    reply = compose(decision, engine().knowledge, Organization())
    assert reply.answer is None
    assert reply.suggestions == ()
    assert reply.text()


def test_invisible_characters_do_not_make_a_message_long() -> None:
    """Bidi controls and zero-width spaces are dropped before a message's length is read."""
    text = "sorry if this was asked. who announced the new guidance for gay couples in 2012?"
    assert len(text) == engine().matcher.tuning.long_message  # one more character is long
    plain = engine().decide(text, Mode.ASK)
    noisy = engine().decide("".join(BIDI) + text + "\u200b", Mode.ASK)
    assert (noisy.kind, noisy.entry_id, noisy.score) == (plain.kind, plain.entry_id, plain.score)
