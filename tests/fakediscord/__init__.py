"""Loopback fake of Discord's gateway websocket and REST API, for end-to-end tests and benchmarks.

Why: the bot has to be exercised through discord.py's real network code (zlib-stream gateway,
REST rate-limit handling, interaction callbacks, webhooks) without ever talking to discord.com.
The fake is an aiohttp server bound to 127.0.0.1 on an ephemeral port; it holds a small
in-memory world (one bot, one guild, a few members and channels), records every REST request
and gateway event, and can inject faults (dropped sockets, 429s, 5xx).

It deliberately does not import discord.py: it speaks the wire protocol only, so it tests the
library's behaviour rather than mirroring it. Facts it relies on are in
/work/shared/DISCORD-NOTES.md.
"""

from __future__ import annotations

from .fake import FakeDiscord
from .models import (
    FakeChannel,
    FakeGuild,
    FakeInteraction,
    FakeMember,
    FakeRole,
    FakeUser,
    GatewayClose,
    GatewaySession,
    IdentifyRecord,
    Overwrite,
    RecordedFile,
    RecordedRequest,
    ResumeRecord,
)
from .wire import DISCORD_EPOCH_MS, ChannelType, Intents, Perm

__all__ = [
    "DISCORD_EPOCH_MS",
    "ChannelType",
    "FakeChannel",
    "FakeDiscord",
    "FakeGuild",
    "FakeInteraction",
    "FakeMember",
    "FakeRole",
    "FakeUser",
    "GatewayClose",
    "GatewaySession",
    "IdentifyRecord",
    "Intents",
    "Overwrite",
    "Perm",
    "RecordedFile",
    "RecordedRequest",
    "ResumeRecord",
]
