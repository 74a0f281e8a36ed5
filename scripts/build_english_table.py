"""Write bot/core/data/english_frequencies.npz from the installed wordfreq's English list.

Run it again after upgrading wordfreq (tests/core/test_english.py fails until then):
    .venv/bin/python scripts/build_english_table.py
"""

from __future__ import annotations

import numpy as np
from wordfreq import get_frequency_list

from bot.core.english import TABLE, word_hash


def main() -> None:
    """Write the table; refuse if two words of the list share a hash."""
    hashes: list[int] = []
    bands: list[int] = []
    # Band b holds the words of frequency 10 ** (-b / 100), as wordfreq's own dictionary.
    for band, words in enumerate(get_frequency_list("en", "best")):
        hashes += map(word_hash, words)
        bands += [band] * len(words)
    keys = np.array(hashes, dtype=np.uint64)
    values = np.array(bands, dtype=np.uint16)
    if max(bands, default=0) >= 2**16:
        raise SystemExit("more bands than 16 bits hold")
    order = np.argsort(keys, kind="stable")
    keys, values = keys[order], values[order]
    if np.unique(keys).size != keys.size:
        raise SystemExit("two words of the list share a hash: choose another hash")
    TABLE.parent.mkdir(parents=True, exist_ok=True)
    np.savez(TABLE, hashes=keys, bands=values)
    print(f"{keys.size} words -> {TABLE} ({TABLE.stat().st_size:,} bytes)")  # noqa: T201


if __name__ == "__main__":
    main()
