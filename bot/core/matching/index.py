"""The matcher's index over one knowledge base: tokens, weights and postings, built once.

Everything per phrasing is precomputed here into numpy arrays, so a query costs a few array
operations over the postings of its own words (see bot.core.matching.search).
"""

from __future__ import annotations

import itertools
from array import array
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from bot.core.matching.postings import (
    Forward,
    Postings,
    append,
    count,
    first_occurrences,
    respell,
    widened,
)
from bot.core.matching.vocabulary import STOPWORD, Vocabulary
from bot.core.matching.weights import weigh
from bot.core.models import KnowledgeBase
from bot.core.normalize import Normalizer
from bot.core.policy import MatchTuning

__all__ = ["Index"]

# Entries indexed at once: bounds the words held as strings and the temporary arrays.
_BLOCK_ENTRIES = 256
# While the knowledge base has at most this many distinct words (a large one has a few
# thousand), token and word numbers are built in two bytes (array type _NARROW).
_NARROW, _NARROW_WORDS = "H", 1 << 16


class _Indexed(NamedTuple):
    """A block of entries, indexed (see Index._index_texts): flat arrays with lengths."""

    phrasing_tokens: npt.NDArray[np.int64]
    phrasing_lengths: npt.NDArray[np.int64]
    content_ids: npt.NDArray[np.int64]  # each phrasing's content words, as surface positions
    content_lengths: npt.NDArray[np.int64]
    answer_tokens: npt.NDArray[np.int64]  # only counted
    entry_tokens: npt.NDArray[np.int64]
    entry_lengths: npt.NDArray[np.int64]


