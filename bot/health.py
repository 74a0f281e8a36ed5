"""A small HTTP endpoint for operators: /healthz, /status, /readyz, /metrics (off by default).

/healthz is liveness only (a failure means "restart me"); degradations a restart cannot fix,
such as invalid knowledge files, are in /status and /readyz.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from bot.metrics import Metrics

__all__ = ["HealthServer"]

log = logging.getLogger(__name__)


class HealthServer:
    """Serve `/healthz`, `/status`, `/readyz` and `/metrics`.

    `/healthz`: 200 when every liveness check passes, else 503. `/status`: always 200, a JSON
    report of degradations. `/readyz`: the same report, 503 unless `ready`.
    """

    def __init__(
        self,
        checks: Callable[[], Mapping[str, bool | int | str]],
        metrics: Metrics,
        *,
        host: str,
        port: int,
        status: Callable[[], Mapping[str, Any]] | None = None,
    ) -> None:
        self._checks = checks
        self._status = status
        self._metrics = metrics
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self.port = port

    async def start(self) -> None:
        """Bind and serve; port 0 picks a free one (see `port`)."""
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics_page)
        if self._status is not None:
            app.router.add_get("/status", self._status_page)
            app.router.add_get("/readyz", self._readyz)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        log.info("health endpoint on http://%s:%d/healthz", self._host, self.port)

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, request: web.Request) -> web.Response:
        checks = dict(self._checks())
        healthy = all(v for k, v in checks.items() if isinstance(v, bool))
        return web.Response(
            status=200 if healthy else 503,
            text=json.dumps({"status": "ok" if healthy else "unhealthy", **checks}),
            content_type="application/json",
        )

    async def _status_page(self, request: web.Request) -> web.Response:
        assert self._status is not None  # noqa: S101 - the route exists only with a report
        return web.json_response(dict(self._status()))

    async def _readyz(self, request: web.Request) -> web.Response:
        assert self._status is not None  # noqa: S101 - the route exists only with a report
        report = dict(self._status())
        return web.json_response(report, status=200 if report.get("ready") else 503)

    async def _metrics_page(self, request: web.Request) -> web.Response:
        return web.Response(
            body=self._metrics.render(),
            headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
        )
