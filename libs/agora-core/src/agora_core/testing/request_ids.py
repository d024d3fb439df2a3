"""The request-id port in memory, for unit tests of use cases (no I/O)."""

from __future__ import annotations

from agora_core.idempotency import CreateRequest, reused


class InMemoryRequestIds:
    """:class:`agora_core.idempotency.RequestIds` over a dict the test's tables own
    (``(method, request_id) → (fingerprint, resource_id)``), so a rolled-back unit of
    work forgets its records with the rest."""

    def __init__(self, records: dict[tuple[str, str], tuple[str, str]]) -> None:
        self._records = records

    async def created_by(self, request: CreateRequest) -> str | None:
        found = self._records.get((request.method, request.request_id))
        if found is None:
            return None
        if found[0] != request.fingerprint:
            raise reused(request)
        return found[1]

    async def remember(self, request: CreateRequest, resource_id: str) -> None:
        self._records[request.method, request.request_id] = (request.fingerprint, resource_id)
