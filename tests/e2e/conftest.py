"""Fixtures and helpers that run discord.py clients against the loopback fake of Discord.

Why: every end-to-end test needs the same dance (start the fake, point discord.py at it, log in,
wait for READY, and shut everything down without leaking sockets or tasks); doing it in one
place keeps the tests short and the teardown correct even when a test fails half-way.
"""

from __future__ import annotations

import asyncio
import contextlib
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio
import yarl

# discord.py imports the stdlib `audioop` (deprecated on 3.11); under filterwarnings=error that
# import would fail collection, so import it once here with just that warning silenced.
with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", message="'audioop' is deprecated", category=DeprecationWarning
    )
    import discord
    from discord.gateway import DiscordWebSocket
    from discord.http import Route

from tests.e2e.fake_discord import FakeDiscord

__all__ = ["RunClient", "connect_client", "point_discord_at", "shutdown_client"]

RunClient = Callable[..., Awaitable["asyncio.Task[None]"]]

_patched: dict[int, tuple[str, yarl.URL]] = {}


def point_discord_at(fake: FakeDiscord) -> tuple[str, yarl.URL]:
    """Set discord.py's REST base and gateway URL to the fake; returns the previous values.

    Both are process-wide class attributes, so callers must restore them (shutdown_client and
    the fake_discord fixture do).
    """
    previous = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    Route.BASE = fake.api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    return previous


def _restore_urls(previous: tuple[str, yarl.URL]) -> None:
    Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = previous


async def connect_client(
    client: discord.Client,
    fake: FakeDiscord,
    token: str = "test-token",  # noqa: S107 - the fake's well-known test token
    *,
    ready_timeout: float | None = 0.1,
    timeout: float = 5.0,
    patch_urls: bool = True,
) -> asyncio.Task[None]:
    """Log `client` in against `fake`, start its gateway loop, and wait for on_ready.

    Returns the task running ``client.connect()``; pass it to `shutdown_client`. On any failure
    the client is closed (no unclosed aiohttp session) and the error re-raised.
    `ready_timeout` shortens discord.py's wait after the last GUILD_CREATE (default 2 s).
    """
    if patch_urls:
        _patched[id(client)] = point_discord_at(fake)
    if ready_timeout is not None:
        client._connection.guild_ready_timeout = ready_timeout
    task: asyncio.Task[None] | None = None
    try:
        await asyncio.wait_for(client.login(token), timeout)
        task = asyncio.create_task(client.connect(), name=f"discord-connect-{id(client)}")
        ready = asyncio.create_task(client.wait_until_ready(), name="discord-wait-ready")
        done, _ = await asyncio.wait(
            {task, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if ready not in done:
            ready.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ready
            if task in done:
                task.result()  # re-raises the connect error
                raise RuntimeError("client.connect() returned before READY")
            raise TimeoutError(f"client not ready after {timeout}s")
    except BaseException:
        await shutdown_client(client, task, timeout=timeout)
        raise
    return task


async def shutdown_client(
    client: discord.Client, task: asyncio.Task[None] | None, *, timeout: float = 5.0
) -> BaseException | None:
    """Close `client`, wait for its connect task, restore patched URLs.

    Returns the exception the connect task ended with (e.g. PrivilegedIntentsRequired), if any,
    so tests can assert on it; it is always retrieved, so asyncio never logs it as unhandled.
    """
    error: BaseException | None = None
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(client.close(), timeout)
        if task is not None:
            if not task.done():
                with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(asyncio.shield(task), timeout)
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            if not task.cancelled():
                error = task.exception()
    finally:
        previous = _patched.pop(id(client), None)
        if previous is not None:
            _restore_urls(previous)
    return error


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
        _restore_urls(original)
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
