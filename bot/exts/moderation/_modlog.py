"""The mod-log channel: every knowledge change, said safely.

What moderators typed (names, phrasings, file contents) is shown as typed: Markdown and
mentions are escaped, and messages are sent pinging no one.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

import discord
from discord.ext import commands

from bot.core.editor import Change, Reload
from bot.core.loader import Problem
from bot.settings import ChannelRef
from bot.ui.render import NO_PINGS

__all__ = ["ModLog", "change_message", "fallback_message", "plain", "reload_message"]

log = logging.getLogger(__name__)

_MESSAGE_LIMIT = 2000
_DIFF_LIMIT = 1500


def plain(text: str) -> str:
    """Show text as typed: no Markdown, no mention that could render as a ping."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def _code(text: str) -> str:
    """Text for a code block, where Markdown is literal but a fence would end the block."""
    return discord.utils.escape_mentions(text.replace("```", "`\u200b``"))


def _cut(text: str) -> str:
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"


def change_message(actor_name: str, change: Change) -> str:
    """Word a moderator's change, with its diff."""
    return _cut(
        f"**{plain(actor_name)}** · `/kb {change.command}` · change #{change.id}: "
        f"{plain(change.summary)}\n```diff\n{_code(change.diff_text[:_DIFF_LIMIT])}\n```"
    )


def reload_message(outcome: Reload) -> str:
    """Word a reload from disk or by `/kb reload`: what changed, or every problem found."""
    who = f"**{plain(outcome.actor.name)}**"
    how = "files changed on disk" if outcome.actor.id == 0 else "`/kb reload`"
    number = f"change #{outcome.change_id}" if outcome.change_id is not None else "not recorded"
    if outcome.ok:
        return _cut(f"{who} · {how} · {number}: reloaded, {plain(outcome.diff.summary())}.")
    problems = "\n".join(f"• {plain(str(problem))}" for problem in outcome.problems)
    return _cut(
        f"⚠️ {who} · {how} · {number}: the reload failed; still serving the previous "
        f"version. Fix these:\n{problems}"
    )


def fallback_message(problems: Sequence[Problem], saved_at: dt.datetime) -> str:
    """Word a start-up that found the files broken and serves the last-good snapshot."""
    files = ", ".join(sorted({problem.file for problem in problems}))
    listed = "\n".join(f"• {plain(str(problem))}" for problem in problems[:10])
    more = f"\n…and {len(problems) - 10} more." if len(problems) > 10 else ""
    return _cut(
        f"⚠️ The knowledge files have {len(problems)} problem(s) (in {plain(files)}), so after "
        f"restarting I am serving the last good version (saved "
        f"{saved_at.isoformat(timespec='minutes')}). Fix the files; I pick up the fix by "
        f"myself (or use `/kb reload`):\n{listed}{more}"
    )


class ModLog:
    """Finds the configured mod-log channel(s) and posts there; never fails the caller."""

    def __init__(self, bot: commands.Bot, reference: ChannelRef | None) -> None:
        self._bot = bot
        self._reference = reference

    def channels(self, guild: discord.Guild | None = None) -> list[discord.TextChannel]:
        """Find the mod-log channel of `guild`, or of every guild this process serves."""
        reference = self._reference
        if reference is None:
            return []
        guilds = [guild] if guild is not None else list(self._bot.guilds)
        found: list[discord.TextChannel] = []
        for candidate in guilds:
            channel = (
                candidate.get_channel(reference)
                if isinstance(reference, int)
                else discord.utils.get(candidate.text_channels, name=reference)
            )
            if isinstance(channel, discord.TextChannel):
                found.append(channel)
        return found

    async def send(self, text: str, guild: discord.Guild | None = None) -> None:
        """Post `text` (already made safe) to the mod-log, pinging no one."""
        channels = self.channels(guild)
        if self._reference is not None and not channels:
            log.warning("mod-log channel %r not found", self._reference)
        for channel in channels:
            try:
                await channel.send(text, allowed_mentions=NO_PINGS)
            except discord.HTTPException as error:
                log.warning(
                    "mod-log message in channel %s not posted: HTTP %s, Discord code %s",
                    channel.id,
                    error.status,
                    error.code,
                )
