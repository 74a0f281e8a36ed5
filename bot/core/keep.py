"""The one rule for whether a message's text may be kept (scrubbed) or only counted.

Moderators read the questions the bot could not answer, to grow the knowledge base; that is
the only reason to keep any text. Everything else about a message is counted, never kept:
what the bot merely overheard, and anything about the writer's own situation, whether triage
routed it as legal or only a signal (of triage or the semantic stage) names it personal.
"""

from __future__ import annotations

from bot.core.decide import Decision, Kind, Mode

__all__ = ["is_personal", "should_keep_text"]

# Decisions whose text tells moderators what is missing from the knowledge base.
_UNANSWERED = frozenset({Kind.NONE, Kind.SUGGEST})


def is_personal(decision: Decision) -> bool:
    """Whether the message is about the writer's own situation (legal, or a personal signal)."""
    return decision.kind is Kind.LEGAL or any("personal" in signal for signal in decision.signals)


def should_keep_text(decision: Decision, mode: Mode) -> bool:
    """Whether the (scrubbed) text of a message may be stored, or the message only counted.

    Kept: asked directly, unanswered, and not personal. Counted only: overheard, answered,
    legal-routed, or flagged personal.
    """
    return mode is Mode.ASK and decision.kind in _UNANSWERED and not is_personal(decision)
