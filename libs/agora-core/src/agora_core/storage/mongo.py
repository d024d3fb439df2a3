"""The one place that builds a PyMongo async client (Motor is end-of-life)."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient

Document = dict[str, Any]


def create_mongo_client(uri: str, *, timeout_ms: int = 5_000) -> AsyncMongoClient[Document]:
    """A client with timezone-aware datetimes and standard UUIDs.

    Timeouts are bounded so a missing database fails a call instead of hanging a
    handler forever; retryable writes are left on (they work on a replica set and
    are ignored by servers that do not support them).
    """
    return AsyncMongoClient(
        uri,
        tz_aware=True,
        uuidRepresentation="standard",
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        appname="agora",
    )


async def ping(client: AsyncMongoClient[Document]) -> bool:
    """True when the server answers ``ping``; used by readiness probes."""
    try:
        await client.admin.command("ping")
    except Exception:  # any failure means "not ready"; the probe reports, never raises
        return False
    return True
