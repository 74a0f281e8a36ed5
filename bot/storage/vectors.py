"""The phrasing-vector cache: each text encoded once per model, kept in the data directory.

Keyed by the encoder's name and version plus each text's digest, so a moderator's edit encodes
only the phrasings it changed and a restart on unchanged files encodes nothing. One file per
model (`phrasings-<name>-<version>.npz`: digests and float32 rows, no pickle), written whole to
a temporary name and renamed, so a crash never leaves half a file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.core.encoder import Encoder, Vectors

__all__ = ["VectorCache", "text_digests"]

log = logging.getLogger(__name__)

_DIGEST = 16  # bytes of sha256 kept per text: collisions are out of reach at any base size
_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]")


def text_digests(texts: Sequence[str]) -> npt.NDArray[np.void]:
    """One fixed-size digest per text (the cache's key, with the model)."""
    return np.array(
        [hashlib.sha256(text.encode()).digest()[:_DIGEST] for text in texts],
        dtype=f"V{_DIGEST}",
    )


class VectorCache:
    """Vectors for texts under one encoder, read from and written to `directory`."""

    def __init__(self, directory: Path, encoder: Encoder, kind: str = "phrasings") -> None:
        """`kind` names the set of texts (the file holds one set: the last one asked for)."""
        self.encoder = encoder
        name = _UNSAFE.sub("_", f"{kind}-{encoder.name}-{encoder.version}")
        self.path = directory / f"{name}.npz"
        self.encoded = 0  # texts encoded by this cache so far (the rest came from the file)

    def vectors(self, texts: Sequence[str]) -> Vectors:
        """Return one unit row per text: cached rows, and the missing ones encoded and saved.

        The file then holds exactly `texts` (rows of removed phrasings are dropped).
        """
        digests = text_digests(texts)
        known = self._read()
        rows = np.empty((len(texts), self.encoder.dim), dtype=np.float32)
        missing: list[int] = []
        for index, digest in enumerate(digests.tolist()):
            row = known.get(digest)
            if row is None:
                missing.append(index)
            else:
                rows[index] = row
        if missing:
            rows[missing] = self.encoder.encode([texts[index] for index in missing])
            self.encoded += len(missing)
        if missing or len(known) != len(set(digests.tolist())):
            self._write(digests, rows)
        return rows

    def _read(self) -> dict[bytes, Vectors]:
        try:
            with np.load(self.path, allow_pickle=False) as data:
                digests, rows = data["digests"], data["rows"]
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
            log.warning("vector cache %s is unreadable (%s): encoding again", self.path, error)
            return {}
        if rows.ndim != 2 or rows.shape != (len(digests), self.encoder.dim):
            log.warning("vector cache %s has the wrong shape: encoding again", self.path)
            return {}
        return dict(zip(digests.tolist(), rows.astype(np.float32, copy=False), strict=True))

    def _write(self, digests: npt.NDArray[np.void], rows: Vectors) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
        try:
            with temporary.open("wb") as stream:
                np.savez(stream, digests=digests, rows=rows)
            os.replace(temporary, self.path)
        except OSError as error:
            log.warning("vector cache %s not saved (%s)", self.path, error)
            temporary.unlink(missing_ok=True)
