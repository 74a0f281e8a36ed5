"""Flat token lists and postings in CSR form: the arrays the index is built from and searched.

Items (phrasings, entries) are kept as their tokens concatenated with where each starts, so a
query sums word weights with a few array operations; builds go in blocks of about _BLOCK_TOKENS
tokens so no temporary array is as large as the index.
"""

from __future__ import annotations

import itertools
from array import array
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "Forward",
    "Postings",
    "append",
    "blocks",
    "count",
    "first_occurrences",
    "joined",
    "ranges",
    "respell",
    "widened",
]

# Tokens processed at once where index arrays are built from all items' tokens: bounds the
# temporary arrays.
_BLOCK_TOKENS = 1 << 16


def first_occurrences(
    groups: npt.NDArray[np.int64],
    tokens: npt.NDArray[np.int64],
    positions: npt.NDArray[np.int64],
    size: int,
) -> npt.NDArray[np.int64]:
    """Return the `positions` (ascending) whose group and token meet at none of the earlier ones.

    Tokens are below `size`.
    """
    _, first = np.unique(groups[positions] * size + tokens[positions], return_index=True)
    first.sort()
    return positions[first]


def append(target: array[int], values: npt.NDArray[np.int64]) -> None:
    """Append numbers to an array, in its type."""
    target.frombytes(values.astype(target.typecode).tobytes())


def widened(items: array[int]) -> array[int]:
    """Copy token or word numbers kept in two bytes into four (past 65,536 words)."""
    return array("i", items)


def respell(
    tokens: npt.ArrayLike, lengths: npt.ArrayLike, variants: dict[int, int], size: int
) -> tuple[npt.NDArray[np.integer], npt.NDArray[np.int32]]:
    """Replace misspelt tokens by their word's token in flat item lists (tokens, lengths).

    An item that held both spellings now holds its word twice: the later one is dropped.
    The tokens and lengths are rewritten in place (the caller's to drop), block of items after
    block, and the result is views of them: no temporary array as large as the tokens.
    """
    flat = np.asarray(tokens)  # any integer type: rewritten in place
    counts = np.asarray(lengths, dtype=np.int32)  # also rewritten in place
    remap = np.arange(size, dtype=np.int32)
    remap[list(variants)] = list(variants.values())
    starts = np.concatenate(([0], np.cumsum(counts)))
    kept = 0  # tokens written back so far: never past the block being read
    for first, last in blocks(starts):
        block = flat[starts[first] : starts[last]]
        misspelt = np.flatnonzero(remap[block] != block)
        if misspelt.size:
            block[misspelt] = remap[block[misspelt]]
            owner = np.repeat(np.arange(first, last), counts[first:last])
            key = owner * size + block
            order = np.argsort(key, kind="stable")
            repeat = order[1:][key[order[1:]] == key[order[:-1]]]
            counts[first:last] -= np.bincount(owner[repeat] - first, minlength=last - first)
            block = np.delete(block, repeat)
        flat[kept : kept + block.size] = block
        kept += block.size
    return flat[:kept], counts


def joined(arrays: list[npt.NDArray[Any]]) -> npt.NDArray[Any]:
    """np.concatenate of fresh arrays, without a copy when there is one (one part: most)."""
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)


def count(
    tokens: npt.ArrayLike, counts: npt.NDArray[np.int64] | None = None, size: int = 0
) -> npt.NDArray[np.int64]:
    """Add how often each token occurs in `tokens` to `counts` (at least `size` long).

    In blocks: bincount would copy all the tokens to 64-bit integers at once.
    """
    flat = np.asarray(tokens)
    total = np.zeros(max(size, 0 if counts is None else counts.size), dtype=np.int64)
    if counts is not None:
        total[: counts.size] = counts
    for start in range(0, flat.size, _BLOCK_TOKENS):
        found = np.bincount(flat[start : start + _BLOCK_TOKENS])
        if found.size > total.size:
            total = np.concatenate((total, np.zeros(found.size - total.size, dtype=np.int64)))
        total[: found.size] += found
    return total


def blocks(starts: npt.NDArray[np.integer]) -> list[tuple[int, int]]:
    """Split items into runs [first, last) of about _BLOCK_TOKENS tokens each.

    `starts` is where each item's tokens start, then their end; an item longer than a block
    is a run alone.
    """
    items = starts.size - 1
    cuts = np.searchsorted(starts, np.arange(_BLOCK_TOKENS, int(starts[-1]), _BLOCK_TOKENS))
    return list(itertools.pairwise(sorted({0, items, *cuts.tolist()})))


def ranges(
    starts: npt.NDArray[np.integer], lengths: npt.NDArray[np.integer]
) -> npt.NDArray[np.int64]:
    """Concatenate the integer ranges [start, start + length), vectorised."""
    total = int(lengths.sum())
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return offsets + np.arange(total, dtype=np.int64)


