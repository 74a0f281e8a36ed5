"""How much each word of the knowledge base tells: IDF among entries, and English rarity.

A word counts for more when few entries use it and when English at large seldom does ("DOMA"
over "affected"); its topicality (Match.evidence) also rises when this knowledge base uses it
far more often than English does ("policy", "married").
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from bot.core.english import zipf_frequency
from bot.core.normalize import stem
from bot.core.policy import MatchTuning

__all__ = ["Weights", "rarity", "weigh", "zipf"]


@lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    """Look up a word's general-English frequency (Zipf scale), once per word."""
    return zipf_frequency(word)


def rarity(word: str, tuning: MatchTuning) -> float:
    """Map a word's general-English frequency to min_rarity (very common) .. 1.0 (rare)."""
    scaled = (tuning.common_zipf - zipf(word)) / (tuning.common_zipf - tuning.rare_zipf)
    return float(min(1.0, max(tuning.min_rarity, scaled)))


class Weights(NamedTuple):
    """Per token: IDF, question-side weight (IDF x rarity) and topicality; the IDF ceiling."""

    idf: npt.NDArray[np.float64]
    weights: npt.NDArray[np.float64]
    topical: npt.NDArray[np.float64]
    idf_max: float  # the weight of a word no entry uses, before its rarity


def weigh(
    surface: dict[str, str],
    tokens: dict[str, int],
    counts: npt.NDArray[np.int64],
    document_frequency: npt.NDArray[np.float64],
    entries: int,
    tuning: MatchTuning,
) -> Weights:
    """Weigh every token from its surface words (word -> stem; stem -> token in `tokens`).

    `counts` is how often each token occurs in phrasings and answers, `document_frequency` in
    how many of the `entries` entries.
    """
    size = len(tokens)
    rare = np.full(size, tuning.min_rarity, dtype=np.float64)
    everyday = np.ones(size, dtype=np.float64)  # rarity of the commonest form
    english = np.zeros(size, dtype=np.float64)  # frequency of the commonest form
    for word, token in surface.items():
        token_id = tokens[token]
        rare[token_id] = max(rare[token_id], rarity(word, tuning))
        everyday[token_id] = min(everyday[token_id], rarity(word, tuning))
        english[token_id] = max(english[token_id], 10.0 ** (zipf(word) - 9))
    # How topical a word is for *this* knowledge base: rare in English ("DOMA"), or far more
    # frequent here than in English ("policy", "married", "family": keyness).
    keyness = np.log10(np.maximum(counts, 0.5) / max(counts.sum(), 1) / np.maximum(english, 1e-9))
    topical = np.maximum(
        everyday,
        np.clip(tuning.min_rarity + tuning.keyness_slope * keyness, tuning.min_rarity, 1.0),
    )
    topical[[tokens[stem(w)] for w in tuning.question_words if stem(w) in tokens]] = 0.0
    # A word's weight: how well it separates entries (smoothed IDF) times how topical it is
    # in English at large; a word no entry uses weighs as much as the rarest one.
    idf = np.log1p(entries / np.maximum(document_frequency, 1.0))
    return Weights(idf, idf * rare, topical, math.log1p(entries))
