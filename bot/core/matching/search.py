"""Search and scoring: the parts of a question against the index, in two stages.

Plain fuzzy ratios over-match ("what is the capital of france" looks like "what is DOMA?"),
so scores rest on informative words: each word is weighted by how rare it is among entries,
words the knowledge base has never seen count against a match, and a phrasing must share at
least one informative word with the question to be considered at all. The first stage ranks
entries by the weight their whole text shares; the second scores their phrasings, and the
final ranking adds rapidfuzz's character-level similarity in one batch call.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from bot.core.matching.index import Index
from bot.core.matching.postings import joined, ranges

__all__ = ["Hit", "Query", "first_stage", "leans_on_context", "occurrences", "search_parts"]

# Occurrences of a query's words in the candidates' phrasings are found by filtering the
# words' whole postings while they are at most this many times the bounds a search would
# look up (small bases), else by searching the postings between the bounds (large ones).
# Either way gives the same result.
_FILTER_RATIO = 3


class Query(NamedTuple):
    """A searched part's words, looked up (a tuple: made for every part of every question)."""

    content: str  # the normalised text's content words (also for the character re-rank)
    token_ids: tuple[int, ...]  # known tokens (after typo correction)
    # Each known token's weight x typo similarity: for the question's side (IDF x English
    # rarity) and for the phrasing's side (IDF alone: a phrasing's extra words, however
    # common in English, such as "today" or "replaced", signal another intent).
    token_weights: tuple[float, ...]
    phrasing_weights: tuple[float, ...]
    topical: tuple[float, ...]  # each token's topicality, for Match.evidence
    total_weight: float  # question side, of all content words, known or not


class Hit(NamedTuple):
    """An entry's best phrasing for one searched part: a Match before rounding."""

    entry: int
    score: float  # rounded as Match.score
    phrasing: int
    coverage: float  # not rounded yet
    precision: float
    evidence: float


def leans_on_context(whole: Query, questions: list[Query], share: float) -> bool:
    """Whether a long message's question sentences hold under `share` of its weight.

    Its known words' weight: each token once, at its highest weight, as a Query keeps it.
    """
    asked: dict[int, float] = {}
    for query in questions:
        for token_id, weight in zip(query.token_ids, query.token_weights, strict=True):
            asked[token_id] = max(weight, asked.get(token_id, 0.0))
    return sum(asked.values()) < share * sum(whole.token_weights)


