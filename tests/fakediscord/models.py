"""The fake's world (users, roles, channels, members, guilds) and what it records."""

from __future__ import annotations

import asyncio
import json
import zlib
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

from .wire import JSON, ChannelType, _now_iso


@dataclass
class FakeUser:
    """A Discord user; `to_payload` gives the wire shape discord.py expects."""

    id: str
    username: str
    bot: bool = False
    global_name: str | None = None
    avatar: str | None = None

    def to_payload(self) -> JSON:
        data: JSON = {
            "id": self.id,
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": self.avatar,
            "public_flags": 0,
            "flags": 0,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
            "primary_guild": None,
            "collectibles": None,
        }
        if self.bot:
            data["bot"] = True
        return data


@dataclass
class FakeRole:
    """A guild role; @everyone has the guild's id."""

    id: str
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0
    hoist: bool = False
    managed: bool = False
    mentionable: bool = False
    tags: JSON | None = None

    def to_payload(self) -> JSON:
        data: JSON = {
            "id": self.id,
            "name": self.name,
            "color": self.color,
            "colors": {
                "primary_color": self.color,
                "secondary_color": None,
                "tertiary_color": None,
            },
            "hoist": self.hoist,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed,
            "mentionable": self.mentionable,
            "flags": 0,
        }
        if self.tags is not None:
            data["tags"] = dict(self.tags)
        return data


@dataclass
class Overwrite:
    """A channel permission overwrite (type 0 = role, 1 = member)."""

    id: str
    type: int
    allow: int = 0
    deny: int = 0

    def to_payload(self) -> JSON:
        return {"id": self.id, "type": self.type, "allow": str(self.allow), "deny": str(self.deny)}


@dataclass
class FakeChannel:
    """A guild channel, thread or DM channel."""

    id: str
    type: int
    name: str | None = None
    guild_id: str | None = None
    position: int = 0
    parent_id: str | None = None
    topic: str | None = None
    nsfw: bool = False
    rate_limit_per_user: int = 0
    overwrites: list[Overwrite] = field(default_factory=list)
    owner_id: str | None = None
    recipient_ids: list[str] = field(default_factory=list)
    archived: bool = False
    locked: bool = False
    last_message_id: str | None = None
    created_at: str = field(default_factory=_now_iso)

    @property
    def is_thread(self) -> bool:
        return self.type in ChannelType.THREADS

    @property
    def is_dm(self) -> bool:
        return self.type == ChannelType.DM


@dataclass
class FakeMember:
    """Guild membership of a user; `flags` is required by discord.py."""

    user_id: str
    roles: list[str] = field(default_factory=list)
    joined_at: str = field(default_factory=_now_iso)
    nick: str | None = None
    deaf: bool = False
    mute: bool = False
    flags: int = 0
    pending: bool = False
    communication_disabled_until: str | None = None

    def to_payload(self, user: FakeUser | None = None, *, permissions: int | None = None) -> JSON:
        data: JSON = {
            "roles": list(self.roles),
            "joined_at": self.joined_at,
            "premium_since": None,
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "deaf": self.deaf,
            "mute": self.mute,
            "flags": self.flags,
            "pending": self.pending,
            "communication_disabled_until": self.communication_disabled_until,
        }
        if user is not None:
            data["user"] = user.to_payload()
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data


@dataclass
class FakeGuild:
    """A guild with its roles, channels (ids) and members."""

    id: str
    name: str
    owner_id: str
    roles: dict[str, FakeRole] = field(default_factory=dict)
    channel_ids: list[str] = field(default_factory=list)
    members: dict[str, FakeMember] = field(default_factory=dict)
    locale: str = "en-US"
    features: list[str] = field(default_factory=list)
    joined_at: str = field(default_factory=_now_iso)

    @property
    def everyone(self) -> FakeRole:
        return self.roles[self.id]


@dataclass
class RecordedFile:
    """A file part of a multipart request."""

    field: str
    filename: str
    content_type: str | None
    data: bytes


