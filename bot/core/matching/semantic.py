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
from bot.core.matching.match import Match
from bot.core.models import TRANSLATION_LANGUAGES, KnowledgeBase

__all__ = [
    "CALIBRATION",
    "OUT_OF_SCOPE",
    "PERSONAL",
    "Calibration",
    "Classifier",
    "SemanticStage",
    "TrainingSet",
    "features",
    "fuse",
    "train_classifier",
]

OUT_OF_SCOPE = "~out-of-scope"  # labels no entry id can take (slugs start with [a-z0-9])
PERSONAL = "~personal"

Floats = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Calibration:
    """Fusion weights and decision thresholds, on the fused confidence (0-1).

    The confidence that a candidate entry is the one asked about is a logistic regression on
    what both stages say of it: the classifier's log-probability, the lexical score, how much
    of the question the lexical match explains (coverage) and how topical the shared words are
    (evidence), and whether each stage ranks it first. Fitted on held-out knowledge-base
    phrasings, entries held out whole and held-out corpus lines, never on the evaluation set:
    `python evaluation/calibrate.py` prints this dataclass.
    """

    semantic: float  # weight of log(classifier probability)
    lexical: float  # weight of the lexical score (0-1; 0 when not a lexical candidate)
    coverage: float  # weight of the lexical match's coverage of the question
    evidence: float  # weight of the lexical match's topical evidence
    semantic_first: float  # the classifier ranks it first
    lexical_first: float  # the lexical stage ranks it first
    # The lexical stage found nothing: none of the question's words are the knowledge base's
    # (another language, or a paraphrase), so the classifier alone speaks.
    unmatched: float
    bias: float
    answer: float  # ask mode: confidence needed to answer
    listen: float  # listen mode: confidence needed to answer unprompted
    lead: float  # lead over the runner-up needed to answer (Rasa's ambiguity threshold)
    suggest: float  # confidence needed for a "did you mean" choice
    personal: float  # personal-situation probability that routes to the contact page

    def fuse(self, features: Floats) -> Floats:
        """Confidence per row of `features` (columns in the order of the weights above)."""
        weights = np.array(
            [
                self.semantic,
                self.lexical,
                self.coverage,
                self.evidence,
                self.semantic_first,
                self.lexical_first,
                self.unmatched,
            ],
            dtype=np.float32,
        )
        z = features @ weights + self.bias
        confidence: Floats = (1.0 / (1.0 + np.exp(-z))).astype(np.float32)
        return confidence


CALIBRATION = Calibration(
    semantic=2.044,
    lexical=3.963,
    coverage=-2.577,
    evidence=-0.082,
    semantic_first=-0.052,
    lexical_first=0.802,
    unmatched=0.698,
    bias=0.477,
    answer=0.71,
    listen=0.73,
    lead=0.0,
    suggest=0.33,
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


# Inverse regularisation: put the right entry first for 568 of 736 held-out phrasings, against
# 552 at 20 and 511 at 5 (evaluation/semantic_folds.py folds).
_C = 100.0


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
        self, probabilities: dict[str, float], lexical: Sequence[Match], top: int = 5
    ) -> list[Scored]:
        """Fused confidences of the lexical candidates and the classifier's `top` entries."""
        return fuse(probabilities, lexical, self.calibration, top)


def features(
    probabilities: dict[str, float], lexical: Sequence[Match], top: int = 5
) -> tuple[list[str], Floats]:
    """Return the candidates (the classifier's `top` entries, the lexical ones) and features."""
    entries = sorted(
        ((p, label) for label, p in probabilities.items() if not label.startswith("~")),
        reverse=True,
    )
    matches = {m.entry_id: m for m in lexical}
    candidates = list(dict.fromkeys([*(label for _, label in entries[:top]), *matches]))
    first_semantic = entries[0][1] if entries else None
    first_lexical = lexical[0].entry_id if lexical else None
    rows = np.zeros((len(candidates), 7), dtype=np.float32)
    for row, candidate in zip(rows, candidates, strict=True):
        match = matches.get(candidate)
        row[0] = np.log(max(probabilities.get(candidate, 0.0), _FLOOR))
        if match is not None:
            row[1:4] = (match.score / 100, match.coverage, match.evidence)
        row[4] = candidate == first_semantic
        row[5] = candidate == first_lexical
        row[6] = first_lexical is None
    return candidates, rows


def fuse(
    probabilities: dict[str, float],
    lexical: Sequence[Match],
    calibration: Calibration,
    top: int = 5,
) -> list[Scored]:
    """Return the candidates with their fused confidence, best first."""
    candidates, rows = features(probabilities, lexical, top)
    confidence = calibration.fuse(rows).tolist()
    scored = [
        Scored(c, conf, probabilities.get(c, 0.0), float(row[1]))
        for c, conf, row in zip(candidates, confidence, rows, strict=True)
    ]
    return sorted(scored, key=lambda s: s.confidence, reverse=True)


_FLOOR = 1e-4  # the least probability the fusion sees (log of a rounding error is noise)


def folds(count: int, k: int) -> Iterator[npt.NDArray[np.bool_]]:
    """K boolean masks over `count` rows, each row held out in exactly one (every k-th row)."""
    index = np.arange(count)
    for fold in range(k):
        yield index % k == fold
