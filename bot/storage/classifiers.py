"""Trained classifiers kept in the data directory, so a restart on unchanged files trains nothing.

Keyed by the training set's digest (texts, labels, model and settings: TrainingSet.digest);
stored as plain arrays (npz without pickle), written to a temporary name and renamed.
"""

from __future__ import annotations

import logging
import os
import zipfile
from pathlib import Path

import numpy as np

from bot.core.matching.semantic import Classifier

__all__ = ["ClassifierCache"]

log = logging.getLogger(__name__)


class ClassifierCache:
    """One file: the classifier of the last training set (older ones are replaced)."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "classifier.npz"

    def load(self, digest: str) -> Classifier | None:
        """Return the classifier trained on the set with this digest, if it is the one kept."""
        try:
            with np.load(self.path, allow_pickle=False) as data:
                if str(data["digest"]) != digest:
                    return None
                labels, weights, bias = data["labels"], data["weights"], data["bias"]
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
            log.warning("classifier cache %s is unreadable (%s): training again", self.path, error)
            return None
        if weights.shape[0] != len(labels) or bias.shape != (len(labels),):
            return None
        return Classifier(
            tuple(str(label) for label in labels.tolist()),
            np.ascontiguousarray(weights, dtype=np.float32),
            np.ascontiguousarray(bias, dtype=np.float32),
        )

    def save(self, digest: str, classifier: Classifier) -> None:
        """Keep `classifier` as the one trained on the set with `digest`."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
        try:
            with temporary.open("wb") as stream:
                np.savez(
                    stream,
                    digest=np.array(digest),
                    labels=np.array(classifier.labels),
                    weights=classifier.weights,
                    bias=classifier.bias,
                )
            os.replace(temporary, self.path)
        except OSError as error:
            log.warning("classifier cache %s not saved (%s)", self.path, error)
            temporary.unlink(missing_ok=True)
