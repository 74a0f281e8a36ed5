"""Realistic typing slips for benchmark workloads (shared by the benchmark scripts)."""

from __future__ import annotations

import random


def misspell(text: str, rng: random.Random, typos: int) -> str:
    """Make `typos` keyboard slips (swap, drop, double, wrong vowel) in words of 4+ letters.

    Why: chat is typed fast; a realistic workload makes the matcher's typo correction work.
    """
    words = text.split(" ")
    candidates = [i for i, word in enumerate(words) if len(word) >= 4 and word.isalpha()]
    for index in rng.sample(candidates, min(typos, len(candidates))):
        word = words[index]
        at = rng.randrange(1, len(word) - 1)
        kind = rng.randrange(4)
        if kind == 0:
            word = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
        elif kind == 1:
            word = word[:at] + word[at + 1 :]
        elif kind == 2:
            word = word[:at] + word[at] + word[at:]
        else:
            word = word[:at] + rng.choice("aeiou") + word[at + 1 :]
        words[index] = word
    return " ".join(words)
