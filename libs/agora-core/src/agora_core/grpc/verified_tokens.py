"""Tokens already verified, so a client's next calls with the same token skip the
signature check and the claim rules.

Safe by construction: the key is the whole token text (header, claims AND signature),
so only the byte-identical token that passed verification hits; an entry lives until
the token's own ``exp`` (without the verifier's leeway) or ``VERIFIED_TOKEN_SECONDS``
after it was verified, whichever comes first, so expiry is respected and a key that
rotates out stops being trusted within that bound; only successes are kept (a refused
token is verified again each time); at most ``capacity`` entries, the least recently
used leaving first. Checks outside the token (an erased caller) still run on every call.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Final

from agora_core.identity import Principal

VERIFIED_TOKEN_SECONDS: Final = 30.0
VERIFIED_TOKEN_CAPACITY: Final = 4096


class VerifiedTokens:
    """A bounded cache of verified tokens to their principal, until a deadline."""

    def __init__(
        self,
        *,
        seconds: float = VERIFIED_TOKEN_SECONDS,
        capacity: int = VERIFIED_TOKEN_CAPACITY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._seconds = seconds
        self._capacity = capacity
        self._clock = clock
        self._entries: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    def get(self, token: str) -> Principal | None:
        """The principal of ``token`` if it was verified and is still within its deadline."""
        entry = self._entries.get(token)
        if entry is None:
            return None
        principal, until = entry
        if self._clock() >= until:
            del self._entries[token]
            return None
        self._entries.move_to_end(token)
        return principal

    def put(self, token: str, principal: Principal, expires_at: float) -> None:
        """Remember ``token`` (verified now) until ``expires_at`` (its ``exp``) at most."""
        until = min(float(expires_at), self._clock() + self._seconds)
        if until <= self._clock():
            return
        self._entries[token] = (principal, until)
        self._entries.move_to_end(token)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
