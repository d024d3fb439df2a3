"""Verified tokens are remembered only as safely as verification itself: by their whole
text, never past their expiry or the cache's own bound, never when refused, in bounded
memory."""

from __future__ import annotations

import datetime as dt

import pytest

from agora_core.errors import Unauthenticated
from agora_core.grpc.auth import Principal, Role, TokenVerifier
from agora_core.grpc.dev_tokens import mint_dev_token
from agora_core.grpc.verified_tokens import VerifiedTokens
from agora_core.settings import ServiceSettings, load_settings
from core_grpc.helpers import DEV_SECRET

pytestmark = pytest.mark.unit

ADA = Principal("u-ada", "acme", frozenset({Role.LEARNER}))


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_lives_until_the_tokens_expiry_or_the_bound_whichever_is_first() -> None:
    clock = Clock()
    cache = VerifiedTokens(seconds=30, clock=clock)
    cache.put("expires-soon", ADA, expires_at=clock.now + 5)
    cache.put("expires-late", ADA, expires_at=clock.now + 3600)
    clock.now += 4.9
    assert cache.get("expires-soon") == ADA
    assert cache.get("expires-late") == ADA
    clock.now += 0.1  # the token's own exp
    assert cache.get("expires-soon") is None
    clock.now += 24.9
    assert cache.get("expires-late") == ADA
    clock.now += 0.1  # the cache's bound
    assert cache.get("expires-late") is None
    assert len(cache) == 0


def test_an_already_expired_token_is_not_kept() -> None:
    clock = Clock()
    cache = VerifiedTokens(clock=clock)
    cache.put("expired", ADA, expires_at=clock.now - 1)
    assert cache.get("expired") is None
    assert len(cache) == 0


def test_memory_is_bounded_least_recently_used_leaving_first() -> None:
    clock = Clock()
    cache = VerifiedTokens(capacity=3, clock=clock)
    for name in ("a", "b", "c"):
        cache.put(name, ADA, expires_at=clock.now + 60)
    assert cache.get("a") == ADA  # used: "b" is now the oldest
    cache.put("d", ADA, expires_at=clock.now + 60)
    assert len(cache) == 3
    assert cache.get("b") is None
    assert {name for name in "acd" if cache.get(name)} == {"a", "c", "d"}


def _verifier() -> TokenVerifier:
    return TokenVerifier(load_settings(ServiceSettings, dev_mode=True, jwt_hs256_secret=DEV_SECRET))


async def test_a_token_differing_from_a_verified_one_is_verified_again() -> None:
    verifier = _verifier()
    token = mint_dev_token(DEV_SECRET, "u-ada", "acme", ["learner"])
    assert await verifier.verify(token) == ADA
    assert await verifier.verify(token) == ADA  # remembered
    # The same claims under a broken signature: the whole text is the key, so this is
    # not the remembered token and verification refuses it.
    header, claims, signature = token.split(".")
    forged = f"{header}.{claims}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    with pytest.raises(Unauthenticated, match="bad token signature"):
        await verifier.verify(forged)


async def test_a_refused_token_is_refused_every_time() -> None:
    verifier = _verifier()
    expired = mint_dev_token(DEV_SECRET, "u-ada", "acme", ["learner"], ttl=dt.timedelta(minutes=-5))
    for _ in range(2):
        with pytest.raises(Unauthenticated, match="token expired"):
            await verifier.verify(expired)
