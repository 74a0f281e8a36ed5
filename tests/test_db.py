"""The database keeps counts, feedback and scrubbed unanswered questions, and forgets them.

Privacy is checked where it matters: in the bytes of the SQLite file and its WAL.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest_asyncio
import yaml

from bot.core.decide import Engine, Mode
from bot.db import _SCHEMA, Database, MemberData
from bot.storage.folder import load_knowledge

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "personal_details.yaml"
ALICE, BOB = 284712903381204992, 938475610293847561


@cache
def engine() -> Engine:
    return Engine(load_knowledge(ROOT / "knowledge"))


def personal() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))["personal"]
    return items


def stored_bytes(data_dir: Path) -> bytes:
    """The database file with its WAL and shared-memory files, lowercased."""
    parts = [data_dir / f"familyties.sqlite3{suffix}" for suffix in ("", "-wal", "-shm")]
    return b"".join(part.read_bytes() for part in parts if part.exists()).lower()


def needles(detail: str) -> list[bytes]:
    """What must not be in the file: the detail, and its digits (5+ in a row: timestamps have
    at most 4)."""
    digits = "".join(re.findall(r"\d", detail))
    runs = [digits] if len(digits) >= 5 else []
    return [detail.casefold().encode(), *(run.encode() for run in runs)]


Open = Callable[[Path], Awaitable[Database]]


@pytest_asyncio.fixture
async def open_db() -> AsyncIterator[Open]:
    """`await open_db(path)` opens a database that is closed at teardown, even after a failure."""
    opened: list[Database] = []

    async def open_(path: Path) -> Database:
        opened.append(await Database.open(path))
        return opened[-1]

    yield open_
    for database in opened:
        await database.close()


async def test_retention_deletes_old_questions_and_feedback_only(
    tmp_path: Path, open_db: Open
) -> None:
    database = await open_db(tmp_path)
    await database.record_unanswered("how do i renew my passport", user_id=ALICE)
    await database.record_event("none", "ask", None)
    await database.record_feedback(1, ALICE, "what-is-doma", helpful=True)
    await database.flush()
    with sqlite3.connect(tmp_path / "familyties.sqlite3") as connection:
        connection.execute("UPDATE unanswered SET at = '2020-01-01T00:00:00+00:00'")
        connection.execute("UPDATE feedback SET at = '2020-01-01T00:00:00+00:00'")
    assert await database.purge(retention_days=90) == 2
    assert await database.unanswered_questions(days=10_000) == []
    assert await database.event_counts(days=1) == {"none": 1}  # counts are kept
    assert b"renew my passport" not in stored_bytes(tmp_path)  # erased, not just unlinked
    await database.close()


async def test_user_ids_are_stored_only_as_keyed_hashes(tmp_path: Path, open_db: Open) -> None:
    database = await open_db(tmp_path)
    await database.record_feedback(1, 123456789012345678, "what-is-doma", helpful=False)
    await database.record_unanswered("who won the game", user_id=123456789012345678)
    await database.close()
    raw = (tmp_path / "familyties.sqlite3").read_bytes()
    assert b"123456789012345678" not in raw
    assert b"who won the game" in raw
    # Another deployment has another key: its hash of the same id differs.
    first = await open_db(tmp_path)
    other = await open_db(tmp_path / "elsewhere")
    assert first.user_hash(123456789012345678) != other.user_hash(123456789012345678)
    assert first.user_hash(123456789012345678) == first.user_hash(123456789012345678)
    await first.close()
    await other.close()


async def test_queued_counts_are_written_on_close(tmp_path: Path, open_db: Open) -> None:
    database = await open_db(tmp_path)
    await database.record_event("answer", "listen", "what-is-doma")
    await database.close()
    with sqlite3.connect(tmp_path / "familyties.sqlite3") as connection:
        assert connection.execute("SELECT kind, entry_id FROM events").fetchall() == [
            ("answer", "what-is-doma")
        ]


async def test_kept_questions_are_scrubbed(tmp_path: Path, open_db: Open) -> None:
    database = await open_db(tmp_path)
    await database.record_unanswered(
        "is the memo at dhs.gov? mail me at ana.g@outlook.com or 646-555-0173", user_id=ALICE
    )
    assert await database.unanswered_questions(days=1) == [
        "is the memo at [url]? mail me at [email] or [phone]"
    ]
    await database.close()


async def test_forget_deletes_one_members_votes_and_questions(
    tmp_path: Path, open_db: Open
) -> None:
    database = await open_db(tmp_path)
    for message_id in (1, 2):
        await database.record_feedback(message_id, ALICE, "what-is-doma", helpful=True)
    await database.record_feedback(1, BOB, "what-is-doma", helpful=False)
    await database.record_unanswered("what about the zebra permit office", user_id=ALICE)
    await database.record_unanswered("who won the football game", user_id=BOB)
    await database.record_event("none", "ask", None)
    assert await database.member_data(ALICE) == MemberData(votes=2, questions=1)
    assert await database.forget(ALICE) == MemberData(votes=2, questions=1)
    assert await database.member_data(ALICE) == MemberData(votes=0, questions=0)
    assert await database.member_data(BOB) == MemberData(votes=1, questions=1)
    assert await database.unanswered_questions(days=1) == ["who won the football game"]
    assert await database.event_counts(days=1) == {"none": 1}
    # Gone from the file and its WAL, not only from the tables.
    assert b"zebra permit" not in stored_bytes(tmp_path)
    assert await database.forget(ALICE) == MemberData(votes=0, questions=0)
    await database.close()
    assert b"zebra permit" not in stored_bytes(tmp_path)


async def test_questions_from_before_the_asker_hash_are_dropped_on_upgrade(
    tmp_path: Path, open_db: Open
) -> None:
    with sqlite3.connect(tmp_path / "familyties.sqlite3") as connection:
        connection.executescript(_SCHEMA[0])
        connection.execute("PRAGMA user_version=1")
        connection.execute(
            "INSERT INTO unanswered (at, question) VALUES ('2030-01-01', 'my A# 123456789')"
        )
    database = await open_db(tmp_path)
    assert await database.unanswered_questions(days=100_000) == []
    await database.record_unanswered("who won the football game", user_id=ALICE)
    assert await database.forget(ALICE) == MemberData(votes=0, questions=1)
    await database.close()
    assert b"123456789" not in stored_bytes(tmp_path)


async def test_after_traffic_full_of_personal_details_the_file_holds_none(
    tmp_path: Path, open_db: Open
) -> None:
    """Every corpus message, asked and overheard, by two members, as the bot records them."""
    database = await open_db(tmp_path)
    decided = 0
    for number, item in enumerate(personal()):
        user = (ALICE, BOB)[number % 2]
        for mode in Mode:
            await database.record_decision(
                engine().decide(item["text"], mode), mode, item["text"], user_id=user
            )
            decided += 1
        # The path of a message the rule lets through: scrubbing alone must clean it.
        await database.record_unanswered(item["text"], user_id=user)
        await database.record_feedback(number, user, "what-is-doma", helpful=number % 3 == 0)
    await database.flush()
    # While the WAL is live, and after it is checkpointed on close.
    for closed in (False, True):
        if closed:
            await database.close()
        raw = stored_bytes(tmp_path)
        assert b"[phone]" in raw and b"[a-number]" in raw  # the questions were written
        leaked = [
            (item["text"], needle)
            for item in personal()
            for detail in item["details"]
            for needle in needles(detail)
            if needle in raw
        ]
        assert leaked == []
        for user in (ALICE, BOB):
            assert str(user).encode() not in raw
    with sqlite3.connect(tmp_path / "familyties.sqlite3") as connection:
        (events,) = connection.execute("SELECT COUNT(*) FROM events").fetchone()
        (kept,) = connection.execute("SELECT COUNT(*) FROM unanswered").fetchone()
    assert events == decided
    assert len(personal()) <= kept < decided  # overheard and personal texts were not kept
