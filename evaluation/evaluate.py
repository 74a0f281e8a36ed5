"""Labelled evaluation of the answer engine: how often it answers right, routes, stays quiet.

Runs every item of the labelled set (evaluation/questions.yaml) through
`Engine(load_knowledge(kb)).decide(q, mode)` and prints, for each mode, the figures next to
their targets:

- answer accuracy: answer items decided `answer` with the expected entry (or an accepted one);
- answer-or-suggest recall: the expected entry is the answer or among the suggestions;
- legal recall: legal items decided `legal`;
- off-topic silence: none items decided `none` (or answered with an accepted entry);
- confident wrong answers: decisions of kind `answer` with an entry the item does not accept,
  over all items (a legal item must never be answered, whatever the entry).

    python evaluation/evaluate.py [--kb DIR] [--set FILE] [--origin dev|team|all]
                                  [--mode ask|listen|both] [--lang en|es|all]
                                  [--show-misses] [--check]

Items may carry `lang` (en, the default, or es: the language the member writes in); --lang
reports one language's items alone.

The exit code is 0 (it is a report) unless --check is given and a target is missed (1).
The computation is importable (`load_items`, `evaluate`, `missed_targets`) for the tests.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.core.decide import Decision, Engine, Kind, Mode
from bot.core.loader import KnowledgeError
from bot.core.models import KnowledgeBase
from bot.storage.folder import load_knowledge

__all__ = [
    "DEFAULT_KB",
    "DEFAULT_SET",
    "TARGETS",
    "Item",
    "Outcome",
    "Ratio",
    "Report",
    "SetError",
    "Target",
    "evaluate",
    "load_items",
    "main",
    "missed_targets",
    "unknown_ids",
]

HERE = Path(__file__).resolve().parent
DEFAULT_SET = HERE / "questions.yaml"
DEFAULT_KB = HERE.parent / "knowledge"

EXPECTS = ("answer", "legal", "none")
ORIGINS = ("dev", "team")
LANGS = ("en", "es")
_FIELDS = frozenset({"q", "expect", "entry", "accept", "origin", "note", "lang"})


class SetError(ValueError):
    """The labelled set is malformed; the message lists every problem."""


@dataclass(frozen=True, slots=True)
class Item:
    """One labelled message."""

    q: str
    expect: str  # answer | legal | none
    origin: str  # dev | team
    entry: str | None = None
    accept: tuple[str, ...] = ()
    note: str | None = None
    lang: str = "en"  # the language the message is written in

    @property
    def acceptable(self) -> frozenset[str]:
        """Entry ids that are right to *answer* with; empty for legal items (never answer)."""
        if self.expect == "answer":
            return frozenset((*((self.entry,) if self.entry else ()), *self.accept))
        if self.expect == "none":
            return frozenset(self.accept)
        return frozenset()

    @property
    def referenced(self) -> tuple[str, ...]:
        """Every entry id the item names (`entry` and `accept`)."""
        return (*((self.entry,) if self.entry else ()), *self.accept)


def load_items(path: Path) -> list[Item]:
    """Read and validate the labelled set, or raise SetError listing every problem."""
    data = yaml.safe_load(path.read_text("utf-8"))
    raw = data.get("items") if isinstance(data, dict) else None
    if not isinstance(raw, list):
        raise SetError(f"{path}: expected a top-level `items:` list")
    items: list[Item] = []
    problems: list[str] = []
    for number, record in enumerate(raw, start=1):
        item, errors = _parse_item(record)
        problems += [f"{path} item {number}: {error}" for error in errors]
        if item is not None:
            items.append(item)
    seen: dict[str, int] = {}
    for number, item in enumerate(items, start=1):
        key = " ".join(item.q.casefold().split())
        if key in seen:
            problems.append(f"{path} item {number}: repeats item {seen[key]} ({item.q!r})")
        seen.setdefault(key, number)
    if problems:
        raise SetError("\n".join(problems))
    return items


def _parse_item(record: Any) -> tuple[Item | None, list[str]]:
    if not isinstance(record, dict):
        return None, ["is not a mapping"]
    errors = [f"unknown field `{key}`" for key in sorted(set(record) - _FIELDS, key=str)]
    q, expect, origin = record.get("q"), record.get("expect"), record.get("origin")
    entry, accept, note = record.get("entry"), record.get("accept", []), record.get("note")
    if not isinstance(q, str) or not q.strip():
        errors.append("`q` must be non-empty text")
    if expect not in EXPECTS:
        errors.append(f"`expect` must be one of {', '.join(EXPECTS)}")
    if origin not in ORIGINS:
        errors.append(f"`origin` must be one of {', '.join(ORIGINS)}")
    if entry is not None and not isinstance(entry, str):
        errors.append("`entry` must be an entry id")
    if expect == "answer" and not entry:
        errors.append("an answer item needs `entry`")
    if not isinstance(accept, list) or not all(isinstance(a, str) for a in accept):
        errors.append("`accept` must be a list of entry ids")
    if note is not None and not isinstance(note, str):
        errors.append("`note` must be text")
    lang = record.get("lang", "en")
    if lang not in LANGS:
        errors.append(f"`lang` must be one of {', '.join(LANGS)}")
    if errors:
        return None, errors
    return Item(str(q), str(expect), str(origin), entry, tuple(accept), note, str(lang)), []


def unknown_ids(items: Iterable[Item], knowledge: KnowledgeBase) -> list[tuple[Item, str]]:
    """Every (item, id) pair whose `entry` or `accept` id is not in the knowledge base."""
    return [
        (item, entry_id)
        for item in items
        for entry_id in item.referenced
        if entry_id not in knowledge.entries
    ]


@dataclass(frozen=True, slots=True)
class Outcome:
    """An item with the engine's decision in one mode."""

    item: Item
    mode: Mode
    decision: Decision

    @property
    def answered_right(self) -> bool:
        """Answered with an entry the item accepts."""
        return self.decision.kind is Kind.ANSWER and self.decision.entry_id in self.item.acceptable

    @property
    def offered(self) -> bool:
        """An accepted entry is the answer or among the suggestions."""
        suggested = self.decision.kind is Kind.SUGGEST and bool(
            set(self.decision.suggestions) & self.item.acceptable
        )
        return self.answered_right or suggested

    @property
    def confident_wrong(self) -> bool:
        """Answered with an entry the item does not accept (any answer, for a legal item)."""
        return self.decision.kind is Kind.ANSWER and not self.answered_right

    @property
    def ok(self) -> bool:
        """The decision is the one the label asks for."""
        if self.item.expect == "answer":
            return self.answered_right
        if self.item.expect == "legal":
            return self.decision.kind is Kind.LEGAL
        return self.decision.kind is Kind.NONE or self.answered_right


