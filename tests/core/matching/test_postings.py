"""The matcher's index arrays: sums, forward rows and respelt postings, built exactly."""

from __future__ import annotations

from array import array

import numpy as np
import pytest

from bot.core.matching import postings as postings_module
from bot.core.matching.postings import Forward, Postings, respell


def test_row_sums_add_exactly_as_numpy_sum_does() -> None:
    rng = np.random.default_rng(7)
    table = rng.random(500) * 7
    rows = [list(rng.integers(0, 500, rng.integers(0, 20))) for _ in range(3000)]
    forward = Forward([t for row in rows for t in row], [len(row) for row in rows], table.size)
    sums = forward.row_sums(table)
    assert all(sums[i] == table[row].sum() for i, row in enumerate(rows))
    assert [forward.tokens(i) for i in (5, 0, 5)] == [rows[5], rows[0], rows[5]]


@pytest.mark.parametrize("block", [4, 1 << 16])
def test_respelling_in_blocks_drops_each_items_later_repeat(
    block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postings_module, "_BLOCK_TOKENS", block)
    rng = np.random.default_rng(3)
    rows = [
        list(dict.fromkeys(rng.integers(0, 30, rng.integers(0, 9)).tolist())) for _ in range(400)
    ]
    variants = {3: 4, 7: 1, 29: 0}
    tokens, lengths = respell(
        array("i", [t for row in rows for t in row]), [len(row) for row in rows], variants, 30
    )
    expected = [list(dict.fromkeys(variants.get(t, t) for t in row)) for row in rows]
    assert tokens.tolist() == [t for row in expected for t in row]
    assert lengths.tolist() == [len(row) for row in expected]
    postings = Postings(tokens, np.concatenate(([0], np.cumsum(lengths))), 30, ranks=True)
    for token in range(30):
        owners = [i for i, row in enumerate(expected) if token in row]
        (start,), (length,), _ = postings.runs(np.array([token]))
        index = np.arange(start, start + length)
        assert postings.items(index).tolist() == owners
        assert postings.ranks(index).tolist() == [expected[i].index(token) for i in owners]
