"""The HTTP side port: ``/metrics`` for Prometheus, ``/healthz`` and ``/readyz`` for probes.

It runs beside the gRPC server on its own port so probes and scrapes never compete
with API traffic or need a token.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from agora_core.http_server import HttpServer


@dataclass(frozen=True)
class NotReady:
    """A failed check that says why (``/readyz`` shows ``reason`` under ``details``)."""

    reason: str


ReadinessCheck = Callable[[], Awaitable[bool | NotReady]]


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
        details: dict[str, str] = {}
        for name, check in self._checks.items():
            try:
                outcome = await check()
            except Exception as error:
                outcome = NotReady(repr(error)[:300])
            results[name] = outcome is True
            if isinstance(outcome, NotReady):
                details[name] = outcome.reason
        ready = all(results.values())
        body: dict[str, object] = {"status": "ready" if ready else "not ready", "checks": results}
        if details:
            body["details"] = details
        return web.json_response(body, status=200 if ready else 503)