@dataclass(frozen=True, slots=True)
class Ratio:
    """hits out of total; `value` is None for an empty total."""

    hits: int
    total: int

    @property
    def value(self) -> float | None:
        """The share of hits, or None when there is nothing to count."""
        return self.hits / self.total if self.total else None

    def __str__(self) -> str:
        value = self.value
        share = "     -" if value is None else f"{100 * value:5.1f}%"
        return f"{self.hits:>3}/{self.total:<3} {share}"


@dataclass(frozen=True, slots=True)
class Report:
    """Every outcome of one mode, with the figures computed from them."""

    mode: Mode
    outcomes: tuple[Outcome, ...]

    def _ratio(self, expect: str, hit: Callable[[Outcome], bool]) -> Ratio:
        chosen = [outcome for outcome in self.outcomes if outcome.item.expect == expect]
        return Ratio(sum(1 for outcome in chosen if hit(outcome)), len(chosen))

    @property
    def answer_accuracy(self) -> Ratio:
        """Answer items answered with the expected (or an accepted) entry."""
        return self._ratio("answer", lambda outcome: outcome.answered_right)

    @property
    def answer_recall(self) -> Ratio:
        """Answer items whose expected entry is the answer or among the suggestions."""
        return self._ratio("answer", lambda outcome: outcome.offered)

    @property
    def legal_recall(self) -> Ratio:
        """Legal items routed to the contact page."""
        return self._ratio("legal", lambda outcome: outcome.decision.kind is Kind.LEGAL)

    @property
    def silence(self) -> Ratio:
        """None items left alone (or answered with an accepted entry)."""
        return self._ratio("none", lambda outcome: outcome.ok)

    @property
    def confident_wrong(self) -> Ratio:
        """Confident wrong answers, over all items."""
        return Ratio(
            sum(1 for outcome in self.outcomes if outcome.confident_wrong), len(self.outcomes)
        )

    @property
    def misses(self) -> tuple[Outcome, ...]:
        """Outcomes that differ from their label (confident wrong answers included)."""
        return tuple(outcome for outcome in self.outcomes if not outcome.ok)

    def only(self, origin: str) -> Report:
        """The report restricted to one origin."""
        return Report(
            self.mode, tuple(outcome for outcome in self.outcomes if outcome.item.origin == origin)
        )


