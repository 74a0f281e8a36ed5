"""The loopback fake of Discord, composed of its parts (one module per part)."""

from __future__ import annotations

import asyncio
import itertools

from aiohttp import web

from .events import Events
from .gateway import Gateway
from .interactions import Interactions
from .models import (
    FakeChannel,
    FakeGuild,
    FakeInteraction,
    FakeUser,
    GatewayClose,
    GatewaySession,
    IdentifyRecord,
    RecordedRequest,
    ResumeRecord,
    _Connection,
)
from .payloads import Payloads
from .queries import Queries
from .rest import Rest
from .routing import _Fault, _Route
from .server import Server
from .state import World
from .wire import JSON, Intents, _Snowflakes


class FakeDiscord(Server, World, Payloads, Queries, Rest, Interactions, Gateway, Events):
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
        self.route_rate_limit = 5
        """Requests per second per route bucket that the rate-limit headers announce."""

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
