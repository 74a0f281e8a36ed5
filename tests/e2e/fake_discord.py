"""Loopback fake of Discord's gateway websocket and REST API for end-to-end tests.

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

import asyncio
import contextlib
import copy
import datetime as dt
import hashlib
import itertools
import json
import logging
import math
import re
import secrets
import time
import zlib
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal
from urllib.parse import unquote

from aiohttp import BodyPartReader, WSMsgType, web

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


# --------------------------------------------------------------------------------------------
# World model
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


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


@dataclass
class _Fault:
    method: str | None
    pattern: str | re.Pattern[str]
    remaining: int
    status: int
    body: JSON
    retry_after: float = 0.0
    global_: bool = False


@dataclass
class _Route:
    method: str
    template: str
    regex: re.Pattern[str]
    handler: Callable[[RecordedRequest], Awaitable[_Reply]]
    auth: bool


_Reply = tuple[int, Any, dict[str, str]]

_ALLOWED_CALLBACKS: Final[dict[int, frozenset[int]]] = {
    2: frozenset({4, 5, 9, 12}),  # application command
    3: frozenset({4, 5, 6, 7, 9, 12}),  # message component
    4: frozenset({8}),  # autocomplete
    5: frozenset({4, 5, 6, 7}),  # modal submit (6/7 only when opened from a message)
}
"""Which callback types Discord accepts per interaction type (others get 400)."""


class _HTTPError(Exception):
    """Raised inside route handlers to answer with a Discord-shaped error."""

    def __init__(self, status: int, code: int, message: str, errors: JSON | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body: JSON = {"message": message, "code": code}
        if errors is not None:
            self.body["errors"] = errors


def _template_regex(template: str) -> re.Pattern[str]:
    parts: list[str] = []
    pos = 0
    for m in _TEMPLATE_PARAM.finditer(template):
        parts.append(re.escape(template[pos : m.start()]))
        parts.append(f"(?P<{m.group(1)}>[^/]+)")
        pos = m.end()
    parts.append(re.escape(template[pos:]))
    return re.compile("".join(parts))


def _path_matches(pattern: str | re.Pattern[str] | None, path: str, route: str | None) -> bool:
    """Match a request path: exact path, route template, ``{param}`` template, or regex."""
    if pattern is None:
        return True
    if isinstance(pattern, re.Pattern):
        return pattern.fullmatch(path) is not None
    if pattern.startswith(API_PREFIX):
        pattern = pattern[len(API_PREFIX) :]
    if pattern in (path, route):
        return True
    if _TEMPLATE_PARAM.search(pattern):
        return _template_regex(pattern).fullmatch(path) is not None
    try:
        return re.fullmatch(pattern, path) is not None
    except re.error:
        return False


def _method_matches(method: str | None, actual: str) -> bool:
    return method is None or method == "*" or method.upper() == actual.upper()


# --------------------------------------------------------------------------------------------
# Validation (mirrors the limits Discord enforces, so a bot's over-long answer fails here too)
# --------------------------------------------------------------------------------------------


def _err(code: str, message: str) -> JSON:
    return {"_errors": [{"code": code, "message": message}]}


def _too_long(limit: int) -> JSON:
    return _err("BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def _validate_embeds(embeds: Sequence[Any]) -> JSON:
    errors: JSON = {}
    if len(embeds) > 10:
        errors["_errors"] = _too_long(10)["_errors"]
    total = 0
    for i, embed in enumerate(embeds):
        if not isinstance(embed, Mapping):
            errors[str(i)] = _err("MODEL_TYPE_CONVERT", "Only dictionaries may be used.")
            continue
        e: JSON = {}
        for key, limit in (("title", 256), ("description", 4096)):
            value = embed.get(key) or ""
            total += len(value)
            if len(value) > limit:
                e[key] = _too_long(limit)
        fields = embed.get("fields") or []
        if len(fields) > 25:
            e["fields"] = _too_long(25)
        for j, fld in enumerate(fields):
            fe: JSON = {}
            name, value = str(fld.get("name") or ""), str(fld.get("value") or "")
            total += len(name) + len(value)
            if not name.strip():
                fe["name"] = _err("BASE_TYPE_REQUIRED", "This field is required")
            elif len(name) > 256:
                fe["name"] = _too_long(256)
            if not value.strip():
                fe["value"] = _err("BASE_TYPE_REQUIRED", "This field is required")
            elif len(value) > 1024:
                fe["value"] = _too_long(1024)
            if fe:
                e.setdefault("fields", {})[str(j)] = fe
        footer = (embed.get("footer") or {}).get("text") or ""
        total += len(footer)
        if len(footer) > 2048:
            e["footer"] = {"text": _too_long(2048)}
        author = (embed.get("author") or {}).get("name") or ""
        total += len(author)
        if len(author) > 256:
            e["author"] = {"name": _too_long(256)}
        if e:
            errors[str(i)] = e
    if total > 6000:
        errors.setdefault("_errors", []).append(
            {
                "code": "MAX_EMBED_SIZE_EXCEEDED",
                "message": "Embed size exceeds maximum size of 6000",
            }
        )
    return errors


def _validate_components(components: Sequence[Any], flags: int) -> JSON:
    errors: JSON = {}
    v2 = bool(flags & (1 << 15))
    if not v2 and len(components) > 5:
        errors["_errors"] = _too_long(5)["_errors"]

    def walk(items: Sequence[Any], path: list[str]) -> None:
        for i, comp in enumerate(items):
            if not isinstance(comp, Mapping):
                continue
            custom_id = comp.get("custom_id")
            if custom_id is not None and len(str(custom_id)) > 100:
                node = errors
                for p in [*path, str(i)]:
                    node = node.setdefault(p, {})
                node["custom_id"] = _too_long(100)
            if comp.get("type") == 1 and not v2 and len(comp.get("components") or []) > 5:
                node = errors
                for p in [*path, str(i)]:
                    node = node.setdefault(p, {})
                node["components"] = _too_long(5)
            children = comp.get("components")
            if isinstance(children, list):
                walk(children, [*path, str(i), "components"])

    walk(components, [])
    return errors


def _validate_message_body(body: Mapping[str, Any], *, n_files: int, edit: bool = False) -> None:
    """Raise the 400 Discord would send for an empty or over-limit message."""
    errors: JSON = {}
    content = body.get("content")
    if content is not None and len(str(content)) > 2000:
        errors["content"] = _too_long(2000)
    embeds = body.get("embeds") or []
    if embeds:
        embed_errors = _validate_embeds(embeds)
        if embed_errors:
            errors["embeds"] = embed_errors
    components = body.get("components") or []
    if components:
        comp_errors = _validate_components(components, int(body.get("flags") or 0))
        if comp_errors:
            errors["components"] = comp_errors
    if errors:
        raise _HTTPError(400, 50035, "Invalid Form Body", errors)
    if edit:
        return
    has_content = bool(str(content or "").strip())
    if not (
        has_content
        or embeds
        or components
        or n_files
        or body.get("sticker_ids")
        or body.get("poll")
        or body.get("attachments")
    ):
        raise _HTTPError(400, 50006, "Cannot send an empty message")


# --------------------------------------------------------------------------------------------
# The fake
# --------------------------------------------------------------------------------------------


def _lookup(kind: str, table: dict[str, Any], ref: Any) -> Any:
    """Find a guild, user, channel or role by snowflake (int or str) or by name."""
    key = str(ref)
    if key in table:
        return table[key]
    for item in table.values():
        if key in (getattr(item, "name", None), getattr(item, "username", None)):
            return item
    raise KeyError(f"unknown {kind} {ref!r}")


class FakeDiscord:
    """Discord's gateway + REST API on 127.0.0.1, with an in-memory world and fault injection.

    Lifecycle: ``await fake.start()`` / ``await fake.close()`` (or ``async with``). Point a
    client at ``fake.api_base`` (``discord.http.Route.BASE``) and ``fake.gateway_url``
    (``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY``).
    """

    def __init__(
        self,
        *,
        token: str = "test-token",  # noqa: S107 - a fake's well-known test token
        bot_name: str = "FamilyTies",
        guild_name: str = "FamilyTies Test Guild",
        heartbeat_interval_ms: int = 41250,
        interaction_ack_timeout: float = 3.0,
        allowed_privileged_intents: int = Intents.PRIVILEGED,
        enforce_intents: bool = True,
    ) -> None:
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.interaction_ack_timeout = interaction_ack_timeout
        self.allowed_privileged_intents = allowed_privileged_intents
        self.enforce_intents = enforce_intents

        self._ids = _Snowflakes()
        self.users: dict[str, FakeUser] = {}
        self.channels: dict[str, FakeChannel] = {}
        self.guilds: dict[str, FakeGuild] = {}
        self.messages: dict[str, JSON] = {}
        """Every message the fake knows, canonical gateway shape, keyed by id, in order."""
        self.ephemeral_message_ids: set[str] = set()
        self.attachments: dict[str, tuple[bytes, str | None]] = {}
        self.global_commands: dict[str, JSON] = {}
        self.guild_commands: dict[str, dict[str, JSON]] = {}
        self.interactions: dict[str, FakeInteraction] = {}

        self.requests: list[RecordedRequest] = []
        self.unknown_requests: list[RecordedRequest] = []
        self.internal_errors: list[str] = []
        self.identifies: list[IdentifyRecord] = []
        self.resumes: list[ResumeRecord] = []
        self.gateway_closes: list[GatewayClose] = []
        self.gateway_received: list[JSON] = []
        """Every non-heartbeat payload a client sent over the gateway (tokens redacted)."""
        self.heartbeats = 0
        self.connection_count = 0
        self.gateway_connects: list[dict[str, str]] = []
        """Query string of every gateway websocket opened (v, encoding, compress)."""
        self.sessions: dict[str, GatewaySession] = {}

        self._connections: dict[int, _Connection] = {}
        self._conn_ids = itertools.count(1)
        self._faults: list[_Fault] = []
        self._changed = asyncio.Event()
        self._routes: list[_Route] = []
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._register_routes()
        self._build_default_world(bot_name=bot_name, guild_name=guild_name)

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> FakeDiscord:
        """Bind to 127.0.0.1:0 and serve; returns self for chaining."""
        app = web.Application()
        app.router.add_get(GATEWAY_PATH, self._gateway_handler)
        app.router.add_route("*", "/{tail:.*}", self._http_handler)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        log.info("fake discord listening on %s", self.http_base)
        return self

    async def close(self) -> None:
        """Close every socket (server side, code 1001) and stop the server."""
        for conn in list(self._connections.values()):
            await self._server_close(conn, 1001, wait=False)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeDiscord.start() has not been awaited")
        return self._port

    @property
    def http_base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """Value for ``discord.http.Route.BASE``."""
        return f"{self.http_base}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        """Value for ``DiscordWebSocket.DEFAULT_GATEWAY`` (and the resume_gateway_url)."""
        return f"ws://127.0.0.1:{self.port}{GATEWAY_PATH}"

    # ---------------------------------------------------------------- world

    def _build_default_world(self, *, bot_name: str, guild_name: str) -> None:
        self.bot_user = self.add_user(bot_name, bot=True)
        self.application_id = self.bot_user.id
        owner = self.add_user("owner", global_name="Guild Owner")
        guild_id = self._ids.next()
        guild = FakeGuild(id=guild_id, name=guild_name, owner_id=owner.id)
        guild.roles[guild_id] = FakeRole(
            id=guild_id, name="@everyone", permissions=Perm.DEFAULT_EVERYONE
        )
        self.guilds[guild_id] = guild
        self.guild = guild
        moderator = self.add_role("Moderator", permissions=0, position=1, hoist=True)
        admin = self.add_role("Admin", permissions=Perm.MANAGE_GUILD, position=2, hoist=True)
        bot_role = self.add_role(
            bot_name,
            permissions=Perm.DEFAULT_EVERYONE | Perm.MANAGE_MESSAGES | Perm.MANAGE_THREADS,
            position=3,
            managed=True,
            tags={"bot_id": self.bot_user.id},
        )
        self.add_member(self.bot_user, roles=[bot_role])
        self.add_member(owner)
        self.add_member(self.add_user("alice", global_name="Alice"))
        self.add_member(self.add_user("mod", global_name="Mo Derator"), roles=[moderator])
        self.add_member(self.add_user("admin", global_name="Ad Min"), roles=[admin])
        help_channel = self.add_channel("help", topic="Ask questions here", position=0)
        self.add_channel("general", position=1)
        self.add_channel(
            "mod-log",
            position=2,
            overwrites=[
                Overwrite(guild_id, 0, deny=Perm.VIEW_CHANNEL),
                Overwrite(moderator.id, 0, allow=Perm.VIEW_CHANNEL),
                Overwrite(admin.id, 0, allow=Perm.VIEW_CHANNEL),
                Overwrite(self.bot_user.id, 1, allow=Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES),
            ],
        )
        self.add_thread("help-thread", help_channel, owner="alice")

    def add_user(
        self, username: str, *, bot: bool = False, global_name: str | None = None
    ) -> FakeUser:
        """Create a user (not a member of any guild until `add_member`)."""
        user = FakeUser(id=self._ids.next(), username=username, bot=bot, global_name=global_name)
        self.users[user.id] = user
        return user

    def add_role(
        self,
        name: str,
        *,
        permissions: int = 0,
        position: int | None = None,
        guild: Any = None,
        hoist: bool = False,
        managed: bool = False,
        mentionable: bool = False,
        tags: JSON | None = None,
    ) -> FakeRole:
        """Create a role in `guild` (default: the main guild)."""
        g = self.get_guild(guild)
        role = FakeRole(
            id=self._ids.next(),
            name=name,
            permissions=permissions,
            position=len(g.roles) if position is None else position,
            hoist=hoist,
            managed=managed,
            mentionable=mentionable,
            tags=tags,
        )
        g.roles[role.id] = role
        return role

    def add_member(
        self, user: Any, *, roles: Iterable[Any] = (), nick: str | None = None, guild: Any = None
    ) -> FakeMember:
        """Make `user` a member of `guild` (default: the main guild) with `roles`."""
        g = self.get_guild(guild)
        u = self.get_user(user)
        member = FakeMember(
            user_id=u.id, roles=[self.get_role(r, guild=g).id for r in roles], nick=nick
        )
        g.members[u.id] = member
        return member

    def add_channel(
        self,
        name: str,
        *,
        type: int = ChannelType.GUILD_TEXT,
        topic: str | None = None,
        position: int | None = None,
        parent: Any = None,
        overwrites: Iterable[Overwrite] = (),
        guild: Any = None,
    ) -> FakeChannel:
        """Create a guild channel."""
        g = self.get_guild(guild)
        channel = FakeChannel(
            id=self._ids.next(),
            type=type,
            name=name,
            guild_id=g.id,
            position=len(g.channel_ids) if position is None else position,
            parent_id=None if parent is None else self.get_channel(parent).id,
            topic=topic,
            overwrites=list(overwrites),
        )
        self.channels[channel.id] = channel
        g.channel_ids.append(channel.id)
        return channel

    def add_thread(
        self, name: str, parent: Any, *, owner: Any = None, private: bool = False
    ) -> FakeChannel:
        """Create a (public by default) thread under `parent`."""
        parent_channel = self.get_channel(parent)
        thread = FakeChannel(
            id=self._ids.next(),
            type=ChannelType.PRIVATE_THREAD if private else ChannelType.PUBLIC_THREAD,
            name=name,
            guild_id=parent_channel.guild_id,
            parent_id=parent_channel.id,
            owner_id=self.get_user(owner if owner is not None else self.bot_user).id,
        )
        self.channels[thread.id] = thread
        if thread.guild_id is not None:
            self.guilds[thread.guild_id].channel_ids.append(thread.id)
        return thread

    def dm_channel(self, user: Any) -> FakeChannel:
        """Get or create the DM channel between the bot and `user`."""
        u = self.get_user(user)
        for channel in self.channels.values():
            if channel.is_dm and channel.recipient_ids == [u.id]:
                return channel
        channel = FakeChannel(id=self._ids.next(), type=ChannelType.DM, recipient_ids=[u.id])
        self.channels[channel.id] = channel
        return channel

    # lookups: accept snowflakes (int/str), names, or the objects themselves

    def get_guild(self, ref: Any = None) -> FakeGuild:
        if ref is None:
            return self.guild
        return ref if isinstance(ref, FakeGuild) else _lookup("guild", self.guilds, ref)

    def get_user(self, ref: Any) -> FakeUser:
        if isinstance(ref, FakeMember):
            return self.users[ref.user_id]
        return ref if isinstance(ref, FakeUser) else _lookup("user", self.users, ref)

    def get_channel(self, ref: Any) -> FakeChannel:
        if isinstance(ref, FakeChannel):
            return ref
        return _lookup("channel", self.channels, str(ref).lstrip("#"))

    def get_role(self, ref: Any, *, guild: Any = None) -> FakeRole:
        if isinstance(ref, FakeRole):
            return ref
        return _lookup("role", self.get_guild(guild).roles, ref)

    def get_member(self, user: Any, *, guild: Any = None) -> FakeMember:
        return self.get_guild(guild).members[self.get_user(user).id]

    def _guild_of(self, channel: FakeChannel) -> FakeGuild | None:
        return None if channel.guild_id is None else self.guilds[channel.guild_id]

    # ---------------------------------------------------------------- permissions

    def permissions_for(self, user: Any, channel: Any = None, *, guild: Any = None) -> int:
        """Resolve a member's permission bitfield (guild-level if `channel` is None).

        Follows Discord's algorithm: owner/Administrator get everything; then @everyone, role
        and member overwrites of the channel (threads use their parent's overwrites).
        """
        u = self.get_user(user)
        ch = None if channel is None else self.get_channel(channel)
        if ch is not None and ch.is_dm:
            return Perm.DM
        g = self._guild_of(ch) if ch is not None else self.get_guild(guild)
        assert g is not None
        if u.id == g.owner_id:
            return Perm.ALL
        member = g.members.get(u.id)
        if member is None:
            return 0
        perms = g.everyone.permissions
        for role_id in member.roles:
            role = g.roles.get(role_id)
            if role is not None:
                perms |= role.permissions
        if perms & Perm.ADMINISTRATOR:
            return Perm.ALL
        if ch is None:
            return perms
        if ch.is_thread and ch.parent_id is not None:
            ch = self.channels[ch.parent_id]
        overwrites = {(o.type, o.id): o for o in ch.overwrites}
        everyone = overwrites.get((0, g.id))
        if everyone is not None:
            perms = (perms & ~everyone.deny) | everyone.allow
        allow = deny = 0
        for role_id in member.roles:
            o = overwrites.get((0, role_id))
            if o is not None:
                allow |= o.allow
                deny |= o.deny
        perms = (perms & ~deny) | allow
        mo = overwrites.get((1, u.id))
        if mo is not None:
            perms = (perms & ~mo.deny) | mo.allow
        return perms

    def permissions_str(self, user: Any, channel: Any = None) -> str:
        """`permissions_for` as the decimal string Discord puts in interactions."""
        return str(self.permissions_for(user, channel))

    # ---------------------------------------------------------------- payload builders

    def user_payload(self, user: Any) -> JSON:
        return self.get_user(user).to_payload()

    def member_payload(
        self, user: Any, *, guild: Any = None, with_user: bool = True, channel: Any = None
    ) -> JSON:
        """Member object; with `channel`, includes the interaction-style `permissions` string."""
        g = self.get_guild(guild)
        u = self.get_user(user)
        perms = None if channel is None else self.permissions_for(u, channel)
        return g.members[u.id].to_payload(u if with_user else None, permissions=perms)

    def channel_payload(self, channel: Any) -> JSON:
        ch = self.get_channel(channel)
        if ch.is_dm:
            return {
                "id": ch.id,
                "type": ch.type,
                "last_message_id": ch.last_message_id,
                "flags": 0,
                "recipients": [self.users[r].to_payload() for r in ch.recipient_ids],
            }
        data: JSON = {
            "id": ch.id,
            "type": ch.type,
            "guild_id": ch.guild_id,
            "name": ch.name,
            "parent_id": ch.parent_id,
            "last_message_id": ch.last_message_id,
            "rate_limit_per_user": ch.rate_limit_per_user,
            "flags": 0,
        }
        if ch.is_thread:
            count = sum(1 for m in self.messages.values() if m["channel_id"] == ch.id)
            data.update(
                owner_id=ch.owner_id,
                message_count=count,
                total_message_sent=count,
                member_count=1,
                thread_metadata={
                    "archived": ch.archived,
                    "auto_archive_duration": 1440,
                    "archive_timestamp": ch.created_at,
                    "locked": ch.locked,
                    "create_timestamp": ch.created_at,
                },
            )
        else:
            data.update(
                position=ch.position,
                permission_overwrites=[o.to_payload() for o in ch.overwrites],
                topic=ch.topic,
                nsfw=ch.nsfw,
                default_auto_archive_duration=1440,
            )
        return data

    def guild_payload(self, guild: Any = None) -> JSON:
        """REST-shaped guild object (no channels/members)."""
        g = self.get_guild(guild)
        return {
            "id": g.id,
            "name": g.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": g.owner_id,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": g.locale,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "features": list(g.features),
            "roles": [r.to_payload() for r in g.roles.values()],
            "emojis": [],
            "stickers": [],
            "incidents_data": None,
        }

    def guild_create_payload(self, guild: Any = None, *, intents: int | None = None) -> JSON:
        """GUILD_CREATE: full guild; without GUILD_MEMBERS only the bot's member is included."""
        g = self.get_guild(guild)
        members_allowed = intents is None or bool(intents & Intents.GUILD_MEMBERS)
        member_ids = [uid for uid in g.members if members_allowed or uid == self.bot_user.id]
        channels = [self.channels[cid] for cid in g.channel_ids]
        data = self.guild_payload(g)
        data.update(
            joined_at=g.joined_at,
            large=False,
            unavailable=False,
            member_count=len(g.members),
            voice_states=[],
            members=[g.members[uid].to_payload(self.users[uid]) for uid in member_ids],
            channels=[self.channel_payload(c) for c in channels if not c.is_thread],
            threads=[self.channel_payload(c) for c in channels if c.is_thread],
            presences=[],
            stage_instances=[],
            guild_scheduled_events=[],
            soundboard_sounds=[],
        )
        return data

    def _mentions_payload(self, user_ids: Iterable[str], guild: FakeGuild | None) -> list[JSON]:
        out: list[JSON] = []
        seen: set[str] = set()
        for uid in user_ids:
            if uid in seen or uid not in self.users:
                continue
            seen.add(uid)
            data = self.users[uid].to_payload()
            if guild is not None and uid in guild.members:
                data["member"] = guild.members[uid].to_payload()
            out.append(data)
        return out

    def _build_message(
        self,
        *,
        channel: FakeChannel,
        author: JSON,
        content: str = "",
        embeds: Sequence[Any] | None = None,
        components: Sequence[Any] | None = None,
        attachments: Sequence[JSON] | None = None,
        flags: int = 0,
        message_type: int | None = None,
        reference: JSON | None = None,
        webhook_id: str | None = None,
        application_id: str | None = None,
        interaction_metadata: JSON | None = None,
        tts: bool = False,
        mention_everyone: bool = False,
        extra_mentions: Iterable[str] = (),
        nonce: Any = None,
        allowed_mentions: Mapping[str, Any] | None = None,
        enforce_allowed_mentions: bool = False,
    ) -> JSON:
        """Build a canonical message (gateway shape: guild_id + member for guild messages).

        With `enforce_allowed_mentions` (bot-sent messages) `mentions`, `mention_roles` and
        `mention_everyone` follow the request's allowed_mentions like Discord's pings do.
        """
        guild = self._guild_of(channel)
        if enforce_allowed_mentions:
            ref_id = (reference or {}).get("message_id")
            ref_author = self.messages[ref_id]["author"]["id"] if ref_id in self.messages else None
            mention_ids, role_ids, mention_everyone = self._pings(
                content, allowed_mentions, ref_author
            )
            mention_ids += list(extra_mentions)
        else:
            mention_ids = [*_USER_MENTION.findall(content), *extra_mentions]
            role_ids = _ROLE_MENTION.findall(content)
        role_ids = [r for r in role_ids if guild and r in guild.roles]
        msg: JSON = {
            "id": self._ids.next(),
            "channel_id": channel.id,
            "author": author,
            "content": content,
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": tts,
            "mention_everyone": mention_everyone,
            "mentions": self._mentions_payload(mention_ids, guild),
            "mention_roles": role_ids,
            "attachments": list(attachments or []),
            "embeds": [dict(e) for e in embeds or []],
            "reactions": [],
            "pinned": False,
            "type": (19 if reference else 0) if message_type is None else message_type,
            "flags": flags,
            "components": list(components or []),
        }
        if nonce is not None:
            msg["nonce"] = nonce
        if webhook_id is not None:
            msg["webhook_id"] = webhook_id
        if application_id is not None:
            msg["application_id"] = application_id
        if interaction_metadata is not None:
            msg["interaction_metadata"] = interaction_metadata
        if reference is not None:
            msg["message_reference"] = reference
            ref_id = reference.get("message_id")
            if ref_id in self.messages:
                msg["referenced_message"] = self._rest_message(self.messages[ref_id])
        if guild is not None:
            msg["guild_id"] = guild.id
            author_id = author.get("id")
            if webhook_id is None and author_id in guild.members:
                msg["member"] = guild.members[author_id].to_payload()
        return msg

    @staticmethod
    def _pings(
        content: str, allowed: Mapping[str, Any] | None, replied_author: str | None
    ) -> tuple[list[str], list[str], bool]:
        """Who a bot message pings: Discord's allowed_mentions rules (absent = ping all)."""
        users = _USER_MENTION.findall(content)
        roles = _ROLE_MENTION.findall(content)
        everyone = "@everyone" in content or "@here" in content
        if allowed is None:
            return [*users, *([replied_author] if replied_author else [])], roles, everyone
        parse = set(allowed.get("parse") or [])
        if "users" not in parse:
            listed = {str(u) for u in allowed.get("users") or []}
            users = [u for u in users if u in listed]
        if "roles" not in parse:
            listed = {str(r) for r in allowed.get("roles") or []}
            roles = [r for r in roles if r in listed]
        if allowed.get("replied_user") and replied_author:
            users.append(replied_author)
        return users, roles, everyone and "everyone" in parse

    def _store_message(self, msg: JSON, *, ephemeral: bool = False) -> JSON:
        self.messages[msg["id"]] = msg
        if ephemeral:
            self.ephemeral_message_ids.add(msg["id"])
        channel = self.channels.get(msg["channel_id"])
        if channel is not None and not ephemeral:
            channel.last_message_id = msg["id"]
        self._notify()
        return msg

    @staticmethod
    def _rest_message(msg: JSON) -> JSON:
        """REST responses carry neither guild_id nor member."""
        data = copy.deepcopy(msg)
        data.pop("guild_id", None)
        data.pop("member", None)
        return data

    def _attachments_from(
        self, channel: FakeChannel, body: Mapping[str, Any], files: Sequence[RecordedFile]
    ) -> list[JSON]:
        """Turn uploaded files into attachment objects whose URLs the fake serves."""
        out: list[JSON] = []
        described = {
            str(a.get("id")): a for a in body.get("attachments") or [] if isinstance(a, Mapping)
        }
        for index, f in enumerate(files):
            att_id = self._ids.next()
            url = f"{self.http_base}/attachments/{channel.id}/{att_id}/{f.filename}"
            self.attachments[att_id] = (f.data, f.content_type)
            meta = described.get(str(index), {})
            out.append(
                {
                    "id": att_id,
                    "filename": f.filename,
                    "size": len(f.data),
                    "url": url,
                    "proxy_url": url,
                    "content_type": f.content_type,
                    "description": meta.get("description"),
                    "flags": 0,
                }
            )
        return out

    # ---------------------------------------------------------------- change notification

    def _notify(self) -> None:
        """Wake every `wait_until` (a fresh Event per change so no waiter misses one)."""
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    async def wait_until(
        self, predicate: Callable[[], Any], *, timeout: float = 5.0, what: str = "condition"
    ) -> Any:
        """Wait until `predicate()` is truthy (re-checked on every fake state change)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = ", ".join(repr(r) for r in self.requests[-8:])
                raise TimeoutError(
                    f"timed out after {timeout}s waiting for {what}; last requests: {recent}"
                )
            event = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), min(remaining, 0.5))

    # ---------------------------------------------------------------- request queries

    def requests_matching(
        self,
        method: str | None = None,
        path_pattern: str | re.Pattern[str] | None = None,
        predicate: Callable[[RecordedRequest], bool] | None = None,
        *,
        status: int | None = None,
        since: int = 0,
    ) -> list[RecordedRequest]:
        """Completed requests matching method/path (see `_path_matches`), status and predicate."""
        return [
            r
            for r in self.requests[since:]
            if r.status is not None
            and _method_matches(method, r.method)
            and _path_matches(path_pattern, r.path, r.route)
            and (status is None or r.status == status)
            and (predicate is None or predicate(r))
        ]

    async def wait_for_request(
        self,
        method: str | None,
        path_pattern: str | re.Pattern[str] | None,
        predicate: Callable[[RecordedRequest], bool] | None = None,
        timeout: float = 5.0,
        *,
        status: int | None = None,
        since: int = 0,
    ) -> RecordedRequest:
        """First matching completed request (already recorded ones count; use `since=mark()`)."""

        def find() -> RecordedRequest | None:
            found = self.requests_matching(
                method, path_pattern, predicate, status=status, since=since
            )
            return found[0] if found else None

        result: RecordedRequest = await self.wait_until(
            find, timeout=timeout, what=f"{method} {path_pattern}"
        )
        return result

    async def wait_for_requests(
        self,
        method: str | None,
        path_pattern: str | re.Pattern[str] | None,
        count: int,
        predicate: Callable[[RecordedRequest], bool] | None = None,
        timeout: float = 5.0,
        *,
        status: int | None = None,
        since: int = 0,
    ) -> list[RecordedRequest]:
        """Wait until at least `count` matching requests completed; returns all matches."""

        def find() -> list[RecordedRequest] | None:
            found = self.requests_matching(
                method, path_pattern, predicate, status=status, since=since
            )
            return found if len(found) >= count else None

        result: list[RecordedRequest] = await self.wait_until(
            find, timeout=timeout, what=f"{count}x {method} {path_pattern}"
        )
        return result

    def mark(self) -> int:
        """Index to pass as `since=` so later waits ignore earlier requests."""
        return len(self.requests)

    def channel_messages(self, channel: Any, *, include_ephemeral: bool = False) -> list[JSON]:
        """Messages in a channel, oldest first."""
        cid = self.get_channel(channel).id
        return [
            m
            for m in self.messages.values()
            if m["channel_id"] == cid
            and (include_ephemeral or m["id"] not in self.ephemeral_message_ids)
        ]

    def bot_messages(self, channel: Any = None, *, include_ephemeral: bool = True) -> list[JSON]:
        """Messages authored by the bot (REST sends, interaction responses, follow-ups)."""
        cid = None if channel is None else self.get_channel(channel).id
        return [
            m
            for m in self.messages.values()
            if m["author"]["id"] == self.bot_user.id
            and (cid is None or m["channel_id"] == cid)
            and (include_ephemeral or m["id"] not in self.ephemeral_message_ids)
        ]

    async def wait_for_message(
        self,
        channel: Any = None,
        *,
        author: Any = None,
        predicate: Callable[[JSON], bool] | None = None,
        timeout: float = 5.0,
    ) -> JSON:
        """First stored message (default author: the bot) in `channel` matching `predicate`."""
        author_id = self.bot_user.id if author is None else self.get_user(author).id
        cid = None if channel is None else self.get_channel(channel).id

        def find() -> JSON | None:
            for m in self.messages.values():
                if (
                    m["author"]["id"] == author_id
                    and (cid is None or m["channel_id"] == cid)
                    and (predicate is None or predicate(m))
                ):
                    return m
            return None

        result: JSON = await self.wait_until(find, timeout=timeout, what="message")
        return result

    @staticmethod
    def _replies_to_predicate(message: JSON | str | int) -> Callable[[RecordedRequest], bool]:
        target = str(message["id"] if isinstance(message, Mapping) else message)

        def check(rec: RecordedRequest) -> bool:
            body = rec.json if isinstance(rec.json, Mapping) else {}
            reference = body.get("message_reference") or {}
            # discord.py sends snowflakes in request bodies as ints: compare as strings
            return str(reference.get("message_id")) == target

        return check

    def replies_to(
        self, message: JSON | str | int, *, status: int | None = 200
    ) -> list[RecordedRequest]:
        """POST /channels/{id}/messages requests replying to `message` (payload or id)."""
        return self.requests_matching(
            "POST",
            "/channels/{channel_id}/messages",
            self._replies_to_predicate(message),
            status=status,
        )

    async def wait_for_reply(
        self, message: JSON | str | int, timeout: float = 5.0, *, status: int | None = 200
    ) -> RecordedRequest:
        """Wait for the bot's REST reply (message_reference) to `message`."""
        return await self.wait_for_request(
            "POST",
            "/channels/{channel_id}/messages",
            self._replies_to_predicate(message),
            timeout,
            status=status,
        )

    # ---------------------------------------------------------------- fault injection

    def rate_limit_next(
        self,
        method: str | None,
        path_pattern: str | re.Pattern[str],
        retry_after: float = 0.25,
        count: int = 1,
        global_: bool = False,
    ) -> None:
        """Answer the next `count` matching requests with a realistic 429 (Via header included)."""
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": global_,
        }
        self._faults.append(
            _Fault(method, path_pattern, count, 429, body, retry_after=retry_after, global_=global_)
        )

    def fail_next(
        self,
        method: str | None,
        path_pattern: str | re.Pattern[str],
        status: int = 500,
        count: int = 1,
        *,
        code: int = 0,
        message: str | None = None,
        body: JSON | None = None,
    ) -> None:
        """Answer the next `count` matching requests with `status` (5xx, or e.g. 403/50013)."""
        payload = body or {"message": message or f"{status}: fake failure", "code": code}
        self._faults.append(_Fault(method, path_pattern, count, status, payload))

    def clear_faults(self) -> None:
        self._faults.clear()

    def _take_fault(self, method: str, path: str, route: str | None) -> _Fault | None:
        for fault in self._faults:
            if (
                fault.remaining > 0
                and _method_matches(fault.method, method)
                and _path_matches(fault.pattern, path, route)
            ):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None

    # ---------------------------------------------------------------- HTTP server

    @staticmethod
    def _bucket(method: str, route: str | None, path: str) -> str:
        return hashlib.sha1(
            f"{method} {route or path}".encode(), usedforsecurity=False
        ).hexdigest()[:16]

    def _ratelimit_headers(self, bucket: str) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "4",
            "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
            "X-RateLimit-Reset-After": "1.000",
            "X-RateLimit-Bucket": bucket,
        }

    @staticmethod
    def _json_response(status: int, body: Any, headers: Mapping[str, str]) -> web.Response:
        """JSON with Content-Type exactly application/json (discord.py ignores it otherwise)."""
        if status == 204 or body is None:
            return web.Response(status=status, headers=dict(headers))
        return web.Response(
            status=status,
            body=json.dumps(body).encode(),
            headers={**headers, "Content-Type": "application/json"},
        )

    async def _read_body(self, request: web.Request) -> tuple[Any, list[RecordedFile]]:
        files: list[RecordedFile] = []
        if request.content_type.startswith("multipart/"):
            payload: Any = None
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, BodyPartReader):  # nested multipart: unused by discord.py
                    continue
                data = bytes(await part.read(decode=False))
                name = part.name or ""
                if name == "payload_json":
                    payload = json.loads(data.decode())
                elif part.filename is not None:
                    files.append(
                        RecordedFile(name, part.filename, part.headers.get("Content-Type"), data)
                    )
            return payload, files
        raw = await request.read()
        if not raw:
            return None, files
        if request.content_type == "application/json":
            return json.loads(raw.decode()), files
        return raw.decode(errors="replace"), files

    def _match_route(self, method: str, path: str) -> tuple[_Route | None, dict[str, str], bool]:
        path_known = False
        for route in self._routes:
            m = route.regex.fullmatch(path)
            if m is None:
                continue
            path_known = True
            if route.method == method:
                return route, m.groupdict(), True
        return None, {}, path_known

    async def _http_handler(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/attachments/"):
            att_id = path.split("/")[3] if path.count("/") >= 4 else ""
            if att_id in self.attachments:
                data, ctype = self.attachments[att_id]
                return web.Response(body=data, content_type=ctype or "application/octet-stream")
            return self._json_response(404, {"message": "Not Found", "code": 0}, {})
        if not path.startswith(API_PREFIX):
            return self._json_response(404, {"message": "404: Not Found", "code": 0}, {})
        sub = path[len(API_PREFIX) :] or "/"
        method = request.method.upper()
        try:
            body, files = await self._read_body(request)
        except ValueError:
            body, files = None, []
        route, params, path_known = self._match_route(method, sub)
        interesting = ("Authorization", "User-Agent", "Content-Type", "X-Audit-Log-Reason")
        headers = {h: request.headers[h] for h in interesting if h in request.headers}
        if "X-Audit-Log-Reason" in headers:
            headers["X-Audit-Log-Reason"] = unquote(headers["X-Audit-Log-Reason"])
        rec = RecordedRequest(
            index=len(self.requests),
            method=method,
            path=sub,
            route=route.template if route else None,
            params=params,
            query=dict(request.query),
            json=body,
            files=files,
            headers=headers,
            time=time.monotonic(),
        )
        self.requests.append(rec)
        bucket = self._bucket(method, rec.route, sub)
        status, payload, extra = await self._answer(rec, route, path_known, request)
        rec.status, rec.response = status, payload
        self._notify()
        headers = extra if status == 429 else {**self._ratelimit_headers(bucket), **extra}
        return self._json_response(status, payload, headers)

    async def _answer(
        self, rec: RecordedRequest, route: _Route | None, path_known: bool, request: web.Request
    ) -> _Reply:
        fault = self._take_fault(rec.method, rec.path, rec.route)
        if fault is not None:
            if fault.status == 429:
                reset_after = f"{fault.retry_after:.3f}"
                hdrs = {
                    "Via": "1.1 google",
                    "Retry-After": str(max(1, math.ceil(fault.retry_after))),
                    "X-RateLimit-Limit": "5",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": f"{time.time() + fault.retry_after:.3f}",
                    "X-RateLimit-Reset-After": reset_after,
                    "X-RateLimit-Bucket": self._bucket(rec.method, rec.route, rec.path),
                    "X-RateLimit-Scope": "global" if fault.global_ else "user",
                }
                if fault.global_:
                    hdrs["X-RateLimit-Global"] = "true"
                return 429, dict(fault.body), hdrs
            return fault.status, dict(fault.body), {}
        if route is None:
            if path_known:
                return 405, {"message": "405: Method Not Allowed", "code": 0}, {}
            self.unknown_requests.append(rec)
            log.warning("fake discord: unknown route %s %s (answered 404)", rec.method, rec.path)
            return 404, {"message": "Unknown route", "code": 0}, {}
        if route.auth and rec.headers.get("Authorization") != f"Bot {self.token}":
            return 401, {"message": "401: Unauthorized", "code": 0}, {}
        try:
            return await route.handler(rec)
        except _HTTPError as exc:
            return exc.status, exc.body, {}
        except KeyError as exc:
            return 404, {"message": f"Unknown object {exc}", "code": 10000}, {}
        except Exception as exc:  # a bug in the fake: make it loud, but fail the request fast
            log.exception("fake discord handler crashed on %s %s", rec.method, rec.path)
            self.internal_errors.append(f"{rec.method} {rec.path}: {exc!r}")
            return 400, {"message": f"fake discord crashed: {exc!r}", "code": 0}, {}

    def _register_routes(self) -> None:
        def add(
            method: str,
            template: str,
            handler: Callable[[RecordedRequest], Awaitable[_Reply]],
            *,
            auth: bool = True,
        ) -> None:
            self._routes.append(_Route(method, template, _template_regex(template), handler, auth))

        add("GET", "/users/@me", self._r_get_me)
        add("POST", "/users/@me/channels", self._r_open_dm)
        add("GET", "/users/{user_id}", self._r_get_user)
        add("GET", "/gateway", self._r_gateway, auth=False)
        add("GET", "/gateway/bot", self._r_gateway_bot)
        add("GET", "/oauth2/applications/@me", self._r_app_info)
        add("GET", "/applications/@me", self._r_app_info)
        for base in (
            "/applications/{application_id}/commands",
            "/applications/{application_id}/guilds/{guild_id}/commands",
        ):
            add("GET", base, self._r_list_commands)
            add("PUT", base, self._r_bulk_commands)
            add("POST", base, self._r_upsert_command)
            add("GET", base + "/{command_id}", self._r_get_command)
            add("PATCH", base + "/{command_id}", self._r_edit_command)
            add("DELETE", base + "/{command_id}", self._r_delete_command)
        add("GET", "/channels/{channel_id}", self._r_get_channel)
        add("GET", "/channels/{channel_id}/messages", self._r_history)
        add("POST", "/channels/{channel_id}/messages", self._r_create_message)
        add("GET", "/channels/{channel_id}/messages/{message_id}", self._r_get_message)
        add("PATCH", "/channels/{channel_id}/messages/{message_id}", self._r_edit_message)
        add("DELETE", "/channels/{channel_id}/messages/{message_id}", self._r_delete_message)
        add("POST", "/channels/{channel_id}/typing", self._r_no_content)
        reactions = "/channels/{channel_id}/messages/{message_id}/reactions"
        add("PUT", reactions + "/{emoji}/@me", self._r_add_reaction)
        add("DELETE", reactions + "/{emoji}/@me", self._r_remove_reaction)
        add("DELETE", reactions + "/{emoji}/{user_id}", self._r_remove_reaction)
        add("GET", reactions + "/{emoji}", self._r_get_reactions)
        add("DELETE", reactions + "/{emoji}", self._r_clear_reactions)
        add("DELETE", reactions, self._r_clear_reactions)
        add("POST", "/channels/{channel_id}/threads", self._r_create_thread)
        add("POST", "/channels/{channel_id}/messages/{message_id}/threads", self._r_create_thread)
        add("GET", "/guilds/{guild_id}", self._r_get_guild)
        add("GET", "/guilds/{guild_id}/channels", self._r_guild_channels)
        add("GET", "/guilds/{guild_id}/roles", self._r_guild_roles)
        add("GET", "/guilds/{guild_id}/members", self._r_list_members)
        add("GET", "/guilds/{guild_id}/members/{user_id}", self._r_get_member)
        add("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self._r_member_role)
        add("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self._r_member_role)
        add(
            "POST",
            "/interactions/{interaction_id}/{interaction_token}/callback",
            self._r_interaction_callback,
            auth=False,
        )
        hook = "/webhooks/{webhook_id}/{webhook_token}"
        add("POST", hook, self._r_execute_webhook, auth=False)
        add("GET", hook + "/messages/{message_id}", self._r_webhook_get_message, auth=False)
        add("PATCH", hook + "/messages/{message_id}", self._r_webhook_edit_message, auth=False)
        add("DELETE", hook + "/messages/{message_id}", self._r_webhook_delete_message, auth=False)

    # ---------------------------------------------------------------- REST: users, app, gateway

    async def _r_get_me(self, rec: RecordedRequest) -> _Reply:
        data = self.bot_user.to_payload()
        data.update(verified=True, mfa_enabled=False, email=None, locale="en-US", bio="")
        return 200, data, {}

    async def _r_get_user(self, rec: RecordedRequest) -> _Reply:
        if rec.params["user_id"] not in self.users:
            raise _HTTPError(404, 10013, "Unknown User")
        return 200, self.users[rec.params["user_id"]].to_payload(), {}

    async def _r_open_dm(self, rec: RecordedRequest) -> _Reply:
        recipient = str((rec.json or {}).get("recipient_id"))
        if recipient not in self.users:
            raise _HTTPError(400, 50035, "Invalid Form Body")
        return 200, self.channel_payload(self.dm_channel(recipient)), {}

    async def _r_gateway(self, rec: RecordedRequest) -> _Reply:
        return 200, {"url": self.gateway_url}, {}

    async def _r_gateway_bot(self, rec: RecordedRequest) -> _Reply:
        limit = {"total": 1000, "remaining": 999, "reset_after": 86_400_000, "max_concurrency": 1}
        return 200, {"url": self.gateway_url, "shards": 1, "session_start_limit": limit}, {}

    async def _r_app_info(self, rec: RecordedRequest) -> _Reply:
        owner = self.users[self.guild.owner_id].to_payload()
        return (
            200,
            {
                "id": self.application_id,
                "name": self.bot_user.username,
                "icon": None,
                "description": "",
                "summary": "",
                "rpc_origins": [],
                "bot_public": True,
                "bot_require_code_grant": False,
                "bot": self.bot_user.to_payload(),
                "owner": owner,
                "team": None,
                "verify_key": "0" * 64,
                "flags": 0,
                "tags": [],
                "redirect_uris": [],
                "interactions_endpoint_url": None,
                "approximate_guild_count": len(self.guilds),
                "integration_types_config": {"0": {}},
            },
            {},
        )

    # ---------------------------------------------------------------- REST: app commands

    def _command_store(self, rec: RecordedRequest) -> tuple[dict[str, JSON], str | None]:
        if rec.params["application_id"] != self.application_id:
            raise _HTTPError(404, 10002, "Unknown Application")
        guild_id = rec.params.get("guild_id")
        if guild_id is None:
            return self.global_commands, None
        if guild_id not in self.guilds:
            raise _HTTPError(403, 50001, "Missing Access")
        return self.guild_commands.setdefault(guild_id, {}), guild_id

    def _command_object(
        self, body: Mapping[str, Any], guild_id: str | None, existing: JSON | None
    ) -> JSON:
        cmd: JSON = {
            "id": existing["id"] if existing else self._ids.next(),
            "application_id": self.application_id,
            "version": self._ids.next(),
            "type": body.get("type", 1),
            "name": body["name"],
            "name_localizations": body.get("name_localizations"),
            "description": body.get("description", ""),
            "description_localizations": body.get("description_localizations"),
            "options": list(body.get("options") or []),
            "default_member_permissions": body.get("default_member_permissions"),
            "dm_permission": body.get("dm_permission", True),
            "nsfw": body.get("nsfw", False),
            "contexts": body.get("contexts"),
            "integration_types": body.get("integration_types") or [0],
        }
        if guild_id is not None:
            cmd["guild_id"] = guild_id
        return cmd

    @staticmethod
    def _command_key(body: Mapping[str, Any]) -> str:
        return f"{body.get('type', 1)}:{body['name']}"

    async def _r_list_commands(self, rec: RecordedRequest) -> _Reply:
        store, _ = self._command_store(rec)
        return 200, list(store.values()), {}

    async def _r_bulk_commands(self, rec: RecordedRequest) -> _Reply:
        store, guild_id = self._command_store(rec)
        old = dict(store)
        store.clear()
        for body in rec.json or []:
            key = self._command_key(body)
            store[key] = self._command_object(body, guild_id, old.get(key))
        self._notify()
        return 200, list(store.values()), {}

    async def _r_upsert_command(self, rec: RecordedRequest) -> _Reply:
        store, guild_id = self._command_store(rec)
        key = self._command_key(rec.json)
        existed = key in store
        store[key] = self._command_object(rec.json, guild_id, store.get(key))
        return (200 if existed else 201), store[key], {}

    def _find_command(self, store: dict[str, JSON], command_id: str) -> tuple[str, JSON]:
        for key, cmd in store.items():
            if cmd["id"] == command_id:
                return key, cmd
        raise _HTTPError(404, 10063, "Unknown application command")

    async def _r_get_command(self, rec: RecordedRequest) -> _Reply:
        store, _ = self._command_store(rec)
        return 200, self._find_command(store, rec.params["command_id"])[1], {}

    async def _r_edit_command(self, rec: RecordedRequest) -> _Reply:
        store, guild_id = self._command_store(rec)
        key, cmd = self._find_command(store, rec.params["command_id"])
        del store[key]
        merged = {**cmd, **(rec.json or {})}
        store[self._command_key(merged)] = self._command_object(merged, guild_id, cmd)
        return 200, store[self._command_key(merged)], {}

    async def _r_delete_command(self, rec: RecordedRequest) -> _Reply:
        store, _ = self._command_store(rec)
        key, _cmd = self._find_command(store, rec.params["command_id"])
        del store[key]
        return 204, None, {}

    # ---------------------------------------------------------------- REST: channels & messages

    def _channel_or_404(self, channel_id: str) -> FakeChannel:
        channel = self.channels.get(channel_id)
        if channel is None:
            raise _HTTPError(404, 10003, "Unknown Channel")
        return channel

    def _message_or_404(self, channel_id: str, message_id: str) -> JSON:
        msg = self.messages.get(message_id)
        if msg is None or msg["channel_id"] != channel_id:
            raise _HTTPError(404, 10008, "Unknown Message")
        return msg

    async def _r_get_channel(self, rec: RecordedRequest) -> _Reply:
        return 200, self.channel_payload(self._channel_or_404(rec.params["channel_id"])), {}

    async def _r_no_content(self, rec: RecordedRequest) -> _Reply:
        self._channel_or_404(rec.params["channel_id"])
        return 204, None, {}

    async def _r_history(self, rec: RecordedRequest) -> _Reply:
        channel = self._channel_or_404(rec.params["channel_id"])
        limit = int(rec.query.get("limit", 50))
        msgs = self.channel_messages(channel)
        if "before" in rec.query:
            msgs = [m for m in msgs if int(m["id"]) < int(rec.query["before"])]
        if "after" in rec.query:
            msgs = [m for m in msgs if int(m["id"]) > int(rec.query["after"])][:limit]
        return 200, [self._rest_message(m) for m in reversed(msgs[-limit:])], {}

    async def _r_get_message(self, rec: RecordedRequest) -> _Reply:
        msg = self._message_or_404(rec.params["channel_id"], rec.params["message_id"])
        return 200, self._rest_message(msg), {}

    def _reference_from(self, channel: FakeChannel, body: Mapping[str, Any]) -> JSON | None:
        ref = body.get("message_reference")
        if not ref:
            return None
        ref_id = str(ref.get("message_id"))
        if ref_id not in self.messages and ref.get("fail_if_not_exists", True):
            raise _HTTPError(
                400,
                50035,
                "Invalid Form Body",
                {"message_reference": _err("REPLIES_UNKNOWN_MESSAGE", "Unknown message")},
            )
        return {
            "type": ref.get("type", 0),
            "message_id": ref_id,
            "channel_id": str(ref.get("channel_id") or channel.id),
            "guild_id": channel.guild_id,
        }

    async def _r_create_message(self, rec: RecordedRequest) -> _Reply:
        channel = self._channel_or_404(rec.params["channel_id"])
        body = rec.json or {}
        _validate_message_body(body, n_files=len(rec.files))
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            # Discord answers a repeated nonce with the message it already created (no new
            # MESSAGE_CREATE); discord.py sends nonce + enforce_nonce on every send.
            for existing in self.channel_messages(channel):
                if existing.get("nonce") == nonce and existing["author"]["id"] == self.bot_user.id:
                    return 200, self._rest_message(existing), {}
        msg = self._build_message(
            channel=channel,
            author=self.bot_user.to_payload(),
            content=str(body.get("content") or ""),
            embeds=body.get("embeds"),
            components=body.get("components"),
            attachments=self._attachments_from(channel, body, rec.files),
            flags=int(body.get("flags") or 0),
            reference=self._reference_from(channel, body),
            tts=bool(body.get("tts")),
            nonce=body.get("nonce"),
            allowed_mentions=body.get("allowed_mentions"),
            enforce_allowed_mentions=True,
        )
        self._store_message(msg)
        await self.dispatch("MESSAGE_CREATE", msg)
        return 200, self._rest_message(msg), {}

    def _apply_edit(
        self, msg: JSON, body: Mapping[str, Any], files: Sequence[RecordedFile]
    ) -> None:
        _validate_message_body(body, n_files=len(files), edit=True)
        channel = self.channels[msg["channel_id"]]
        if "content" in body:
            msg["content"] = str(body["content"] or "")
            guild = self._guild_of(channel)
            if msg["author"]["id"] == self.bot_user.id:
                users, roles, everyone = self._pings(
                    msg["content"], body.get("allowed_mentions"), None
                )
            else:
                users, roles = _USER_MENTION.findall(msg["content"]), []
                everyone = msg["mention_everyone"]
            msg["mentions"] = self._mentions_payload(users, guild)
            msg["mention_roles"] = [r for r in roles if guild and r in guild.roles]
            msg["mention_everyone"] = everyone
        for key in ("embeds", "components"):
            if key in body:
                msg[key] = list(body[key] or [])
        if "flags" in body and body["flags"] is not None:
            # only SUPPRESS_EMBEDS may be toggled; the loading flag (128) clears on edit
            msg["flags"] = (msg["flags"] & ~4 & ~128) | (int(body["flags"]) & 4)
        else:
            msg["flags"] &= ~128
        if "attachments" in body or files:
            keep = {str(a.get("id")) for a in body.get("attachments") or []}
            kept = [a for a in msg["attachments"] if a["id"] in keep]
            msg["attachments"] = kept + self._attachments_from(channel, body, files)
        msg["edited_timestamp"] = _now_iso()
        self._notify()

    async def _r_edit_message(self, rec: RecordedRequest) -> _Reply:
        msg = self._message_or_404(rec.params["channel_id"], rec.params["message_id"])
        body = rec.json or {}
        if msg["author"]["id"] != self.bot_user.id and set(body) - {"flags"}:
            raise _HTTPError(403, 50005, "Cannot edit a message authored by another user")
        self._apply_edit(msg, body, rec.files)
        await self.dispatch("MESSAGE_UPDATE", msg)
        return 200, self._rest_message(msg), {}

    async def _delete_message(self, msg: JSON) -> None:
        self.messages.pop(msg["id"], None)
        if msg["id"] in self.ephemeral_message_ids:
            self.ephemeral_message_ids.discard(msg["id"])
            return
        data = {"id": msg["id"], "channel_id": msg["channel_id"]}
        if "guild_id" in msg:
            data["guild_id"] = msg["guild_id"]
        self._notify()
        await self.dispatch("MESSAGE_DELETE", data)

    async def _r_delete_message(self, rec: RecordedRequest) -> _Reply:
        msg = self._message_or_404(rec.params["channel_id"], rec.params["message_id"])
        await self._delete_message(msg)
        return 204, None, {}

    @staticmethod
    def _emoji(raw: str) -> JSON:
        if ":" in raw:
            name, _, emoji_id = raw.partition(":")
            return {"id": emoji_id, "name": name}
        return {"id": None, "name": raw}

    def _reaction_event(self, msg: JSON, emoji: JSON, user_id: str) -> JSON:
        data: JSON = {
            "user_id": user_id,
            "channel_id": msg["channel_id"],
            "message_id": msg["id"],
            "emoji": emoji,
            "burst": False,
            "type": 0,
        }
        if "guild_id" in msg:
            data["guild_id"] = msg["guild_id"]
        return data

    async def _r_add_reaction(self, rec: RecordedRequest) -> _Reply:
        msg = self._message_or_404(rec.params["channel_id"], rec.params["message_id"])
        emoji = self._emoji(rec.params["emoji"])
        for reaction in msg["reactions"]:
            if reaction["emoji"] == emoji:
                if self.bot_user.id not in reaction["_users"]:
                    reaction["_users"].append(self.bot_user.id)
                    reaction["count"] += 1
                reaction["me"] = True
                break
        else:
            msg["reactions"].append(
                {
                    "emoji": emoji,
                    "count": 1,
                    "me": True,
                    "burst_count": 0,
                    "me_burst": False,
                    "count_details": {"burst": 0, "normal": 1},
                    "burst_colors": [],
                    "_users": [self.bot_user.id],
                }
            )
        data = self._reaction_event(msg, emoji, self.bot_user.id)
        guild = self.guilds.get(msg.get("guild_id", ""))
        if guild is not None:
            data["member"] = self.member_payload(self.bot_user, guild=guild)
        data["message_author_id"] = msg["author"]["id"]
        await self.dispatch("MESSAGE_REACTION_ADD", data)
        return 204, None, {}

    async def _r_remove_reaction(self, rec: RecordedRequest) -> _Reply:
        msg = self._message_or_404(rec.params["channel_id"], rec.params["message_id"])
        emoji = self._emoji(rec.params["emoji"])
        user_id = rec.params.get("user_id", self.bot_user.id)
        for reaction in list(msg["reactions"]):
            if reaction["emoji"] == emoji and user_id in reaction["_users"]:
                reaction["_users"].remove(user_id)
                reaction["count"] -= 1
                reaction["me"] = self.bot_user.id in reaction["_users"]
                if reaction["count"] <= 0:
                    msg["reactions"].remove(reaction)
        await self.dispatch("MESSAGE_REACTION_REMOVE", self._reaction_event(msg, emoji, user_id))
        return 204, None, {}

    async def _r_get_reactions(self, rec: RecordedRequest) -> _Reply:
        msg = self._message_or_404(rec.params["channel_id"], rec.params["message_id"])
        emoji = self._emoji(rec.params["emoji"])
        for reaction in msg["reactions"]:
            if reaction["emoji"] == emoji:
                return 200, [self.users[u].to_payload() for u in reaction["_users"]], {}
        return 200, [], {}

    async def _r_clear_reactions(self, rec: RecordedRequest) -> _Reply:
        msg = self._message_or_404(rec.params["channel_id"], rec.params["message_id"])
        if "emoji" in rec.params:
            emoji = self._emoji(rec.params["emoji"])
            msg["reactions"] = [r for r in msg["reactions"] if r["emoji"] != emoji]
        else:
            msg["reactions"] = []
        return 204, None, {}

    async def _r_create_thread(self, rec: RecordedRequest) -> _Reply:
        parent = self._channel_or_404(rec.params["channel_id"])
        body = rec.json or {}
        private = body.get("type") == ChannelType.PRIVATE_THREAD
        thread = FakeChannel(
            id=rec.params.get("message_id") or self._ids.next(),
            type=ChannelType.PRIVATE_THREAD if private else ChannelType.PUBLIC_THREAD,
            name=str(body.get("name") or "thread"),
            guild_id=parent.guild_id,
            parent_id=parent.id,
            owner_id=self.bot_user.id,
        )
        self.channels[thread.id] = thread
        if thread.guild_id is not None:
            self.guilds[thread.guild_id].channel_ids.append(thread.id)
        payload = self.channel_payload(thread)
        await self.dispatch("THREAD_CREATE", {**payload, "newly_created": True})
        return 201, payload, {}

    # ---------------------------------------------------------------- REST: guilds

    def _guild_or_404(self, guild_id: str) -> FakeGuild:
        guild = self.guilds.get(guild_id)
        if guild is None:
            raise _HTTPError(404, 10004, "Unknown Guild")
        return guild

    async def _r_get_guild(self, rec: RecordedRequest) -> _Reply:
        guild = self._guild_or_404(rec.params["guild_id"])
        data = self.guild_payload(guild)
        if rec.query.get("with_counts") in ("true", "1", "True"):
            data.update(approximate_member_count=len(guild.members), approximate_presence_count=0)
        return 200, data, {}

    async def _r_guild_channels(self, rec: RecordedRequest) -> _Reply:
        guild = self._guild_or_404(rec.params["guild_id"])
        chans = [self.channels[c] for c in guild.channel_ids if not self.channels[c].is_thread]
        return 200, [self.channel_payload(c) for c in chans], {}

    async def _r_guild_roles(self, rec: RecordedRequest) -> _Reply:
        guild = self._guild_or_404(rec.params["guild_id"])
        return 200, [r.to_payload() for r in guild.roles.values()], {}

    async def _r_list_members(self, rec: RecordedRequest) -> _Reply:
        guild = self._guild_or_404(rec.params["guild_id"])
        limit = int(rec.query.get("limit", 1))
        after = int(rec.query.get("after", 0))
        ids = sorted((uid for uid in guild.members if int(uid) > after), key=int)[:limit]
        return 200, [guild.members[u].to_payload(self.users[u]) for u in ids], {}

    async def _r_get_member(self, rec: RecordedRequest) -> _Reply:
        guild = self._guild_or_404(rec.params["guild_id"])
        member = guild.members.get(rec.params["user_id"])
        if member is None:
            raise _HTTPError(404, 10007, "Unknown Member")
        return 200, member.to_payload(self.users[member.user_id]), {}

    async def _r_member_role(self, rec: RecordedRequest) -> _Reply:
        guild = self._guild_or_404(rec.params["guild_id"])
        member = guild.members.get(rec.params["user_id"])
        if member is None:
            raise _HTTPError(404, 10007, "Unknown Member")
        role_id = rec.params["role_id"]
        if role_id not in guild.roles:
            raise _HTTPError(404, 10011, "Unknown Role")
        if rec.method == "PUT" and role_id not in member.roles:
            member.roles.append(role_id)
        elif rec.method == "DELETE" and role_id in member.roles:
            member.roles.remove(role_id)
        data = member.to_payload(self.users[member.user_id])
        data["guild_id"] = guild.id
        await self.dispatch("GUILD_MEMBER_UPDATE", data)
        return 204, None, {}

    # ---------------------------------------------------------------- REST: interactions

    def _interaction_by_token(self, token: str) -> FakeInteraction | None:
        for inter in self.interactions.values():
            if inter.token == token:
                return inter
        return None

    def _interaction_author(self, inter: FakeInteraction) -> JSON:
        return self.bot_user.to_payload()

    def _interaction_metadata(self, inter: FakeInteraction) -> JSON:
        meta: JSON = {
            "id": inter.id,
            "type": inter.type,
            "user": self.users[inter.user_id].to_payload(),
            "authorizing_integration_owners": dict(inter.payload["authorizing_integration_owners"]),
        }
        if inter.type == 2:
            meta["name"] = inter.payload["data"]["name"]
            meta["command_type"] = inter.payload["data"].get("type", 1)
        if inter.message_id is not None:
            meta["interacted_message_id"] = inter.message_id
        return meta

    def _interaction_message(
        self,
        inter: FakeInteraction,
        body: Mapping[str, Any],
        files: Sequence[RecordedFile],
        *,
        loading: bool = False,
    ) -> JSON:
        channel = self.channels[inter.channel_id]
        flags = int(body.get("flags") or 0) | (128 if loading else 0)
        if not loading:
            _validate_message_body(body, n_files=len(files))
        return self._build_message(
            channel=channel,
            author=self._interaction_author(inter),
            content=str(body.get("content") or ""),
            embeds=body.get("embeds"),
            components=body.get("components"),
            attachments=self._attachments_from(channel, body, files),
            flags=flags,
            message_type=20 if inter.type == 2 else 0,
            webhook_id=self.application_id,
            application_id=self.application_id,
            interaction_metadata=self._interaction_metadata(inter),
            tts=bool(body.get("tts")),
            allowed_mentions=body.get("allowed_mentions"),
            enforce_allowed_mentions=True,
        )

    async def _r_interaction_callback(self, rec: RecordedRequest) -> _Reply:
        inter = self.interactions.get(rec.params["interaction_id"])
        if inter is None or inter.token != rec.params["interaction_token"]:
            raise _HTTPError(404, 10062, "Unknown interaction")
        inter.callbacks.append(rec)
        if inter.response_type is not None:
            raise _HTTPError(400, 40060, "Interaction has already been acknowledged.")
        if time.monotonic() - inter.created_at > self.interaction_ack_timeout:
            raise _HTTPError(404, 10062, "Unknown interaction")
        body = rec.json or {}
        rtype = int(body.get("type", 0))
        data: JSON = dict(body.get("data") or {})
        ephemeral = bool(int(data.get("flags") or 0) & 64)
        message: JSON | None = None
        if rtype not in _ALLOWED_CALLBACKS.get(inter.type, ()):
            allowed = sorted(_ALLOWED_CALLBACKS.get(inter.type, ()))
            raise _HTTPError(
                400,
                50035,
                "Invalid Form Body",
                {"type": _err("BASE_TYPE_CHOICES", f"Value must be one of {allowed}.")},
            )
        if rtype in (4, 5):
            message = self._interaction_message(inter, data, rec.files, loading=rtype == 5)
            self._store_message(message, ephemeral=ephemeral)
            inter.original_message_id = message["id"]
        elif rtype in (6, 7):
            if inter.message_id is None or inter.message_id not in self.messages:
                raise _HTTPError(400, 40004, "Interaction has no message to update")
            inter.original_message_id = inter.message_id
            if rtype == 7:
                message = self.messages[inter.message_id]
                self._apply_edit(message, data, rec.files)
                ephemeral = message["id"] in self.ephemeral_message_ids
        inter.response_type = rtype
        inter.response_data = data
        self._notify()
        if message is not None and not ephemeral:
            await self.dispatch("MESSAGE_UPDATE" if rtype == 7 else "MESSAGE_CREATE", message)
        if rec.query.get("with_response") not in ("1", "true", "True"):
            return 204, None, {}
        info: JSON = {"id": inter.id, "type": inter.type}
        if message is not None:
            info.update(
                response_message_id=message["id"],
                response_message_loading=rtype == 5,
                response_message_ephemeral=ephemeral,
            )
        resource: JSON = {"type": rtype}
        if message is not None:
            resource["message"] = self._rest_message(message)
        return 200, {"interaction": info, "resource": resource}, {}

    def _webhook_interaction(self, rec: RecordedRequest) -> FakeInteraction:
        inter = self._interaction_by_token(rec.params["webhook_token"])
        if inter is None or rec.params["webhook_id"] != self.application_id:
            raise _HTTPError(404, 10015, "Unknown Webhook")
        return inter

    async def _r_execute_webhook(self, rec: RecordedRequest) -> _Reply:
        inter = self._webhook_interaction(rec)
        if inter.response_type is None:
            raise _HTTPError(404, 10015, "Unknown Webhook")
        body = rec.json or {}
        ephemeral = bool(int(body.get("flags") or 0) & 64)
        message = self._interaction_message(inter, body, rec.files)
        message["type"] = 0
        self._store_message(message, ephemeral=ephemeral)
        inter.followup_ids.append(message["id"])
        if not ephemeral:
            await self.dispatch("MESSAGE_CREATE", message)
        if rec.query.get("wait") in ("1", "true", "True"):
            return 200, self._rest_message(message), {}
        return 204, None, {}

    def _webhook_message(self, inter: FakeInteraction, message_id: str) -> JSON:
        if message_id == "@original":
            if inter.original_message_id is None or inter.original_message_id not in self.messages:
                raise _HTTPError(404, 10008, "Unknown Message")
            return self.messages[inter.original_message_id]
        if message_id not in self.messages or message_id not in (
            *inter.followup_ids,
            inter.original_message_id,
        ):
            raise _HTTPError(404, 10008, "Unknown Message")
        return self.messages[message_id]

    async def _r_webhook_get_message(self, rec: RecordedRequest) -> _Reply:
        inter = self._webhook_interaction(rec)
        return 200, self._rest_message(self._webhook_message(inter, rec.params["message_id"])), {}

    async def _r_webhook_edit_message(self, rec: RecordedRequest) -> _Reply:
        inter = self._webhook_interaction(rec)
        msg = self._webhook_message(inter, rec.params["message_id"])
        self._apply_edit(msg, rec.json or {}, rec.files)
        if msg["id"] not in self.ephemeral_message_ids:
            await self.dispatch("MESSAGE_UPDATE", msg)
        return 200, self._rest_message(msg), {}

    async def _r_webhook_delete_message(self, rec: RecordedRequest) -> _Reply:
        inter = self._webhook_interaction(rec)
        msg = self._webhook_message(inter, rec.params["message_id"])
        await self._delete_message(msg)
        return 204, None, {}

    # ---------------------------------------------------------------- gateway: sockets

    async def _gateway_handler(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0, compress=False, autoclose=True, autoping=True)
        await ws.prepare(request)
        self.gateway_connects.append(dict(request.query))
        compression = request.query.get("compress")
        compressor: Any = None
        if compression == "zlib-stream":
            compressor = zlib.compressobj()
        elif compression == "zstd-stream":
            compressor = _zstd_compressor()
            if compressor is None:
                log.error("client asked for zstd-stream but no zstd compressor is importable")
                await ws.close(code=4000, message=b"zstd unavailable in fake")
                return ws
        elif compression:
            await ws.close(code=4000, message=b"unknown compression")
            return ws
        conn = _Connection(
            id=next(self._conn_ids),
            ws=ws,
            request=request,
            compression=compression,
            compressor=compressor,
        )
        self._connections[conn.id] = conn
        self.connection_count += 1
        self._notify()
        try:
            await conn.send(
                {
                    "op": 10,
                    "d": {
                        "heartbeat_interval": self.heartbeat_interval_ms,
                        "_trace": ["fake-discord"],
                    },
                    "s": None,
                    "t": None,
                }
            )
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_gateway_text(conn, msg.data)
                elif msg.type is WSMsgType.BINARY:
                    await self._on_gateway_text(conn, bytes(msg.data).decode())
                else:
                    break
        except (ConnectionResetError, RuntimeError) as exc:
            log.debug("gateway connection %s errored: %r", conn.id, exc)
        finally:
            await self._on_connection_end(conn)
        return ws

    async def _on_connection_end(self, conn: _Connection) -> None:
        conn.dead = True
        if conn.closed_by == "server":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(conn.server_close_done.wait(), 5.0)
        else:
            conn.closed_by = "client"
            conn.close_code = conn.ws.close_code
            self.gateway_closes.append(
                GatewayClose(
                    conn.id,
                    conn.session.id if conn.session else None,
                    "client",
                    conn.close_code,
                    time.monotonic(),
                )
            )
        session = conn.session
        if session is not None:
            async with session.lock:
                if session.connection is conn:
                    session.connection = None
            if conn.closed_by == "client" and conn.close_code in (1000, 1001):
                session.alive = False  # a clean client close ends the session (not resumable)
        self._connections.pop(conn.id, None)
        self._notify()

    async def _server_close(self, conn: _Connection, code: int, *, wait: bool = True) -> None:
        """Close `conn` from the server side; 1006 aborts TCP without a close frame."""
        if conn.closed_by is not None:
            return
        conn.closed_by = "server"
        conn.close_code = code
        session = conn.session
        if session is not None:
            async with session.lock:
                if session.connection is conn:
                    session.connection = None
        self.gateway_closes.append(
            GatewayClose(conn.id, session.id if session else None, "server", code, time.monotonic())
        )
        self._notify()
        try:
            if code == 1006:
                conn.dead = True
                transport = conn.request.transport
                if transport is not None:
                    transport.abort()
            else:
                async with conn.send_lock:
                    conn.dead = True
                if wait:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(
                            conn.ws.close(code=code, message=b"fake-discord"), 5.0
                        )
                else:
                    transport = conn.request.transport
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(
                            conn.ws.close(code=code, message=b"fake-discord"), 0.5
                        )
                    if transport is not None and not transport.is_closing():
                        transport.abort()
        finally:
            conn.server_close_done.set()
            self._notify()

    async def _on_gateway_text(self, conn: _Connection, text: str) -> None:
        payload = json.loads(text)
        op = payload.get("op")
        data = payload.get("d")
        if op == 1:
            self.heartbeats += 1
            await conn.send({"op": 11, "d": None, "s": None, "t": None})
            return
        redacted = copy.deepcopy(payload)
        if isinstance(redacted.get("d"), dict) and "token" in redacted["d"]:
            redacted["d"]["token"] = "<redacted>"
        self.gateway_received.append(redacted)
        if op == 2:
            await self._on_identify(conn, data or {})
        elif op == 6:
            await self._on_resume(conn, data or {})
        elif op == 8:
            await self._on_request_members(conn, data or {})
        self._notify()

    async def _on_identify(self, conn: _Connection, d: JSON) -> None:
        token = str(d.get("token", ""))
        intents = d.get("intents")
        record = IdentifyRecord(
            session_id=None,
            token=token,
            intents=intents,
            shard=d.get("shard"),
            properties=dict(d.get("properties") or {}),
            presence=d.get("presence"),
            time=time.monotonic(),
            accepted=False,
        )
        self.identifies.append(record)
        if token != self.token:
            await self._server_close(conn, 4004)
            return
        if conn.session is not None:
            await self._server_close(conn, 4005)
            return
        if intents is not None and intents & Intents.PRIVILEGED & ~self.allowed_privileged_intents:
            await self._server_close(conn, 4014)
            return
        session = GatewaySession(
            id=secrets.token_hex(16), token=token, intents=intents, shard=d.get("shard")
        )
        record.session_id = session.id
        record.accepted = True
        self.sessions[session.id] = session
        async with session.lock:
            session.connection = conn
            conn.session = session
            ready: JSON = {
                "v": 10,
                "user": {
                    **self.bot_user.to_payload(),
                    "verified": True,
                    "mfa_enabled": False,
                    "email": None,
                    "flags": 0,
                },
                "guilds": [
                    {"id": g.id, "unavailable": True}
                    for g in self.guilds.values()
                    if session.owns(g.id)
                ],
                "session_id": session.id,
                "session_type": "normal",
                "resume_gateway_url": self.gateway_url,
                "application": {"id": self.application_id, "flags": 0},
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "guild_join_requests": [],
                "geo_ordered_rtc_regions": [],
                "auth": {},
                "user_settings": {},
                "_trace": ["fake-discord"],
            }
            if session.shard is not None:
                ready["shard"] = list(session.shard)
            await self._send_dispatch_locked(session, "READY", ready)
            for guild in self.guilds.values():
                if not session.owns(guild.id):
                    continue
                await self._send_dispatch_locked(
                    session, "GUILD_CREATE", self.guild_create_payload(guild, intents=intents)
                )

    async def _on_resume(self, conn: _Connection, d: JSON) -> None:
        session = self.sessions.get(str(d.get("session_id")))
        seq = d.get("seq")
        if session is None or not session.alive or session.token != d.get("token"):
            self.resumes.append(
                ResumeRecord(str(d.get("session_id")), seq, False, 0, time.monotonic())
            )
            await conn.send({"op": 9, "d": False, "s": None, "t": None})
            return
        async with session.lock:
            old = session.connection
            session.connection = conn
            conn.session = session
            replay = [f for f in session.history if f["s"] > (seq or 0)]
            for frame in replay:
                await conn.send(frame)
            await self._send_dispatch_locked(session, "RESUMED", {"_trace": ["fake-discord"]})
        if old is not None and old is not conn:
            await self._server_close(old, 4000, wait=False)
        self.resumes.append(ResumeRecord(session.id, seq, True, len(replay), time.monotonic()))

    async def _on_request_members(self, conn: _Connection, d: JSON) -> None:
        session = conn.session
        guild = self.guilds.get(str(d.get("guild_id")))
        if session is None or guild is None:
            return
        query = d.get("query")
        user_ids = {str(u) for u in d.get("user_ids") or []}
        limit = int(d.get("limit") or 0) or len(guild.members)
        members = [
            m
            for uid, m in guild.members.items()
            if (not user_ids or uid in user_ids)
            and (not query or self.users[uid].username.lower().startswith(str(query).lower()))
        ][:limit]
        chunk: JSON = {
            "guild_id": guild.id,
            "members": [m.to_payload(self.users[m.user_id]) for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
        }
        if d.get("nonce") is not None:
            chunk["nonce"] = d["nonce"]
        if user_ids:
            chunk["not_found"] = sorted(user_ids - {m.user_id for m in members})
        async with session.lock:
            await self._send_dispatch_locked(session, "GUILD_MEMBERS_CHUNK", chunk)

    # ---------------------------------------------------------------- gateway: dispatch

    async def _send_dispatch_locked(self, session: GatewaySession, event: str, data: JSON) -> None:
        """Assign the next seq, keep it for RESUME, send if connected. Hold `session.lock`."""
        session.seq += 1
        frame = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.history.append(frame)
        conn = session.connection
        if conn is None:
            return
        try:
            await conn.send(frame)
        except (ConnectionResetError, RuntimeError, OSError) as exc:
            log.debug(
                "dispatch %s to session %s failed (%r); kept for RESUME", event, session.id, exc
            )
            if session.connection is conn:
                session.connection = None

    def _filter_for_session(self, session: GatewaySession, event: str, data: JSON) -> JSON | None:
        """Apply intent gating and Message Content redaction as Discord does for this session."""
        if not self.enforce_intents or session.intents is None:
            return copy.deepcopy(data)
        in_guild = "guild_id" in data
        gates = {
            "MESSAGE_CREATE": (Intents.GUILD_MESSAGES, Intents.DIRECT_MESSAGES),
            "MESSAGE_UPDATE": (Intents.GUILD_MESSAGES, Intents.DIRECT_MESSAGES),
            "MESSAGE_DELETE": (Intents.GUILD_MESSAGES, Intents.DIRECT_MESSAGES),
            "MESSAGE_DELETE_BULK": (Intents.GUILD_MESSAGES, Intents.DIRECT_MESSAGES),
            "MESSAGE_REACTION_ADD": (
                Intents.GUILD_MESSAGE_REACTIONS,
                Intents.DIRECT_MESSAGE_REACTIONS,
            ),
            "MESSAGE_REACTION_REMOVE": (
                Intents.GUILD_MESSAGE_REACTIONS,
                Intents.DIRECT_MESSAGE_REACTIONS,
            ),
            "TYPING_START": (Intents.GUILD_MESSAGE_TYPING, Intents.DIRECT_MESSAGE_TYPING),
            "GUILD_MEMBER_ADD": (Intents.GUILD_MEMBERS, Intents.GUILD_MEMBERS),
            "GUILD_MEMBER_UPDATE": (Intents.GUILD_MEMBERS, Intents.GUILD_MEMBERS),
            "GUILD_MEMBER_REMOVE": (Intents.GUILD_MEMBERS, Intents.GUILD_MEMBERS),
            "PRESENCE_UPDATE": (Intents.GUILD_PRESENCES, Intents.GUILD_PRESENCES),
        }
        if event in gates:
            guild_bit, dm_bit = gates[event]
            if not session.has_intent(guild_bit if in_guild else dm_bit):
                return None
        out = copy.deepcopy(data)
        if (
            event in ("MESSAGE_CREATE", "MESSAGE_UPDATE")
            and in_guild
            and not session.has_intent(Intents.MESSAGE_CONTENT)
        ):
            author_id = (out.get("author") or {}).get("id")
            mentioned = any(m.get("id") == self.bot_user.id for m in out.get("mentions") or [])
            if author_id != self.bot_user.id and not mentioned:
                out.update(content="", embeds=[], attachments=[], components=[])
                out.pop("poll", None)
        return out

    async def dispatch(self, event: str, data: JSON, *, session_id: str | None = None) -> None:
        """Send a DISPATCH (op 0) to every live session (or one); buffered while disconnected.

        Each session gets its own sequence number and a copy filtered by its intents; events
        for a disconnected-but-resumable session are replayed when it RESUMEs.
        """
        for session in list(self.sessions.values()):
            if not session.alive or (session_id is not None and session.id != session_id):
                continue
            guild_id = data.get("guild_id") or (
                data.get("id") if event.startswith("GUILD_") else None
            )
            if not session.owns(None if guild_id is None else str(guild_id)):
                continue
            payload = self._filter_for_session(session, event, data)
            if payload is None:
                continue
            async with session.lock:
                await self._send_dispatch_locked(session, event, payload)
        self._notify()

    # ---------------------------------------------------------------- gateway: faults & waits

    def _live_connections(self) -> list[_Connection]:
        return [
            s.connection for s in self.sessions.values() if s.connection is not None and s.alive
        ]

    async def drop_gateway(self, code: int = 1006, *, session_id: str | None = None) -> int:
        """Cut the gateway socket(s): 1006 aborts TCP (no close frame), else a close frame.

        Returns how many sockets were closed. Dispatches made afterwards are buffered for RESUME.
        """
        conns = [
            c
            for c in self._live_connections()
            if session_id is None or (c.session is not None and c.session.id == session_id)
        ]
        for conn in conns:
            await self._server_close(conn, code)
        return len(conns)

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT on every live socket (the client should close and RESUME)."""
        for conn in self._live_connections():
            with contextlib.suppress(ConnectionResetError, RuntimeError):
                await conn.send({"op": 7, "d": None, "s": None, "t": None})

    async def invalidate_session(self, *, resumable: bool = False) -> None:
        """Send op 9; with resumable=False the sessions die and the client must IDENTIFY again."""
        for conn in self._live_connections():
            if not resumable and conn.session is not None:
                conn.session.alive = False
            with contextlib.suppress(ConnectionResetError, RuntimeError):
                await conn.send({"op": 9, "d": resumable, "s": None, "t": None})

    @property
    def identify_count(self) -> int:
        return sum(1 for i in self.identifies if i.accepted)

    @property
    def resume_count(self) -> int:
        return sum(1 for r in self.resumes if r.accepted)

    async def wait_identified(self, count: int = 1, timeout: float = 5.0) -> IdentifyRecord:
        """Wait until at least `count` IDENTIFYs were accepted; returns the latest."""
        await self.wait_until(
            lambda: self.identify_count >= count, timeout=timeout, what=f"{count} identifies"
        )
        return [i for i in self.identifies if i.accepted][-1]

    async def wait_resumed(self, count: int = 1, timeout: float = 5.0) -> ResumeRecord:
        """Wait until at least `count` RESUMEs succeeded in total; returns the latest."""
        await self.wait_until(
            lambda: self.resume_count >= count, timeout=timeout, what=f"{count} resumes"
        )
        return [r for r in self.resumes if r.accepted][-1]

    async def wait_connected(self, timeout: float = 5.0) -> GatewaySession:
        """Wait until some live session has a socket attached (after IDENTIFY or RESUME)."""

        def find() -> GatewaySession | None:
            for s in self.sessions.values():
                if s.alive and s.connection is not None:
                    return s
            return None

        result: GatewaySession = await self.wait_until(
            find, timeout=timeout, what="gateway connection"
        )
        return result

    def sent_dispatches(
        self, event: str | None = None, *, session_id: str | None = None
    ) -> list[JSON]:
        """Frames (op 0) the fake queued per session, after intent filtering, in seq order."""
        out: list[JSON] = []
        for s in self.sessions.values():
            if session_id is None or s.id == session_id:
                out.extend(f for f in s.history if event is None or f["t"] == event)
        return out

    # ---------------------------------------------------------------- test-side event builders

    def _author_payload(self, author: Any, webhook_id: Any) -> JSON:
        if webhook_id is not None:
            return {
                "id": str(webhook_id),
                "username": "Webhook" if author is None else str(author),
                "discriminator": "0000",
                "avatar": None,
                "bot": True,
                "global_name": None,
                "public_flags": 0,
            }
        return self.get_user(author).to_payload()

    async def message_create(
        self,
        channel_id: Any,
        author_id: Any,
        content: str,
        *,
        mentions_bot: bool = False,
        webhook_id: Any = None,
        reference_message_id: Any = None,
        mention_everyone: bool = False,
        guild: bool = True,
        embeds: Sequence[JSON] | None = None,
        attachments: Sequence[JSON] | None = None,
        components: Sequence[JSON] | None = None,
        mentions: Iterable[Any] = (),
        ping_reply: bool = True,
        dispatch: bool = True,
    ) -> JSON:
        """A user (or webhook) posts a message; dispatched as MESSAGE_CREATE and stored.

        `channel_id`/`author_id` accept snowflakes, names ("general", "alice") or objects.
        `guild=False` (with channel_id None) posts in the author's DM with the bot.
        `mentions_bot` prepends ``<@bot>`` unless the content already has it. A reply
        (`reference_message_id`) pings the replied author like Discord's default.
        Returns the canonical payload (before per-session Message Content redaction).
        """
        if channel_id is None:
            if guild:
                raise ValueError("channel_id is required for guild messages")
            channel = self.dm_channel(author_id)
        else:
            channel = self.get_channel(channel_id)
        author = self._author_payload(author_id, webhook_id)
        bot_mention = f"<@{self.bot_user.id}>"
        if mentions_bot and bot_mention not in content and f"<@!{self.bot_user.id}>" not in content:
            content = f"{bot_mention} {content}"
        extra = [self.get_user(m).id for m in mentions]
        reference = None
        if reference_message_id is not None:
            ref_id = str(reference_message_id)
            reference = {"type": 0, "message_id": ref_id, "channel_id": channel.id}
            if channel.guild_id is not None:
                reference["guild_id"] = channel.guild_id
            if ping_reply and ref_id in self.messages:
                extra.append(self.messages[ref_id]["author"]["id"])
        att = []
        for a in attachments or []:
            att_id = str(a.get("id") or self._ids.next())
            data = a.get("data")
            filename = str(a.get("filename", "file.txt"))
            url = f"{self.http_base}/attachments/{channel.id}/{att_id}/{filename}"
            if isinstance(data, bytes):
                self.attachments[att_id] = (data, a.get("content_type"))
            entry = {
                "id": att_id,
                "filename": filename,
                "url": url,
                "proxy_url": url,
                "size": len(data) if isinstance(data, bytes) else int(a.get("size", 0)),
            }
            entry.update({k: v for k, v in a.items() if k not in ("data", "id")})
            entry.setdefault("content_type", None)
            att.append(entry)
        msg = self._build_message(
            channel=channel,
            author=author,
            content=content,
            embeds=embeds,
            components=components,
            attachments=att,
            reference=reference,
            webhook_id=None if webhook_id is None else str(webhook_id),
            mention_everyone=mention_everyone,
            extra_mentions=extra,
        )
        self._store_message(msg)
        if dispatch:
            await self.dispatch("MESSAGE_CREATE", msg)
        return msg

    def seed_message(
        self,
        channel_id: Any,
        author_id: Any,
        content: str = "",
        *,
        components: Sequence[JSON] | None = None,
        embeds: Sequence[JSON] | None = None,
    ) -> JSON:
        """Store a message that predates the connection (e.g. an old persistent-view panel)."""
        channel = self.get_channel(channel_id)
        author = self.get_user(author_id)
        msg = self._build_message(
            channel=channel,
            author=author.to_payload(),
            content=content,
            embeds=embeds,
            components=components,
        )
        return self._store_message(msg)

    def _new_interaction(
        self,
        itype: int,
        data: JSON | None,
        *,
        user_id: Any,
        channel_id: Any,
        guild: bool,
        locale: str,
        message: JSON | None = None,
    ) -> FakeInteraction:
        user = self.get_user(user_id)
        if guild:
            channel = self.get_channel("general" if channel_id is None else channel_id)
        else:
            channel = self.dm_channel(user) if channel_id is None else self.get_channel(channel_id)
        g = self._guild_of(channel)
        payload: JSON = {
            "id": self._ids.next(),
            "application_id": self.application_id,
            "type": itype,
            "token": "fake-" + secrets.token_urlsafe(32),
            "version": 1,
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "channel_id": channel.id,
        }
        if data is not None:
            payload["data"] = data
        channel_data = self.channel_payload(channel)
        if g is not None:
            if user.id not in g.members:
                raise KeyError(f"{user.username} is not a member of {g.name}")
            perms = self.permissions_for(user, channel)
            channel_data["permissions"] = str(perms)
            payload.update(
                guild_id=g.id,
                guild={"id": g.id, "locale": g.locale, "features": list(g.features)},
                guild_locale=g.locale,
                member=g.members[user.id].to_payload(user, permissions=perms),
                app_permissions=str(self.permissions_for(self.bot_user, channel)),
                context=0,
                authorizing_integration_owners={"0": g.id},
            )
        else:
            channel_data["permissions"] = str(Perm.DM)
            payload.update(
                user=user.to_payload(),
                app_permissions=str(Perm.DM),
                context=1,
                authorizing_integration_owners={"0": "0"},
            )
        payload["channel"] = channel_data
        if message is not None:
            payload["message"] = self._rest_message(message)
        inter = FakeInteraction(
            id=payload["id"],
            token=payload["token"],
            type=itype,
            payload=payload,
            user_id=user.id,
            channel_id=channel.id,
            guild_id=None if g is None else g.id,
            created_at=time.monotonic(),
            message_id=None if message is None else message["id"],
        )
        self.interactions[inter.id] = inter
        return inter

    def _registered_command(
        self, name: str, guild_id: str | None, ctype: int = 1
    ) -> tuple[JSON | None, str | None]:
        """The synced command for `name` (guild-scoped first), and its guild_id if guild-scoped."""
        key = f"{ctype}:{name}"
        if guild_id is not None and key in self.guild_commands.get(guild_id, {}):
            return self.guild_commands[guild_id][key], guild_id
        return self.global_commands.get(key), None

    @staticmethod
    def _infer_option_type(value: Any) -> int:
        if isinstance(value, bool):
            return 5
        if isinstance(value, int):
            return 4
        if isinstance(value, float):
            return 10
        return 3

    def _resolve_option(
        self,
        opt_type: int,
        value: Any,
        resolved: JSON,
        guild: FakeGuild | None,
        channel: FakeChannel,
        invoker: FakeUser,
    ) -> Any:
        """Fill `resolved` for user/channel/role/mentionable options and return the wire value.

        Values may be names or objects; resolved members/channels carry permission strings
        (the member's, and the invoking user's in the channel, as Discord sends them).
        """
        if opt_type in (6, 9):  # user, mentionable
            with contextlib.suppress(KeyError):
                user = self.get_user(value)
                resolved.setdefault("users", {})[user.id] = user.to_payload()
                if guild is not None and user.id in guild.members:
                    member = guild.members[user.id].to_payload(
                        permissions=self.permissions_for(user, channel)
                    )
                    resolved.setdefault("members", {})[user.id] = member
                return user.id
        if opt_type in (8, 9) and guild is not None:  # role, mentionable
            with contextlib.suppress(KeyError):
                role = self.get_role(value, guild=guild)
                resolved.setdefault("roles", {})[role.id] = role.to_payload()
                return role.id
        if opt_type == 7:  # channel
            with contextlib.suppress(KeyError):
                ch = self.get_channel(value)
                data = self.channel_payload(ch)
                data["permissions"] = self.permissions_str(invoker, ch)
                resolved.setdefault("channels", {})[ch.id] = data
                return ch.id
        if opt_type == 11:  # attachment: value is (filename, bytes[, content_type])
            filename, data, *rest = value
            att_id = self._ids.next()
            url = f"{self.http_base}/attachments/{channel.id}/{att_id}/{filename}"
            content_type = rest[0] if rest else None
            self.attachments[att_id] = (bytes(data), content_type)
            resolved.setdefault("attachments", {})[att_id] = {
                "id": att_id,
                "filename": filename,
                "size": len(data),
                "url": url,
                "proxy_url": url,
                "content_type": content_type,
            }
            return att_id
        if isinstance(value, (FakeUser, FakeChannel, FakeRole)):
            return value.id
        return value

    def _build_options(
        self,
        options: Mapping[str, Any] | Sequence[JSON] | None,
        definitions: Sequence[JSON] | None,
        resolved: JSON,
        guild: FakeGuild | None,
        channel: FakeChannel,
        invoker: FakeUser,
        focused: str | None = None,
    ) -> list[JSON]:
        if options is None:
            return []
        if not isinstance(options, Mapping):
            return [dict(o) for o in options]
        defs = {d["name"]: d for d in definitions or [] if isinstance(d, Mapping)}
        out: list[JSON] = []
        for name, value in options.items():
            opt_type = int(defs[name]["type"]) if name in defs else self._infer_option_type(value)
            if name == focused:
                out.append({"name": name, "type": opt_type, "value": str(value), "focused": True})
                continue
            wire = self._resolve_option(opt_type, value, resolved, guild, channel, invoker)
            out.append({"name": name, "type": opt_type, "value": wire})
        return out

    def _command_data(
        self,
        name: str,
        options: Mapping[str, Any] | Sequence[JSON] | None,
        *,
        channel: FakeChannel,
        invoker: Any,
        focused: str | None = None,
        command_guild_id: Any = None,
    ) -> JSON:
        parts = name.split()
        guild = self._guild_of(channel)
        lookup_guild = (
            str(command_guild_id) if command_guild_id is not None else (guild.id if guild else None)
        )
        cmd, cmd_guild = self._registered_command(parts[0], lookup_guild)
        if command_guild_id is not None:
            cmd_guild = str(command_guild_id)
        definitions: Sequence[JSON] | None = None if cmd is None else cmd.get("options")
        resolved: JSON = {}
        # walk the definitions down the subcommand path (group -> subcommand)
        path_defs: list[JSON | None] = []
        for part in parts[1:]:
            found = next((d for d in definitions or [] if d.get("name") == part), None)
            path_defs.append(found)
            definitions = None if found is None else found.get("options")
        user = self.get_user(invoker)
        leaf = self._build_options(options, definitions, resolved, guild, channel, user, focused)
        for part, found in reversed(list(zip(parts[1:], path_defs, strict=True))):
            default_kind = 1 if part == parts[-1] else 2  # subcommand vs group
            kind = int(found["type"]) if found is not None else default_kind
            leaf = [{"name": part, "type": kind, "options": leaf}]
        data: JSON = {
            "id": cmd["id"] if cmd else self._ids.next(),
            "name": parts[0],
            "type": 1,
            "options": leaf,
        }
        if cmd_guild is not None:
            data["guild_id"] = cmd_guild
        if resolved:
            data["resolved"] = resolved
        return data

    async def slash_command(
        self,
        name: str,
        options: Mapping[str, Any] | Sequence[JSON] | None = None,
        *,
        user_id: Any,
        channel_id: Any = None,
        guild: bool = True,
        locale: str = "en-US",
        command_guild_id: Any = None,
    ) -> JSON:
        """A user runs a slash command (INTERACTION_CREATE type 2); returns the payload.

        `name` may be a path: "group sub" or "cmd sub". `options` is {name: value} (types come
        from the synced command if the bot ran tree.sync(), else inferred from Python types;
        users/channels/roles may be given by name and get `resolved` data), or raw option dicts.
        `data.guild_id` is set when the command was synced to the guild (discord.py routes by it)
        or when `command_guild_id` is given. Channel defaults to "general" (guild) or the DM.
        """
        channel = self._interaction_channel(user_id, channel_id, guild)
        data = self._command_data(
            name, options, channel=channel, invoker=user_id, command_guild_id=command_guild_id
        )
        inter = self._new_interaction(
            2, data, user_id=user_id, channel_id=channel.id, guild=guild, locale=locale
        )
        await self.dispatch("INTERACTION_CREATE", inter.payload)
        return inter.payload

    async def autocomplete(
        self,
        name: str,
        options: Mapping[str, Any],
        focused: str,
        *,
        user_id: Any = "alice",
        channel_id: Any = None,
        guild: bool = True,
        locale: str = "en-US",
    ) -> JSON:
        """A user types into an autocomplete option (INTERACTION_CREATE type 4)."""
        channel = self._interaction_channel(user_id, channel_id, guild)
        data = self._command_data(name, options, channel=channel, invoker=user_id, focused=focused)
        inter = self._new_interaction(
            4, data, user_id=user_id, channel_id=channel.id, guild=guild, locale=locale
        )
        await self.dispatch("INTERACTION_CREATE", inter.payload)
        return inter.payload

    async def context_menu(
        self,
        name: str,
        target: Any,
        *,
        kind: Literal["user", "message"] = "message",
        user_id: Any,
        channel_id: Any = None,
        guild: bool = True,
    ) -> JSON:
        """A user runs a user/message context-menu command on `target`."""
        channel = self._interaction_channel(user_id, channel_id, guild)
        g = self._guild_of(channel)
        ctype = 3 if kind == "message" else 2
        cmd, cmd_guild = self._registered_command(name, g.id if g else None, ctype)
        resolved: JSON = {}
        if kind == "message":
            msg = self.messages[str(target["id"] if isinstance(target, Mapping) else target)]
            target_id = msg["id"]
            resolved["messages"] = {target_id: self._rest_message(msg)}
        else:
            invoker = self.get_user(user_id)
            target_id = self._resolve_option(6, target, resolved, g, channel, invoker)
        data: JSON = {
            "id": cmd["id"] if cmd else self._ids.next(),
            "name": name,
            "type": ctype,
            "target_id": target_id,
            "resolved": resolved,
        }
        if cmd_guild is not None:
            data["guild_id"] = cmd_guild
        inter = self._new_interaction(
            2, data, user_id=user_id, channel_id=channel.id, guild=guild, locale="en-US"
        )
        await self.dispatch("INTERACTION_CREATE", inter.payload)
        return inter.payload

    def _interaction_channel(self, user_id: Any, channel_id: Any, guild: bool) -> FakeChannel:
        if channel_id is not None:
            return self.get_channel(channel_id)
        return self.get_channel("general") if guild else self.dm_channel(user_id)

    async def component_click(
        self,
        message: JSON | Any,
        custom_id: str,
        *,
        user_id: Any,
        component_type: int = 2,
        values: Sequence[str] | None = None,
        channel_id: Any = None,
    ) -> JSON:
        """A user clicks a button / picks select values on `message` (payload or id).

        An id the fake has never seen gets a synthetic bot message carrying that button, so a
        persistent view can be exercised without first posting its panel.
        """
        if isinstance(message, Mapping):
            msg = dict(message)
        elif str(message) in self.messages:
            msg = self.messages[str(message)]
        else:
            channel = self.get_channel("general" if channel_id is None else channel_id)
            button = {"type": 2, "style": 1, "label": custom_id, "custom_id": custom_id}
            msg = self._build_message(
                channel=channel,
                author=self.bot_user.to_payload(),
                components=[{"type": 1, "components": [button]}],
            )
            msg["id"] = str(message)
            self._store_message(msg)
        channel = self.channels[msg["channel_id"]]
        data: JSON = {"custom_id": custom_id, "component_type": component_type}
        if values is not None or component_type in (3, 5, 6, 7, 8):
            data["values"] = [str(v) for v in values or []]
        inter = self._new_interaction(
            3,
            data,
            user_id=user_id,
            channel_id=channel.id,
            guild=channel.guild_id is not None,
            locale="en-US",
            message=msg,
        )
        await self.dispatch("INTERACTION_CREATE", inter.payload)
        return inter.payload

    async def modal_submit(
        self,
        custom_id: str,
        fields: Mapping[str, str],
        *,
        user_id: Any,
        channel_id: Any = None,
        guild: bool = True,
        message: JSON | Any = None,
        labels: bool = False,
    ) -> JSON:
        """A user submits a modal: `fields` maps text-input custom_id -> value.

        `labels=True` sends the newer Label (type 18) wrapping instead of action rows.
        """
        channel = self._interaction_channel(user_id, channel_id, guild)
        comps: list[JSON] = []
        for cid, value in fields.items():
            text_input = {"type": 4, "custom_id": cid, "value": value}
            comps.append(
                {"type": 18, "component": text_input}
                if labels
                else {"type": 1, "components": [text_input]}
            )
        msg = None
        if message is not None:
            msg = message if isinstance(message, Mapping) else self.messages[str(message)]
        inter = self._new_interaction(
            5,
            {"custom_id": custom_id, "components": comps},
            user_id=user_id,
            channel_id=channel.id,
            guild=guild,
            locale="en-US",
            message=None if msg is None else dict(msg),
        )
        await self.dispatch("INTERACTION_CREATE", inter.payload)
        return inter.payload

    async def wait_for_interaction_response(
        self, interaction: JSON | str, timeout: float = 5.0
    ) -> FakeInteraction:
        """Wait until the bot acknowledged `interaction` (callback accepted); returns its state."""
        iid = str(interaction["id"] if isinstance(interaction, Mapping) else interaction)

        def done() -> FakeInteraction | None:
            inter = self.interactions[iid]
            return inter if inter.response_type is not None else None

        result: FakeInteraction = await self.wait_until(
            done, timeout=timeout, what=f"interaction {iid} response"
        )
        return result

    async def wait_for_interaction_callback(
        self, interaction: JSON | str, timeout: float = 5.0
    ) -> RecordedRequest:
        """The recorded POST .../callback request for `interaction` (first one)."""
        iid = str(interaction["id"] if isinstance(interaction, Mapping) else interaction)
        return await self.wait_for_request(
            "POST",
            "/interactions/{interaction_id}/{interaction_token}/callback",
            lambda r: r.params.get("interaction_id") == iid,
            timeout,
        )

    async def wait_for_followup(
        self, interaction: JSON | str, count: int = 1, timeout: float = 5.0
    ) -> list[JSON]:
        """Wait for `count` follow-up messages on `interaction`; returns them."""
        iid = str(interaction["id"] if isinstance(interaction, Mapping) else interaction)

        def done() -> list[JSON] | None:
            inter = self.interactions[iid]
            if len(inter.followup_ids) < count:
                return None
            return [self.messages[m] for m in inter.followup_ids if m in self.messages]

        result: list[JSON] = await self.wait_until(
            done, timeout=timeout, what=f"follow-ups of {iid}"
        )
        return result


def _zstd_compressor() -> Callable[[bytes], bytes] | None:
    """A per-socket zstd stream compressor flushing a block per frame, if a zstd lib exists."""
    try:
        import zstandard  # type: ignore[import-not-found]
    except ImportError:
        pass
    else:
        cobj = zstandard.ZstdCompressor().compressobj()

        def compress_zstandard(data: bytes) -> bytes:
            return bytes(cobj.compress(data) + cobj.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK))

        return compress_zstandard
    try:
        from compression import zstd  # type: ignore[import-not-found]
    except ImportError:
        return None
    comp = zstd.ZstdCompressor()

    def compress_stdlib(data: bytes) -> bytes:
        return bytes(comp.compress(data, mode=zstd.ZstdCompressor.FLUSH_BLOCK))

    return compress_stdlib
