"""Refusing calls from a person who was erased.

Erasure does not revoke tokens (the identity provider does); until a token expires,
calls made with it would create new data about the person. Each service's gRPC server
verifies tokens with :class:`ErasedCallerVerifier`, which answers ``UNAUTHENTICATED``
for a subject erased in the token's tenant (one primary-key lookup per call).
"""

from __future__ import annotations

from typing import Protocol

from typing_extensions import override

from agora_core.errors import Unauthenticated
from agora_core.grpc.auth import Principal, TokenVerifier
from agora_core.settings import ServiceSettings


class ErasedLookup(Protocol):
    """Tombstones of erased persons
    (:class:`~agora_core.privacy.postgres.PostgresErasedPersons`)."""

    async def is_erased(self, tenant_id: str, person_id: str) -> bool: ...


class ErasedCallerVerifier(TokenVerifier):
    """A :class:`TokenVerifier` that also refuses subjects erased in their tenant."""

    def __init__(self, settings: ServiceSettings, erased: ErasedLookup) -> None:
        super().__init__(settings)
        self._erased = erased

    @override
    async def verify(self, token: str) -> Principal:
        principal = await super().verify(token)
        if await self._erased.is_erased(principal.tenant_id, principal.subject):
            raise Unauthenticated("this account was erased")
        return principal
