"""Refusing calls from a person who was erased.

Erasure does not revoke tokens (the identity provider does); until a token expires,
calls made with it would create new data about the person. Each service's gRPC server
verifies tokens with :class:`ErasedCallerVerifier`, which answers ``UNAUTHENTICATED``
for a subject erased in the token's tenant.

The answer "not erased" is remembered per (tenant, subject) while a
:class:`~agora_core.postgres.channel_watch.ChannelWatch` on the tombstones' channel
proves that no tombstone was written since it was read (every tombstone insert
notifies ``ERASED_CHANNEL`` when it commits), and for ``remember_seconds`` at most; a
repeat caller then costs no database round trip. Without a watch that listens, every
call reads the tombstones (one primary-key lookup). A call that arrives between an
erasure's commit and its notification reaching this process is let through, as a call
that read the tombstones just before the commit is.
"""

from __future__ import annotations

import time
from typing import Protocol

from typing_extensions import override

from agora_core.errors import Unauthenticated
from agora_core.grpc.auth import Principal, TokenVerifier
from agora_core.postgres.channel_watch import ChannelWatch
from agora_core.settings import ServiceSettings


class ErasedLookup(Protocol):
    """Tombstones of erased persons
    (:class:`~agora_core.privacy.postgres.PostgresErasedPersons`)."""

    async def is_erased(self, tenant_id: str, person_id: str) -> bool: ...


class ErasedCallerVerifier(TokenVerifier):
    """A :class:`TokenVerifier` that also refuses subjects erased in their tenant."""

    def __init__(
        self,
        settings: ServiceSettings,
        erased: ErasedLookup,
        *,
        watch: ChannelWatch | None = None,
        remember_seconds: float = 30.0,
        remembered: int = 4096,
    ) -> None:
        super().__init__(settings)
        self._erased = erased
        self._watch = watch
        self._remember_seconds = remember_seconds
        self._remembered = remembered
        # (tenant, subject) -> (watch generation, monotonic time) of a "not erased" read.
        self._alive: dict[tuple[str, str], tuple[int, float]] = {}

    @override
    async def verify(self, token: str) -> Principal:
        principal = await super().verify(token)
        key = (principal.tenant_id, principal.subject)
        seen = self._generation()
        known = self._alive.get(key)
        fresh = known is not None and time.monotonic() - known[1] < self._remember_seconds
        if seen is not None and known is not None and known[0] == seen and fresh:
            return principal
        if await self._erased.is_erased(*key):
            raise Unauthenticated("this account was erased")
        if seen is not None and self._generation() == seen:
            # Nothing was notified during the read: it is still the answer.
            if len(self._alive) >= self._remembered:
                self._alive.clear()
            self._alive[key] = (seen, time.monotonic())
        return principal

    def _generation(self) -> int | None:
        """The watch's generation while it listens; None when it cannot tell."""
        watch = self._watch
        return watch.generation if watch is not None and watch.listening else None
