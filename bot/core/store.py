"""The live knowledge base: replaced whole after validation, never edited in place.

Like discord.py's extension reload, a failed reload behaves as if it never happened: the
store keeps serving the engine it had.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.core.decide import Engine, Thresholds
from bot.core.loader import load_knowledge
from bot.core.models import KnowledgeBase

__all__ = ["Diff", "KnowledgeStore"]


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
    """Holds the engine for the current knowledge base and swaps it atomically."""

    def __init__(self, directory: Path, thresholds: Thresholds | None = None) -> None:
        self.directory = directory
        self.thresholds = thresholds or Thresholds()
        self._engine = Engine(load_knowledge(directory), self.thresholds)

    @property
    def engine(self) -> Engine:
        """The engine to use for the next message (read once per message)."""
        return self._engine

    @property
    def knowledge(self) -> KnowledgeBase:
        """The knowledge base being served."""
        return self._engine.knowledge

    def reload(self) -> Diff:
        """Re-read the folder; on any problem raise KnowledgeError and keep the old base."""
        return self.replace(load_knowledge(self.directory))

    def replace(self, knowledge: KnowledgeBase) -> Diff:
        """Serve an already validated knowledge base from the next message on."""
        engine = Engine(knowledge, self.thresholds)  # built fully before the swap
        diff = Diff.between(self._engine.knowledge, knowledge)
        self._engine = engine
        return diff