def search_parts(
    index: Index, queries: list[Query], content_text: Callable[[int], str], *, limit: int
) -> list[list[Hit]]:
    """Each query's best entries, best first, scored for all the queries in one pass.

    The parts of a long message share most of their words and candidates, so they are
    scored together on stacked arrays (rows: one per part and candidate entry; pairs: one
    per part and word): one postings pass, one search of the phrasings, one set of
    per-row reductions. Each part's result is exactly what scoring it
    alone gives: every sum adds the same numbers in the same order, and ties break alike.
    Most arrays are small, where each numpy call costs more than its work: calls are few.
    """
    results: list[list[Hit]] = [[] for _ in queries]
    live = [i for i, q in enumerate(queries) if q.token_ids and q.total_weight > 0]
    if not live:
        return results
    part_queries = [queries[i] for i in live]
    parts, entries = len(live), len(index._entry_ids)
    tuning = index._tuning
    # The parts' words as (part, word) pairs, each part's in its own order, with the
    # first bin of its part (part x entries: every part has a bin per entry; None for
    # one part, whose bins are its entries: most messages are one part).
    pair_sizes = [len(q.token_ids) for q in part_queries]
    pair_tokens = np.array([t for q in part_queries for t in q.token_ids], dtype=np.int64)
    pair_bin = (
        np.array(
            [part * entries for part, size in enumerate(pair_sizes) for _ in range(size)],
            dtype=np.int64,
        )
        if parts > 1
        else None
    )
    # Each pair's weights (question's side, phrasing's side) and topicality: one array.
    pair_weights, pair_idf, pair_topicality = np.array(
        [
            [w for q in part_queries for w in q.token_weights],
            [w for q in part_queries for w in q.phrasing_weights],
            [t for q in part_queries for t in q.topical],
        ]
    )
    bins, row_shared, complete = first_stage(index, pair_tokens, pair_sizes, pair_weights)
    rows = bins.size
    if not rows:
        return results
    # Each row's entry, the rows of each part, and the weight of a row's part.
    row_total: npt.NDArray[np.float64] | float
    if parts == 1:
        row_entry, part_rows, row_total = bins, [rows], part_queries[0].total_weight
    else:
        row_part, row_entry = np.divmod(bins, entries)
        part_rows = np.bincount(row_part, minlength=parts).tolist()
        row_total = np.array([q.total_weight for q in part_queries])[row_part]

    # Stage 2: the phrasings of those entries that share a word with their part, and the
    # weight they share. A row's phrasings are its slots, numbered in a row (as its
    # entry's phrasings are); each slot adds its words in the phrasing's own word order,
    # as summing over its tokens does. Slots that share a word are the groups, ordered by
    # row, then phrasing.
    row, phrasing, pair, rank = occurrences(
        index, pair_tokens, pair_bin, pair_sizes, bins, part_rows, complete=complete
    )
    row_phrasings = index._entry_phrasings[row_entry]
    slot_end = row_phrasings.cumsum()
    slot_shift = slot_end - row_phrasings - index._entry_first[row_entry]
    slot = slot_shift[row] + phrasing  # a row's first slot, plus the phrasing's place
    slots = int(slot_end[-1])
    # Match.evidence: the topicality of the words a slot shares, added in the query's
    # order (occurrences come pair by pair); 8 or more pairwise, as numpy's sum does.
    pair_topical = pair_topicality[pair]
    topicality = np.bincount(slot, pair_topical, slots)
    topical_words = np.bincount(slot, minlength=slots)  # also: does the slot share a word
    by_rank = rank.argsort(kind="stable")  # small integers: a radix sort
    slot_by_rank, pair = slot[by_rank], pair[by_rank]
    shared = np.bincount(slot_by_rank, pair_weights[pair], slots)
    shared_idf = np.bincount(slot_by_rank, pair_idf[pair], slots)
    group = (topical_words != 0).nonzero()[0]
    owners = np.arange(rows).repeat(row_phrasings)[group]
    phrasings = group - slot_shift[owners]
    coverage = shared[group] / (
        row_total[owners] if isinstance(row_total, np.ndarray) else row_total
    )
    precision = shared_idf[group] / index._phrasing_weight[phrasings]
    overlap = overlap_score(coverage, precision, tuning.beta_squared)

    # Per row (part and entry): its best phrasing, how consistently its phrasings cover
    # the question, and how much of the question its whole text (answer included)
    # covers. The best phrasing is the last of the row's highest overlap (as a stable
    # sort by overlap gives); -1 when no phrasing shares a word (found via the answer).
    best_overlap = np.zeros(rows)
    np.maximum.at(best_overlap, owners, overlap)
    at_best = (overlap == best_overlap[owners]).nonzero()[0]
    best = np.empty(rows, dtype=np.int64)
    best.fill(-1)
    np.maximum.at(best, owners[at_best], at_best)
    centrality = np.bincount(owners, coverage, rows) / row_phrasings
    scores = (
        tuning.phrasing_share * best_overlap
        + tuning.centrality_share * centrality
        + (1 - tuning.phrasing_share - tuning.centrality_share) * row_shared / row_total
    )

    # Each part's best rows, best first, ties by index (a part's rows stay in its block);
    # then the character-level re-rank of their best phrasings (one rapidfuzz call a
    # part: one query against many is its fastest form). A row whose phrasings share no
    # word is re-ranked on its entry's first phrasing.
    top_sizes = [min(size, tuning.rerank) for size in part_rows]
    top = joined(
        [
            first + (-scores[first : first + size]).argsort(kind="stable")[:top_size]
            for first, size, top_size in zip(
                itertools.accumulate(part_rows, initial=0), part_rows, top_sizes, strict=False
            )
        ]
    )
    top_best, top_entry = best[top], row_entry[top]
    first_phrasing = index._entry_first[top_entry]
    chosen = (
        np.where(top_best >= 0, phrasings[top_best], first_phrasing).tolist()
        if phrasings.size
        else first_phrasing.tolist()
    )
    picked, entry_list = top_best.tolist(), top_entry.tolist()
    firsts = list(itertools.accumulate(top_sizes, initial=0))
    similarity = joined(
        [
            process.cdist(
                [query.content],
                list(map(content_text, chosen[first : first + size])),
                scorer=fuzz.ratio,
                dtype=np.float32,
            )[0]
            for query, first, size in zip(part_queries, firsts, top_sizes, strict=False)
        ]
    )
    final = (
        100.0 * tuning.token_share * scores[top] + (1 - tuning.token_share) * similarity
    ).tolist()
    for part, first, size in zip(live, firsts, top_sizes, strict=False):
        # Best first, ties in score order (sorted is stable, reversed too).
        for i in sorted(range(first, first + size), key=final.__getitem__, reverse=True)[:limit]:
            best_at = picked[i]
            if best_at < 0:  # no phrasing shares a word
                hit = Hit(entry_list[i], round(final[i], 1), chosen[i], 0.0, 0.0, 0.0)
            else:
                at = group.item(best_at)
                evidence: float = (
                    topicality.item(at)
                    if topical_words.item(at) < 8
                    else float(pair_topical[slot == at].sum())
                )
                hit = Hit(
                    entry_list[i],
                    round(final[i], 1),
                    chosen[i],
                    coverage.item(best_at),
                    precision.item(best_at),
                    evidence,
                )
            results[part].append(hit)
    return results


