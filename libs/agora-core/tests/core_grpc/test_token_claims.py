"""Per-deployment claim rules: where subject, tenant and roles live, and role mapping.

Each case signs a token shaped like a real provider's (Keycloak, Entra ID, Okta, Auth0)
and verifies it with the settings an operator would write for that provider.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import jwt
import pytest

from agora_core.claim_paths import ClaimPath, MissingClaim
from agora_core.errors import Unauthenticated
from agora_core.grpc.auth import Principal, Role, TokenVerifier
from agora_core.settings import ConfigError, ServiceSettings, load_settings
from core_grpc.helpers import DEV_SECRET

pytestmark = pytest.mark.unit


def verifier(**overrides: Any) -> TokenVerifier:
    return TokenVerifier(
        load_settings(ServiceSettings, dev_mode=True, jwt_hs256_secret=DEV_SECRET, **overrides)
    )


def token(**claims: Any) -> str:
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    return jwt.encode({"exp": int(expires.timestamp()), **claims}, DEV_SECRET, algorithm="HS256")


async def refusal(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(Unauthenticated) as exc_info:
        await verifier.verify(token)
    return exc_info.value.message


KEYCLOAK = {
    "jwt_tenant_claim": "organization.id",
    "jwt_roles_claim": "realm_access.roles",
    "jwt_role_mapping": {"agora-learner": "learner", "agora-admin": "admin"},
}
ENTRA_ID = {
    "jwt_subject_claim": "oid",
    "jwt_tenant_claim": "tid",
    "jwt_roles_claim": "roles",
    "jwt_role_mapping": {"Agora.Expert": "expert", "Agora.Manager": "manager"},
    "jwt_roles_claim_required": False,
}


async def test_keycloak_realm_roles_are_mapped_and_other_roles_ignored() -> None:
    keycloak = token(
        sub="f6a1",
        organization={"id": "acme"},
        realm_access={"roles": ["offline_access", "agora-learner", "agora-admin"]},
    )
    principal = await verifier(**KEYCLOAK).verify(keycloak)
    assert principal == Principal("f6a1", "acme", frozenset({Role.LEARNER, Role.ADMIN}))


async def test_entra_id_object_id_tenant_id_and_app_roles() -> None:
    tid = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    entra = token(sub="pairwise-x", oid="0c2d", tid=tid, roles=["Agora.Manager"])
    principal = await verifier(**ENTRA_ID).verify(entra)
    assert principal == Principal("0c2d", tid, frozenset({Role.MANAGER}))


async def test_a_person_without_app_roles_has_no_roles_when_the_claim_is_optional() -> None:
    entra = token(oid="0c2d", tid="contoso")
    assert (await verifier(**ENTRA_ID).verify(entra)).roles == frozenset()


async def test_okta_groups_with_a_fixed_tenant_ignore_any_tenant_claim() -> None:
    okta = verifier(
        jwt_fixed_tenant="acme",
        jwt_roles_claim="groups",
        jwt_role_mapping={"Agora Contributors": "contributor"},
    )
    principal = await okta.verify(
        token(sub="00u1", tenant="evil", groups=["Everyone", "Agora Contributors"])
    )
    assert principal == Principal("00u1", "acme", frozenset({Role.CONTRIBUTOR}))


async def test_a_namespaced_claim_holding_dots_and_slashes() -> None:
    auth0 = verifier(
        jwt_tenant_claim='["https://agora.example/tenant"]',
        jwt_roles_claim='["https://agora.example/roles"]',
    )
    claims = {"https://agora.example/tenant": "acme", "https://agora.example/roles": ["expert"]}
    principal = await auth0.verify(token(sub="auth0|1", **claims))
    assert principal == Principal("auth0|1", "acme", frozenset({Role.EXPERT}))


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"sub": "u", "realm_access": {"roles": []}}, "token lacks claim 'organization.id'"),
        ({"sub": "u", "organization": {"id": "acme"}}, "token lacks claim 'realm_access.roles'"),
        (
            {"sub": "u", "organization": "acme", "realm_access": {"roles": []}},
            "token lacks claim 'organization.id'",
        ),
        (
            {"sub": "u", "organization": {"id": "../x"}, "realm_access": {"roles": "agora-admin"}},
            "invalid claims: organization.id, realm_access.roles",
        ),
        (
            {"sub": "", "organization": {"id": "acme"}, "realm_access": {"roles": []}},
            "invalid claims: sub",
        ),
        # The actorid of the platform's own events: no person may act under it.
        (
            {
                "sub": "system:catalog",
                "organization": {"id": "acme"},
                "realm_access": {"roles": []},
            },
            "invalid claims: sub",
        ),
        # Longer than an event's actorid may be.
        (
            {"sub": "u" * 201, "organization": {"id": "acme"}, "realm_access": {"roles": []}},
            "invalid claims: sub",
        ),
    ],
)
async def test_missing_or_malformed_claims_at_configured_paths_are_refused(
    claims: dict[str, Any], reason: str
) -> None:
    assert await refusal(verifier(**KEYCLOAK), token(**claims)) == reason


async def test_without_a_mapping_the_roles_must_be_agora_roles() -> None:
    keycloak_unmapped = verifier(jwt_roles_claim="realm_access.roles")
    ok = token(sub="u", tenant="acme", realm_access={"roles": ["learner"]})
    assert (await keycloak_unmapped.verify(ok)).roles == {Role.LEARNER}
    foreign = token(sub="u", tenant="acme", realm_access={"roles": ["offline_access"]})
    assert await refusal(keycloak_unmapped, foreign) == "invalid claims: realm_access.roles"


@pytest.mark.parametrize(
    ("overrides", "variable", "message"),
    [
        ({"jwt_roles_claim": "realm_access..roles"}, "AGORA_JWT_ROLES_CLAIM", "expected a name"),
        ({"jwt_tenant_claim": "tid."}, "AGORA_JWT_TENANT_CLAIM", "expected a name"),
        ({"jwt_subject_claim": ""}, "AGORA_JWT_SUBJECT_CLAIM", "1 to 200 characters"),
        ({"jwt_roles_claim": 'a["unterminated'}, "AGORA_JWT_ROLES_CLAIM", "expected a name"),
        ({"jwt_roles_claim": "realm access"}, "AGORA_JWT_ROLES_CLAIM", "expected '.' or '['"),
        ({"jwt_role_mapping": {"Agora.Boss": "boss"}}, "AGORA_JWT_ROLE_MAPPING", "'admin'"),
        ({"jwt_fixed_tenant": "../acme"}, "AGORA_JWT_FIXED_TENANT", "should match pattern"),
    ],
)
def test_a_bad_claim_configuration_stops_start_up_naming_the_variable(
    overrides: dict[str, Any], variable: str, message: str
) -> None:
    with pytest.raises(ConfigError) as exc_info:
        load_settings(ServiceSettings, dev_mode=True, jwt_hs256_secret=DEV_SECRET, **overrides)
    assert variable in str(exc_info.value)
    assert message in str(exc_info.value)


def test_a_bad_role_mapping_from_the_environment_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AGORA_JWT_ROLE_MAPPING", '{"Agora.Admin": "root"}')
    with pytest.raises(ConfigError, match="AGORA_JWT_ROLE_MAPPING"):
        load_settings(ServiceSettings, dev_mode=True, jwt_hs256_secret=DEV_SECRET)
    monkeypatch.setenv("AGORA_JWT_ROLE_MAPPING", '{"Agora.Admin": "admin"}')
    settings = load_settings(ServiceSettings, dev_mode=True, jwt_hs256_secret=DEV_SECRET)
    assert settings.jwt_role_mapping == {"Agora.Admin": Role.ADMIN}


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("sub", ("sub",)),
        ("realm_access.roles", ("realm_access", "roles")),
        ("resource_access.agora-api.roles", ("resource_access", "agora-api", "roles")),
        ('["https://agora.example/roles"]', ("https://agora.example/roles",)),
        ('org["agora.tenant"].id', ("org", "agora.tenant", "id")),
    ],
)
def test_claim_paths_parse_into_their_segments(text: str, segments: tuple[str, ...]) -> None:
    assert ClaimPath.parse(text).segments == segments


def test_a_claim_path_does_not_walk_through_lists_or_nulls() -> None:
    path = ClaimPath.parse("a.b")
    assert path.lookup({"a": {"b": ["x"]}}) == ["x"]
    for claims in ({"a": [{"b": 1}]}, {"a": {"b": None}}, {"a": "b"}, {}):
        with pytest.raises(MissingClaim):
            path.lookup(claims)
