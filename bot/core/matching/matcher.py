"""The Matcher: a question's parts looked up in the index, searched, merged into Matches."""

from __future__ import annotations

from functools import lru_cache

from bot.core.matching.index import Index
from bot.core.matching.match import Match
from bot.core.matching.search import Hit, Query, leans_on_context, search_parts
from bot.core.matching.vocabulary import STOPWORD
from bot.core.matching.weights import rarity
from bot.core.models import KnowledgeBase
from bot.core.normalize import content_words
from bot.core.policy import MatchTuning
from bot.core.question import Question

__all__ = ["Matcher"]


class Matcher(Index):
    """Fuzzy matching of questions against every phrasing of one immutable knowledge base.

    The index it is built on, plus the query side: words looked up (cached), parts searched,
    hits merged into one Match per entry.
    """

    def __init__(self, knowledge: KnowledgeBase, tuning: MatchTuning | None = None) -> None:
        super().__init__(knowledge, tuning or MatchTuning())
        self._caches()

    @property
    def tuning(self) -> MatchTuning:
        """The figures the index was built and is searched with."""
        return self._tuning

    def _caches(self) -> None:
        """Create the caches of query work (not pickled with the index)."""
        self._word = lru_cache(maxsize=8192)(self._word_uncached)
        # The index keeps phrasings' content words as numbers: the texts of those that come
        # up often are kept, as are the phrasings of entries that come up often.
        self._entry_phrasings_cached = lru_cache(maxsize=2048)(self._unpacked_phrasings)
        self._content_text = lru_cache(maxsize=32768)(self._content_text_uncached)

    def __getstate__(self) -> dict[str, object]:
        """Pickle the index, not the caches of query work."""
        state = dict(vars(self))
        del state["_word"], state["_entry_phrasings_cached"], state["_content_text"]
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        vars(self).update(state)
        self._caches()

    def search(self, question: Question | str, *, limit: int = 5) -> list[Match]:
        """Return the best-scoring entries for `question`, best first, one match per entry.

        A long message's question sentences are also scored alone, keeping each entry's
        best, so a question wrapped in greetings, thanks and a story is still found. The whole
        message is kept only when the question leans on the rest of it ("We married in Iowa
        in 2011 and she has been here since 2005. Does it help us?"): otherwise it adds the
        wrapping's words.
        """
        if isinstance(question, str):
            question = Question.read(question, self._tuning)
        found = [self._query(part.normalized) for part in question.parts]
        if len(found) > 1 and not leans_on_context(
            found[0], found[1:], self._tuning.question_share
        ):
            del found[0]
        # Parts with the same content words are the same query, with the same hits ("hi!
        # what is DOMA? thanks" is its question alone): each is scored once.
        queries: dict[str, Query] = {}
        for query in found:
            queries.setdefault(query.content, query)
        best: dict[int, Hit] = {}
        for hits in self._search_parts(list(queries.values()), limit=limit):
            for hit in hits:
                if hit.entry not in best or hit.score > best[hit.entry].score:
                    best[hit.entry] = hit
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

    def _search_parts(self, queries: list[Query], *, limit: int) -> list[list[Hit]]:
        return search_parts(self, queries, self._content_text, limit=limit)

    def _unpacked_phrasings(self, entry: int) -> tuple[str, ...]:
        return self._entries[entry].phrasings

    def _content_text_uncached(self, phrasing: int) -> str:
        words = self._vocabulary.surface_words
        return " ".join(map(words.__getitem__, self._content.tokens(phrasing)))

    def _phrasing(self, entry: int, phrasing: int) -> str:
        """Return a phrasing's text (it is one of that entry's), as the knowledge base has it."""
        first: int = self._entry_first.item(entry)
        return self._entry_phrasings_cached(entry)[phrasing - first]

    def _query(self, normalized: str) -> Query:
        """Look up a normalised text's content words: tokens, weights, topicality."""
        words = content_words(normalized)
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
        return Query(
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
        times the typo similarity; all fixed by the index, so worked out once per word
        (`_word` caches it). A misspelt stop word weighs nothing; an unknown word (token < 0)
        only counts against the question's coverage.
        """
        token_id, similarity = self._vocabulary.correct(word)
        if token_id == STOPWORD:
            return token_id, 0.0, 0.0, 0.0, 0.0
        if token_id < 0:
            return token_id, self._idf_max * rarity(word, self._tuning), 0.0, 0.0, 0.0
        weight = float(self._weights[token_id])
        return (
            token_id,
            weight,
            weight * similarity,
            float(self._idf[token_id] * similarity),
            float(self._topical[token_id]),
        )