def occurrences(
    index: Index,
    pair_tokens: npt.NDArray[np.int64],
    pair_bin: npt.NDArray[np.int64] | None,
    pair_sizes: list[int],
    bins: npt.NDArray[np.int64],
    part_rows: list[int],
    *,
    complete: bool,
) -> tuple[
    npt.NDArray[np.int64], npt.NDArray[np.int32], npt.NDArray[np.int64], npt.NDArray[np.integer]
]:
    """Every occurrence of a pair's word in the phrasings of its part's rows' entries.

    Returns each occurrence's row, phrasing, pair, and the word's rank in the phrasing,
    pair by pair. Found by filtering the words' whole postings while they are short (small
    bases), else by searching each word's postings between the bounds of the entries'
    phrasings (postings are by phrasing, and an entry's phrasings are numbered in a row).
    When the rows are `complete` (every entry sharing a word with its part), nothing is
    filtered out: a phrasing's words are in its entry's text.
    """
    postings = index._word_phrasings
    entries = len(index._entry_ids)
    starts, lengths, counts = postings.runs(pair_tokens)
    searched = 2 * sum(rows * words for rows, words in zip(part_rows, pair_sizes, strict=True))
    if sum(lengths) <= _FILTER_RATIO * searched:
        phrasing = postings.items_of(starts, lengths)
        rank = postings.ranks_of(starts, lengths)
        row_of = np.empty(len(pair_sizes) * entries, dtype=np.int64)
        row_of.fill(-1)
        row_of[bins] = np.arange(bins.size)
        in_bin = index._phrasing_entry[phrasing]
        row = row_of[in_bin if pair_bin is None else in_bin + pair_bin.repeat(counts)]
        pair = np.arange(pair_tokens.size).repeat(counts)
        if not complete:
            keep = (row >= 0).nonzero()[0]
            phrasing, rank, row, pair = phrasing[keep], rank[keep], row[keep], pair[keep]
    else:
        found_index, found_row, found_pair = [], [], []
        first_row = first_pair = 0
        row_entry = bins % entries
        for size, words in zip(part_rows, pair_sizes, strict=True):
            bounds = index._entry_phrasing_bounds[row_entry[first_row : first_row + size]]
            found = postings.search(pair_tokens[first_pair : first_pair + words], bounds.ravel())
            low = found[:, 0::2].ravel()
            counts = found[:, 1::2].ravel() - low
            pairs = (counts != 0).nonzero()[0]
            found_index.append(ranges(low[pairs], counts[pairs]))
            word, entry = np.divmod(np.repeat(pairs, counts[pairs]), size)
            found_row.append(entry + first_row)
            found_pair.append(word + first_pair)
            first_row += size
            first_pair += words
        at = np.concatenate(found_index)
        phrasing, rank = postings.items(at), postings.ranks(at)
        row, pair = np.concatenate(found_row), np.concatenate(found_pair)
    return row, phrasing, pair, rank


def first_stage(
    index: Index,
    pair_tokens: npt.NDArray[np.int64],
    pair_sizes: list[int],
    pair_weights: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], bool]:
    """Stage 1: each part's entries by how much of it their whole text covers.

    Cheap, one posting per entry and word, counted part after part in one bin per entry;
    a part keeps its best few hundred. Returns rows as their bins (part x entries + entry:
    by part, entries ascending), the weight each shares, and whether they are complete:
    every entry that shares a word with a part is a row of it. Part by part, because a
    long message's common words have postings in most entries of a large base: all parts
    at once made temporary arrays of tens of megabytes.
    """
    entries, tuning = len(index._entry_ids), index._tuning
    postings = index._entry_postings
    starts, lengths, counts = postings.runs(pair_tokens)
    bins, shared, complete = [], [], True
    bounds = itertools.pairwise(itertools.accumulate(pair_sizes, initial=0))
    for part, (first, last) in enumerate(bounds):
        items = postings.items_of(starts[first:last], lengths[first:last])
        sums = np.bincount(items, pair_weights[first:last].repeat(counts[first:last]), entries)
        hits = (sums != 0).nonzero()[0]  # weights are positive: hits sum to > 0
        if hits.size > tuning.first_stage:
            complete = False
            best = np.argpartition(-sums[hits], tuning.first_stage - 1)
            hits = hits[np.sort(best[: tuning.first_stage])]
        bins.append(hits + part * entries if part else hits)
        shared.append(sums[hits])
    return joined(bins), joined(shared), complete


def overlap_score(
    query_coverage: npt.NDArray[np.float64],
    phrasing_coverage: npt.NDArray[np.float64],
    beta_squared: float,
) -> npt.NDArray[np.float64]:
    """F-beta of question coverage (weighted up) and phrasing coverage by shared words.

    Only phrasings that share a word are scored: both coverages are above 0.
    """
    total = beta_squared * phrasing_coverage + query_coverage
    overlap: npt.NDArray[np.float64] = (1 + beta_squared) * query_coverage * phrasing_coverage
    overlap /= total
    return overlap
