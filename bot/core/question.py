"""A member's message, read once: normalised, split into sentences, its question kinds known.

Triage, the engine and every matching stage read this one value, so the message is
normalised and split once (each distinct piece of text at most once), in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.normalize import normalize
from bot.core.policy import MatchTuning

__all__ = ["Part", "Question", "asked_kinds", "looks_like_question", "sentences"]

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
# Within a sentence: where a clause ends (a sentence end is one too).
_CLAUSE_END = re.compile(r"[.!?,;\n]+")

_QUESTION_START = re.compile(
    r"^(?:what|wat|wht|whats|who|whos|when|where|why|how|hw|which|is|are|am|does|do|did|can"
    r"|could|will|would|should|shall|has|have|had|was|were|may|might|must|any|anyone|anybody"
    r"|does anyone|tell me|explain|define|help|pls|please|question|q"
    # Spanish: the question words, with or without accents, and the usual openers.
    r"|qu[eé]|qui[eé]n|qui[eé]nes|c[oó]mo|cu[aá]ndo|d[oó]nde|cu[aá]l|cu[aá]les|cu[aá]nt[oa]s?"
    r"|por qu[eé]|es cierto|es verdad|alguien sabe|me explican|expl[ií]came|sirve|aplica)\b"
)
# Words that often open a question in chat before the question word itself.
_LEAD_IN = re.compile(
    r"^(?:(?:so|ok|okay|and|but|also|well|hey|hi|hello|um|uh|like|btw|anyway|quick question"
    r"|question|q|wait|sorry|hmm|guys|yall|everyone|all|then|now|plus|oh|ah"
    r"|pues|oye|hola|entonces|bueno|una pregunta|pregunta|disculpen|perd[oó]n|gente|chicos) )+"
)
_MAX_QUESTION_WORDS = 250

# The kind of answer a clause asks for, from the words that lead it.
_ASKED_KINDS = (
    ("person", re.compile(r"^(?:who|whos|whom|whose)\b")),
    ("time", re.compile(r"^(?:when|wen|(?:what|which) (?:day|date|month|year)|how long ago)\b")),
    ("place", re.compile(r"^where\b")),
    ("reason", re.compile(r"^why\b")),
    ("amount", re.compile(r"^how (?:many|much)\b")),
)
# Whether one of their words is there at all (in ASCII text, where normalising cannot make
# one): most messages skip reading clause by clause.
_MAY_ASK_A_KIND = re.compile(
    r"\b(?:who|whos|whom|whose|when|wen|where|why|how|day|date|month|year)\b", re.I
)


def sentences(text: str) -> list[str]:
    """Split raw text into sentences so a question buried in a long message can be found."""
    return [part for part in (p.strip() for p in _SENTENCE_END.split(text)) if part]


@dataclass(frozen=True, slots=True)
class Part:
    """A piece of the message the matcher searches, with its normalised form."""

    text: str
    normalized: str


@dataclass(frozen=True, slots=True)
class Question:
    """One message as the core reads it (never kept beyond its decision)."""

    text: str
    normalized: str
    asks: bool  # reads as a question: a question mark, or a question word leading a clause
    kinds: frozenset[str]  # the kinds of answer asked for (person, time, place, ...)
    # What the matcher searches: the whole message, then, when it is long, each of its
    # question sentences (a question wrapped in chat is found alone).
    parts: tuple[Part, ...]

    @classmethod
    def read(cls, text: str, tuning: MatchTuning | None = None) -> Question:
        """Read `text` (already stripped and cut to length by the caller)."""
        tuning = tuning or MatchTuning()
        reader = _Reader()
        normalized = reader.normalized(text)
        split = sentences(text)
        parts = [text]
        if len(text) > tuning.long_message:
            asking = [part for part in split if reader.asks(part, [part])]
            parts += asking[: tuning.max_sentences]
        return cls(
            text,
            normalized,
            reader.asks(text, split),
            reader.kinds(text, split),
            tuple(Part(part, reader.normalized(part)) for part in dict.fromkeys(parts)),
        )


def looks_like_question(text: str) -> bool:
    """Whether a message reads as a question (a question mark, or a question word leading)."""
    return _Reader().asks(text, sentences(text))


def asked_kinds(text: str) -> frozenset[str]:
    """Return the kinds of answer (person, time, place, reason, amount) `text` asks for.

    An entry that nobody asks "when" of answers another question than "when ...?", however
    many words the two share: the engine compares these kinds before it answers.
    """
    return _Reader().kinds(text, sentences(text))


class _Reader:
    """One message's reading: each distinct piece of it is normalised once."""

    def __init__(self) -> None:
        self._normalized: dict[str, str] = {}
        self._leads: dict[str, list[str]] = {}

    def normalized(self, piece: str) -> str:
        found = self._normalized.get(piece)
        if found is None:
            found = self._normalized[piece] = normalize(piece)
        return found

    def leads(self, sentence: str) -> list[str]:
        """Each clause of a sentence, normalised, without the chat words that open it."""
        found = self._leads.get(sentence)
        if found is None:
            found = self._leads[sentence] = [
                _LEAD_IN.sub("", self.normalized(clause)) for clause in _CLAUSE_END.split(sentence)
            ]
        return found

    def asks(self, text: str, split: list[str]) -> bool:
        """Whether `text` (split into `split` sentences) reads as a question."""
        if not 0 < len(text.split()) <= _MAX_QUESTION_WORDS:
            return False
        if "?" in text:
            return True
        return any(_QUESTION_START.match(lead) for part in split for lead in self.leads(part))

    def kinds(self, text: str, split: list[str]) -> frozenset[str]:
        """Return the kinds of answer `text` (split into `split` sentences) asks for."""
        if text.isascii() and not _MAY_ASK_A_KIND.search(text):
            return frozenset()
        leads = [lead for part in split for lead in self.leads(part)]
        return frozenset(
            kind for kind, pattern in _ASKED_KINDS if any(pattern.match(lead) for lead in leads)
        )
