"""Servers close connections past their maximum age, so clients redial and spread over
the replicas a scale-out added; the client's channel reconnects without failing a call.

A counting TCP relay between the client and a real server shows each new connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import grpc.aio
import pytest

from agora.testing.v1 import notes_pb2, notes_pb2_grpc
from agora_core.grpc.server import server_options
from agora_core.settings import ServiceSettings, load_settings
from core_grpc.conftest import StartNotes
from core_grpc.helpers import DEV_SECRET, caller

if TYPE_CHECKING:
    from agora.testing.v1.notes_pb2_grpc import NotesServiceAsyncStub

pytestmark = pytest.mark.integration


@dataclass
class CountingRelay:
    """Relays loopback TCP to ``target`` and counts the connections clients opened."""

    target_port: int
    port: int = 0
    connections: int = 0

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def relay_connection(
        self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter
    ) -> None:
        self.connections += 1
        server_r, server_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        await asyncio.gather(self._pipe(client_r, server_w), self._pipe(server_r, client_w))


@contextlib.asynccontextmanager
async def relay_to(port: int) -> AsyncIterator[CountingRelay]:
    relay = CountingRelay(port)
    server = await asyncio.start_server(relay.relay_connection, "127.0.0.1", 0)
    relay.port = server.sockets[0].getsockname()[1]
    async with server:
        yield relay


async def calls_for(seconds: float, stub: NotesServiceAsyncStub) -> int:
    """Call ListNotes every 50 ms for ``seconds``; every call must succeed."""
    calls = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await stub.ListNotes(notes_pb2.ListNotesRequest(), metadata=caller(), timeout=5)
        calls += 1
        await asyncio.sleep(0.05)
    return calls


@pytest.mark.parametrize(("age", "reconnected"), [(0.5, True), (0.0, False)])
async def test_connections_older_than_the_maximum_age_are_replaced_without_failing_calls(
    start_notes: StartNotes, age: float, reconnected: bool
) -> None:
    server = await start_notes(
        grpc_max_connection_age_seconds=age, grpc_max_connection_age_grace_seconds=0.2
    )
    async with (
        relay_to(server.server.port) as relay,
        grpc.aio.insecure_channel(f"127.0.0.1:{relay.port}") as channel,
    ):
        calls = await calls_for(2.0, notes_pb2_grpc.NotesServiceStub(channel))
    assert calls > 10
    if reconnected:
        # About one connection per age (±10 % jitter) plus grace over two seconds.
        assert relay.connections >= 3
    else:
        assert relay.connections == 1


def test_connection_age_options_come_from_the_settings() -> None:
    def options(**overrides: float) -> dict[str, int]:
        settings = load_settings(
            ServiceSettings, dev_mode=True, jwt_hs256_secret=DEV_SECRET, **overrides
        )
        return dict(server_options(settings))

    defaults = options()
    assert defaults["grpc.max_connection_age_ms"] == 300_000
    assert defaults["grpc.max_connection_age_grace_ms"] == 30_000
    tuned = options(grpc_max_connection_age_seconds=60, grpc_max_connection_age_grace_seconds=0)
    assert tuned["grpc.max_connection_age_ms"] == 60_000
    assert tuned["grpc.max_connection_age_grace_ms"] == 0
    assert "grpc.max_connection_age_ms" not in options(grpc_max_connection_age_seconds=0)