@dataclass(frozen=True, slots=True)
class Target:
    """A figure's goal, in the modes it applies to."""

    label: str
    metric: Callable[[Report], Ratio]
    goal: float
    at_most: bool  # True: the ratio must stay at or below goal; False: at or above
    modes: tuple[Mode, ...]

    def met(self, report: Report) -> bool:
        """Whether the report meets the target (a target with nothing to count is met)."""
        value = self.metric(report).value
        if report.mode not in self.modes or value is None:
            return True
        return value <= self.goal if self.at_most else value >= self.goal

    def describe(self, mode: Mode) -> str:
        """The target as printed beside the figure."""
        if mode not in self.modes:
            return "(ask mode only)"
        if self.at_most and self.goal == 0:
            return "0"
        return f"{'<=' if self.at_most else '>='} {100 * self.goal:.0f}%"


BOTH = (Mode.ASK, Mode.LISTEN)
TARGETS: tuple[Target, ...] = (
    Target("answer accuracy", lambda r: r.answer_accuracy, 0.90, False, (Mode.ASK,)),
    Target("legal recall", lambda r: r.legal_recall, 1.0, False, BOTH),
    Target("off-topic silence", lambda r: r.silence, 0.95, False, BOTH),
    Target("confident wrong answers", lambda r: r.confident_wrong, 0.0, True, BOTH),
)


def evaluate(engine: Engine, items: Sequence[Item], mode: Mode) -> Report:
    """Run every item through the engine in one mode."""
    return Report(mode, tuple(Outcome(item, mode, engine.decide(item.q, mode)) for item in items))


def missed_targets(report: Report) -> list[str]:
    """The labels of the targets this report misses."""
    return [target.label for target in TARGETS if not target.met(report)]


# ---------------------------------------------------------------------------------- printing

_ROWS: tuple[tuple[str, Callable[[Report], Ratio]], ...] = (
    ("answer accuracy", lambda r: r.answer_accuracy),
    ("answer-or-suggest recall", lambda r: r.answer_recall),
    ("legal recall", lambda r: r.legal_recall),
    ("off-topic silence", lambda r: r.silence),
    ("confident wrong answers", lambda r: r.confident_wrong),
)
_LABEL, _CELL = 26, 15


def _counts(report: Report) -> str:
    expects = [outcome.item.expect for outcome in report.outcomes]
    return "/".join(str(expects.count(expect)) for expect in EXPECTS)


def format_report(report: Report, origins: Sequence[str]) -> str:
    """The figures of one mode as a small table, targets beside them."""
    parts = [("all", report), *((origin, report.only(origin)) for origin in origins)]
    by_label = {target.label: target for target in TARGETS}
    present = [origin for origin in ORIGINS if report.only(origin).outcomes]
    lines = [
        f"== {report.mode.value} mode: {len(report.outcomes)} items ("
        + ", ".join(f"{origin} {len(report.only(origin).outcomes)}" for origin in present)
        + ")",
        f"{'':<{_LABEL}}" + "".join(f"{name:<{_CELL}}" for name, _ in parts) + "target",
        f"{'items answer/legal/none':<{_LABEL}}"
        + "".join(f"{_counts(part):<{_CELL}}" for _, part in parts),
    ]
    for label, metric in _ROWS:
        cells = "".join(f"{metric(part)!s:<{_CELL}}" for _, part in parts)
        target = by_label.get(label)
        verdict = ""
        if target is not None:
            verdict = target.describe(report.mode)
            if report.mode in target.modes:
                verdict += "  ok" if target.met(report) else "  MISSED"
        lines.append(f"{label:<{_LABEL}}{cells}{verdict}".rstrip())
    return "\n".join(lines)


