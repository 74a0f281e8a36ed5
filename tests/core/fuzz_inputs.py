"""Hostile message text for the property suite and benchmarks/fuzz_report.py, and the checks.

The strategies mix what Discord members really send into arbitrary Unicode: control and
bidi characters, zero-width joiners, zalgo, emoji floods, bare mentions, odd whitespace, very
long words, mixed scripts and numbers, with real phrasings from the knowledge base so the
answer and suggestion paths are reached too. Surrogates are not valid `str` text (Discord
sends UTF-8), so they are left out.
"""

from __future__ import annotations

import datetime as dt
import math
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from bot.core.decide import Decision, Engine, Kind, Mode
from bot.core.replies import Organization, Reply, compose
from bot.storage.folder import load_knowledge

ROOT = Path(__file__).resolve().parents[2]
MAX_CHARS = 4000  # Discord's longest message (Nitro): the longest text the bot is given

# "ci" runs in the test suite; "deep" is for a long local run (FAMILYTIES_FUZZ_PROFILE=deep).
settings.register_profile(
    "ci",
    max_examples=300,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("deep", settings.get_profile("ci"), max_examples=5000)

NULLS = ["\x00", "\x00\x00\x00", "\x01\x02\x1b[31m\x7f"]
BIDI = [
    "\u202e",  # right-to-left override
    "\u202d",  # left-to-right override
    "\u202a",
    "\u202b",
    "\u202c",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u200e",
    "\u200f",
    "\u061c",
]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e", "\u034f"]
SPACES = [
    " ",
    "\t",
    "\n",
    "\r",
    "\x0b",
    "\x0c",
    "\x85",
    "\u00a0",
    "\u1680",
    *(chr(code) for code in range(0x2000, 0x200B)),
    "\u2028",
    "\u2029",
    "\u202f",
    "\u205f",
    "\u3000",
]
EMOJI = [
    "😀",
    "🏳️‍🌈",  # rainbow flag: a ZWJ sequence
    "👨‍👨‍👧‍👦",
    "👩🏽‍❤️‍💋‍👩🏻",
    "🇺🇸",
    "🇲🇽",
    "1️⃣",
    "👍🏿",
    "🫶",
    "❤️",
]
MENTIONS = [
    "<@123456789012345678>",
    "<@!123456789012345678>",
    "<@&1>",
    "<#2>",
    "@everyone",
    "@here",
    "</kb edit:1234>",
    "<:doma:123>",
    "<a:party:456>",
    "<t:1348790400:R>",
]
# Letters from several scripts, including look-alikes of Latin ones (Cyrillic о, Greek Α).
SCRIPTS = [
    "DОMA",
    "ΑΒΓ",
    "зелёная карта",
    "بطاقة خضراء",
    "גרין קארד",
    "绿卡",
    "グリーンカード",
    "ग्रीन कार्ड",
    "บัตรเขียว",
    "¿Qué es DOMA?",
    "ñandú ÇŞĞ ß ﬁ",
    "Ｆｕｌｌｗｉｄｔｈ",
    "𝐃𝐎𝐌𝐀",
]
NUMBERS = [
    "0",
    "2012",
    "36,000",
    "1e309",
    "-0.0",
    "NaN",
    "99999999999999999999999999999999",
    "²³¹",
    "٢٠١٢",
    "१२३",
    "Ⅻ",
    "½",
    "A012345678",
    "IOE0912345678",
]


# Personal situations, so the legal route is reached under noise too.
PERSONAL = [
    "I have a court date next month, can my husband stay?",
    "mi novio tiene orden de deportación, qué hago",
    "my partner got detained by ICE yesterday, what do I do",
    "can my boyfriend get a green card from this?",
]


@cache
def engine() -> Engine:
    """The engine over the shipped knowledge base (built once per process)."""
    return Engine(load_knowledge(ROOT / "knowledge"))


@cache
def phrasings() -> tuple[str, ...]:
    """Every phrasing in the shipped knowledge base: real questions to wrap in noise."""
    return tuple(p for entry in engine().knowledge.entries.values() for p in entry.phrasings)


def _phrasing() -> st.SearchStrategy[str]:
    # Deferred: the engine loads when the first example is drawn, not at collection.
    return st.deferred(lambda: st.sampled_from(phrasings() + tuple(PERSONAL)))


def _zalgo() -> st.SearchStrategy[str]:
    marks = st.text(st.characters(min_codepoint=0x300, max_codepoint=0x36F), min_size=5)
    return st.builds(lambda base, stack: base + stack, st.sampled_from("aeiouDOMA"), marks)


def _long_word() -> st.SearchStrategy[str]:
    return st.builds(
        lambda letter, count: letter * count,
        st.sampled_from(["a", "é", "doma", "ñ", "x\u0301", "😀"]),
        st.integers(1, MAX_CHARS),
    )


def _piece() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=60),
        _phrasing(),
        st.sampled_from(NULLS),
        st.sampled_from(BIDI),
        st.sampled_from(ZERO_WIDTH),
        st.sampled_from(SPACES),
        st.sampled_from(EMOJI),
        st.sampled_from(MENTIONS),
        st.sampled_from(SCRIPTS),
        st.sampled_from(NUMBERS),
        _zalgo(),
        st.integers().map(str),
        st.floats(allow_nan=True).map(str),
    )


