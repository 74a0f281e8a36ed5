"""Wire-level constants of the fake: paths, permission and intent bits, snowflakes."""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from typing import Any, Final

log = logging.getLogger("fake_discord")

JSON = dict[str, Any]

API_PREFIX: Final = "/api/v10"
GATEWAY_PATH: Final = "/gateway"
DISCORD_EPOCH_MS: Final = 1_420_070_400_000
ATTACHMENT_SIZE_LIMIT: Final = 10 * 1024 * 1024
_TEMPLATE_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_USER_MENTION = re.compile(r"<@!?(\d{15,21})>")
_ROLE_MENTION = re.compile(r"<@&(\d{15,21})>")


class Perm:
    """Permission bits (subset) used by the default world and the permission resolver."""

    CREATE_INSTANT_INVITE: Final = 1 << 0
    KICK_MEMBERS: Final = 1 << 1
    BAN_MEMBERS: Final = 1 << 2
    ADMINISTRATOR: Final = 1 << 3
    MANAGE_CHANNELS: Final = 1 << 4
    MANAGE_GUILD: Final = 1 << 5
    ADD_REACTIONS: Final = 1 << 6
    VIEW_AUDIT_LOG: Final = 1 << 7
    VIEW_CHANNEL: Final = 1 << 10
    SEND_MESSAGES: Final = 1 << 11
    MANAGE_MESSAGES: Final = 1 << 13
    EMBED_LINKS: Final = 1 << 14
    ATTACH_FILES: Final = 1 << 15
    READ_MESSAGE_HISTORY: Final = 1 << 16
    MENTION_EVERYONE: Final = 1 << 17
    USE_EXTERNAL_EMOJIS: Final = 1 << 18
    CONNECT: Final = 1 << 20
    SPEAK: Final = 1 << 21
    CHANGE_NICKNAME: Final = 1 << 26
    MANAGE_ROLES: Final = 1 << 28
    USE_APPLICATION_COMMANDS: Final = 1 << 31
    MANAGE_THREADS: Final = 1 << 34
    CREATE_PUBLIC_THREADS: Final = 1 << 35
    CREATE_PRIVATE_THREADS: Final = 1 << 36
    SEND_MESSAGES_IN_THREADS: Final = 1 << 38
    MODERATE_MEMBERS: Final = 1 << 40
    ALL: Final = (1 << 51) - 1

    DEFAULT_EVERYONE: Final = (
        CREATE_INSTANT_INVITE
        | ADD_REACTIONS
        | VIEW_CHANNEL
        | SEND_MESSAGES
        | EMBED_LINKS
        | ATTACH_FILES
        | READ_MESSAGE_HISTORY
        | USE_EXTERNAL_EMOJIS
        | CONNECT
        | SPEAK
        | CHANGE_NICKNAME
        | USE_APPLICATION_COMMANDS
        | CREATE_PUBLIC_THREADS
        | CREATE_PRIVATE_THREADS
        | SEND_MESSAGES_IN_THREADS
    )
    DM: Final = (
        ADD_REACTIONS
        | VIEW_CHANNEL
        | SEND_MESSAGES
        | EMBED_LINKS
        | ATTACH_FILES
        | READ_MESSAGE_HISTORY
        | USE_EXTERNAL_EMOJIS
        | USE_APPLICATION_COMMANDS
    )


class Intents:
    """Gateway intent bits the fake enforces."""

    GUILDS: Final = 1 << 0
    GUILD_MEMBERS: Final = 1 << 1
    GUILD_PRESENCES: Final = 1 << 8
    GUILD_MESSAGES: Final = 1 << 9
    GUILD_MESSAGE_REACTIONS: Final = 1 << 10
    GUILD_MESSAGE_TYPING: Final = 1 << 11
    DIRECT_MESSAGES: Final = 1 << 12
    DIRECT_MESSAGE_REACTIONS: Final = 1 << 13
    DIRECT_MESSAGE_TYPING: Final = 1 << 14
    MESSAGE_CONTENT: Final = 1 << 15
    PRIVILEGED: Final = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT
    ALL: Final = (1 << 26) - 1


class ChannelType:
    """Channel type numbers used by the fake."""

    GUILD_TEXT: Final = 0
    DM: Final = 1
    GUILD_VOICE: Final = 2
    GUILD_CATEGORY: Final = 4
    GUILD_ANNOUNCEMENT: Final = 5
    PUBLIC_THREAD: Final = 11
    PRIVATE_THREAD: Final = 12
    THREADS: Final = frozenset({10, 11, 12})


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


class _Snowflakes:
    """Monotonic snowflake generator so ids sort by creation time like Discord's."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> str:
        value = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        if value <= self._last:
            value = self._last + 1
        self._last = value
        return str(value)