class Index:
    """An immutable index over one knowledge base; build a new one when the base changes."""

    def __init__(self, knowledge: KnowledgeBase, tuning: MatchTuning) -> None:
        self._tuning = tuning
        # The entries, to read a returned phrasing from (phrasings are not copied here).
        self._entries = list(knowledge.entries.values())
        self._entry_ids: list[str] = list(knowledge.entries)
        self._vocabulary = vocabulary = Vocabulary(tuning)
        # Token lists, flat with their lengths; each phrasing's content words (for character
        # similarity) as surface positions; every token of an entry, once.
        phrasing_tokens, phrasing_lengths = array(_NARROW), array("i")
        content_ids, content_lengths = array(_NARROW), array("i")
        entry_docs, entry_lengths = array(_NARROW), array("i")
        entry_sizes: list[int] = []
        answer_counts = count(())  # how many answers use each token
        normalizer = Normalizer()  # phrasings, answers and tags share most of their words
        entries_left = iter(self._entries)
        while block := list(itertools.islice(entries_left, _BLOCK_ENTRIES)):
            # Texts in order, entry after entry: its phrasings, answer and tags (numbered so).
            texts: list[list[str]] = []  # their words
            block_sizes: list[int] = []
            for entry in block:
                asks, answer_text = entry.texts()
                block_sizes.append(len(asks) + 1)
                texts += map(normalizer.words, (entry.question, *asks))
                texts += (normalizer.words(answer_text), normalizer.words(" ".join(entry.tags)))
            indexed = self._index_texts(texts, block_sizes)
            entry_sizes += block_sizes
            if len(vocabulary.surface) > _NARROW_WORDS and entry_docs.typecode == _NARROW:
                phrasing_tokens, content_ids, entry_docs = map(
                    widened, (phrasing_tokens, content_ids, entry_docs)
                )
            for built, values in zip(
                (phrasing_tokens, phrasing_lengths, content_ids, content_lengths),
                indexed[:4],
                strict=True,
            ):
                append(built, values)
            answer_counts = count(indexed.answer_tokens, answer_counts)
            append(entry_docs, indexed.entry_tokens)
            append(entry_lengths, indexed.entry_lengths)
        vocabulary.close()
        self._content = Forward(content_ids, content_lengths, len(vocabulary.surface_words))

        self._vocabulary_size = size = len(vocabulary.tokens)
        # In how many texts (phrasings and answers) each token occurs.
        counts = count(phrasing_tokens, size=size)
        counts += count((), answer_counts, size)
        vocabulary.fold_variants(counts)
        phrasing_items = respell(phrasing_tokens, phrasing_lengths, vocabulary.variants, size)
        entry_items = respell(entry_docs, entry_lengths, vocabulary.variants, size)
        for variant, target in vocabulary.variants.items():
            counts[target] += counts[variant]
            counts[variant] = 0
        entries = max(len(self._entry_ids), 1)
        document_frequency = count(entry_items[0], size=size).astype(np.float64)
        self._idf, self._weights, self._topical, self._idf_max = weigh(
            vocabulary.surface, vocabulary.tokens, counts, document_frequency, entries, tuning
        )

        phrasing_index = Forward(*phrasing_items, size)  # only to build from
        self._phrasing_weight = phrasing_index.row_sums(self._idf)
        # Token -> the phrasings that use it, with the token's rank in each; token -> entries.
        self._word_phrasings = Postings(
            phrasing_index.flat, phrasing_index.starts, size, ranks=True
        )
        self._entry_postings = Postings(
            entry_items[0], np.concatenate(([0], np.cumsum(entry_items[1]))), size
        )
        sizes = np.asarray(entry_sizes, dtype=np.int32)
        self._phrasing_entry = np.repeat(np.arange(sizes.size, dtype=np.int32), sizes)
        self._entry_first = np.cumsum(sizes, dtype=np.int64) - sizes
        self._entry_phrasings = np.bincount(self._phrasing_entry, minlength=entries)
        self._entry_phrasing_bounds = np.column_stack(
            (self._entry_first, self._entry_first + self._entry_phrasings)
        )

    def _index_texts(self, texts: list[list[str]], sizes: list[int]) -> _Indexed:
        """Index a block of entries' normalised texts, as words: phrasings, answer, tags.

        Each entry has `sizes` phrasings. New words are numbered in order of first appearance,
        so the index is the same whatever the blocks: numbering and float sums follow the order
        of the knowledge base. Each text keeps its tokens once, in order, without stop words;
        an entry its texts' tokens once.
        """
        words = list(itertools.chain.from_iterable(texts))
        positions = self._vocabulary.positions(words)
        content = positions != STOPWORD
        tokens = np.full(positions.size, STOPWORD, dtype=np.int64)
        tokens[content] = self._vocabulary.position_tokens()[positions[content]]
        lengths = np.fromiter(map(len, texts), np.int64, len(texts))
        text_of_word = np.repeat(np.arange(len(texts)), lengths)
        per_entry = np.asarray(sizes, dtype=np.int64) + 2
        entry_of_word = np.repeat(np.arange(len(sizes)), per_entry)[text_of_word]
        phrasing = np.ones(len(texts), dtype=bool)  # which texts are phrasings
        ends = np.cumsum(per_entry)
        phrasing[ends - 1] = phrasing[ends - 2] = False
        answer = np.zeros(len(texts), dtype=bool)
        answer[ends - 2] = True
        in_phrasing = content & phrasing[text_of_word]
        content_ids = positions[in_phrasing]
        content_lengths = np.bincount(text_of_word[in_phrasing], minlength=len(texts))
        size = len(self._vocabulary.tokens)
        kept = first_occurrences(text_of_word, tokens, np.flatnonzero(content), size)
        kept_texts = text_of_word[kept]
        # An entry's first occurrence of a token is also the first in its text: among `kept`.
        entry_kept = first_occurrences(entry_of_word, tokens, kept, size)
        return _Indexed(
            tokens[kept[phrasing[kept_texts]]],
            np.bincount(kept_texts, minlength=len(texts))[phrasing],
            content_ids,
            content_lengths[phrasing],
            tokens[kept[answer[kept_texts]]],
            tokens[entry_kept],
            np.bincount(entry_of_word[entry_kept], minlength=len(sizes)),
        )