def _mixed() -> st.SearchStrategy[str]:
    return st.lists(_piece(), max_size=30).map("".join)


def _fill(text: str, length: int) -> str:
    return (text * (length // len(text) + 1))[:length] if text else text


def _flood() -> st.SearchStrategy[str]:
    """Pieces repeated to a length near the longest message Discord allows."""
    return st.builds(_fill, _mixed(), st.integers(MAX_CHARS - 1000, MAX_CHARS))


def _noisy_phrasing() -> st.SearchStrategy[str]:
    """A real question with hostile pieces spliced in: the answer paths, under noise."""
    return st.builds(
        lambda question, noise, at: question[:at] + noise + question[at:],
        _phrasing(),
        _piece(),
        st.integers(0, 40),
    )


def _only(pool: list[str]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(pool), min_size=1, max_size=400).map("".join)


def messages() -> st.SearchStrategy[str]:
    """Any message text up to MAX_CHARS characters, hostile more often than not."""
    return st.one_of(
        st.text(max_size=MAX_CHARS),
        _mixed(),
        _flood(),
        _noisy_phrasing(),
        _long_word(),
        _only([*MENTIONS, " "]),
        _only(SPACES),
        _only(EMOJI + ZERO_WIDTH),
        _only(BIDI + ZERO_WIDTH + NULLS),
        st.builds(
            lambda noise, question: noise + question + noise,
            st.sampled_from(BIDI + ZERO_WIDTH + NULLS + MENTIONS),
            _phrasing(),
        ),
    ).map(lambda text: text[:MAX_CHARS])


def modes() -> st.SearchStrategy[Mode]:
    """Either way a message reaches the bot."""
    return st.sampled_from(list(Mode))


def check_decision(decision: Decision, mode: Mode) -> None:
    """Assert that a decision is one the bot can act on for the shipped knowledge base."""
    knowledge = engine().knowledge
    limit = engine().thresholds.suggestions
    assert isinstance(decision, Decision)
    assert decision.kind in set(Kind)
    assert math.isfinite(decision.score)
    assert all(match.entry_id in knowledge.entries for match in decision.matches)
    assert all(math.isfinite(match.score) for match in decision.matches)
    if decision.kind is Kind.ANSWER:
        assert decision.entry_id in knowledge.entries
        assert decision.suggestions == ()
    elif decision.kind is Kind.SUGGEST:
        assert mode is Mode.ASK, "suggestions only when asked directly"
        assert decision.entry_id is None
        assert 1 <= len(decision.suggestions) <= limit
        assert len(set(decision.suggestions)) == len(decision.suggestions)
        assert all(entry_id in knowledge.entries for entry_id in decision.suggestions)
    elif decision.kind is Kind.LEGAL:
        assert decision.entry_id is None or decision.entry_id in knowledge.entries
        assert decision.suggestions == ()
    else:
        assert decision.entry_id is None
        assert decision.suggestions == ()


def check_reply(reply: Reply, decision: Decision) -> None:
    """Assert that a reply is well formed and that any answer in it is sourced and dated."""
    assert isinstance(reply, Reply)
    assert isinstance(reply.text(), str)
    assert (reply.kind is Kind.ANSWER) == (decision.kind is Kind.ANSWER)
    if decision.kind is Kind.ANSWER:
        assert reply.answer is not None
    if reply.kind is Kind.SUGGEST:
        assert reply.suggestions
    if reply.answer is not None:
        answer = reply.answer
        assert answer.entry_id == decision.entry_id
        assert answer.sources, "no source, no answer"
        for source in answer.sources:
            assert source.url.startswith(("https://", "http://"))
            assert isinstance(source.date, dt.date)
            assert source.title.strip()
        assert isinstance(answer.as_of, dt.date)
        text = reply.text()
        assert "Sources:" in text
        assert answer.footer in text


def decide_and_compose(text: str, mode: Mode) -> tuple[Decision, Reply]:
    """Run one message through the core as the bot does, checking both steps."""
    decision = engine().decide(text, mode)
    check_decision(decision, mode)
    reply = compose(decision, engine().knowledge, Organization())
    check_reply(reply, decision)
    return decision, reply
