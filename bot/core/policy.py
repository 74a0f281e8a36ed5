"""The knobs: when the engine answers (Thresholds) and how the matcher scores (MatchTuning).

Both are frozen values read by pure code: changing the answer threshold or a scoring weight is
an edit here (or, for Thresholds, in the settings), never in the code that uses them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.matching.match import Match

__all__ = ["MatchTuning", "Thresholds"]


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Scores (0-100) that separate answers from suggestions from silence."""

    answer: float = 46.0  # ask mode: minimum score to answer
    listen: float = 60.0  # listen mode: minimum score to answer unprompted
    # Lead over the runner-up entry needed to answer. On questions the engine never saw
    # (evaluation/holdout.py), answers won by a lead of 6 to 8 points were wrong more often
    # than right (49 wrong, 30 right, in ask mode): they are offered as choices instead.
    margin: float = 8.0
    certain: float = 90.0  # at or above this, the lead does not matter
    suggest: float = 42.0  # ask mode: minimum score for a "did you mean" choice
    # Share of the question's informative words a suggested phrasing must explain: words left
    # unexplained ("current", "member", "election") mean another question was asked.
    suggest_coverage: float = 0.55
    # Topical evidence (Match.evidence: the shared words' topicality, 0.4 for an everyday
    # word incidental here, 0.7 and up for a word this knowledge base is about). An answer
    # rests on more than one everyday word ("help", "time" are chat, not a question about the
    # guidance), or on one topical word when the question is nearly the very phrasing (its
    # words explain this share of it): "who announced it?". A "did you mean" choice needs
    # one topical word.
    evidence: float = 0.95
    single_word_evidence: float = 0.7
    single_word_precision: float = 0.75
    suggest_evidence: float = 0.7
    # A weaker match is still offered when it shares two or more topical words with the
    # question: a long or loosely worded message scores low as a whole, but naming two of a
    # topic's words ("sponser", "boyfriend") points at that topic, and the member chooses.
    loose_suggest: float = 30.0
    loose_suggest_coverage: float = 0.4
    loose_suggest_evidence: float = 1.3
    suggest_window: float = 25.0  # choices within this many points of the best
    suggestions: int = 3
    max_chars: int = 4000  # longer input is cut: no Discord message is longer

    def rests_on_topic(self, match: Match) -> bool:
        """Whether an answer may rest on the words `match` shares with the question."""
        return match.evidence >= self.evidence or (
            match.evidence >= self.single_word_evidence
            and match.precision >= self.single_word_precision
        )

    def may_suggest(self, match: Match, best: float) -> bool:
        """Whether `match` may be a "did you mean" choice when the best score is `best`."""
        if match.score < best - self.suggest_window:
            return False
        return (
            match.score >= self.suggest
            and match.coverage >= self.suggest_coverage
            and match.evidence >= self.suggest_evidence
        ) or (
            match.score >= self.loose_suggest
            and match.coverage >= self.loose_suggest_coverage
            and match.evidence >= self.loose_suggest_evidence
        )


# Kept as tokens (they tell "who announced it" from "when"), but not evidence of a topic;
# nor are words about the conversation itself ("can I ask a question").
_QUESTION_WORDS = frozenset(
    [
        "who",
        "when",
        "where",
        "why",
        "ask",
        "asked",
        "asking",
        "question",
        "questions",
        "answer",
        "answers",
    ]
)


@dataclass(frozen=True, slots=True)
class MatchTuning:
    """How the matcher weighs words and scores phrasings (every figure that moves a score)."""

    # Share of the final score from word overlap; the rest is character-level similarity.
    token_share: float = 0.85
    rerank: int = 24  # entries given the (more expensive) character-level re-rank
    first_stage: int = 256  # entries the cheap first stage passes to phrasing-level scoring
    # Messages longer than this are also searched question by question (at most this many, so
    # a wall of text costs a bounded time).
    long_message: int = 80
    max_sentences: int = 8
    # A long message is searched as a whole too only while its question sentences hold less
    # than this share of the weight of its words the knowledge base knows: the question then
    # leans on the rest of the message. (Unknown words are left out: chat around a question is
    # mostly words no entry uses, "pinned", "lurker", which would outweigh the question.)
    question_share: float = 0.5
    # Share of the word score from the entry as a whole: how consistently its phrasings cover
    # the question. An entry *about* a concept repeats it; one that mentions it once is less
    # likely.
    centrality_share: float = 0.2
    # Share of the word score from the best single phrasing; the rest comes from the entry's
    # whole text (phrasings, answer, tags), which catches paraphrases in the answer's words.
    phrasing_share: float = 0.55
    # Question coverage counts this many times more than phrasing coverage (an F-beta score):
    # a phrasing with extra context words still answers a short question.
    beta_squared: float = 4.0
    # General-English frequency (Zipf scale) at which a word stops carrying any topic, and the
    # least weight a word keeps: "affected" or "capital" should matter less than "DOMA".
    common_zipf: float = 7.0
    rare_zipf: float = 3.0
    min_rarity: float = 0.4
    # Topicality gained per tenfold excess of a word's frequency in the knowledge base over
    # English: 10x ("help") -> 0.65, 30x ("policy", "family") -> 0.77, 100x -> 0.9.
    keyness_slope: float = 0.25
    # Typo correction: minimum rapidfuzz ratio to map an unknown word to a known one, by
    # length (up to 4 letters: short).
    typo_cutoff_short: float = 85.0
    typo_cutoff_long: float = 80.0
    min_typo_length: int = 3
    # A word this common in English is a real word, not a typo of a knowledge-base word
    # ("france" is not "finance"); British spellings such as "defence" stay below it.
    real_word_zipf: float = 4.6
    # A knowledge-base word is a misspelling of another when English does not know it (below
    # this Zipf frequency) and the other, as close as a typo, is used this many times more
    # often here; shorter words are too often acronyms ("EAD" is not "head").
    variant_zipf: float = 2.5
    variant_ratio: int = 3
    variant_length: int = 5
    question_words: frozenset[str] = field(default=_QUESTION_WORDS)
