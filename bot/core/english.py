"""General-English word frequencies (wordfreq's Zipf scale) from a compact table.

wordfreq keeps its English list as a dictionary of 321,000 strings (about 33 MB once loaded,
a tenth of a large base's memory); the matcher needs one number per word it sees. The table
shipped here holds the same list as a sorted array of 64-bit word hashes and each word's
frequency band (10 bytes a word, read once), built from wordfreq by
`scripts/build_english_table.py`. `zipf_frequency` is wordfreq's own computation (its
tokenizer, its estimate for digit sequences, its rounding) over that table, so it returns
exactly what `wordfreq.zipf_frequency(word, "en")` does: tests/core/test_english.py checks
every word of the list and more. A word outside the list would be mistaken for one in it only
if their hashes collided (the table's own hashes are all distinct: the script checks).
"""

from __future__ import annotations

import hashlib
import math
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
from wordfreq import cB_to_freq, freq_to_zipf, zipf_to_freq
from wordfreq.numbers import digit_freq, smash_numbers
from wordfreq.tokens import lossy_tokenize

__all__ = ["TABLE", "word_hash", "zipf_frequency"]

TABLE = Path(__file__).with_name("data") / "english_frequencies.npz"
_LANGUAGE = "en"
_MINIMUM = zipf_to_freq(0.0)  # zipf_frequency's default minimum (Zipf 0)


def word_hash(word: str) -> int:
    """Return a stable 64-bit hash of a word (Python's own hash changes from run to run)."""
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")


@cache
def _table() -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint16]]:
    """Return the words' hashes, ascending, and each one's band (frequency in -centibels)."""
    with np.load(TABLE) as data:
        return data["hashes"], data["bands"]


def _frequency(token: str) -> float | None:
    """Return a token's frequency as wordfreq's dictionary holds it; None if absent."""
    hashes, bands = _table()
    key = np.uint64(word_hash(token))
    position = int(hashes.searchsorted(key))
    if position == hashes.size or hashes[position] != key:
        return None
    return cB_to_freq(-int(bands[position]))


def _word_frequency(word: str) -> float:
    """Compute as wordfreq's `_word_frequency(word, "en", "best", minimum)`, from the table."""
    tokens = lossy_tokenize(word, _LANGUAGE)
    if not tokens:
        return _MINIMUM
    # Several tokens combine as 1 / f = 1 / f1 + 1 / f2 + ...; digit sequences are looked up
    # as zeros, then given their own estimate.
    one_over_result = 0.0
    for token in tokens:
        smashed = smash_numbers(token)
        frequency = _frequency(smashed)
        if frequency is None:
            return _MINIMUM
        if smashed != token:
            frequency *= digit_freq(token)
        one_over_result += 1.0 / frequency
    unrounded = max(1.0 / one_over_result, _MINIMUM)
    # wordfreq's data is precise to about 1%: three significant digits.
    leading_zeroes = math.floor(-math.log(unrounded, 10))
    return round(unrounded, leading_zeroes + 3)


def zipf_frequency(word: str) -> float:
    """Return `wordfreq.zipf_frequency(word, "en")`: Zipf 0 (unknown) .. about 8 ("the")."""
    return round(freq_to_zipf(_word_frequency(word)), 2)
