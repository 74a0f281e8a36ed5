"""Fuzzy matching of a question against every phrasing in the knowledge base.

Plain fuzzy ratios over-match ("what is the capital of france" looks like "what is DOMA?"),
so scores rest on informative words: each word is weighted by how rare it is among entries
(IDF), words the knowledge base has never seen count against a match, and a phrasing must
share at least one informative word with the question to be considered at all. Typos are
mapped to known words with rapidfuzz, and the final ranking adds rapidfuzz's character-level
similarity in one batch call. Everything per phrasing is precomputed at load time into numpy
arrays, so a query costs a few array operations over the postings of its own words.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from bot.core.models import KnowledgeBase
from bot.core.normalize import STOPWORDS, normalize, sentences, stem

__all__ = ["Match", "Matcher"]

# Share of the final score from word overlap; the rest is character-level similarity.
_TOKEN_SHARE = 0.85
# How many entries get the (more expensive) character-level re-rank.
_RERANK = 24
# Typo correction: minimum rapidfuzz ratio to map an unknown word to a known one, by length.
_TYPO_CUTOFF_SHORT, _TYPO_CUTOFF_LONG = 85.0, 80.0
_MIN_TYPO_LENGTH = 3


@dataclass(frozen=True, slots=True)
class Match:
    """An entry's best phrasing for a question, with a 0-100 score."""

    entry_id: str
    score: float
    phrasing: str


@dataclass(frozen=True, slots=True)
class _Query:
    normalized: str
    token_ids: npt.NDArray[np.int64]  # known tokens (after typo correction)
    token_weights: npt.NDArray[np.float64]  # weight x similarity of each known token
    total_weight: float  # of all content words, known or not


