"""The matcher's batched search: the parts of a long message scored together, as if alone."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest

from bot.core.matching import Matcher
from bot.core.matching import index as index_module
from bot.core.matching import search as search_module
from bot.core.models import KnowledgeBase
from bot.core.normalize import content_words, normalize
from bot.core.question import looks_like_question, sentences
from bot.storage.folder import load_knowledge

ROOT = Path(__file__).resolve().parents[2]

# Long messages: several questions wrapped in chat, with words repeated across sentences in
# another order (an entry's sums must still add each part's words in the part's own order).
MESSAGES = [
    "hey everyone, sorry if this was asked before. What is the new DHS guidance on same-sex "
    "couples? Does it help couples who already left the US? any help appreciated, thanks",
    "This is a step in the right direction, but as I understand it the discretion is for a "
    "partner facing deportation, correct? So for couples with partners still in status, are "
    "there options? who announced it and when?",
    "ok so I have been reading all week. is DOMA still the law? what did the Morton memo say "
    "about low priority cases? wat is prosecutorial discresion? can it be reversed",
    "what is doma",
    "thanks!",
    "zzzz qqqq xxxx",
]


@cache
def shipped() -> KnowledgeBase:
    return load_knowledge(ROOT / "knowledge")


@cache
def matcher(copies: int) -> Matcher:
    """An index over the shipped base, or over `copies` identical copies of each entry.

    Copies tie everywhere: in the first stage's cut (more than 256 entries share common
    words) and in the re-rank, so they test that ties break as when a part is scored alone.
    """
    knowledge = shipped()
    if copies == 1:
        return Matcher(knowledge)
    entries = {
        f"{entry.id}-{copy}": entry.replace(id=f"{entry.id}-{copy}", see_also=())
        for copy in range(copies)
        for entry in knowledge.entries.values()
    }
    return Matcher(KnowledgeBase(entries=entries, sources=knowledge.sources))


def parts(text: str) -> list[str]:
    found = [text, *(part for part in sentences(text) if looks_like_question(part))]
    return list(dict.fromkeys(found))


@pytest.mark.parametrize("copies", [1, 7])
@pytest.mark.parametrize("ratio", [None, 0.0, 1e9])
def test_parts_scored_together_score_as_each_alone(
    copies: int, ratio: float | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = matcher(copies)
    if ratio is not None:  # force one way of finding the words in the phrasings
        monkeypatch.setattr(search_module, "_FILTER_RATIO", ratio)
    for text in MESSAGES:
        queries = [index._query(normalize(part)) for part in parts(text)]
        together = index._search_parts(queries, limit=5)
        assert together == [index._search_parts([query], limit=5)[0] for query in queries]


@pytest.mark.parametrize("copies", [1, 7])
def test_both_ways_of_finding_words_agree(copies: int, monkeypatch: pytest.MonkeyPatch) -> None:
    index = matcher(copies)
    found = {}
    for ratio in (0.0, 1e9):
        monkeypatch.setattr(search_module, "_FILTER_RATIO", ratio)
        found[ratio] = [index.search(text) for text in MESSAGES]
    assert found[0.0] == found[1e9]
    assert any(found[0.0])


def test_a_long_message_keeps_each_entrys_best_part() -> None:
    index = matcher(1)
    for text in MESSAGES[:3]:
        best: dict[str, float] = {}
        for part in parts(text):
            for match in index.search(part, limit=5) if len(part) <= 80 else []:
                best[match.entry_id] = max(best.get(match.entry_id, 0.0), match.score)
        found = {match.entry_id: match.score for match in index.search(text, limit=50)}
        assert all(found[entry] >= score for entry, score in best.items())


def test_a_question_wrapped_in_chat_is_searched_alone() -> None:
    """The whole message would add only the wrapping's words: its question stands for it."""
    index = matcher(1)
    question = "What is prosecutorial discretion?"
    text = (
        f"hey everyone, sorry if this was asked before. {question} I could not find it in the "
        "pinned messages."
    )
    assert parts(text)[1:] == [question]
    assert index.search(text, limit=50) == index.search(question, limit=50)


