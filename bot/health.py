"""A small HTTP endpoint for operators: /healthz and Prometheus /metrics (off by default)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping

from aiohttp import web

from bot.metrics import Metrics

__all__ = ["HealthServer"]

log = logging.getLogger(__name__)


class HealthServer:
    """Serves `/healthz` (200 when every check passes, else 503) and `/metrics`."""

    def __init__(
        self,
        checks: Callable[[], Mapping[str, bool | int | str]],
        metrics: Metrics,
        *,
        host: str,
        port: int,
    ) -> None:
        self._checks = checks
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

    async def _metrics_page(self, request: web.Request) -> web.Response:
        return web.Response(
            body=self._metrics.render(),
            headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
        )
