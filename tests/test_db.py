"""The database keeps counts, feedback and unanswered questions, and forgets them in time."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.db import Database


async def test_retention_deletes_old_questions_and_feedback_only(tmp_path: Path) -> None:
    database = await Database.open(tmp_path)
    await database.record_unanswered("how do i renew my passport")
    await database.record_event("none", "ask", None)
    await database.record_feedback(1, 42, "what-is-doma", helpful=True)
    await database.flush()
    with sqlite3.connect(tmp_path / "familyties.sqlite3") as connection:
        connection.execute("UPDATE unanswered SET at = '2020-01-01T00:00:00+00:00'")
        connection.execute("UPDATE feedback SET at = '2020-01-01T00:00:00+00:00'")
    assert await database.purge(retention_days=90) == 2
    assert await database.unanswered_questions(days=10_000) == []
    assert await database.event_counts(days=1) == {"none": 1}  # counts are kept
    await database.close()


async def test_user_ids_are_stored_only_as_keyed_hashes(tmp_path: Path) -> None:
    database = await Database.open(tmp_path)
    await database.record_feedback(1, 123456789012345678, "what-is-doma", helpful=False)
    await database.close()
    raw = (tmp_path / "familyties.sqlite3").read_bytes()
    assert b"123456789012345678" not in raw
    # Another deployment has another key: its hash of the same id differs.
    first = await Database.open(tmp_path)
    other = await Database.open(tmp_path / "elsewhere")
    assert first.user_hash(123456789012345678) != other.user_hash(123456789012345678)
    assert first.user_hash(123456789012345678) == first.user_hash(123456789012345678)
    await first.close()
    await other.close()


async def test_queued_counts_are_written_on_close(tmp_path: Path) -> None:
    database = await Database.open(tmp_path)
    await database.record_event("answer", "listen", "what-is-doma")
    await database.close()
    with sqlite3.connect(tmp_path / "familyties.sqlite3") as connection:
        assert connection.execute("SELECT kind, entry_id FROM events").fetchall() == [
            ("answer", "what-is-doma")
        ]
