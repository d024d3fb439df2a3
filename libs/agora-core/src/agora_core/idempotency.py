"""Idempotent creates (AIP-155): the port use cases see, transport- and SQL-free.

A create that carries a ``request_id`` records ``(tenant, method, request_id) →
(fingerprint of the request, id of what it created)`` in the transaction that creates
it. Called again with the same request id in the same tenant, the use case finds the
record and answers with the same resource instead of creating another one; the same
request id with a different request is refused (``REQUEST_ID_REUSED``), since the
client obviously reused an id by mistake.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from agora_core.errors import InvalidArgument


@dataclass(frozen=True)
class CreateRequest:
    """Which create (``method``), the client's ``request_id`` and a fingerprint of
    everything else the request said (so a reused id with other content is noticed)."""

    method: str
    request_id: str
    fingerprint: str


class RequestIds(Protocol):
    """The record of idempotent creates of the unit of work's tenant."""

    async def created_by(self, request: CreateRequest) -> str | None:
        """The id of what ``request`` created before (None: first time). Holds a lock
        on the request id until the transaction ends, so two concurrent calls with one
        id create once. Raises InvalidArgument (``REQUEST_ID_REUSED``) when the id was
        used with a different request."""
        ...

    async def remember(self, request: CreateRequest, resource_id: str) -> None:
        """Record that ``request`` created ``resource_id`` (same transaction)."""
        ...


def reused(request: CreateRequest) -> InvalidArgument:
    """The error for a request id already used with a different request."""
    return InvalidArgument.single(
        "request_id",
        f"request id {request.request_id!r} was already used with a different request",
        reason="REQUEST_ID_REUSED",
    )
