"""A real HTTP receiver on loopback for webhook tests (ARCHITECTURE §6).

Records every POST and answers each path with scripted statuses (then 200); a path can
be held until the test releases it, or redirected (307) to test that redirects are not
followed.
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
    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def at(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    async def _handle(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        self.requests.append(Received(path, dict(request.headers), await request.read()))
        if path in self.hold:
            await self.hold[path].wait()
        if path in self.redirects:
            return web.Response(status=307, headers={"Location": self.redirects[path]})
        script = self.scripts.get(path)
        return web.Response(status=script.pop(0) if script else 200)
