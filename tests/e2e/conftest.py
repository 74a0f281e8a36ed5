"""Fixtures and helpers that run discord.py clients against the loopback fake of Discord.

Why: every end-to-end test needs the same dance (start the fake, point discord.py at it, log in,
wait for READY, and shut everything down without leaking sockets or tasks); doing it in one
place keeps the tests short and the teardown correct even when a test fails half-way.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

# discord.py imports the stdlib `audioop` (deprecated on 3.11); under filterwarnings=error that
# import would fail collection, so import it once here with just that warning silenced.
with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", message="'audioop' is deprecated", category=DeprecationWarning
    )
    import discord
    from discord.gateway import DiscordWebSocket
    from discord.http import Route

from bot.client import FamilyTies, make_bot
from bot.db import Database
from bot.settings import Settings
from bot.storage.store import KnowledgeStore
from tests.e2e.clients import connect_client, point_discord_at, restore_urls, shutdown_client
from tests.fakediscord import FakeDiscord

__all__ = [
    "CONTACT",
    "MESSAGES",
    "NO_PINGS",
    "Env",
    "MakeEnv",
    "RunClient",
    "connect_client",
    "pings_no_one",
    "point_discord_at",
    "shutdown_client",
]

RunClient = Callable[..., Awaitable["asyncio.Task[None]"]]


@pytest_asyncio.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A started FakeDiscord; fails the test if the fake itself crashed on a request."""
    original = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    fake = FakeDiscord()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()
        restore_urls(original)
    if fake.internal_errors:
        pytest.fail(f"fake discord crashed: {fake.internal_errors}")


@pytest_asyncio.fixture
async def run_client(fake_discord: FakeDiscord) -> AsyncIterator[RunClient]:
    """``await run_client(client, **connect_kwargs)`` connects; teardown shuts every client down."""
    started: list[tuple[discord.Client, asyncio.Task[None]]] = []

    async def run(client: discord.Client, **kwargs: object) -> asyncio.Task[None]:
        task = await connect_client(client, fake_discord, **kwargs)  # type: ignore[arg-type]
        started.append((client, task))
        return task

    try:
        yield run
    finally:
        for client, task in reversed(started):
            await shutdown_client(client, task)


# ---------------------------------------------------------------- the FamilyTies bot

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = "/channels/{channel_id}/messages"
CALLBACK = "/interactions/{interaction_id}/{interaction_token}/callback"
CONTACT = "https://www.immigrationequality.org/contact-us/"
NO_PINGS = {"parse": [], "replied_user": False}


def pings_no_one(body: dict[str, Any]) -> bool:
    """Mentions in the text render, but nobody (everyone, roles, users, the replied) is pinged."""
    mentions = body["allowed_mentions"]
    return bool(
        mentions["parse"] == []
        and not mentions.get("replied_user")
        and not mentions.get("users")
        and not mentions.get("roles")
    )


@dataclass
class Env:
    fake: FakeDiscord
    bot: FamilyTies
    data_dir: Path
    knowledge_dir: Path

    def replies_to(self, message: dict[str, Any]) -> list[Any]:
        """REST message creates that reply to `message`."""
        return self.fake.requests_matching("POST", MESSAGES, replying_to(message), status=200)

    async def reply_to(self, message: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
        request = await self.fake.wait_for_request(
            "POST", MESSAGES, replying_to(message), timeout, status=200
        )
        body: dict[str, Any] = request.json
        return body

    async def settle(self) -> None:
        """Prove the bot has processed what came before: ask in a DM and wait for the answer."""
        sentinel = await self.fake.message_create(None, "owner", "what is UAFA?", guild=False)
        await self.reply_to(sentinel)

    def db_rows(self, query: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.data_dir / "familyties.sqlite3") as connection:
            return connection.execute(query).fetchall()


def replying_to(message: dict[str, Any]) -> Callable[[Any], bool]:
    """Match the bot's POST that replies to `message`."""

    def check(request: Any) -> bool:
        reference = (request.json or {}).get("message_reference") or {}
        return str(reference.get("message_id")) == str(message["id"])

    return check


MakeEnv = Callable[..., Awaitable[Env]]


@pytest_asyncio.fixture
async def make_env(
    fake_discord: FakeDiscord, run_client: RunClient, tmp_path: Path
) -> AsyncIterator[MakeEnv]:
    databases: list[Database] = []
    # Moderators' edits write to the knowledge folder: work on a copy.
    knowledge_dir = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge_dir)

    async def make(*, message_content: bool = True, **overrides: Any) -> Env:
        settings = Settings.model_validate(
            {
                "help_channels": ["help"],
                "data_dir": tmp_path / "data",
                "knowledge_dir": knowledge_dir,
                "discord_api_base": fake_discord.api_base,
                "discord_gateway_url": fake_discord.gateway_url,
                "cooldowns": {"per_user_seconds": 0, "per_channel_entry_seconds": 0},
                "semantic": False,  # tests/e2e/test_semantic.py turns it on
                **overrides,
            }
        )
        database = await Database.open(settings.data_dir)
        databases.append(database)
        store = KnowledgeStore(settings.knowledge_dir)
        bot = make_bot(settings, store, database, message_content=message_content)
        await run_client(bot, patch_urls=False)
        return Env(fake_discord, bot, settings.data_dir, knowledge_dir)

    yield make
    for database in databases:
        await database.close()


@pytest_asyncio.fixture
async def env(make_env: MakeEnv) -> Env:
    return await make_env()
