"""What the matcher returns: an entry's best phrasing for a question, with its score."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Match"]


@dataclass(frozen=True, slots=True)
class Match:
    """An entry's best phrasing for a question, with a 0-100 score."""

    entry_id: str
    score: float
    phrasing: str
    coverage: float = 0.0  # share of the question's informative weight the phrasing explains
    precision: float = 0.0  # share of the phrasing's weight the question's words explain
    # How topical the shared words are, summed (question words and talk about the
    # conversation left out): each word counts 0.4 when everyday and incidental here ("time",
    # "think") up to 1.0 when rare in English ("DOMA") or far more frequent in this knowledge
    # base than in English ("policy", "married"). Chat such as "what time is it" shares one
    # incidental word with some phrasing; a real question shares its topic.
    evidence: float = 0.0
