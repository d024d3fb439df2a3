"""Mint JWTs for development and tests; production tokens come from the identity provider."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import jwt

from agora_core.grpc.auth import DEV_ALGORITHM

DEFAULT_TTL = dt.timedelta(hours=1)


def mint_token(
    key: Any,
    algorithm: str,
    *,
    subject: str,
    tenant: str,
    roles: Iterable[str],
    ttl: dt.timedelta = DEFAULT_TTL,
    key_id: str | None = None,
    issuer: str | None = None,
    audience: str | None = None,
    extra_claims: Mapping[str, Any] | None = None,
) -> str:
    """A signed token with Agora's claims (``sub``, ``tenant``, ``roles``, ``exp``).

    ``key`` is whatever PyJWT accepts for ``algorithm`` (a secret for HS256, a private
    key object or PEM for RS256/ES256). A negative ``ttl`` mints an expired token.
    ``extra_claims`` are added last, so tests can also override or break the others.
    """
    now = dt.datetime.now(dt.UTC)
    claims: dict[str, Any] = {
        "sub": subject,
        "tenant": tenant,
        "roles": list(roles),
        "iat": now,
        "exp": now + ttl,
    }
    if issuer is not None:
        claims["iss"] = issuer
    if audience is not None:
        claims["aud"] = audience
    claims.update(extra_claims or {})
    headers = {"kid": key_id} if key_id is not None else None
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers)


def mint_dev_token(
    secret: str,
    subject: str,
    tenant: str,
    roles: Iterable[str],
    ttl: dt.timedelta = DEFAULT_TTL,
) -> str:
    """An HS256 token accepted by services running with ``dev_mode`` and this secret."""
    return mint_token(secret, DEV_ALGORITHM, subject=subject, tenant=tenant, roles=roles, ttl=ttl)
