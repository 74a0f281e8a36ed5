"""The semantic stage: an intent classifier over sentence vectors, fused with the lexical stage.

Like Rasa NLU's intent classification from examples, a logistic regression is trained on the
knowledge base's own phrasings (entry ids as labels), plus two written corpora as extra
classes: chat and off-topic lines (out of scope: silence) and personal situations (routed to
the contact page). Its probability for an entry and the lexical score are fused into one
calibrated confidence (`Calibration`, fitted by evaluation/calibrate.py on held-out phrasings).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.core.encoder import Encoder, Vectors
from bot.core.models import TRANSLATION_LANGUAGES, KnowledgeBase

__all__ = [
    "CALIBRATION",
    "OUT_OF_SCOPE",
    "PERSONAL",
    "Calibration",
    "Classifier",
    "SemanticStage",
    "TrainingSet",
    "train_classifier",
]

OUT_OF_SCOPE = "~out-of-scope"  # labels no entry id can take (slugs start with [a-z0-9])
PERSONAL = "~personal"

Floats = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Calibration:
    """Fusion weights and decision thresholds, on the fused confidence (0-1).

    Fitted on held-out knowledge-base phrasings and held-out corpus lines, never on the
    evaluation set: `python evaluation/calibrate.py` prints this dataclass.
    """

    semantic: float  # weight of the classifier's probability for the entry
    lexical: float  # weight of the lexical score (0-1; 0 when not a lexical candidate)
    both: float  # weight of their product: the two stages agreeing
    bias: float
    answer: float  # ask mode: confidence needed to answer
    listen: float  # listen mode: confidence needed to answer unprompted
    lead: float  # lead over the runner-up needed to answer (Rasa's ambiguity threshold)
    suggest: float  # confidence needed for a "did you mean" choice
    personal: float  # personal-situation probability that routes to the contact page

    def fuse(self, semantic: Floats, lexical: Floats) -> Floats:
        """Return the confidence that each candidate entry is the one asked about."""
        z = self.semantic * semantic + self.lexical * lexical + self.both * semantic * lexical
        confidence: Floats = (1.0 / (1.0 + np.exp(-(z + self.bias)))).astype(np.float32)
        return confidence


CALIBRATION = Calibration(
    semantic=15.17,
    lexical=4.961,
    both=-10.067,
    bias=-5.631,
    answer=0.76,
    listen=0.89,
    lead=0.26,
    suggest=0.3,
    personal=0.5,
)


@dataclass(frozen=True, slots=True)
class Classifier:
    """A trained softmax classifier: one row of weights per label."""

    labels: tuple[str, ...]
    weights: Floats  # (labels, dim)
    bias: Floats  # (labels,)

    def probabilities(self, vectors: Vectors) -> Floats:
        """(len(vectors), len(labels)) probabilities, each row summing to 1."""
        logits = vectors @ self.weights.T + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=1, keepdims=True)
        return np.asarray(logits, dtype=np.float32)


@dataclass(frozen=True, slots=True)
class TrainingSet:
    """Texts and their labels: the phrasings, then the chat and personal corpora."""

    texts: tuple[str, ...]
    labels: tuple[str, ...]

    @classmethod
    def build(
        cls, knowledge: KnowledgeBase, chat: Sequence[str], personal: Sequence[str]
    ) -> TrainingSet:
        """Every phrasing of every entry, English then each translation, then the corpora's lines.

        A translation's phrasings are labelled with their entry: the encoder is multilingual,
        so a Spanish question reaches the entry through them as an English one does.
        """
        pairs = [
            (phrasing, entry_id)
            for language in ("en", *TRANSLATION_LANGUAGES)
            for entry_id, phrasings in knowledge.phrasings(language).items()
            for phrasing in phrasings
        ]
        pairs += [(line, OUT_OF_SCOPE) for line in chat]
        pairs += [(line, PERSONAL) for line in personal]
        return cls(tuple(p for p, _ in pairs), tuple(label for _, label in pairs))

    def digest(self, encoder: Encoder) -> str:
        """Identify the trained classifier: the texts, labels, model and training settings."""
        digest = hashlib.sha256(f"{encoder.name}\0{encoder.version}\0{_C}\0".encode())
        for text, label in zip(self.texts, self.labels, strict=True):
            digest.update(f"{label}\0{text}\0".encode())
        return digest.hexdigest()


_C = 20.0  # inverse regularisation (the reference measurement's setting)


def train_classifier(vectors: Vectors, labels: Sequence[str]) -> Classifier:
    """Fit a multinomial logistic regression (scikit-learn's, the reference)."""
    from sklearn.linear_model import LogisticRegression  # slow to import: only when training

    model = LogisticRegression(C=_C, max_iter=1000)
    model.fit(vectors, list(labels))
    return Classifier(
        tuple(str(label) for label in model.classes_),
        np.ascontiguousarray(model.coef_, dtype=np.float32),
        np.ascontiguousarray(model.intercept_, dtype=np.float32),
    )


@dataclass(frozen=True, slots=True)
class Scored:
    """A candidate entry with its fused confidence and the two stages' evidence."""

    entry_id: str
    confidence: float
    semantic: float
    lexical: float


@dataclass(frozen=True, slots=True)
class SemanticStage:
    """The encoder and the classifier trained for one knowledge base."""

    encoder: Encoder
    classifier: Classifier
    calibration: Calibration = CALIBRATION

    def probabilities(self, text: str) -> dict[str, float]:
        """Each label's probability for one question."""
        row = self.classifier.probabilities(self.encoder.encode([text]))[0]
        return dict(zip(self.classifier.labels, row.tolist(), strict=True))

    def fuse(
        self, probabilities: dict[str, float], lexical: dict[str, float], top: int = 5
    ) -> list[Scored]:
        """Fused confidences of the lexical candidates and the classifier's `top` entries."""
        entries = sorted(
            ((p, label) for label, p in probabilities.items() if not label.startswith("~")),
            reverse=True,
        )
        candidates = list(dict.fromkeys([*(label for _, label in entries[:top]), *lexical]))
        semantic = np.array([probabilities.get(c, 0.0) for c in candidates], dtype=np.float32)
        lexical_scores = np.array([lexical.get(c, 0.0) for c in candidates], dtype=np.float32)
        confidence = self.calibration.fuse(semantic, lexical_scores)
        scored = [
            Scored(c, float(conf), float(s), float(lx))
            for c, conf, s, lx in zip(
                candidates,
                confidence.tolist(),
                semantic.tolist(),
                lexical_scores.tolist(),
                strict=True,
            )
        ]
        return sorted(scored, key=lambda s: s.confidence, reverse=True)


def folds(count: int, k: int) -> Iterator[npt.NDArray[np.bool_]]:
    """K boolean masks over `count` rows, each row held out in exactly one (every k-th row)."""
    index = np.arange(count)
    for fold in range(k):
        yield index % k == fold
