"""The HTTP side port: ``/metrics`` for Prometheus, ``/healthz`` and ``/readyz`` for probes.

It runs beside the gRPC server on its own port so probes and scrapes never compete
with API traffic or need a token.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

ReadinessCheck = Callable[[], Awaitable[bool]]


class HttpSidePort:
    """Serves metrics and probes; readiness runs every named check."""

    def __init__(self, host: str, port: int, checks: Mapping[str, ReadinessCheck]) -> None:
        self._host = host
        self._port = port
        self._checks = dict(checks)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self.accepting = False
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        self._app = app

    async def start(self) -> int:
        self._runner = web.AppRunner(self._app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

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