class Forward:
    """Item -> tokens in CSR form, for summing word weights over a chosen set of items."""

    def __init__(self, tokens: npt.ArrayLike, lengths: npt.ArrayLike, size: int) -> None:
        """Index items given as their tokens, concatenated, and each item's token count.

        Tokens are below `size`, and kept in the smallest type that holds them (2 bytes for
        fewer than 65,536 words); where each item starts, in 4 bytes while that is enough.
        """
        counts = np.asarray(lengths)
        wide = int(counts.sum(dtype=np.int64)) >= 2**31
        # Summed straight into the kept array: no int64 copies as large as the items.
        self._start: npt.NDArray[np.integer] = np.zeros(
            counts.size + 1, dtype=np.int64 if wide else np.int32
        )
        np.cumsum(counts, out=self._start[1:])
        self._tokens = np.array(tokens, dtype=np.min_scalar_type(max(size - 1, 0)))

    @property
    def flat(self) -> npt.NDArray[np.integer]:
        """Every item's tokens, concatenated."""
        return self._tokens

    @property
    def starts(self) -> npt.NDArray[np.integer]:
        """Where each item's tokens start in `flat`, then their end."""
        return self._start

    def row_sums(self, table: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """For every item, the sum of `table` over its tokens: `table[tokens].sum()`, exactly.

        numpy adds fewer than 8 numbers one after another, as bincount does; 8 or more it adds
        pairwise, in another order (other rounding): those few items are summed one by one.
        Items go in blocks, so that no temporary array is as large as the tokens.
        """
        sums = np.zeros(self._start.size - 1, dtype=np.float64)
        for first, last in blocks(self._start):
            starts = self._start[first : last + 1]
            lengths = np.diff(starts)
            owner = np.repeat(np.arange(lengths.size), lengths)
            values = table[self._tokens[starts[0] : starts[-1]]]
            sums[first:last] = np.bincount(owner, weights=values, minlength=lengths.size)
        for item in np.flatnonzero(np.diff(self._start) >= 8):
            sums[item] = table[self._tokens[self._start[item] : self._start[item + 1]]].sum()
        return sums

    def tokens(self, item: int) -> list[int]:
        """One item's tokens."""
        start, end = self._start[item : item + 2].tolist()
        return self._tokens[start:end].tolist()  # type: ignore[no-any-return]


class Postings:
    """Token -> item ids in CSR form, for summing a query's shared weight per item."""

    def __init__(
        self,
        item_tokens: npt.ArrayLike,
        item_start: npt.NDArray[np.integer],
        vocabulary_size: int,
        *,
        ranks: bool = False,
    ) -> None:
        """Index items given as their tokens, concatenated, and where each item's start.

        `item_start` ends with where the last item ends. With `ranks`, each posting also keeps
        the token's rank among its item's tokens. Postings are grouped by token, items
        ascending within a token: a stable counting sort, block of items after block, so no
        temporary array is as large as the postings.
        """
        tokens = np.asarray(item_tokens)  # any integer type: not copied
        start = np.concatenate(([0], np.cumsum(count(tokens, size=vocabulary_size))))
        self._items = np.empty(tokens.size, dtype=np.int32)
        runs = blocks(item_start)
        # The longest item, block by block: no temporary array as long as the items.
        longest = (int(np.diff(item_start[first : last + 1]).max()) for first, last in runs)
        rank_limit = max(1, max(longest, default=0)) if ranks else 1
        self._ranks = np.zeros(tokens.size if ranks else 0, dtype=np.min_scalar_type(rank_limit))
        free = start[:-1].copy()  # where each token's next posting goes
        for first, last in runs:
            low, high = int(item_start[first]), int(item_start[last])
            block = tokens[low:high]
            order = np.argsort(block, kind="stable")
            grouped = block[order]
            # Each posting's place: its token's next free slot plus its rank among the
            # block's postings of that token.
            run = np.searchsorted(grouped, grouped)
            place = free[grouped] + np.arange(grouped.size) - run
            lengths = np.diff(item_start[first : last + 1])
            owners = np.repeat(np.arange(first, last, dtype=np.int32), lengths)
            self._items[place] = owners[order]
            if ranks:  # an item's tokens are numbered in a row: rank = position - item's first
                self._ranks[place] = order + low - item_start[owners[order]]
            free += np.bincount(block, minlength=vocabulary_size)
        # Each token's run of postings: where it starts, and its length.
        self._runs = np.column_stack((start[:-1], np.diff(start))).astype(np.int64)

    def items(self, postings: npt.NDArray[np.int64]) -> npt.NDArray[np.int32]:
        """Return the items at these indices of the postings (every token's, concatenated)."""
        return self._items[postings]

    def ranks(self, postings: npt.NDArray[np.int64]) -> npt.NDArray[np.integer]:
        """Return the token's rank in its item at these indices of the postings (`ranks`)."""
        return self._ranks[postings]

    def runs(
        self, token_ids: npt.NDArray[np.int64]
    ) -> tuple[list[int], list[int], npt.NDArray[np.int64]]:
        """Return where each token's items start in the postings, and how many it has.

        The counts come twice: as a list, and as an array (to repeat a value per posting).
        """
        starts, lengths = self._runs[:, 0][token_ids], self._runs[:, 1][token_ids]
        return starts.tolist(), lengths.tolist(), lengths

    def items_of(self, starts: list[int], lengths: list[int]) -> npt.NDArray[np.int32]:
        """Return the items of these runs of the postings, concatenated."""
        items = self._items
        return np.concatenate([items[s : s + n] for s, n in zip(starts, lengths, strict=True)])

    def ranks_of(self, starts: list[int], lengths: list[int]) -> npt.NDArray[np.integer]:
        """Return the ranks (`ranks`) of these runs of the postings, concatenated."""
        ranks = self._ranks
        return np.concatenate([ranks[s : s + n] for s, n in zip(starts, lengths, strict=True)])

    def search(
        self, token_ids: npt.NDArray[np.int64], bounds: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.int64]:
        """Return where each of `bounds` (ascending) falls in each token's items: [token, bound]."""
        bounds = bounds.astype(self._items.dtype)  # as the items: no conversion per search
        found = np.empty((token_ids.size, bounds.size), dtype=np.int64)
        for row, (start, length) in enumerate(self._runs[token_ids].tolist()):
            items = self._items[start : start + length]
            np.add(items.searchsorted(bounds), start, out=found[row])
        return found
