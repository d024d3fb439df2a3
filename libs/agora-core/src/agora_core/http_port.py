"""The HTTP side port: ``/metrics`` for Prometheus, ``/healthz`` and ``/readyz`` for probes.

It runs beside the gRPC server on its own port so probes and scrapes never compete
with API traffic or need a token.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from agora_core.http_server import HttpServer

ReadinessCheck = Callable[[], Awaitable[bool]]


class HttpSidePort(HttpServer):
    """Serves metrics and probes; readiness runs every named check."""

    def __init__(self, host: str, port: int, checks: Mapping[str, ReadinessCheck]) -> None:
        self._checks = dict(checks)
        self.accepting = False
        super().__init__(
            host,
            port,
            [
                web.get("/metrics", self._metrics),
                web.get("/healthz", self._healthz),
                web.get("/readyz", self._readyz),
            ],
        )

    async def _metrics(self, _request: web.Request) -> web.Response:
        body = generate_latest(REGISTRY)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _healthz(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _readyz(self, _request: web.Request) -> web.Response:
        results = {"accepting": self.accepting}
        for name, check in self._checks.items():
            try:
                results[name] = await check()
            except Exception:
                results[name] = False
        ready = all(results.values())
        return web.json_response(
            {"status": "ready" if ready else "not ready", "checks": results},
            status=200 if ready else 503,
        )
