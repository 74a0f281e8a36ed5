"""The live knowledge base: replaced whole after validation, never edited in place.

Like discord.py's extension reload, a failed reload behaves as if it never happened: the
store keeps serving the engine it had.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.core.cache import EngineCache
from bot.core.decide import Engine, Thresholds
from bot.core.loader import KnowledgeFolder, parse_knowledge
from bot.core.models import KnowledgeBase

__all__ = ["Diff", "KnowledgeStore", "fingerprint", "folder_fingerprint"]

_HASH_BLOCK = 1 << 20  # bytes of a file hashed at once


@dataclass(frozen=True, slots=True)
class Diff:
    """Which entry ids a new knowledge base adds, changes and removes."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    @classmethod
    def between(cls, old: KnowledgeBase, new: KnowledgeBase) -> Diff:
        """Compare two knowledge bases entry by entry."""
        return cls(
            added=tuple(sorted(new.entries.keys() - old.entries.keys())),
            changed=tuple(
                sorted(
                    entry_id
                    for entry_id in new.entries.keys() & old.entries.keys()
                    if new.entries[entry_id] != old.entries[entry_id]
                )
            ),
            removed=tuple(sorted(old.entries.keys() - new.entries.keys())),
        )

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def summary(self) -> str:
        """`2 added (a, b), 1 changed (c)`, or `no entry changed`."""
        parts = [
            f"{len(ids)} {label} ({', '.join(ids)})"
            for label, ids in (
                ("added", self.added),
                ("changed", self.changed),
                ("removed", self.removed),
            )
            if ids
        ]
        return ", ".join(parts) or "no entry changed"


class KnowledgeStore:
    """Holds the engine for the current knowledge base and swaps it atomically.

    With `cache_dir`, engines built from files are kept there (bot.core.cache), so a restart
    or reload of unchanged files skips parsing, validation and indexing.
    """

    def __init__(
        self,
        directory: Path,
        thresholds: Thresholds | None = None,
        *,
        cache_dir: Path | None = None,
    ) -> None:
        self.directory = directory
        self.thresholds = thresholds or Thresholds()
        self._cache = EngineCache(cache_dir) if cache_dir is not None else None
        folder = KnowledgeFolder(directory)
        self._fingerprint: str | None = folder_fingerprint(folder)
        self._engine = self._build(folder, self._fingerprint)
        self.last_reload_ok = True

    @property
    def engine(self) -> Engine:
        """The engine to use for the next message (read once per message)."""
        return self._engine

    @property
    def fingerprint(self) -> str | None:
        """`fingerprint` of the files being served; None when they are not known to be on disk."""
        return self._fingerprint

    @property
    def knowledge(self) -> KnowledgeBase:
        """The knowledge base being served."""
        return self._engine.knowledge

    def reload(self, *, only_if_changed: bool = False) -> Diff:
        """Re-read the folder; on any problem raise KnowledgeError and keep the old base.

        With `only_if_changed`, files identical to those last loaded are not parsed again
        (a watcher sees its own process's writes too).
        """
        folder = KnowledgeFolder(self.directory)
        current = folder_fingerprint(folder)
        if only_if_changed and current == self._fingerprint:
            self.last_reload_ok = True  # the files are again exactly those being served
            return Diff()
        try:
            engine = self._build(folder, current)
        except Exception:
            self.last_reload_ok = False
            raise
        return self._swap(engine, current)

    def replace(self, knowledge: KnowledgeBase, files: Mapping[str, str] | None = None) -> Diff:
        """Serve an already validated knowledge base from the next message on.

        `files` are the texts it was parsed from, when they are the folder's content: a watcher
        then knows the folder holds nothing newer (no second parse of the same change).
        """
        engine = Engine(knowledge, self.thresholds)  # built fully before the swap
        current = fingerprint(files) if files is not None else None
        if self._cache is not None and current is not None:
            self._cache.save(current, knowledge, engine.matcher)
        return self._swap(engine, current)

    def _build(self, folder: KnowledgeFolder, current: str) -> Engine:
        """Return the engine for the folder's files: cached, or parsed and indexed (then cached).

        The files are read as they are parsed (a large base's texts are never all in memory),
        so they may change in between: the engine is cached only if their fingerprint is still
        `current` (else it would be found under the wrong files' key).
        """
        cached = self._cache.load(current) if self._cache is not None else None
        if cached is not None:
            knowledge, matcher = cached
            return Engine(knowledge, self.thresholds, matcher)
        engine = Engine(parse_knowledge(folder), self.thresholds)
        if self._cache is not None and folder_fingerprint(folder) == current:
            self._cache.save(current, engine.knowledge, engine.matcher)
        return engine

    def _swap(self, engine: Engine, current: str | None) -> Diff:
        diff = Diff.between(self._engine.knowledge, engine.knowledge)
        self._engine = engine
        self._fingerprint = current
        self.last_reload_ok = True
        return diff


def fingerprint(files: Mapping[str, str]) -> str:
    """Identify a set of knowledge file texts (to notice whether anything changed)."""
    digest = hashlib.sha256()
    for name, text in sorted(files.items()):
        digest.update(name.encode() + b"\0" + text.encode() + b"\0")
    return digest.hexdigest()


def folder_fingerprint(folder: KnowledgeFolder) -> str:
    """`fingerprint` of the folder's texts, from their bytes read a block at a time.

    The same as `fingerprint(read_knowledge_files(...))` (texts are their files' bytes, decoded
    exactly), without holding every text at once: about 290 MB at 100,000 entries.
    """
    digest = hashlib.sha256()
    for name in sorted(folder):
        digest.update(name.encode() + b"\0")
        with folder.open_bytes(name) as stream:
            while block := stream.read(_HASH_BLOCK):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()
