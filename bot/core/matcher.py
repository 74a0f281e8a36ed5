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

import itertools
import math
from array import array
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from bot.core.english import zipf_frequency
from bot.core.models import KnowledgeBase
from bot.core.normalize import STOPWORDS, Normalizer, content_words, normalize, sentences, stem
from bot.core.triage import looks_like_question

__all__ = ["Match", "Matcher"]

# Share of the final score from word overlap; the rest is character-level similarity.
_TOKEN_SHARE = 0.85
# How many entries get the (more expensive) character-level re-rank.
_RERANK = 24
# How many entries the cheap first stage passes to phrasing-level scoring.
_FIRST_STAGE = 256
# Messages longer than this are also searched question by question (at most this many, so a
# wall of text costs a bounded time).
_LONG_MESSAGE = 80
_MAX_SENTENCES = 8
# A long message is searched as a whole too only while its question sentences hold less than
# this share of the weight of its words the knowledge base knows: the question then leans on
# the rest of the message. (Unknown words are left out: chat around a question is mostly
# words no entry uses, "pinned", "lurker", which would outweigh the question.)
_QUESTION_SHARE = 0.5
# Share of the word score from the entry as a whole: how consistently its phrasings cover the
# question. An entry *about* a concept repeats it; one that mentions it once is less likely.
_CENTRALITY_SHARE = 0.2
# Share of the word score from the best single phrasing; the rest comes from the entry's
# whole text (phrasings, answer, tags), which catches paraphrases in the answer's own words.
_PHRASING_SHARE = 0.55
# Question coverage counts this many times more than phrasing coverage (an F-beta score):
# a phrasing with extra context words still answers a short question.
_BETA_SQUARED = 4.0
# General-English frequency (Zipf scale) at which a word stops carrying any topic, and the
# least weight a word keeps: "affected" or "capital" should matter less than "DOMA".
_COMMON_ZIPF, _RARE_ZIPF, _MIN_RARITY = 7.0, 3.0, 0.4
# Topicality gained per tenfold excess of a word's frequency in the knowledge base over
# English: 10x ("help") -> 0.65, 30x ("policy", "family") -> 0.77, 100x -> 0.9.
_KEYNESS_SLOPE = 0.25
# Typo correction: minimum rapidfuzz ratio to map an unknown word to a known one, by length.
_TYPO_CUTOFF_SHORT, _TYPO_CUTOFF_LONG = 85.0, 80.0
_MIN_TYPO_LENGTH = 3
# A word this common in English is a real word, not a typo of a knowledge-base word
# ("france" is not "finance"); British spellings such as "defence" stay below it.
_REAL_WORD_ZIPF = 4.6


@dataclass(frozen=True, slots=True)
class Match:
    """An entry's best phrasing for a question, with a 0-100 score."""

    entry_id: str
    score: float
    phrasing: str
    coverage: float = 0.0  # share of the question's informative weight the phrasing explains
    precision: float = 0.0  # share of the phrasing's weight the question's words explain
    # How topical the shared words are, summed (question words and talk about the
    # conversation left out): each word counts 0.4 when everyday and incidental here ("time",
    # "think") up to 1.0 when rare in English ("DOMA") or far more frequent in this knowledge
    # base than in English ("policy", "married"). Chat such as "what time is it" shares one
    # incidental word with some phrasing; a real question shares its topic.
    evidence: float = 0.0


class _Query(NamedTuple):
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


class _Hit(NamedTuple):
    """An entry's best phrasing for one searched part: a Match before rounding."""

    entry: int
    score: float  # rounded as Match.score
    phrasing: int
    coverage: float  # not rounded yet
    precision: float
    evidence: float


