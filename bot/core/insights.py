"""What moderators need to see: recurring unanswered questions and entries due for review."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from bot.core.models import Entry, KnowledgeBase
from bot.core.normalize import normalize

__all__ = ["QuestionGroup", "group_questions", "stale_entries"]

# Two questions at least this similar (token-set ratio of normalised text) are "the same".
SAME_QUESTION = 80.0


@dataclass(frozen=True, slots=True)
class QuestionGroup:
    """Near-duplicate questions: the most common wording and how often the group was asked."""

    example: str
    count: int


def group_questions(
    questions: Sequence[str], *, threshold: float = SAME_QUESTION
) -> list[QuestionGroup]:
    """Group near-duplicate questions (one rapidfuzz matrix), largest groups first."""
    normalized = [normalize(question) for question in questions]
    if not normalized:
        return []
    similar = process.cdist(
        normalized,
        normalized,
        scorer=fuzz.token_set_ratio,
        score_cutoff=threshold,
        dtype=np.uint8,
        workers=1,
    )
    unassigned = np.ones(len(normalized), dtype=bool)
    groups: list[QuestionGroup] = []
    # Greedy: the question with the most neighbours seeds a group, then the next, and so on.
    for seed in np.argsort(-(similar > 0).sum(axis=1), kind="stable"):
        if not unassigned[seed]:
            continue
        members = np.flatnonzero((similar[seed] > 0) & unassigned)
        unassigned[members] = False
        wordings = [questions[int(i)] for i in members]
        example = max(set(wordings), key=lambda text: (wordings.count(text), -len(text)))
        groups.append(QuestionGroup(example, len(members)))
    return sorted(groups, key=lambda group: (-group.count, group.example))


def stale_entries(knowledge: KnowledgeBase, *, older_than_days: int, today: dt.date) -> list[Entry]:
    """Entries whose last review is older than the limit, oldest review first."""
    cutoff = today - dt.timedelta(days=older_than_days)
    stale = [entry for entry in knowledge.entries.values() if entry.reviewed < cutoff]
    return sorted(stale, key=lambda entry: (entry.reviewed, entry.id))