class Matcher:
    """An immutable index over one knowledge base; build a new one when the base changes."""

    def __init__(self, knowledge: KnowledgeBase) -> None:
        self._entry_ids: list[str] = list(knowledge.entries)
        phrasing_entry: list[int] = []
        self._phrasings: list[str] = []
        self._normalized: list[str] = []
        phrasing_tokens: list[list[int]] = []
        vocabulary: dict[str, int] = {}
        surface: dict[str, str] = {}  # a word as typed in a phrasing -> its stem
        entry_sets: list[set[int]] = []
        for index, entry in enumerate(knowledge.entries.values()):
            seen: set[int] = set()
            for phrasing in entry.phrasings:
                normalized = normalize(phrasing)
                ids: list[int] = []
                for word in normalized.split():
                    if word in STOPWORDS:
                        continue
                    token = surface.setdefault(word, stem(word))
                    token_id = vocabulary.setdefault(token, len(vocabulary))
                    if token_id not in ids:
                        ids.append(token_id)
                phrasing_entry.append(index)
                self._phrasings.append(phrasing)
                self._normalized.append(normalized)
                phrasing_tokens.append(ids)
                seen.update(ids)
            entry_sets.append(seen)

        self._vocabulary = vocabulary
        self._surface_words = list(surface)
        self._surface_stems = [surface[word] for word in self._surface_words]
        entries = max(len(self._entry_ids), 1)
        document_frequency = np.zeros(len(vocabulary), dtype=np.float64)
        for token_set in entry_sets:
            document_frequency[list(token_set)] += 1
        # Smoothed IDF over entries; a word no entry uses weighs as much as the rarest one.
        self._weights = np.log1p(entries / np.maximum(document_frequency, 1.0))
        self._unknown_weight = math.log1p(entries)

        self._phrasing_entry = np.asarray(phrasing_entry, dtype=np.int64)
        self._phrasing_weight = np.asarray(
            [float(self._weights[ids].sum()) for ids in phrasing_tokens], dtype=np.float64
        )
        # Postings in CSR form: the phrasings that contain each token.
        pairs = sorted(
            (token_id, phrasing_id)
            for phrasing_id, ids in enumerate(phrasing_tokens)
            for token_id in ids
        )
        counts = np.bincount([t for t, _ in pairs], minlength=len(vocabulary))
        self._post_start = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        self._post_phrasing = np.asarray([p for _, p in pairs], dtype=np.int64)
        self._correct = lru_cache(maxsize=8192)(self._correct_uncached)

    @property
    def size(self) -> int:
        """How many phrasings are indexed."""
        return len(self._phrasings)

    def search(self, text: str, *, limit: int = 5) -> list[Match]:
        """Return the best-scoring entries for `text`, best first, one match per entry.

        Long messages are also scored sentence by sentence, keeping each entry's best, so a
        question wrapped in greetings and thanks is still found.
        """
        parts = [text, *sentences(text)] if len(text) > 80 else [text]
        best: dict[str, Match] = {}
        for part in dict.fromkeys(parts):
            for match in self._search_one(part, limit=limit):
                if match.entry_id not in best or match.score > best[match.entry_id].score:
                    best[match.entry_id] = match
        return sorted(best.values(), key=lambda m: -m.score)[:limit]

    def _search_one(self, text: str, *, limit: int) -> list[Match]:
        query = self._query(text)
        if not query.token_ids.size:
            return []
        starts = self._post_start[query.token_ids]
        ends = self._post_start[query.token_ids + 1]
        lengths = ends - starts
        if not lengths.any():
            return []
        postings = np.concatenate(
            [self._post_phrasing[s:e] for s, e in zip(starts, ends, strict=True)]
        )
        weights = np.repeat(query.token_weights, lengths)
        candidates, inverse = np.unique(postings, return_inverse=True)
        shared = np.bincount(inverse, weights=weights)
        token_scores = _overlap_score(
            shared / query.total_weight, shared / self._phrasing_weight[candidates]
        )
        # Keep each entry's best phrasing, then the top entries for the re-rank.
        order = np.argsort(-token_scores, kind="stable")
        _, first = np.unique(self._phrasing_entry[candidates[order]], return_index=True)
        best = order[np.sort(first)]
        best = best[np.argsort(-token_scores[best], kind="stable")][:_RERANK]
        chosen = candidates[best]
        similarity = process.cdist(
            [query.normalized],
            [self._normalized[i] for i in chosen],
            scorer=fuzz.ratio,
            dtype=np.float32,
        )[0]
        scores = 100.0 * _TOKEN_SHARE * token_scores[best] + (1 - _TOKEN_SHARE) * similarity
        ranked = np.argsort(-scores, kind="stable")[:limit]
        return [
            Match(
                entry_id=self._entry_ids[self._phrasing_entry[chosen[i]]],
                score=round(float(scores[i]), 1),
                phrasing=self._phrasings[chosen[i]],
            )
            for i in ranked
        ]

    def _query(self, text: str) -> _Query:
        normalized = normalize(text)
        weights: dict[int, float] = {}
        total = 0.0
        for word in dict.fromkeys(normalized.split()):
            if word in STOPWORDS:
                continue
            token_id, similarity = self._correct(word)
            if token_id < 0:
                total += self._unknown_weight
                continue
            weight = float(self._weights[token_id])
            total += weight
            weights[token_id] = max(weights.get(token_id, 0.0), weight * similarity)
        return _Query(
            normalized=normalized,
            token_ids=np.fromiter(weights, dtype=np.int64, count=len(weights)),
            token_weights=np.fromiter(weights.values(), dtype=np.float64, count=len(weights)),
            total_weight=total,
        )

    def _correct_uncached(self, word: str) -> tuple[int, float]:
        """Map a word to a known token: exactly, by stem, or as a likely typo (-1 if none)."""
        token_id = self._vocabulary.get(stem(word), -1)
        if token_id >= 0 or len(word) < _MIN_TYPO_LENGTH or word.isdigit():
            return token_id, 1.0
        cutoff = _TYPO_CUTOFF_SHORT if len(word) <= 4 else _TYPO_CUTOFF_LONG
        found = process.extractOne(
            word, [*self._surface_words, *_TYPO_STOPWORDS], scorer=fuzz.ratio, score_cutoff=cutoff
        )
        if found is None or found[2] >= len(self._surface_words):
            return -1, 1.0  # unknown, or a misspelt stop word ("wht" -> "what")
        return self._vocabulary[self._surface_stems[found[2]]], found[1] / 100.0

    def entry_ids(self) -> Iterable[str]:
        """Every indexed entry id, in knowledge-base order."""
        return iter(self._entry_ids)


# Misspelt stop words must not be "corrected" into topic words ("wat" -> "what", not "vat").
_TYPO_STOPWORDS = tuple(sorted(word for word in STOPWORDS if len(word) >= _MIN_TYPO_LENGTH))


def _overlap_score(
    query_coverage: npt.NDArray[np.float64], phrasing_coverage: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Harmonic mean of how much of the question and of the phrasing the shared words cover."""
    total = query_coverage + phrasing_coverage
    return np.divide(
        2 * query_coverage * phrasing_coverage, total, out=np.zeros_like(total), where=total > 0
    )
