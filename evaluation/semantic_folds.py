"""Classifiers that never saw what they are tested on: k folds over phrasings and over entries.

Shared by calibrate.py (which fits the fusion on the held-out cases) and holdout.py (which
measures the engine on them). Training one classifier per held-out phrasing would take an
hour; with k folds each phrasing is held out of exactly one classifier, and the corpora's
lines are held out the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

from bot.core.encoder import Encoder, Vectors
from bot.core.matching.semantic import (
    OUT_OF_SCOPE,
    PERSONAL,
    Calibration,
    Classifier,
    SemanticStage,
    TrainingSet,
    train_classifier,
)
from bot.core.models import TRANSLATION_LANGUAGES, KnowledgeBase
from bot.storage.corpora import read_corpus
from bot.storage.vectors import VectorCache

__all__ = ["DEFAULT_CACHE", "LANGUAGES", "Folds", "MemoEncoder"]

DEFAULT_CACHE = Path(__file__).resolve().parent.parent / ".cache" / "semantic"
PHRASING_FOLDS = 5
ENTRY_GROUPS = 6
LANGUAGES = ("en", *TRANSLATION_LANGUAGES)  # the phrasings' languages, as the classifier's rows


class MemoEncoder:
    """An encoder that encodes each text once (the held-out questions are all phrasings)."""

    def __init__(self, encoder: Encoder, known: dict[str, Vectors] | None = None) -> None:
        self.inner = encoder
        self.memo: dict[str, Vectors] = dict(known or {})
        self.name, self.version, self.dim = encoder.name, encoder.version, encoder.dim

    def encode(self, texts: Sequence[str]) -> Vectors:
        missing = [text for text in dict.fromkeys(texts) if text not in self.memo]
        if missing:
            self.memo.update(zip(missing, self.inner.encode(missing), strict=True))
        return np.stack([self.memo[text] for text in texts]).astype(np.float32)


class Folds:
    """The knowledge base's training set, encoded once, and the classifiers of each fold."""

    def __init__(self, knowledge: KnowledgeBase, encoder: Encoder, cache_dir: Path) -> None:
        self.knowledge = knowledge
        chat, personal = read_corpus("chat"), read_corpus("personal")
        self.training = TrainingSet.build(knowledge, chat, personal)
        vectors = VectorCache(cache_dir, encoder).vectors(self.training.texts)
        self.vectors = vectors
        self.encoder = MemoEncoder(encoder, dict(zip(self.training.texts, vectors, strict=False)))
        # Each row's phrasing fold: an entry's question is never held out (holdout.py holds
        # out asks only), its asks in every language and each corpus's lines go round the
        # folds in turn. Rows follow TrainingSet.build: English, then each translation. An
        # English ask and the Spanish ask in its place share a fold, so a fold's classifier
        # never sees a held-out Spanish ask through a translation of it either.
        fold = np.full(len(self.training.texts), -1)
        row = 0
        for language in LANGUAGES:
            for phrasings in knowledge.phrasings(language).values():
                fold[row + 1 : row + len(phrasings)] = (
                    np.arange(len(phrasings) - 1) % PHRASING_FOLDS
                )
                row += len(phrasings)
        for label in (OUT_OF_SCOPE, PERSONAL):
            rows = [i for i, lab in enumerate(self.training.labels) if lab == label]
            fold[rows] = np.arange(len(rows)) % PHRASING_FOLDS
        self.fold = fold
        self.group = {entry_id: i % ENTRY_GROUPS for i, entry_id in enumerate(knowledge.entries)}

    def ask_fold(self, entry_id: str, ask: int) -> int:
        """The fold that holds out the `ask`-th ask of the entry, in any language."""
        del entry_id
        return ask % PHRASING_FOLDS

    def lines(self, label: str) -> list[tuple[str, int]]:
        """A corpus's lines with the fold that holds each out."""
        return [
            (text, int(self.fold[i]))
            for i, (text, lab) in enumerate(
                zip(self.training.texts, self.training.labels, strict=True)
            )
            if lab == label
        ]

    @cache  # noqa: B019 (one Folds per run)
    def without_fold(self, fold: int) -> Classifier:
        """Trained on every row but the fold's asks (every language) and corpus lines."""
        return self._train(self.fold != fold)

    @cache  # noqa: B019
    def without_group(self, group: int) -> Classifier:
        """Trained on every row but the phrasings of the group's entries, in every language."""
        held = {entry_id for entry_id, g in self.group.items() if g == group}
        return self._train(np.array([label not in held for label in self.training.labels]))

    def stage(
        self, classifier: Classifier, calibration: Calibration | None = None
    ) -> SemanticStage:
        """A semantic stage over the memoised encoder."""
        if calibration is None:
            return SemanticStage(self.encoder, classifier)
        return SemanticStage(self.encoder, classifier, calibration)

    def _train(self, keep: np.ndarray) -> Classifier:
        labels = [label for label, k in zip(self.training.labels, keep, strict=True) if k]
        return train_classifier(self.vectors[keep], labels)
