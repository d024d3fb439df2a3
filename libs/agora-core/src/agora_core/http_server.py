"""An aiohttp app on its own host and port, started and stopped with the service.

Two kinds run beside a service's gRPC server: the side port (``/metrics`` and probes,
:mod:`agora_core.http_port`) and, for some services, a public endpoint that people
and other systems reach without a token (unsubscribe links in emails, Open Badges
credential status and issuer). They are separate ports so an ingress can expose the
public one while ``/metrics`` stays inside the cluster. Requests are small by
construction (``client_max_size``) and every handler validates its input itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from aiohttp import web

MAX_REQUEST_BYTES: Final = 64 * 1024


class HttpServer:
    """An aiohttp app serving ``routes`` on ``host:port`` (port 0: a free port)."""

    def __init__(
        self,
        host: str,
        port: int,
        routes: Sequence[web.AbstractRouteDef],
        *,
        client_max_size: int = MAX_REQUEST_BYTES,
    ) -> None:
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self.app = web.Application(client_max_size=client_max_size)
        self.app.add_routes(routes)

    async def start(self) -> int:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        self.port = int(self._runner.addresses[0][1])
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
