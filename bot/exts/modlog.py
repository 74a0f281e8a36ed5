"""The moderators' log channel: finding it in a guild, and posting operator notices to it."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import discord

from bot.settings import ChannelRef
from bot.ui.render import NO_PINGS

__all__ = ["find_mod_log", "post_notice"]

log = logging.getLogger(__name__)

NOTICE_LIMIT = 1900  # characters of a notice (Discord allows 2,000 per message)


def find_mod_log(guild: discord.Guild, reference: ChannelRef) -> discord.TextChannel | None:
    """Find the configured mod-log channel of `guild`, by id or by name."""
    channel = (
        guild.get_channel(reference)
        if isinstance(reference, int)
        else discord.utils.get(guild.text_channels, name=reference)
    )
    return channel if isinstance(channel, discord.TextChannel) else None


async def post_notice(
    guilds: Sequence[discord.Guild], reference: ChannelRef | None, text: str
) -> int:
    """Post `text` (Markdown and mentions in it escaped) to every guild's mod-log; count posts."""
    if reference is None:
        return 0
    safe = discord.utils.escape_mentions(discord.utils.escape_markdown(text))
    if len(safe) > NOTICE_LIMIT:
        safe = safe[: NOTICE_LIMIT - 1] + "…"
    posted = 0
    for guild in guilds:
        channel = find_mod_log(guild, reference)
        if channel is None:
            log.warning("mod-log channel %r not found in guild %s", reference, guild.id)
            continue
        try:
            await channel.send(safe, allowed_mentions=NO_PINGS)
        except discord.HTTPException:
            log.warning("could not post to the mod-log of guild %s", guild.id, exc_info=True)
            continue
        posted += 1
    return posted