@dataclass
class RecordedRequest:
    """One REST request as the fake saw it, plus what it answered."""

    index: int
    method: str
    path: str
    """Path below /api/v10, percent-decoded, e.g. ``/channels/123/messages``."""
    route: str | None
    """Route template, e.g. ``/channels/{channel_id}/messages``; None for unknown routes."""
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    files: list[RecordedFile]
    headers: dict[str, str]
    time: float
    status: int | None = None
    response: Any = None

    def __repr__(self) -> str:
        return f"<{self.method} {self.path} -> {self.status}>"


@dataclass
class IdentifyRecord:
    """An IDENTIFY (op 2) the fake accepted or rejected."""

    session_id: str | None
    token: str
    intents: int | None
    shard: list[int] | None
    properties: JSON
    presence: JSON | None
    time: float
    accepted: bool = True


@dataclass
class ResumeRecord:
    """A RESUME (op 6) attempt; `accepted` False means op 9 was sent."""

    session_id: str
    seq: int | None
    accepted: bool
    replayed: int
    time: float


@dataclass
class GatewayClose:
    """How a gateway socket ended. `initiator` is who closed first (see DISCORD-NOTES)."""

    connection_id: int
    session_id: str | None
    initiator: Literal["server", "client"]
    code: int | None
    """The first close code: the fake's own for server closes (1006 = aborted, no frame)."""
    time: float


@dataclass
class FakeInteraction:
    """Server-side state of an interaction: its payload and how the bot answered it."""

    id: str
    token: str
    type: int
    payload: JSON
    user_id: str
    channel_id: str
    guild_id: str | None
    created_at: float
    message_id: str | None = None
    """For component/modal interactions: the message the component lives on."""
    response_type: int | None = None
    response_data: JSON | None = None
    original_message_id: str | None = None
    followup_ids: list[str] = field(default_factory=list)
    callbacks: list[RecordedRequest] = field(default_factory=list)

    @property
    def ephemeral(self) -> bool:
        return bool(((self.response_data or {}).get("flags") or 0) & 64)


@dataclass
class GatewaySession:
    """A gateway session: survives socket drops so RESUME can replay missed dispatches."""

    id: str
    token: str
    intents: int | None
    shard: list[int] | None
    seq: int = 0
    history: list[JSON] = field(default_factory=list)
    alive: bool = True
    connection: _Connection | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @property
    def connected(self) -> bool:
        return self.connection is not None

    def has_intent(self, bit: int) -> bool:
        return self.intents is None or bool(self.intents & bit)

    def owns(self, guild_id: str | None) -> bool:
        """Discord's routing: a guild's events go to shard (id >> 22) % count; DMs to shard 0."""
        if self.shard is None:
            return True
        shard_id, count = int(self.shard[0]), int(self.shard[1])
        if guild_id is None:
            return shard_id == 0
        return (int(guild_id) >> 22) % count == shard_id


@dataclass
class _Connection:
    """One websocket; owns its compressor, because zlib-stream state is per socket."""

    id: int
    ws: web.WebSocketResponse
    request: web.Request
    compression: str | None
    compressor: Any = None
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    session: GatewaySession | None = None
    closed_by: Literal["server", "client"] | None = None
    close_code: int | None = None
    server_close_done: asyncio.Event = field(default_factory=asyncio.Event)
    dead: bool = False

    async def send(self, payload: JSON) -> None:
        text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        async with self.send_lock:
            if self.dead:
                raise ConnectionResetError("gateway connection is gone")
            if self.compression == "zlib-stream":
                data = self.compressor.compress(text.encode()) + self.compressor.flush(
                    zlib.Z_SYNC_FLUSH
                )
                await self.ws.send_bytes(data)
            elif self.compression == "zstd-stream":
                await self.ws.send_bytes(self.compressor(text.encode()))
            else:
                await self.ws.send_str(text)


def _lookup(kind: str, table: dict[str, Any], ref: Any) -> Any:
    """Find a guild, user, channel or role by snowflake (int or str) or by name."""
    key = str(ref)
    if key in table:
        return table[key]
    for item in table.values():
        if key in (getattr(item, "name", None), getattr(item, "username", None)):
            return item
    raise KeyError(f"unknown {kind} {ref!r}")