class Matcher:
    """An immutable index over one knowledge base; build a new one when the base changes."""

    def __init__(self, knowledge: KnowledgeBase) -> None:
        # The entries, to read a returned phrasing from (no list of a million phrasings).
        self._entries = list(knowledge.entries.values())
        self._entry_ids: list[str] = list(knowledge.entries)
        self._vocabulary: dict[str, int] = {}
        self._surface: dict[str, str] = {}  # a word as written in the knowledge base -> stem
        # Every word seen -> its position in _surface (stop words: _STOPWORD), and each of
        # those words' token id: for indexing a block of words at C speed.
        self._surface_ids: dict[str, int] = dict.fromkeys(STOPWORDS, _STOPWORD)
        self._surface_tokens: list[int] = []
        # Token lists, flat with their lengths (C ints: a million small lists cost ~150 MB).
        # Tokens and words are numbered from 0: two bytes each while there are few enough.
        phrasing_tokens, phrasing_lengths = array(_NARROW), array("i")
        # Each phrasing's content words (for character similarity) as positions in
        # _surface_words: a million strings would cost ~100 MB.
        content_ids, content_lengths = array(_NARROW), array("i")
        entry_sizes: list[int] = []
        # Every token of an entry, once: phrasings, answer, tags.
        entry_docs, entry_lengths = array(_NARROW), array("i")
        # How many answers use each token: counted block by block (the tokens are not kept).
        answer_counts = _count(())
        normalizer = Normalizer()  # answers and tags share most of their words' chunks
        entries_left = iter(knowledge.entries.values())
        while block := list(itertools.islice(entries_left, _BLOCK_ENTRIES)):
            # Texts in order, entry after entry: its phrasings, answer and tags (numbered so).
            texts: list[list[str]] = []  # their words
            block_sizes: list[int] = []
            for entry in block:
                asks, answer_text = entry.texts()
                keys = list(map(normalizer, (entry.question, *asks)))
                block_sizes.append(len(keys))
                texts += map(str.split, keys)
                texts += (normalizer.words(answer_text), normalizer.words(" ".join(entry.tags)))
            indexed = self._index_texts(texts, block_sizes)
            entry_sizes += block_sizes
            if len(self._surface) > _NARROW_WORDS and entry_docs.typecode == _NARROW:
                phrasing_tokens, content_ids, entry_docs = map(
                    _widened, (phrasing_tokens, content_ids, entry_docs)
                )
            for built, values in zip(
                (phrasing_tokens, phrasing_lengths, content_ids, content_lengths),
                indexed[:4],
                strict=True,
            ):
                _append(built, values)
            answer_counts = _count(indexed.answer_tokens, answer_counts)
            _append(entry_docs, indexed.entry_tokens)
            _append(entry_lengths, indexed.entry_lengths)
        self._surface_words = list(self._surface)
        self._content = _Forward(content_ids, content_lengths, len(self._surface_words))
        del content_ids, content_lengths, self._surface_ids, self._surface_tokens

        vocabulary_size = len(self._vocabulary)
        # In how many texts (phrasings and answers) each token occurs.
        counts = _count(phrasing_tokens, size=vocabulary_size)
        counts += _count((), answer_counts, vocabulary_size)
        del answer_counts
        self._variants = self._spelling_variants(counts)
        phrasing_items = _respell(
            phrasing_tokens, phrasing_lengths, self._variants, vocabulary_size
        )
        del phrasing_tokens, phrasing_lengths
        entry_items = _respell(entry_docs, entry_lengths, self._variants, vocabulary_size)
        del entry_docs, entry_lengths
        for variant, target in self._variants.items():
            counts[target] += counts[variant]
            counts[variant] = 0
        self._surface_stems = [self._surface[word] for word in self._surface_words]
        self._typo_choices = [*self._surface_words, *_TYPO_STOPWORDS]
        entries = max(len(self._entry_ids), 1)
        document_frequency = _count(entry_items[0], size=vocabulary_size).astype(np.float64)
        rarity = np.full(vocabulary_size, _MIN_RARITY, dtype=np.float64)
        everyday = np.ones(vocabulary_size, dtype=np.float64)  # rarity of the commonest form
        english = np.zeros(vocabulary_size, dtype=np.float64)  # frequency of the commonest form
        for word, token in self._surface.items():
            token_id = self._vocabulary[token]
            rarity[token_id] = max(rarity[token_id], _rarity(word))
            everyday[token_id] = min(everyday[token_id], _rarity(word))
            english[token_id] = max(english[token_id], 10.0 ** (_zipf(word) - 9))
        # How topical a word is for *this* knowledge base: rare in English ("DOMA"), or far
        # more frequent here than in English ("policy", "married", "family": keyness).
        keyness = np.log10(
            np.maximum(counts, 0.5) / max(counts.sum(), 1) / np.maximum(english, 1e-9)
        )
        self._topical = np.maximum(
            everyday, np.clip(_MIN_RARITY + _KEYNESS_SLOPE * keyness, _MIN_RARITY, 1.0)
        )
        self._topical[
            [self._vocabulary[stem(w)] for w in _QUESTION_WORDS if stem(w) in self._vocabulary]
        ] = 0.0
        # A word's weight: how well it separates entries (smoothed IDF) times how topical it
        # is in English at large; a word no entry uses weighs as much as the rarest one.
        self._idf_max = math.log1p(entries)
        self._idf = np.log1p(entries / np.maximum(document_frequency, 1.0))
        self._weights = self._idf * rarity

        # Each phrasing's tokens: only to build from (the postings hold them for queries).
        phrasing_index = _Forward(*phrasing_items, vocabulary_size)
        del phrasing_items  # the forward index holds them now, tokens in their smallest type
        self._phrasing_weight = phrasing_index.row_sums(self._idf)
        # Token -> the phrasings that use it, with the token's rank in each. The postings
        # are the largest builds: this one goes first, while the entries' tokens are still
        # half the size of their postings, and arrays not needed for them come after both.
        self._word_phrasings = _Postings(
            phrasing_index.flat, phrasing_index.starts, vocabulary_size, ranks=True
        )
        del phrasing_index
        self._entry_postings = _Postings(
            entry_items[0], np.concatenate(([0], np.cumsum(entry_items[1]))), vocabulary_size
        )
        del entry_items  # each big temporary goes before the next index array is built
        sizes = np.asarray(entry_sizes, dtype=np.int32)
        self._phrasing_entry = np.repeat(np.arange(sizes.size, dtype=np.int32), sizes)
        self._entry_first = np.cumsum(sizes, dtype=np.int64) - sizes
        self._entry_phrasings = np.bincount(self._phrasing_entry, minlength=entries)
        self._entry_phrasing_bounds = np.column_stack(
            (self._entry_first, self._entry_first + self._entry_phrasings)
        )
        self._vocabulary_size = vocabulary_size
        self._caches()

    def _caches(self) -> None:
        """Create the caches of query work (not pickled with the index)."""
        self._word = lru_cache(maxsize=8192)(self._word_uncached)
        # Entries keep their phrasings packed, and the index their content words as numbers:
        # the texts of those that come up often are kept.
        self._entry_phrasings_cached = lru_cache(maxsize=2048)(self._unpacked_phrasings)
        self._content_text = lru_cache(maxsize=32768)(self._content_text_uncached)

    def _unpacked_phrasings(self, entry: int) -> tuple[str, ...]:
        return self._entries[entry].phrasings

    def _content_text_uncached(self, phrasing: int) -> str:
        words = self._surface_words
        return " ".join(map(words.__getitem__, self._content.tokens(phrasing)))

    def _phrasing(self, entry: int, phrasing: int) -> str:
        """Return a phrasing's text (it is one of that entry's), as the knowledge base has it."""
        first: int = self._entry_first.item(entry)
        return self._entry_phrasings_cached(entry)[phrasing - first]

    def __getstate__(self) -> dict[str, object]:
        """Pickle the index (for the engine cache), not its caches of query work."""
        state = dict(self.__dict__)
        del state["_word"], state["_entry_phrasings_cached"], state["_content_text"]
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._caches()

    def _index_texts(self, texts: list[list[str]], sizes: list[int]) -> _Indexed:
        """Index a block of entries' normalised texts, as words: phrasings, answer, tags.

        Each entry has `sizes` phrasings. New words are numbered in order of first appearance,
        so the index is the same whatever the blocks: numbering and float sums follow the order
        of the knowledge base. Each text keeps its tokens once, in order, without stop words;
        an entry its texts' tokens once.
        """
        words = list(itertools.chain.from_iterable(texts))
        positions = self._surface_positions(words)
        content = positions != _STOPWORD
        tokens = np.full(positions.size, _STOPWORD, dtype=np.int64)
        tokens[content] = np.array(self._surface_tokens, dtype=np.int64)[positions[content]]
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
        size = len(self._vocabulary)
        kept = _first_occurrences(text_of_word, tokens, np.flatnonzero(content), size)
        kept_texts = text_of_word[kept]
        # An entry's first occurrence of a token is also the first in its text: among `kept`.
        entry_kept = _first_occurrences(entry_of_word, tokens, kept, size)
        return _Indexed(
            tokens[kept[phrasing[kept_texts]]],
            np.bincount(kept_texts, minlength=len(texts))[phrasing],
            content_ids,
            content_lengths[phrasing],
            tokens[kept[answer[kept_texts]]],
            tokens[entry_kept],
            np.bincount(entry_of_word[entry_kept], minlength=len(sizes)),
        )

    def _surface_positions(self, words: list[str]) -> npt.NDArray[np.int64]:
        """Return each word's position in _surface (stop words: _STOPWORD), adding new ones.

        New words are added in order of first appearance, with their stems if new.
        """
        found = map(self._surface_ids.get, words, itertools.repeat(_NEW))
        positions = np.fromiter(found, np.int64, len(words))
        new = np.flatnonzero(positions == _NEW).tolist()
        if new:
            for word in dict.fromkeys(map(words.__getitem__, new)):
                self._surface_ids[word] = len(self._surface)
                self._surface[word] = token = stem(word)
                self._surface_tokens.append(
                    self._vocabulary.setdefault(token, len(self._vocabulary))
                )
            positions[new] = [self._surface_ids[words[index]] for index in new]
        return positions

    def _spelling_variants(self, counts: npt.NDArray[np.int64]) -> dict[int, int]:
        """Map the knowledge base's own misspellings to the token of the word they misspell.

        Moderators add misspelt phrasings ("prosecutoral discresion") so that typed typos
        match; folded into the word they misspell, they match the correct spelling too, and
        a typo in a question is corrected to the word, not to another typo of it.
        """
        english = {
            self._surface[word]
            for word in self._surface
            if word.isdigit() or _zipf(word) >= _VARIANT_ZIPF
        }
        # A word used at least _VARIANT_RATIO times can be misspelt; one English knows
        # (or that shares its stem with one English knows) is not a misspelling.
        choices = [
            word
            for word, token in self._surface.items()
            if counts[self._vocabulary[token]] >= _VARIANT_RATIO
        ]
        candidates = [
            word
            for word, token_stem in self._surface.items()
            if token_stem not in english and len(word) >= _VARIANT_LENGTH
        ]
        choice_tokens = np.fromiter(
            (self._vocabulary[self._surface[word]] for word in choices),
            dtype=np.int64,
            count=len(choices),
        )
        # Typos seldom touch the first letter: each word is compared with the choices that
        # share its first letter only (in their order: ties go the same way).
        groups: dict[str, tuple[list[int], list[int]]] = {}  # letter -> candidates, choices
        for index, word in enumerate(candidates):
            groups.setdefault(word[0], ([], []))[0].append(index)
        for index, word in enumerate(choices):
            if word[0] in groups:
                groups[word[0]][1].append(index)
        targets: dict[int, int] = {}  # candidate -> the token it misspells
        for rows, columns_in in groups.values():
            if not columns_in:
                continue
            others = [choices[column] for column in columns_in]
            other_tokens = choice_tokens[columns_in]
            for start in range(0, len(rows), _VARIANT_BLOCK):
                block = rows[start : start + _VARIANT_BLOCK]
                similar = process.cdist(
                    [candidates[index] for index in block],
                    others,
                    scorer=fuzz.ratio,
                    score_cutoff=_TYPO_CUTOFF_LONG,
                    dtype=np.uint8,
                    workers=-1,
                )
                for row, index in enumerate(block):
                    word = candidates[index]
                    token = self._vocabulary[self._surface[word]]
                    columns = np.flatnonzero(similar[row])
                    for column in columns[np.argsort(-similar[row, columns], kind="stable")]:
                        target, other = int(other_tokens[column]), others[column]
                        if (
                            target != token
                            and counts[target] >= _VARIANT_RATIO * counts[token]
                            and abs(len(other) - len(word)) <= 1
                        ):
                            targets[index] = target
                            break
        variants: dict[int, int] = {}
        for index in sorted(targets):  # in the candidates' order: the first one's target wins
            token = self._vocabulary[self._surface[candidates[index]]]
            variants.setdefault(token, targets[index])
        return variants

    def search(self, text: str, *, limit: int = 5) -> list[Match]:
        """Return the best-scoring entries for `text`, best first, one match per entry.

        Long messages are also scored question by question, keeping each entry's best, so a
        question wrapped in greetings, thanks and a story is still found. The whole message
        is scored as well only when the question leans on the rest of it ("We married in Iowa
        in 2011 and she has been here since 2005. Does it help us?"): otherwise it adds the
        wrapping's words, and the longest part is most of the cost of a long message.
        """
        parts = [text]
        if len(text) > _LONG_MESSAGE:
            questions = [part for part in sentences(text) if looks_like_question(part)]
            parts += questions[:_MAX_SENTENCES]
        found = list(map(self._query, dict.fromkeys(parts)))
        if len(found) > 1 and not self._leans_on_context(found[0], found[1:]):
            del found[0]
        # Parts with the same content words are the same query, with the same hits ("hi!
        # what is DOMA? thanks" is its question alone): each is scored once.
        queries: dict[str, _Query] = {}
        for query in found:
            queries.setdefault(query.content, query)
        best: dict[int, _Hit] = {}
        for hits in self._search_parts(list(queries.values()), limit=limit):
            for hit in hits:
                if hit.entry not in best or hit.score > best[hit.entry].score:
                    best[hit.entry] = hit
        # Match objects only for what is returned (arguments by position: a third cheaper).
        return [
            Match(
                self._entry_ids[hit.entry],
                hit.score,
                self._phrasing(hit.entry, hit.phrasing),
                round(hit.coverage, 3),
                round(hit.precision, 3),
                round(hit.evidence, 3),
            )
            for hit in sorted(best.values(), key=lambda h: -h.score)[:limit]
        ]

    def _leans_on_context(self, whole: _Query, questions: list[_Query]) -> bool:
        """Whether a long message's question sentences hold under _QUESTION_SHARE of its weight.

        Its known words' weight: each token once, at its highest weight, as _query keeps it.
        """
        asked: dict[int, float] = {}
        for query in questions:
            for token_id, weight in zip(query.token_ids, query.token_weights, strict=True):
                asked[token_id] = max(weight, asked.get(token_id, 0.0))
        return sum(asked.values()) < _QUESTION_SHARE * sum(whole.token_weights)

    def _search_parts(self, queries: list[_Query], *, limit: int) -> list[list[_Hit]]:
        """Each query's best entries, best first, scored for all the queries in one pass.

        The parts of a long message share most of their words and candidates, so they are
        scored together on stacked arrays (rows: one per part and candidate entry; pairs: one
        per part and word): one postings pass, one search of the phrasings, one set of
        per-row reductions. Each part's result is exactly what scoring it
        alone gives: every sum adds the same numbers in the same order, and ties break alike.
        Most arrays are small, where each numpy call costs more than its work: calls are few.
        """
        results: list[list[_Hit]] = [[] for _ in queries]
        live = [i for i, q in enumerate(queries) if q.token_ids and q.total_weight > 0]
        if not live:
            return results
        part_queries = [queries[i] for i in live]
        parts, entries = len(live), len(self._entry_ids)
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
        bins, row_shared, complete = self._first_stage(pair_tokens, pair_sizes, pair_weights)
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
        row, phrasing, pair, rank = self._occurrences(
            pair_tokens, pair_bin, pair_sizes, bins, part_rows, complete=complete
        )
        row_phrasings = self._entry_phrasings[row_entry]
        slot_end = row_phrasings.cumsum()
        slot_shift = slot_end - row_phrasings - self._entry_first[row_entry]
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
        # (nonzero of a mask, not of the counts: the same indices, several times faster, as
        # numpy finds a mask's indices without a branch per element; likewise elsewhere.)
        group = (topical_words != 0).nonzero()[0]
        owners = np.arange(rows).repeat(row_phrasings)[group]
        phrasings = group - slot_shift[owners]
        coverage = shared[group] / (
            row_total[owners] if isinstance(row_total, np.ndarray) else row_total
        )
        precision = shared_idf[group] / self._phrasing_weight[phrasings]
        overlap = _overlap_score(coverage, precision)

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
            _PHRASING_SHARE * best_overlap
            + _CENTRALITY_SHARE * centrality
            + (1 - _PHRASING_SHARE - _CENTRALITY_SHARE) * row_shared / row_total
        )

        # Each part's best rows, best first, ties by index (a part's rows stay in its block);
        # then the character-level re-rank of their best phrasings (one rapidfuzz call a
        # part: one query against many is its fastest form). A row whose phrasings share no
        # word is re-ranked on its entry's first phrasing.
        top_sizes = [min(size, _RERANK) for size in part_rows]
        top = _joined(
            [
                first + (-scores[first : first + size]).argsort(kind="stable")[:top_size]
                for first, size, top_size in zip(
                    itertools.accumulate(part_rows, initial=0), part_rows, top_sizes, strict=False
                )
            ]
        )
        top_best, top_entry = best[top], row_entry[top]
        first_phrasing = self._entry_first[top_entry]
        chosen = (
            np.where(top_best >= 0, phrasings[top_best], first_phrasing).tolist()
            if phrasings.size
            else first_phrasing.tolist()
        )
        picked, entry_list = top_best.tolist(), top_entry.tolist()
        firsts = list(itertools.accumulate(top_sizes, initial=0))
        similarity = _joined(
            [
                process.cdist(
                    [query.content],
                    list(map(self._content_text, chosen[first : first + size])),
                    scorer=fuzz.ratio,
                    dtype=np.float32,
                )[0]
                for query, first, size in zip(part_queries, firsts, top_sizes, strict=False)
            ]
        )
        final = (100.0 * _TOKEN_SHARE * scores[top] + (1 - _TOKEN_SHARE) * similarity).tolist()
        for part, first, size in zip(live, firsts, top_sizes, strict=False):
            # Best first, ties in score order (sorted is stable, reversed too).
            for i in sorted(range(first, first + size), key=final.__getitem__, reverse=True)[
                :limit
            ]:
                index = picked[i]
                if index < 0:  # no phrasing shares a word
                    hit = _Hit(entry_list[i], round(final[i], 1), chosen[i], 0.0, 0.0, 0.0)
                else:
                    at = group.item(index)
                    evidence: float = (
                        topicality.item(at)
                        if topical_words.item(at) < 8
                        else float(pair_topical[slot == at].sum())
                    )
                    hit = _Hit(
                        entry_list[i],
                        round(final[i], 1),
                        chosen[i],
                        coverage.item(index),
                        precision.item(index),
                        evidence,
                    )
                results[part].append(hit)
        return results

    def _occurrences(
        self,
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
        postings = self._word_phrasings
        entries = len(self._entry_ids)
        starts, lengths, counts = postings.runs(pair_tokens)
        searched = 2 * sum(rows * words for rows, words in zip(part_rows, pair_sizes, strict=True))
        if sum(lengths) <= _FILTER_RATIO * searched:
            phrasing = postings.items_of(starts, lengths)
            rank = postings.ranks_of(starts, lengths)
            row_of = np.empty(len(pair_sizes) * entries, dtype=np.int64)
            row_of.fill(-1)
            row_of[bins] = np.arange(bins.size)
            in_bin = self._phrasing_entry[phrasing]
            row = row_of[in_bin if pair_bin is None else in_bin + pair_bin.repeat(counts)]
            pair = np.arange(pair_tokens.size).repeat(counts)
            if not complete:
                keep = (row >= 0).nonzero()[0]  # indices: cheaper than 4 boolean subscripts
                phrasing, rank, row, pair = phrasing[keep], rank[keep], row[keep], pair[keep]
        else:
            found_index, found_row, found_pair = [], [], []
            first_row = first_pair = 0
            row_entry = bins % entries
            for size, words in zip(part_rows, pair_sizes, strict=True):
                bounds = self._entry_phrasing_bounds[row_entry[first_row : first_row + size]]
                found = postings.search(
                    pair_tokens[first_pair : first_pair + words], bounds.ravel()
                )
                low = found[:, 0::2].ravel()
                counts = found[:, 1::2].ravel() - low
                pairs = (counts != 0).nonzero()[0]
                found_index.append(_ranges(low[pairs], counts[pairs]))
                word, entry = np.divmod(np.repeat(pairs, counts[pairs]), size)
                found_row.append(entry + first_row)
                found_pair.append(word + first_pair)
                first_row += size
                first_pair += words
            index = np.concatenate(found_index)
            phrasing, rank = postings.items(index), postings.ranks(index)
            row, pair = np.concatenate(found_row), np.concatenate(found_pair)
        return row, phrasing, pair, rank

    def _first_stage(
        self,
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
        entries = len(self._entry_ids)
        starts, lengths, counts = self._entry_postings.runs(pair_tokens)
        bins, shared, complete = [], [], True
        bounds = itertools.pairwise(itertools.accumulate(pair_sizes, initial=0))
        for part, (first, last) in enumerate(bounds):
            items = self._entry_postings.items_of(starts[first:last], lengths[first:last])
            sums = np.bincount(items, pair_weights[first:last].repeat(counts[first:last]), entries)
            hits = (sums != 0).nonzero()[0]  # weights are positive: hits sum to > 0
            if hits.size > _FIRST_STAGE:
                complete = False
                best = np.argpartition(-sums[hits], _FIRST_STAGE - 1)
                hits = hits[np.sort(best[:_FIRST_STAGE])]
            bins.append(hits + part * entries if part else hits)
            shared.append(sums[hits])
        return _joined(bins), _joined(shared), complete

    def _query(self, text: str) -> _Query:
        words = content_words(normalize(text))
        weights: dict[int, float] = {}
        plain: dict[int, float] = {}
        topical: dict[int, float] = {}
        total = 0.0
        for token_id, weight, token_weight, phrasing_weight, topicality in map(
            self._word, dict.fromkeys(words)
        ):
            total += weight
            if token_id < 0:
                continue
            known = weights.get(token_id)
            if known is None:
                weights[token_id] = token_weight
                plain[token_id] = phrasing_weight
                topical[token_id] = topicality
                continue
            # Two words of one token (a word and its typo): each weight is the higher one.
            if token_weight > known:
                weights[token_id] = token_weight
            if phrasing_weight > plain[token_id]:
                plain[token_id] = phrasing_weight
        return _Query(
            " ".join(words),
            tuple(weights),
            tuple(weights.values()),
            tuple(plain.values()),
            tuple(topical.values()),
            total,
        )

    def _word_uncached(self, word: str) -> tuple[int, float, float, float, float]:
        """Look up a question word: token, weight in the question's total, weights, topicality.

        The weights are the token's for the question's side and the phrasing's side, both
        times the typo similarity. All of it is fixed by the index, so it is worked out once
        per word (`_word` caches it), not once per question. A misspelt stop word weighs
        nothing; an unknown word (token -1) only counts against the question's coverage.
        """
        token_id, similarity = self._correct_uncached(word)
        if token_id == _STOPWORD:
            return token_id, 0.0, 0.0, 0.0, 0.0
        if token_id < 0:
            return token_id, self._idf_max * _rarity(word), 0.0, 0.0, 0.0
        weight = float(self._weights[token_id])
        return (
            token_id,
            weight,
            weight * similarity,
            float(self._idf[token_id] * similarity),
            float(self._topical[token_id]),
        )

    def _correct_uncached(self, word: str) -> tuple[int, float]:
        """Map a word to a known token: exactly, by stem, or as a likely typo (-1 if none)."""
        token_id = self._vocabulary.get(stem(word), _UNKNOWN)
        token_id = self._variants.get(token_id, token_id)
        if (
            token_id >= 0
            or len(word) < _MIN_TYPO_LENGTH
            or word.isdigit()
            or _zipf(word) >= _REAL_WORD_ZIPF
        ):
            return token_id, 1.0  # known, too short, or a real word (not a typo)
        cutoff = _TYPO_CUTOFF_SHORT if len(word) <= 4 else _TYPO_CUTOFF_LONG
        found = process.extractOne(word, self._typo_choices, scorer=fuzz.ratio, score_cutoff=cutoff)
        if found is None:
            return _UNKNOWN, 1.0
        if found[2] >= len(self._surface_words):
            return _STOPWORD, 1.0  # a misspelt stop word ("wht" -> "what")
        token_id = self._vocabulary[self._surface_stems[found[2]]]
        return self._variants.get(token_id, token_id), found[1] / 100.0


_UNKNOWN, _STOPWORD = -1, -2
_NEW = -3  # a word the index build has not seen yet
# Occurrences of a query's words in the candidates' phrasings are found by filtering the
# words' whole postings while they are at most this many times the bounds a search would
# look up (small bases), else by searching the postings between the bounds (large ones).
_FILTER_RATIO = 3
# A knowledge-base word is a misspelling of another when English does not know it and the
# other, as close as a typo, is used this many times more often here.
_VARIANT_ZIPF, _VARIANT_RATIO = 2.5, 3
_VARIANT_LENGTH = 5  # shorter unknown words are too often acronyms ("EAD" is not "head")
_VARIANT_BLOCK = 1024  # words compared at once: bounds the similarity matrix's memory
# Tokens processed at once where index arrays are built from all items' tokens: bounds the
# temporary arrays (a large base has ten million tokens).
_BLOCK_TOKENS = 1 << 16
# Entries indexed at once (Matcher._index_texts): bounds the words held as strings and the
# temporary arrays (about 50,000 words: 1,024 entries raised the index peak by 24 MB at 10,000).
_BLOCK_ENTRIES = 256
# While the knowledge base has at most this many distinct words (a large one has a few
# thousand), the index build keeps token and word numbers in two bytes (array type _NARROW).
_NARROW, _NARROW_WORDS = "H", 1 << 16
# Kept as tokens (they tell "who announced it" from "when"), but not evidence of a topic;
# nor are words about the conversation itself ("can I ask a question").
_QUESTION_WORDS = frozenset(
    [
        "who",
        "when",
        "where",
        "why",
        "ask",
        "asked",
        "asking",
        "question",
        "questions",
        "answer",
        "answers",
    ]
)


@lru_cache(maxsize=65536)
def _zipf(word: str) -> float:
    """Look up a word's general-English frequency (Zipf scale), once per word."""
    return zipf_frequency(word)


def _rarity(word: str) -> float:
    """Map a word's general-English frequency to _MIN_RARITY (very common) .. 1.0 (rare)."""
    scaled = (_COMMON_ZIPF - _zipf(word)) / (_COMMON_ZIPF - _RARE_ZIPF)
    return float(min(1.0, max(_MIN_RARITY, scaled)))


# Misspelt stop words must not be "corrected" into topic words ("wat" -> "what", not "vat").
_TYPO_STOPWORDS = tuple(sorted(word for word in STOPWORDS if len(word) >= _MIN_TYPO_LENGTH))


class _Indexed(NamedTuple):
    """A block of entries, indexed (see Matcher._index_texts): flat arrays with lengths."""

    phrasing_tokens: npt.NDArray[np.int64]
    phrasing_lengths: npt.NDArray[np.int64]
    content_ids: npt.NDArray[np.int64]  # each phrasing's content words, as _surface positions
    content_lengths: npt.NDArray[np.int64]
    answer_tokens: npt.NDArray[np.int64]  # only counted
    entry_tokens: npt.NDArray[np.int64]
    entry_lengths: npt.NDArray[np.int64]


def _first_occurrences(
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


def _append(target: array[int], values: npt.NDArray[np.int64]) -> None:
    """Append numbers to an array, in its type."""
    target.frombytes(values.astype(target.typecode).tobytes())


def _widened(items: array[int]) -> array[int]:
    """Copy token or word numbers kept in two bytes into four (for more than _NARROW_WORDS)."""
    return array("i", items)


def _respell(
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
    for first, last in _blocks(starts):
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


def _top(scores: npt.NDArray[np.float64], count: int) -> npt.NDArray[np.int64]:
    """Return the indices of the `count` best scores, best first, ties by index."""
    if scores.size > count:
        candidates = np.argpartition(-scores, count - 1)[:count]
        # argpartition may cut through a tie at the boundary: take every equal score along.
        cutoff = scores[candidates].min()
        candidates = np.flatnonzero(scores >= cutoff)
    else:
        candidates = np.arange(scores.size)
    ordered = candidates[np.lexsort((candidates, -scores[candidates]))]
    return ordered[:count].astype(np.int64)


def _joined(arrays: list[npt.NDArray[Any]]) -> npt.NDArray[Any]:
    """np.concatenate of fresh arrays, without a copy when there is one (one part: most)."""
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)


def _count(
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


def _blocks(starts: npt.NDArray[np.integer]) -> list[tuple[int, int]]:
    """Split items into runs [first, last) of about _BLOCK_TOKENS tokens each.

    `starts` is where each item's tokens start, then their end; an item longer than a block
    is a run alone.
    """
    items = starts.size - 1
    cuts = np.searchsorted(starts, np.arange(_BLOCK_TOKENS, int(starts[-1]), _BLOCK_TOKENS))
    return list(itertools.pairwise(sorted({0, items, *cuts.tolist()})))


def _ranges(
    starts: npt.NDArray[np.integer], lengths: npt.NDArray[np.integer]
) -> npt.NDArray[np.int64]:
    """Concatenate the integer ranges [start, start + length), vectorised."""
    total = int(lengths.sum())
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return offsets + np.arange(total, dtype=np.int64)


class _Forward:
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
        for first, last in _blocks(self._start):
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


class _Postings:
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
        start = np.concatenate(([0], np.cumsum(_count(tokens, size=vocabulary_size))))
        self._items = np.empty(tokens.size, dtype=np.int32)
        blocks = _blocks(item_start)
        # The longest item, block by block: no temporary array as long as the items.
        longest = (int(np.diff(item_start[first : last + 1]).max()) for first, last in blocks)
        rank_limit = max(1, max(longest, default=0)) if ranks else 1
        self._ranks = np.zeros(tokens.size if ranks else 0, dtype=np.min_scalar_type(rank_limit))
        free = start[:-1].copy()  # where each token's next posting goes
        for first, last in blocks:
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
        # Column by column: a gather from a column is several times cheaper than of rows.
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


def _overlap_score(
    query_coverage: npt.NDArray[np.float64], phrasing_coverage: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """F-beta of question coverage (weighted up) and phrasing coverage by shared words.

    Only phrasings that share a word are scored: both coverages are above 0.
    """
    total = _BETA_SQUARED * phrasing_coverage + query_coverage
    overlap: npt.NDArray[np.float64] = (1 + _BETA_SQUARED) * query_coverage * phrasing_coverage
    overlap /= total
    return overlap
