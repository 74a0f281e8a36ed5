"""An on-disk cache of validated knowledge bases and their indexes, keyed by content.

Loading a large knowledge base is mostly YAML parsing, validation and index building, and a
restart or a reload of unchanged files needs none of it. A cache file holds the knowledge base
and the matcher built from exactly these file texts by exactly this code: its key hashes every
file's name and text, the core's source files and the versions of the libraries whose output
it stores. Any change makes a new key, so a stale file is never used, only replaced.

The cache is an optimisation only: a missing, unreadable or corrupt file is ignored (and
removed) and the engine is built from the files. It is safe to delete at any time. Cache files
are pickles: they are trusted like the database beside them in the data folder, which only the
bot's own user may write.

The index's arrays are stored after the pickle (protocol 5 out-of-band buffers) and mapped from
the file, read-only, rather than read: a restart's memory is then the knowledge base alone
until queries touch the index's pages (at 100,000 entries, 583 questions touch 82 of 89 MB),
which the system can drop and read again as it needs: they are the file's, not the process's.
A file is only ever replaced (renamed over) or deleted, never rewritten, so a mapped file
stays whole while an engine uses it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import mmap
import os
import pickle
import sys
import tempfile
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import IO

from bot.core.matching import Matcher
from bot.core.models import KnowledgeBase, paused_gc, release_free_memory

__all__ = ["EngineCache", "code_version"]

log = logging.getLogger(__name__)

_FORMAT = b"familyties-engine-cache-2"
_PREFIX, _SUFFIX = "engine-", ".pickle"
_ALIGN = 64  # bytes: each array starts on a multiple, as numpy's own buffers do
_TABLE_LENGTH = 8  # bytes, the file's last: the length of the table of buffers before them
# Libraries whose behaviour is baked into a cached knowledge base or index.
_LIBRARIES = (
    "numpy",
    "pydantic",
    "pydantic-core",
    "PyYAML",
    "rapidfuzz",
    "snowballstemmer",
    "wordfreq",
)


@lru_cache(maxsize=1)
def code_version() -> str:
    """Hash of what turns files into a cached engine: core sources and data, libraries, Python."""
    digest = hashlib.sha256(_FORMAT + sys.version.encode())
    for name in _LIBRARIES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "?"
        digest.update(f"\0{name}={version}".encode())
    core = Path(__file__).resolve().parent
    for path in [*sorted(core.glob("*.py")), *sorted(core.glob("data/*"))]:  # data: english.py
        digest.update(b"\0" + path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class EngineCache:
    """Knowledge bases and matchers stored by the fingerprint of their files (one at a time)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, fingerprint: str) -> Path:
        """Return the cache file for files with this fingerprint, built by this code."""
        key = hashlib.sha256(f"{code_version()}\0{fingerprint}".encode()).hexdigest()
        return self.directory / f"{_PREFIX}{key[:40]}{_SUFFIX}"

    def load(self, fingerprint: str) -> tuple[KnowledgeBase, Matcher] | None:
        """Return the cached knowledge base and matcher, or None (missing or unusable)."""
        path = self.path(fingerprint)
        try:
            handle = path.open("rb")
        except OSError:
            return None
        # Pages freed amid the heap (an engine replaced or dropped before) go back first: the
        # loaded engine would otherwise come on top of them (about 130 MB at 100,000 entries).
        release_free_memory()
        try:
            # Read from the file, not from its bytes: a large base's file would double the peak.
            with handle, paused_gc():
                buffers = _mapped_buffers(handle)
                stored = pickle.load(handle, buffers=buffers)  # noqa: S301 - our own file
            magic, key, knowledge, matcher = stored
            if magic != _FORMAT or key != path.name:
                raise ValueError("written for another key")
            if not isinstance(knowledge, KnowledgeBase) or not isinstance(matcher, Matcher):
                raise TypeError("unexpected content")
        except Exception as error:  # any damage means: rebuild
            log.warning("Ignoring the unusable engine cache file %s: %s", path, error)
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        return knowledge, matcher

    def save(self, fingerprint: str, knowledge: KnowledgeBase, matcher: Matcher) -> None:
        """Store a knowledge base and its matcher, replacing older cache files.

        Written to a temporary file and renamed, so a reader never sees half a file; a
        failure (full or read-only disk) is logged and otherwise ignored.
        """
        path = self.path(fingerprint)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(
                dir=self.directory, prefix=".tmp-", suffix=_SUFFIX, delete=False
            ) as handle:
                try:
                    arrays: list[pickle.PickleBuffer] = []
                    stored = (_FORMAT, path.name, knowledge, matcher)
                    pickle.dump(stored, handle, protocol=5, buffer_callback=arrays.append)
                    _write_buffers(handle, arrays)
                except BaseException:
                    handle.close()
                    os.unlink(handle.name)
                    raise
            os.replace(handle.name, path)
        except (OSError, pickle.PicklingError) as error:
            log.warning("Could not write the engine cache %s: %s", path, error)
            return
        for old in self.directory.glob(f"{_PREFIX}*{_SUFFIX}"):
            if old != path:
                with contextlib.suppress(OSError):
                    old.unlink()


def _write_buffers(handle: IO[bytes], buffers: list[pickle.PickleBuffer]) -> None:
    """Append the out-of-band buffers, aligned, then their places and the places' length."""
    places: list[tuple[int, int]] = []
    for buffer in buffers:
        with buffer.raw() as view:
            handle.write(bytes(-handle.tell() % _ALIGN))
            places.append((handle.tell(), view.nbytes))
            handle.write(view)
    trailer = pickle.dumps(places, protocol=5)
    handle.write(trailer + len(trailer).to_bytes(_TABLE_LENGTH, "little"))


def _mapped_buffers(handle: IO[bytes]) -> list[memoryview]:
    """Return the buffers `_write_buffers` appended, as read-only views of the mapped file."""
    mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    end = len(mapped) - _TABLE_LENGTH
    trailer = end - int.from_bytes(mapped[end:], "little")
    if not 0 <= trailer < end:
        raise ValueError("no buffer table")
    places = pickle.loads(mapped[trailer:end])  # noqa: S301 - our own file in the data folder
    view = memoryview(mapped)
    buffers = []
    for start, size in places:
        if not (
            isinstance(start, int)
            and isinstance(size, int)
            and 0 <= start <= start + size <= trailer
        ):
            raise ValueError("a buffer outside the file")
        buffers.append(view[start : start + size])
    return buffers
