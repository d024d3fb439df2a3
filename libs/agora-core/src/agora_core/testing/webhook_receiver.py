"""A real HTTP receiver on loopback for webhook tests (ARCHITECTURE §6).

Records every POST and answers each path with scripted statuses (then 200); a path can
be held until the test releases it, redirected (307) to test that redirects are not
followed, or kept failing until the test ends the outage. ``stop()`` closes the port
and ``start()`` opens the same one again (an endpoint down for a while).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiohttp import web


@dataclass(frozen=True)
class Received:
    """One request as the receiver got it."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    """Records every request; answers each path with scripted statuses (then 200)."""

    port: int = 0
    requests: list[Received] = field(default_factory=list)
    scripts: dict[str, list[int]] = field(default_factory=dict)
    """Path → statuses to answer, in order; 200 once the list is used up."""
    hold: dict[str, asyncio.Event] = field(default_factory=dict)
    """Path → event the answer waits for (a slow endpoint)."""
    redirects: dict[str, str] = field(default_factory=dict)
    """Path → location answered with 307."""
    outages: dict[str, int] = field(default_factory=dict)
    """Path → status answered to every request until the entry is removed."""
    accepted: list[Received] = field(default_factory=list)
    """The requests answered with a 2xx (what the endpoint took in)."""
    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        # The port of an earlier start, so senders configured with the URL reach it again.
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def at(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    def accepted_at(self, path: str) -> list[Received]:
        return [r for r in self.accepted if r.path == path]

    async def _handle(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        received = Received(path, dict(request.headers), await request.read())
        self.requests.append(received)
        if path in self.hold:
            await self.hold[path].wait()
        if path in self.redirects:
            return web.Response(status=307, headers={"Location": self.redirects[path]})
        script = self.scripts.get(path)
        status = self.outages.get(path) or (script.pop(0) if script else 200)
        if 200 <= status < 300:
            self.accepted.append(received)
        return web.Response(status=status)
