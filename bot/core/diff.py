"""What changed between two knowledge bases, entry by entry (for reload and edit reports)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.models import KnowledgeBase

__all__ = ["Diff"]


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
