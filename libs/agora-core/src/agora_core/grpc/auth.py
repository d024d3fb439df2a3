"""Who is calling: bearer JWT verification and the principal of the current call.

By default tokens carry ``sub`` (the person), ``tenant`` (the organisation every query
is scoped to) and ``roles``; a deployment may read them from its identity provider's
own claims (:mod:`agora_core.grpc.token_claims`). Production keys are asymmetric
(RS256/ES256, from a JWKS URL or a PEM public key); an HS256 shared secret is accepted
only in dev mode. Issuer and audience are checked when configured; a token signed with
a key the cached JWKS lacks (a rotation) refetches it, at most once per
``jwt_jwks_min_refresh_seconds``. A token that passed is remembered, by its whole text,
until its expiry or for 30 s at most (:mod:`agora_core.grpc.verified_tokens`).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import jwt
import structlog
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from agora_core.errors import Unauthenticated
from agora_core.grpc.token_claims import ClaimRules
from agora_core.grpc.verified_tokens import VerifiedTokens

# Re-exported: callers that verify tokens also name the identity they yield.
from agora_core.identity import Principal as Principal
from agora_core.identity import Role as Role
from agora_core.settings import ServiceSettings

log = structlog.get_logger(__name__)


_current_principal: contextvars.ContextVar[Principal | None] = contextvars.ContextVar(
    "agora_current_principal", default=None
)


def current_principal() -> Principal:
    """The principal of the call being handled; Unauthenticated outside an authenticated call."""
    principal = _current_principal.get()
    if principal is None:
        raise Unauthenticated("no authenticated caller")
    return principal


@contextmanager
def principal_scope(principal: Principal) -> Iterator[Principal]:
    """Make ``principal`` the current one for the code inside the block."""
    token = _current_principal.set(principal)
    try:
        yield principal
    finally:
        _current_principal.reset(token)


ASYMMETRIC_ALGORITHMS: Final = frozenset({"RS256", "ES256"})
DEV_ALGORITHM: Final = "HS256"
# A bound on what we parse at all: real tokens are a few hundred bytes to a few KiB.
MAX_TOKEN_LENGTH: Final = 8192
JWKS_CACHE_SECONDS: Final = 300
JWKS_FETCH_TIMEOUT_SECONDS: Final = 5


class TokenVerifier:
    """Verifies bearer JWTs against the keys configured in :class:`ServiceSettings`.

    The algorithm is chosen from the token header but only among those a configured
    key supports, and the key is chosen by that algorithm, so ``alg: none``, HS256
    with a public key as secret and other algorithm-confusion tricks are refused.
    """

    def __init__(self, settings: ServiceSettings) -> None:
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._leeway = settings.jwt_leeway_seconds
        self._claims = ClaimRules(settings)
        self._verified = VerifiedTokens()
        self._pem_key: Any = None
        self._pem_algorithm: str | None = None
        if settings.jwt_public_key_pem:
            self._pem_key, self._pem_algorithm = _load_pem(settings.jwt_public_key_pem)
        self._hs256_secret: str | None = None
        if settings.dev_mode and settings.jwt_hs256_secret is not None:
            self._hs256_secret = settings.jwt_hs256_secret.get_secret_value()
        self._jwks: jwt.PyJWKClient | None = None
        if settings.jwt_jwks_url:
            self._jwks = jwt.PyJWKClient(
                settings.jwt_jwks_url,
                lifespan=JWKS_CACHE_SECONDS,
                timeout=JWKS_FETCH_TIMEOUT_SECONDS,
                # An unknown kid refetches the set (key rotation), at most this often.
                cooldown_duration=settings.jwt_jwks_min_refresh_seconds,
            )
        # One JWKS fetch at a time: a cache expiry under load must not become a stampede.
        self._jwks_fetch_lock = asyncio.Lock()
        allowed: set[str] = set()
        if self._jwks is not None:
            allowed |= ASYMMETRIC_ALGORITHMS
        if self._pem_algorithm is not None:
            allowed.add(self._pem_algorithm)
        if self._hs256_secret is not None:
            allowed.add(DEV_ALGORITHM)
        self.allowed_algorithms: frozenset[str] = frozenset(allowed)
        """Algorithms some configured key can verify; any other is refused."""

    async def verify(self, token: str) -> Principal:
        """Return the token's principal, or raise Unauthenticated with a short reason."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise Unauthenticated("token too long")
        known = self._verified.get(token)
        if known is not None:
            return known
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:  # not only DecodeError: a non-string kid is InvalidTokenError
            raise Unauthenticated("malformed token") from None
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in self.allowed_algorithms:
            raise Unauthenticated(f"token algorithm {_shown(algorithm)} is not accepted")
        key = await self._key_for(algorithm, header.get("kid"))
        claims = self._decode(token, key, algorithm)
        principal = self._claims.principal(claims)
        self._verified.put(token, principal, claims["exp"])
        return principal

    async def _key_for(self, algorithm: str, kid: object) -> Any:
        if algorithm == DEV_ALGORITHM:
            return self._hs256_secret
        # A kid names a JWKS key; a token without one can only match the PEM key.
        if self._jwks is not None and (isinstance(kid, str) or self._pem_algorithm is None):
            if not isinstance(kid, str):
                raise Unauthenticated("token has no key id (kid)")
            jwk = await self._jwks_key(kid)
            if jwk.algorithm_name != algorithm:
                raise Unauthenticated(f"key {_shown(kid)} does not sign {algorithm}")
            return jwk.key
        if algorithm != self._pem_algorithm:
            raise Unauthenticated(f"token algorithm {_shown(algorithm)} is not accepted")
        return self._pem_key

    async def _jwks_key(self, kid: str) -> jwt.PyJWK:
        assert self._jwks is not None
        cached = _cached_jwk(self._jwks, kid)
        if cached is not None:
            return cached
        async with self._jwks_fetch_lock:
            # Another call may have refreshed the set while this one waited.
            cached = _cached_jwk(self._jwks, kid)
            if cached is not None:
                return cached
            try:
                # PyJWKClient does blocking HTTP; keep it off the event loop.
                return await asyncio.to_thread(self._jwks.get_signing_key, kid)
            except jwt.PyJWKClientConnectionError as error:
                log.warning("auth.jwks_unreachable", url=self._jwks.uri, error=str(error))
                raise Unauthenticated("token signing keys are unavailable") from None
            except jwt.PyJWKClientError:
                raise Unauthenticated(f"unknown signing key {_shown(kid)}") from None
            except jwt.PyJWTError:
                raise Unauthenticated("token signing keys are unusable") from None

    def _decode(self, token: str, key: Any, algorithm: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={
                    # Subject, tenant and roles are required by the claim rules.
                    "require": ["exp"],
                    # Without a configured audience there is nothing to compare with.
                    "verify_aud": self._audience is not None,
                },
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("token expired") from None
        except jwt.MissingRequiredClaimError as error:
            raise Unauthenticated(f"token lacks claim {error.claim!r}") from None
        except jwt.InvalidSignatureError:
            raise Unauthenticated("bad token signature") from None
        except jwt.InvalidAudienceError:
            raise Unauthenticated("token is for another audience") from None
        except jwt.InvalidIssuerError:
            raise Unauthenticated("token is from another issuer") from None
        except jwt.ImmatureSignatureError:
            raise Unauthenticated("token not valid yet") from None
        except jwt.PyJWTError:
            raise Unauthenticated("invalid token") from None
        return claims


def _shown(value: object) -> str:
    """A header value fit to echo in an error: the client chose it, so bound its size."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _load_pem(pem: str) -> tuple[Any, str]:
    """Load a PEM public key and return it with the one algorithm it may verify."""
    try:
        key = load_pem_public_key(pem.encode())
    except ValueError as error:
        raise ValueError(f"jwt_public_key_pem is not a PEM public key: {error}") from None
    if isinstance(key, rsa.RSAPublicKey):
        return key, "RS256"
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return key, "ES256"
    raise ValueError("jwt_public_key_pem must be an RSA or P-256 EC public key")


def _cached_jwk(client: jwt.PyJWKClient, kid: str) -> jwt.PyJWK | None:
    """The key for ``kid`` from the client's unexpired JWKS cache, without any I/O."""
    cache = client.jwk_set_cache
    jwk_set = cache.get() if cache is not None else None
    if jwk_set is None:
        return None
    for key in jwk_set.keys:
        if key.key_id == kid and key.public_key_use in ("sig", None):
            return key
    return None
