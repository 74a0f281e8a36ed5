"""Connect a real discord.py client to the loopback fake of Discord, and shut it down cleanly.

Shared by the end-to-end tests (through conftest) and the Discord benchmark, so both log in,
wait for READY and tear down the same way, without leaking sockets or tasks.
"""

from __future__ import annotations

import asyncio
import contextlib

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.client import point_at_discord
from tests.fakediscord import FakeDiscord

__all__ = ["connect_client", "point_discord_at", "restore_urls", "shutdown_client"]

_patched: dict[int, tuple[str, yarl.URL]] = {}


def point_discord_at(fake: FakeDiscord) -> tuple[str, yarl.URL]:
    """Set discord.py's REST base and gateway URL to the fake; returns the previous values.

    Both are process-wide class attributes, so callers must restore them (shutdown_client and
    the fake_discord fixture do).
    """
    previous = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    point_at_discord(fake.api_base, fake.gateway_url)
    return previous


def restore_urls(previous: tuple[str, yarl.URL]) -> None:
    point_at_discord(previous[0], str(previous[1]))


async def connect_client(
    client: discord.Client,
    fake: FakeDiscord | None,
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
    if patch_urls and fake is not None:
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
            restore_urls(previous)
    return error
