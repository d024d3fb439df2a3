"""The Connect endpoint's HTTP server: Hypercorn in the service's own event loop.

Hypercorn serves HTTP/1.1 and HTTP/2 (h2c with prior knowledge, or TLS+ALPN behind an
ingress) from the same port. It runs in the gRPC server's process and loop, so a call
reaches the very servicer objects the gRPC server holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from typing import cast

import structlog
from hypercorn.asyncio import serve
from hypercorn.config import Config
from hypercorn.typing import ASGIFramework

from agora_core.connect.app import ConnectApp

log = structlog.get_logger(__name__)


class ConnectServer:
    """Binds at construction (so :attr:`port` is known), serves from :meth:`start`."""

    def __init__(self, app: ConnectApp, host: str, port: int, *, grace_seconds: float) -> None:
        self.app = app
        self.host = host
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._socket = socket.socket(family, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._socket.bind((host, port))
        except OSError as error:
            self._socket.close()
            raise RuntimeError(f"could not bind the Connect port {host}:{port}: {error}") from None
        self.port: int = self._socket.getsockname()[1]
        """The bound port (the real one when settings asked for port 0)."""
        self._grace = grace_seconds
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _config(self) -> Config:
        config = Config()
        # Hypercorn takes ownership of the descriptor it is given: hand it a duplicate.
        config.bind = [f"fd://{os.dup(self._socket.fileno())}"]
        config.accesslog = None  # calls are counted and timed by the metrics interceptor
        # Server-level errors (a broken connection, a bug escaping the app) still get logged.
        config.errorlog = logging.getLogger("agora_core.connect.http")
        config.include_server_header = False
        config.graceful_timeout = self._grace
        config.keep_alive_timeout = 75  # above common load balancers' idle timeouts
        return config

    async def start(self) -> None:
        self._stopping.clear()
        # Listening now, connections made before Hypercorn's first accept wait in the
        # backlog instead of being refused.
        self._socket.listen(1024)
        self._task = asyncio.create_task(
            serve(
                cast(ASGIFramework, self.app),
                self._config(),
                shutdown_trigger=self._stopping.wait,
                mode="asgi",
            )
        )
        log.info("connect.server_started", url=self.url)

    async def stop(self) -> None:
        """Stop taking calls (calls in flight finish within the grace period), release
        the port. A stopped server does not start again."""
        if self._task is not None:
            self._stopping.set()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
            log.info("connect.server_stopped", url=self.url)
        # Hypercorn closed its duplicate; the port is free once ours is closed too.
        self._socket.close()
