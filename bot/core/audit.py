"""The audit log of knowledge changes, as the editor needs it: a protocol, not a database.

The editor records every change and reads them back for `undo`; bot.db implements this.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = ["AuditLog", "AuditRecord"]


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One change to the knowledge base: who, when, what, and the files before and after."""

    id: int
    at: str
    actor_name: str
    command: str
    entry_id: str | None
    summary: str
    before: dict[str, str | None]
    after: dict[str, str | None]


class AuditLog(Protocol):
    """Where knowledge changes are recorded, each with the exact texts before and after."""

    async def add_audit(
        self,
        *,
        actor_id: int,
        actor_name: str,
        command: str,
        entry_id: str | None,
        summary: str,
        before: dict[str, str | None],
        after: dict[str, str | None],
    ) -> int:
        """Record one change; return its number (for `undo`)."""
        ...

    async def audit(self, limit: int = 10, change_id: int | None = None) -> list[AuditRecord]:
        """Return the latest changes, newest first, or the change numbered `change_id`."""
        ...

    async def audit_after(
        self, change_id: int, *, files: Sequence[str] = (), limit: int = 10
    ) -> list[AuditRecord]:
        """Return changes made after `change_id` (that changed one of `files`), newest first."""
        ...
