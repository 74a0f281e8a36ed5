"""The gateway websocket: HELLO, IDENTIFY/RESUME, heartbeats, dispatch, drops and waits."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import secrets
import time
import zlib
from collections.abc import Callable
from typing import Any

from aiohttp import WSMsgType, web

from .models import GatewayClose, GatewaySession, IdentifyRecord, ResumeRecord, _Connection
from .wire import JSON, Intents, log


class Gateway:
    """Part of FakeDiscord (see fake.py); state lives on the composed instance."""

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
