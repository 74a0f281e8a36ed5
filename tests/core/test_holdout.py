"""evaluation/holdout.py: every held-out phrasing is asked once per mode of the right engine."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from types import ModuleType

from bot.core.decide import Engine, Mode
from bot.core.models import KnowledgeBase
from bot.storage.folder import load_knowledge
from tests.core.scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
ENTRIES = ("what-is-doma", "windsor-2013", "respect-for-marriage-act-2022", "rachel-tiven")


@cache
def holdout() -> ModuleType:
    return load_script("evaluation/holdout.py", "familyties_holdout")


def small() -> KnowledgeBase:
    shipped = load_knowledge(ROOT / "knowledge")
    return KnowledgeBase(
        entries={key: shipped.entries[key] for key in ENTRIES}, sources=shipped.sources
    )


def test_an_entry_held_out_is_gone_and_so_are_the_links_to_it() -> None:
    without = holdout()._without(small(), "what-is-doma", None)
    assert "what-is-doma" not in without.entries
    assert all("what-is-doma" not in entry.see_also for entry in without.entries.values())
    assert Engine(without).decide("what is doma").entry_id != "what-is-doma"


def test_every_held_out_phrasing_is_counted_once_per_mode() -> None:
    knowledge = small()
    tally = holdout().held_out(knowledge)
    for mode in Mode:
        phrasing = sum(
            n for (m, test, _), n in tally.items() if (m, test) == (mode.value, "phrasing held out")
        )
        entry = sum(
            n for (m, test, _), n in tally.items() if (m, test) == (mode.value, "entry held out")
        )
        assert phrasing == sum(len(e.asks) for e in knowledge.entries.values())
        assert entry == knowledge.phrasing_count
        # With its entry gone, nothing can be answered right or offered.
        assert not tally[mode.value, "entry held out", "right"]
        assert not tally[mode.value, "entry held out", "offered"]
    # Distinct topics: most held-out phrasings still find their entry.
    assert tally["ask", "phrasing held out", "right"] > tally["ask", "phrasing held out", "wrong"]