def test_a_question_that_leans_on_the_message_is_searched_with_it() -> None:
    """A question whose topic is in the other sentences: the whole message is scored too."""
    index = matcher(1)
    question = "What does it change?"
    text = (
        "I read the Napolitano letter from August 2012 about LGBT families and the Morton "
        f"memo. {question}"
    )
    assert parts(text)[1:] == [question]
    found = index.search(text, limit=50)
    whole = index._search_parts([index._query(normalize(text))], limit=50)[0]
    assert {index._entry_ids[hit.entry] for hit in whole} <= {match.entry_id for match in found}
    assert found != index.search(question, limit=50)


def test_the_compact_index_gives_back_each_phrasing_and_its_content_words() -> None:
    index = matcher(1)
    entries = list(shipped().entries.values())
    phrasings = [(e, p) for e, entry in enumerate(entries) for p in entry.phrasings]
    assert [index._content_text(i) for i in range(len(phrasings))] == [
        " ".join(content_words(normalize(p))) for _, p in phrasings
    ]
    assert [index._phrasing(e, i) for i, (e, _) in enumerate(phrasings)] == [
        p for _, p in phrasings
    ]


def test_parts_with_the_same_content_words_are_one_query() -> None:
    """search() scores such parts once: they have the same hits, so the merge is the same."""
    index = matcher(1)
    text = (
        "hi everyone! what is the new DHS guidance on same-sex couples? thanks so much to all "
        "of you"
    )
    whole, question = (index._query(normalize(part)) for part in parts(text))
    assert whole.content == question.content
    together = index._search_parts([whole, question], limit=5)
    assert together[0]
    assert [hit[:5] for hit in together[0]] == [hit[:5] for hit in together[1]]
    assert index.search(text) == index.search("what is the new DHS guidance on same-sex couples?")


@cache
def phrasing_tokens(index: Matcher) -> list[set[int]]:
    """Each phrasing's tokens, read back from the index's postings (it keeps no other copy)."""
    postings = index._word_phrasings
    tokens = np.arange(index._vocabulary_size)
    starts, lengths, counts = postings.runs(tokens)
    found: list[set[int]] = [set() for _ in range(index._phrasing_weight.size)]
    items = postings.items_of(starts, lengths).tolist()
    for token, phrasing in zip(tokens.repeat(counts).tolist(), items, strict=True):
        found[phrasing].add(token)
    return found


def reference_evidence(index: Matcher, query: search_module.Query, phrasing: int) -> float:
    """Match.evidence as defined: the topicality of the query's tokens the phrasing has, in
    the query's order, summed one after another below 8 and by numpy's sum from 8 on."""
    present = phrasing_tokens(index)[phrasing]
    shared = [token for token in query.token_ids if token in present]
    if len(shared) >= 8:
        return float(index._topical[shared].sum())
    return sum((float(index._topical[token]) for token in shared), 0.0)


@pytest.mark.parametrize("copies", [1, 7])
def test_evidence_is_the_shared_words_topicality(copies: int) -> None:
    index = matcher(copies)
    every = [p for entry in index._entries for p in entry.phrasings]
    long_phrasings = [p for p in every if len(index._query(normalize(p)).token_ids) >= 8]
    assert long_phrasings  # their own words: 8 or more shared, summed as numpy sums
    for text in [*MESSAGES, *long_phrasings, " ".join(long_phrasings)]:
        queries = [index._query(normalize(part)) for part in parts(text)]
        for query, hits in zip(queries, index._search_parts(queries, limit=24), strict=True):
            for hit in hits:
                assert hit.evidence == reference_evidence(index, query, hit.phrasing)


@pytest.mark.parametrize("words", [0, 300])
def test_an_index_with_more_words_than_two_bytes_hold_is_the_same(
    monkeypatch: pytest.MonkeyPatch, words: int
) -> None:
    """Token and word numbers widen to four bytes mid-build (here: from the start, or later)."""
    narrow = Matcher(shipped()).__getstate__()
    monkeypatch.setattr(index_module, "_NARROW_WORDS", words)
    wide = Matcher(shipped()).__getstate__()
    assert narrow.keys() == wide.keys()
    for name, value in narrow.items():
        if isinstance(value, np.ndarray):
            assert np.array_equal(value, wide[name]), name
        elif hasattr(value, "__dict__"):
            for field, array in vars(value).items():
                assert np.array_equal(array, vars(wide[name])[field]), (name, field)
        elif name != "_entries":
            assert value == wide[name], name
