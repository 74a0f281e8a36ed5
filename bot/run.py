"""`python -m bot run`: start the Discord bot, falling back gracefully where Discord allows."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import discord

from bot.client import FamilyTies, make_bot
from bot.core.loader import KnowledgeError
from bot.db import Database
from bot.log import setup_logging
from bot.paths import EXIT_OK, EXIT_USAGE
from bot.settings import Settings, SettingsError, load_settings
from bot.storage.snapshot import Fallback, open_store
from bot.storage.store import KnowledgeStore

__all__ = ["run_bot", "serve"]

log = logging.getLogger(__name__)


def run_bot(config: Path | None) -> int:
    """Load settings and knowledge, then run until stopped; one-line errors, exit code 2."""
    try:
        settings = load_settings(path=config)
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)  # noqa: T201
        return EXIT_USAGE
    if settings.token is None:
        print(  # noqa: T201
            "error: set DISCORD_TOKEN to the bot's token (without a token, try "
            "`python -m bot chat`).",
            file=sys.stderr,
        )
        return EXIT_USAGE
    setup_logging(settings.log_format, settings.log_level)
    try:
        store, fallback = open_store(
            settings.knowledge_dir, settings.thresholds.to_core(), data_dir=settings.data_dir
        )
    except KnowledgeError as error:
        print(f"error: the knowledge base is invalid:\n{error.report()}", file=sys.stderr)  # noqa: T201
        return EXIT_USAGE
    if fallback is not None:
        log.error(
            "The knowledge files in %s have %d problem(s); serving the last-good snapshot "
            "saved %s instead. Fix the files (they are reloaded when they validate):\n%s",
            settings.knowledge_dir,
            len(fallback.error.problems),
            fallback.snapshot.saved_at.isoformat(timespec="seconds"),
            fallback.error.report(),
        )
    try:
        asyncio.run(serve(settings, store, fallback))
    except discord.LoginFailure:
        print("error: Discord refused the token in DISCORD_TOKEN.", file=sys.stderr)  # noqa: T201
        return EXIT_USAGE
    return EXIT_OK


def _stopper(bot: FamilyTies) -> Callable[[], None]:
    def stop() -> None:
        log.info("Stopping: finishing replies in flight, closing the gateway and the database")
        asyncio.ensure_future(bot.close())  # noqa: RUF006 - close() outlives the handler

    return stop


async def serve(
    settings: Settings, store: KnowledgeStore, fallback: Fallback | None = None
) -> None:
    """Run the bot until SIGTERM/SIGINT; without the Message Content intent, run without it."""
    assert settings.token is not None  # noqa: S101 - checked by the caller
    database = await Database.open(settings.data_dir)
    loop = asyncio.get_running_loop()
    try:
        for message_content in (True, False):
            bot = make_bot(settings, store, database, message_content=message_content)
            if fallback is not None:
                bot.serve_fallback(fallback)
            for sig in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(NotImplementedError):
                    loop.add_signal_handler(sig, _stopper(bot))
            try:
                async with bot:
                    await bot.start(settings.token.get_secret_value())
            except discord.PrivilegedIntentsRequired:
                if not message_content:
                    raise
                log.warning(
                    "The Message Content intent is not enabled for this application; "
                    "restarting without it: passive listening is off, mentions and slash "
                    "commands still work."
                )
                continue
            break
    finally:
        await database.close()
