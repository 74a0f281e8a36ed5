"""The compact English table gives wordfreq's own Zipf values (bot/core/english.py)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import wordfreq

from bot.core import english
from bot.core.normalize import normalize
from bot.storage.folder import load_knowledge

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"


def test_the_table_holds_every_word_of_the_list_with_its_band() -> None:
    hashes, bands = english._table()
    buckets = wordfreq.get_frequency_list("en")
    words = [word for bucket in buckets for word in bucket]
    expected = np.repeat(np.arange(len(buckets)), [len(bucket) for bucket in buckets])
    assert hashes.size == len(words), "regenerate: scripts/build_english_table.py"
    keys = np.array([english.word_hash(word) for word in words], dtype=np.uint64)
    positions = hashes.searchsorted(keys)
    assert (hashes[positions] == keys).all()
    assert (bands[positions] == expected).all()


def _others(rng: random.Random) -> list[str]:
    """Strings outside the list's plain words: numbers, years, mixtures, several tokens."""
    letters = "abcdefghijklmnopqrstuvwxyzéü"
    made_up = ["".join(rng.choices(letters, k=rng.randint(1, 12))) for _ in range(3000)]
    numbers = [str(rng.randint(0, 10 ** rng.randint(1, 9))) for _ in range(1000)]
    years = [str(year) for year in range(1000, 2100)]
    mixed = [f"{rng.choice(letters)}{rng.randint(0, 9999)}" for _ in range(500)]
    several = ["don't", "u.s.a", "i-130", "green card", "e-mail", "3.5", "1,000", "", " ", "--"]
    return [*made_up, *numbers, *years, *mixed, *several, "naïve", "straße", "日本語", "ǅ"]


def test_zipf_frequency_is_wordfreqs() -> None:
    """A sample of the list (the table test covers the rest), the base's words, others."""
    rng = random.Random(20120928)
    words = rng.sample(list(wordfreq.iter_wordlist("en")), 20000)
    knowledge = load_knowledge(KNOWLEDGE)
    texts = [t for e in knowledge.entries.values() for t in (*e.phrasings, e.answer, *e.tags)]
    words += sorted({word for text in texts for word in normalize(text).split()})
    words += _others(rng)
    wrong = [
        (word, english.zipf_frequency(word), wordfreq.zipf_frequency(word, "en"))
        for word in words
        if english.zipf_frequency(word) != wordfreq.zipf_frequency(word, "en")
    ]
    assert not wrong
