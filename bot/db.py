"""What the bot remembers, in SQLite: counts, feedback, unanswered questions, the audit log.

Privacy first: user ids are stored only as a keyed hash; only the scrubbed text of questions
asked directly and left unanswered is kept (`bot.core.keep` decides); a member can delete
their votes and questions (`forget`); questions and feedback go after the retention period.
Deleted rows are zeroed in the file (secure_delete) and the WAL is truncated after deleting,
so what is forgotten does not linger on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from bot.core.audit import AuditRecord
from bot.core.decide import Decision, Mode
from bot.core.keep import should_keep_text
from bot.core.scrub import scrub

__all__ = ["AuditRecord", "Database", "FeedbackCount", "MemberData", "load_hash_key"]

# Longest question text kept (after scrubbing): enough for moderators to see what was asked.
_QUESTION_CHARS = 500

# Queued counts are written at most this long after they happen.
FLUSH_SECONDS = 1.0

_SCHEMA = (
    # version 1
    """
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        mode TEXT NOT NULL,
        entry_id TEXT
    );
    CREATE INDEX events_at ON events (at);
    CREATE TABLE feedback (
        message_id INTEGER NOT NULL,
        user_hash TEXT NOT NULL,
        entry_id TEXT NOT NULL,
        helpful INTEGER NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (message_id, user_hash)
    );
    CREATE TABLE unanswered (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        question TEXT NOT NULL
    );
    CREATE INDEX unanswered_at ON unanswered (at);
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor_hash TEXT NOT NULL,
        actor_name TEXT NOT NULL,
        command TEXT NOT NULL,
        entry_id TEXT,
        summary TEXT NOT NULL,
        before TEXT,
        after TEXT
    );
    """,
    # version 2: each question carries its asker's keyed hash, so `forget` can find it. The
    # questions kept before were neither scrubbed nor tied to an asker, so no one could delete
    # theirs: they are dropped.
    """
    DELETE FROM unanswered;
    ALTER TABLE unanswered ADD COLUMN user_hash TEXT NOT NULL DEFAULT '';
    CREATE INDEX unanswered_user ON unanswered (user_hash);
    CREATE INDEX feedback_user ON feedback (user_hash);
    """,
)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _since(days: float) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).isoformat(timespec="seconds")


def load_hash_key(data_dir: Path) -> bytes:
    """Return the secret key for hashing user ids, creating it (mode 0600) on first use."""
    path = data_dir / "hash.key"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
        return key


@dataclass(frozen=True, slots=True)
class FeedbackCount:
    """Helpful and not-helpful votes for one entry."""

    entry_id: str
    helpful: int
    not_helpful: int


@dataclass(frozen=True, slots=True)
class MemberData:
    """What is stored about one member: their feedback votes and their unanswered questions."""

    votes: int
    questions: int


class Database:
    """A small async wrapper over one SQLite file in WAL mode."""

    def __init__(self, connection: aiosqlite.Connection, hash_key: bytes) -> None:
        self._db = connection
        self._key = hash_key
        self._events: list[tuple[str, str, str, str | None]] = []
        self._unanswered: list[tuple[str, str, str]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._closed = False

    @classmethod
    async def open(cls, data_dir: Path) -> Database:
        """Open (creating and migrating) the database in `data_dir`."""
        data_dir.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(data_dir / "familyties.sqlite3")
        await connection.execute("PRAGMA journal_mode=WAL")
        await connection.execute("PRAGMA busy_timeout=5000")
        await connection.execute("PRAGMA foreign_keys=ON")
        await connection.execute("PRAGMA secure_delete=ON")
        async with connection.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        version = int(row[0]) if row else 0
        for number, script in enumerate(_SCHEMA[version:], start=version + 1):
            await connection.executescript(script)
            await connection.execute(f"PRAGMA user_version={number}")
        await connection.commit()
        return cls(connection, load_hash_key(data_dir))

    async def close(self) -> None:
        """Write what is queued, then close (the WAL is checkpointed by SQLite on close).

        Closing twice is harmless, so cleanup code may always close.
        """
        if self._closed:
            return
        self._closed = True
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        await self.flush()
        await self._db.close()

    def user_hash(self, user_id: int) -> str:
        """Hash a user id with the secret key: stable for counting, useless for identifying."""
        return hmac.new(self._key, str(user_id).encode(), hashlib.sha256).hexdigest()[:32]

    async def record_event(self, kind: str, mode: str, entry_id: str | None) -> None:
        """Count one decision; no text, no user. Written in batches (see `flush`)."""
        self._events.append((_now(), kind, mode, entry_id))
        self._flush_soon()

    async def record_decision(
        self, decision: Decision, mode: Mode, text: str, *, user_id: int | None
    ) -> bool:
        """Count a decision and keep its scrubbed text only where `should_keep_text` allows.

        The one call the application layer makes per message; returns whether text was kept.
        """
        await self.record_event(decision.kind.value, mode.value, decision.entry_id)
        if not should_keep_text(decision, mode):
            return False
        await self.record_unanswered(text, user_id=user_id)
        return True

    async def record_unanswered(self, question: str, *, user_id: int | None = None) -> None:
        """Keep an unanswered question, scrubbed, with its asker's keyed hash (for `forget`).

        Callers decide with `should_keep_text` first (`record_decision` does both). Without a
        `user_id` (a caller that does not know the asker), no member can `forget` the question.
        """
        kept = scrub(question).text[:_QUESTION_CHARS]
        asker = "" if user_id is None else self.user_hash(user_id)
        self._unanswered.append((_now(), kept, asker))
        self._flush_soon()

    def _flush_soon(self) -> None:
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_later(), name="familyties-db-flush")

    async def _flush_later(self) -> None:
        await asyncio.sleep(FLUSH_SECONDS)
        await self.flush()

    async def flush(self) -> None:
        """Write queued counts and questions in one transaction.

        Per-message commits would cost every answer an fsync; counts tolerate a second's delay
        (and a crash loses at most that second). Feedback and the audit log are never queued.
        """
        events, self._events = self._events, []
        unanswered, self._unanswered = self._unanswered, []
        if not events and not unanswered:
            return
        await self._db.executemany(
            "INSERT INTO events (at, kind, mode, entry_id) VALUES (?, ?, ?, ?)", events
        )
        await self._db.executemany(
            "INSERT INTO unanswered (at, question, user_hash) VALUES (?, ?, ?)", unanswered
        )
        await self._db.commit()

    async def record_feedback(
        self, message_id: int, user_id: int, entry_id: str, *, helpful: bool
    ) -> None:
        """Record a vote; a member's later vote on the same message replaces the earlier."""
        await self._db.execute(
            "INSERT INTO feedback (message_id, user_hash, entry_id, helpful, at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (message_id, user_hash)"
            " DO UPDATE SET helpful = excluded.helpful, at = excluded.at",
            (message_id, self.user_hash(user_id), entry_id, int(helpful), _now()),
        )
        await self._db.commit()

    async def event_counts(self, days: float) -> dict[str, int]:
        """Decisions by kind over the last `days` days."""
        await self.flush()
        async with self._db.execute(
            "SELECT kind, COUNT(*) FROM events WHERE at >= ? GROUP BY kind", (_since(days),)
        ) as cursor:
            return {str(kind): int(count) async for kind, count in cursor}

    async def feedback_counts(self, days: float) -> list[FeedbackCount]:
        """Votes per entry over the last `days` days, most voted first."""
        async with self._db.execute(
            "SELECT entry_id, SUM(helpful), SUM(1 - helpful) FROM feedback WHERE at >= ?"
            " GROUP BY entry_id ORDER BY COUNT(*) DESC, entry_id",
            (_since(days),),
        ) as cursor:
            return [FeedbackCount(str(e), int(h), int(n)) async for e, h, n in cursor]

    async def unanswered_questions(self, days: float) -> list[str]:
        """Unanswered questions of the last `days` days, newest first."""
        await self.flush()
        async with self._db.execute(
            "SELECT question FROM unanswered WHERE at >= ? ORDER BY at DESC, id DESC",
            (_since(days),),
        ) as cursor:
            return [str(question) async for (question,) in cursor]

    async def purge(self, retention_days: float) -> int:
        """Delete unanswered questions and feedback older than the retention period."""
        await self.flush()
        cutoff = _since(retention_days)
        removed = 0
        for table in ("unanswered", "feedback"):
            cursor = await self._db.execute(f"DELETE FROM {table} WHERE at < ?", (cutoff,))  # noqa: S608
            removed += cursor.rowcount
        await self._commit_erasure()
        return removed

    async def member_data(self, user_id: int) -> MemberData:
        """Count what is stored about one member (shown before they confirm `forget`)."""
        await self.flush()
        user_hash = self.user_hash(user_id)
        counts: list[int] = []
        for table in ("feedback", "unanswered"):
            async with self._db.execute(
                f"SELECT COUNT(*) FROM {table} WHERE user_hash = ?",  # noqa: S608
                (user_hash,),
            ) as cursor:
                row = await cursor.fetchone()
            counts.append(int(row[0]) if row else 0)
        return MemberData(votes=counts[0], questions=counts[1])

    async def forget(self, user_id: int) -> MemberData:
        """Delete a member's feedback votes and unanswered questions; return what was deleted.

        Their counted decisions stay: those carry no text and no user. The audit log of
        moderators' edits stays too: it is the record of who changed the knowledge base.
        """
        await self.flush()
        user_hash = self.user_hash(user_id)
        votes = await self._db.execute("DELETE FROM feedback WHERE user_hash = ?", (user_hash,))
        questions = await self._db.execute(
            "DELETE FROM unanswered WHERE user_hash = ?", (user_hash,)
        )
        await self._commit_erasure()
        return MemberData(votes=votes.rowcount, questions=questions.rowcount)

    async def _commit_erasure(self) -> None:
        """Commit deletions, then empty the WAL, which still holds the deleted rows' pages."""
        await self._db.commit()
        await self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

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
        """Append one change to the audit log; returns its number (for `undo`)."""
        cursor = await self._db.execute(
            "INSERT INTO audit (at, actor_hash, actor_name, command, entry_id, summary, before,"
            " after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                _now(),
                self.user_hash(actor_id),
                actor_name,
                command,
                entry_id,
                summary,
                json.dumps(before),
                json.dumps(after),
            ),
        )
        await self._db.commit()
        return int(cursor.lastrowid or 0)

    async def audit(self, limit: int = 10, change_id: int | None = None) -> list[AuditRecord]:
        """Return the latest changes, newest first, or the change numbered `change_id`."""
        query = "SELECT id, at, actor_name, command, entry_id, summary, before, after FROM audit"
        params: Sequence[Any] = ()
        if change_id is not None:
            query += " WHERE id = ?"
            params = (change_id,)
        query += " ORDER BY id DESC LIMIT ?"
        async with self._db.execute(query, (*params, limit)) as cursor:
            return [_audit_record(row) async for row in cursor]

    async def audit_after(
        self, change_id: int, *, files: Sequence[str] = (), limit: int = 10
    ) -> list[AuditRecord]:
        """Return changes made after `change_id` (that changed one of `files`), newest first."""
        query = (
            "SELECT id, at, actor_name, command, entry_id, summary, before, after FROM audit"
            " WHERE id > ?"
        )
        if files:
            # Only placeholders are interpolated; the file names are bound parameters.
            marks = ", ".join("?" * len(files))
            query += " AND EXISTS (SELECT 1 FROM json_each(audit.after)"
            query += f" WHERE key IN ({marks}))"
        async with self._db.execute(
            query + " ORDER BY id DESC LIMIT ?", (change_id, *files, limit)
        ) as cursor:
            return [_audit_record(row) async for row in cursor]


def _audit_record(r: Any) -> AuditRecord:
    return AuditRecord(
        int(r[0]),
        str(r[1]),
        str(r[2]),
        str(r[3]),
        r[4],
        str(r[5]),
        json.loads(r[6] or "{}"),
        json.loads(r[7] or "{}"),
    )
