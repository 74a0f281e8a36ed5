"""Lifecycle and the aiohttp server: auth, rate-limit headers, routing, recording."""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Self
from urllib.parse import unquote

from aiohttp import BodyPartReader, web

from .models import RecordedFile, RecordedRequest
from .routing import _HTTPError, _Reply, _Route, _template_regex
from .wire import API_PREFIX, GATEWAY_PATH, log


class Server:
    """Part of FakeDiscord (see fake.py); state lives on the composed instance."""

    async def start(self) -> Self:
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

    async def __aenter__(self) -> Self:
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

    @staticmethod
    def _bucket(method: str, route: str | None, path: str) -> str:
        return hashlib.sha1(
            f"{method} {route or path}".encode(), usedforsecurity=False
        ).hexdigest()[:16]

    def _ratelimit_headers(self, bucket: str) -> dict[str, str]:
        limit = self.route_rate_limit
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(limit - 1),
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
