"""Counting the round trips a piece of code makes to PostgreSQL, from libpq's own trace.

A round trip is a point where the client stops sending and waits for the server: a
simple query, a ``Sync`` closing a statement (or a pipeline), or a ``Flush`` asking for
a pipelined statement's results. psycopg sends ``Sync`` then ``Flush`` when a pipeline
ends; that pair is one wait.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.pq import Trace

from agora_core.postgres import Database


@dataclass
class RoundTrips:
    """What the client sent while traced; known once the block is left."""

    messages: list[str]

    @property
    def count(self) -> int:
        waits, previous = 0, ""
        for message in self.messages:
            if message in ("Query", "Sync") or (message == "Flush" and previous != "Sync"):
                waits += 1
            previous = message
        return waits


@asynccontextmanager
async def round_trips(database: Database) -> AsyncIterator[RoundTrips]:
    """Trace the round trips made through ``database`` inside the block. The pool must
    hold a single connection (``max_size=1``): the traced one is the one the code gets."""
    assert database.pool.max_size == 1, "a pool of one connection: the traced one"
    counted = RoundTrips([])
    with tempfile.TemporaryFile("w+", encoding="utf-8") as trace:
        async with database.pool.connection() as connection:
            _trace(connection, trace.fileno())
        try:
            yield counted
        finally:
            async with database.pool.connection() as connection:
                connection.pgconn.untrace()  # flushes libpq's buffer to the file
            trace.seek(0)
            counted.messages = [
                fields[2] for line in trace if (fields := line.rstrip("\n").split("\t"))[0] == "F"
            ]


def _trace(connection: psycopg.AsyncConnection[Any], fileno: int) -> None:
    connection.pgconn.trace(fileno)
    connection.pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS)