def format_miss(outcome: Outcome) -> str:
    """One miss: what was expected, what the engine decided and why."""
    item, decision = outcome.item, outcome.decision
    expected = item.expect + (f" {item.entry}" if item.entry else "")
    if item.accept:
        expected += f" (accept {', '.join(item.accept)})"
    got = decision.kind.value + (f" {decision.entry_id}" if decision.entry_id else "")
    got += f" score {decision.score:.1f}"
    if decision.suggestions:
        got += f" suggest [{', '.join(decision.suggestions)}]"
    top = ", ".join(f"{match.entry_id} {match.score:.1f}" for match in decision.matches[:3])
    flag = "  CONFIDENT WRONG" if outcome.confident_wrong else ""
    return (
        f"[{outcome.mode.value}] {item.origin}: {item.q!r}\n"
        f"    expected {expected}\n"
        f"    got      {got}{flag}\n"
        f"    top-3    {top or '-'}"
        + (f"\n    signals  {', '.join(decision.signals)}" if decision.signals else "")
    )


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--kb", type=Path, default=DEFAULT_KB, help="knowledge folder")
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help="labelled set (YAML)")
    parser.add_argument("--origin", choices=(*ORIGINS, "all"), default="all")
    parser.add_argument("--mode", choices=("ask", "listen", "both"), default="both")
    parser.add_argument("--lang", choices=(*LANGS, "all"), default="all", help="items' language")
    parser.add_argument("--show-misses", action="store_true", help="list every miss")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--lexical", action="store_true", help="the lexical stage alone")
    parser.add_argument("--cache", type=Path, default=None, help="vector cache directory")
    return parser.parse_args(argv)


def semantic_engine(engine: Engine, questions: Sequence[str], cache: Path | None) -> Engine:
    """`engine` with the semantic stage; the questions' vectors cached like the phrasings'."""
    from bot.core.matching.semantic import SemanticStage
    from bot.semantic import SemanticRuntime
    from bot.storage.vectors import VectorCache
    from evaluation.semantic_folds import DEFAULT_CACHE, MemoEncoder

    runtime = SemanticRuntime(cache or DEFAULT_CACHE)
    upgraded = runtime.upgrade(engine)
    encoder = runtime.encoder()
    if upgraded.semantic is None or encoder is None:
        return upgraded
    vectors = VectorCache(cache or DEFAULT_CACHE, encoder, "questions").vectors(questions)
    memo = MemoEncoder(encoder, dict(zip(questions, vectors, strict=True)))
    return engine.with_semantic(SemanticStage(memo, upgraded.semantic.classifier))


def main(argv: Sequence[str] | None = None) -> int:
    """Print the report; return the exit code."""
    args = _arguments(argv)
    try:
        knowledge = load_knowledge(args.kb)
        items = load_items(args.set)
    except KnowledgeError as error:
        print(f"the knowledge base does not load:\n{error.report()}", file=sys.stderr)
        return 2
    except (OSError, SetError, yaml.YAMLError) as error:
        print(f"the labelled set does not load:\n{error}", file=sys.stderr)
        return 2
    unknown = unknown_ids(items, knowledge)
    for item, entry_id in unknown:
        print(f"warning: unknown entry id {entry_id!r} in item {item.q!r}", file=sys.stderr)
    if args.origin != "all":
        items = [item for item in items if item.origin == args.origin]
    if args.lang != "all":
        items = [item for item in items if item.lang == args.lang]
    origins = ORIGINS if args.origin == "all" else ()
    modes = BOTH if args.mode == "both" else (Mode(args.mode),)
    engine = Engine(knowledge)
    if not args.lexical:
        engine = semantic_engine(engine, [item.q for item in items], args.cache)
    print(f"knowledge: {knowledge.summary()}; set: {args.set}")
    print(f"semantic stage: {engine.semantic_status}")
    missed: list[str] = []
    reports = [evaluate(engine, items, mode) for mode in modes]
    for report in reports:
        print()
        print(format_report(report, origins))
        missed += [f"{label} ({report.mode.value})" for label in missed_targets(report)]
    if args.show_misses:
        for report in reports:
            print(f"\n== misses, {report.mode.value} mode: {len(report.misses)}")
            for outcome in report.misses:
                print(format_miss(outcome))
    print()
    print("targets missed: " + ", ".join(missed) if missed else "all targets met")
    return 1 if args.check and (missed or unknown) else 0


if __name__ == "__main__":
    sys.exit(main())
