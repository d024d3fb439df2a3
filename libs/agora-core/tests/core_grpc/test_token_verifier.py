"""TokenVerifier decides who is calling; every refusal is Unauthenticated with a reason."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from agora_core.errors import Unauthenticated
from agora_core.grpc.auth import Principal, Role, TokenVerifier, current_principal, principal_scope
from agora_core.grpc.dev_tokens import mint_dev_token, mint_token
from agora_core.settings import ServiceSettings, load_settings
from core_grpc.helpers import DEV_SECRET, public_pem

pytestmark = pytest.mark.unit


def dev_verifier(**overrides: Any) -> TokenVerifier:
    return TokenVerifier(
        load_settings(ServiceSettings, dev_mode=True, jwt_hs256_secret=DEV_SECRET, **overrides)
    )


def pem_verifier(
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, **overrides: Any
) -> TokenVerifier:
    return TokenVerifier(
        load_settings(ServiceSettings, jwt_public_key_pem=public_pem(key), **overrides)
    )


async def refusal(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(Unauthenticated) as exc_info:
        await verifier.verify(token)
    return exc_info.value.message


def _part(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def unsigned_token(claims: dict[str, Any]) -> str:
    """A token with ``alg: none`` and no signature, built by hand."""
    return f"{_part({'alg': 'none', 'typ': 'JWT'})}.{_part(claims)}."


def claims(**overrides: Any) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    return {
        "sub": "user-1",
        "tenant": "acme",
        "roles": ["learner"],
        "exp": int((now + dt.timedelta(minutes=5)).timestamp()),
        **overrides,
    }


async def test_dev_token_gives_its_principal() -> None:
    token = mint_dev_token(DEV_SECRET, "user-7", "acme", ["learner", "expert"])
    principal = await dev_verifier().verify(token)
    assert principal == Principal("user-7", "acme", frozenset({Role.LEARNER, Role.EXPERT}))


async def test_rs256_and_es256_pem_keys_verify_their_own_algorithm(
    rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    for key, algorithm in ((rsa_key, "RS256"), (ec_key, "ES256")):
        token = mint_token(key, algorithm, subject="u", tenant="acme", roles=["admin"])
        assert (await pem_verifier(key).verify(token)).roles == {Role.ADMIN}
        assert pem_verifier(key).allowed_algorithms == {algorithm}


async def test_alg_none_is_refused_even_in_dev_mode() -> None:
    assert "'none'" in await refusal(dev_verifier(), unsigned_token(claims()))


async def test_hs256_is_refused_without_dev_mode(rsa_key: rsa.RSAPrivateKey) -> None:
    token = mint_dev_token(DEV_SECRET, "u", "acme", ["admin"])
    assert "'HS256' is not accepted" in await refusal(pem_verifier(rsa_key), token)


async def test_public_key_used_as_hmac_secret_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    # The classic algorithm-confusion attack: HS256 "signed" with the server's public key.
    pem = public_pem(rsa_key)
    header = {"alg": "HS256", "typ": "JWT"}
    signing_input = ".".join(
        base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()
        for d in (header, claims())
    )
    signature = hmac.new(pem.encode(), signing_input.encode(), hashlib.sha256).digest()
    token = signing_input + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()
    assert "not accepted" in await refusal(pem_verifier(rsa_key), token)


async def test_token_of_the_other_asymmetric_algorithm_is_refused(
    rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    token = mint_token(ec_key, "ES256", subject="u", tenant="acme", roles=[])
    assert "'ES256' is not accepted" in await refusal(pem_verifier(rsa_key), token)


async def test_expired_token_is_refused() -> None:
    token = mint_dev_token(DEV_SECRET, "u", "acme", ["learner"], ttl=dt.timedelta(minutes=-5))
    assert await refusal(dev_verifier(), token) == "token expired"


async def test_token_signed_by_another_key_is_refused(
    rsa_key: rsa.RSAPrivateKey, other_rsa_key: rsa.RSAPrivateKey
) -> None:
    token = mint_token(other_rsa_key, "RS256", subject="u", tenant="acme", roles=[])
    assert await refusal(pem_verifier(rsa_key), token) == "bad token signature"


@pytest.mark.parametrize("claim", ["exp", "sub", "tenant", "roles"])
async def test_each_required_claim_is_required(claim: str) -> None:
    payload = claims()
    del payload[claim]
    token = jwt.encode(payload, DEV_SECRET, algorithm="HS256")
    assert await refusal(dev_verifier(), token) == f"token lacks claim {claim!r}"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"roles": ["learner", "superuser"]}, "invalid claims: roles"),
        ({"roles": "admin"}, "invalid claims: roles"),
        ({"tenant": ""}, "invalid claims: tenant"),
        ({"tenant": "../other"}, "invalid claims: tenant"),
        ({"sub": ""}, "invalid claims: sub"),
    ],
)
async def test_claims_are_validated(overrides: dict[str, Any], reason: str) -> None:
    token = jwt.encode(claims(**overrides), DEV_SECRET, algorithm="HS256")
    assert await refusal(dev_verifier(), token) == reason


async def test_issuer_and_audience_are_checked_when_configured() -> None:
    verifier = dev_verifier(jwt_issuer="https://id.example", jwt_audience="agora")

    def token(**kw: Any) -> str:
        return mint_token(DEV_SECRET, "HS256", subject="u", tenant="acme", roles=[], **kw)

    good = token(issuer="https://id.example", audience="agora")
    assert (await verifier.verify(good)).subject == "u"
    wrong_issuer = token(issuer="https://evil.example", audience="agora")
    assert await refusal(verifier, wrong_issuer) == "token is from another issuer"
    wrong_audience = token(issuer="https://id.example", audience="billing")
    assert await refusal(verifier, wrong_audience) == "token is for another audience"


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "abc",
        "a.b.c",
        "x" * 9000,
        f"{_part({'alg': 'HS256', 'kid': 123})}.{_part(claims())}.c2ln",
        f"{_part({'alg': 'HS256', 'crit': ['exp']})}.{_part(claims())}.c2ln",
    ],
)
async def test_garbage_is_refused(garbage: str) -> None:
    reason = await refusal(dev_verifier(), garbage)
    assert reason in {"malformed token", "token too long", "invalid token"}


async def test_client_chosen_header_values_are_echoed_only_briefly() -> None:
    token = f"{_part({'alg': 'X' * 5000})}.{_part(claims())}."
    reason = await refusal(dev_verifier(), token)
    assert reason.startswith("token algorithm 'XXX")
    assert len(reason) < 80


async def test_current_principal_exists_only_inside_its_scope() -> None:
    with pytest.raises(Unauthenticated):
        current_principal()
    principal = Principal("u", "acme", frozenset({Role.ADMIN}))
    with principal_scope(principal):
        assert current_principal() is principal
    with pytest.raises(Unauthenticated):
        current_principal()
