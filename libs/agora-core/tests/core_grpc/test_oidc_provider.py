"""Tokens from a real OpenID Connect provider (npm ``oidc-provider``) call a real gRPC
server configured the way an operator configures Agora for Keycloak-shaped claims:
tenant from ``organization.id``, roles from ``realm_access.roles`` mapped to Agora's.

People sign in with the authorization-code flow and PKCE (a public app), services with
client credentials; tokens from the wrong issuer, for the wrong audience, expired or
signed with a key the provider does not publish are refused; a key rotation at the
provider is picked up without restarting the server.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import grpc
import jwt
import pytest

from agora.testing.v1 import notes_pb2
from agora_core.grpc.client import bearer_metadata
from core_grpc.conftest import NotesEndpoint, StartNotes
from core_grpc.helpers import assert_status, rpc_error
from core_grpc.oidc_provider import BILLING_API, OidcProvider, running_provider

pytestmark = pytest.mark.integration

UNAUTHENTICATED = grpc.StatusCode.UNAUTHENTICATED
CREATE = notes_pb2.CreateNoteRequest(title="From the identity provider", body="")


@pytest.fixture(scope="session")
async def oidc() -> AsyncIterator[OidcProvider]:
    async with running_provider() as provider:
        yield provider


async def keycloak_shaped_server(
    start_notes: StartNotes, oidc: OidcProvider, **overrides: Any
) -> NotesEndpoint:
    """A Notes server in production mode trusting the provider, as the operator guide says."""
    settings: dict[str, Any] = {
        "dev_mode": False,
        "jwt_hs256_secret": None,
        "jwt_jwks_url": oidc.jwks_uri,
        "jwt_issuer": oidc.issuer,
        "jwt_audience": "agora-api",
        "jwt_tenant_claim": "organization.id",
        "jwt_roles_claim": "realm_access.roles",
        "jwt_role_mapping": {
            "agora-learner": "learner",
            "agora-contributor": "contributor",
            "agora-admin": "admin",
        },
        "jwt_leeway_seconds": 0,
        **overrides,
    }
    return await start_notes(**settings)


async def test_a_person_signed_in_with_the_code_flow_and_pkce_calls_the_api(
    start_notes: StartNotes, oidc: OidcProvider
) -> None:
    server = await keycloak_shaped_server(start_notes, oidc)
    alice = await oidc.authorization_code("alice")
    created = await server.stub.CreateNote(CREATE, metadata=bearer_metadata(alice))
    assert created.note.author_id == "alice"
    # bruno is a learner of another tenant: he may read, sees nothing of acme, may not write.
    bruno = await oidc.authorization_code("bruno")
    listed = await server.stub.ListNotes(
        notes_pb2.ListNotesRequest(), metadata=bearer_metadata(bruno)
    )
    assert list(listed.notes) == []
    error = await rpc_error(server.stub.CreateNote(CREATE, metadata=bearer_metadata(bruno)))
    assert_status(error, grpc.StatusCode.PERMISSION_DENIED)


async def test_a_service_with_client_credentials_calls_the_api(
    start_notes: StartNotes, oidc: OidcProvider
) -> None:
    server = await keycloak_shaped_server(start_notes, oidc)
    worker = await oidc.client_credentials("agora-worker")
    created = await server.stub.CreateNote(CREATE, metadata=bearer_metadata(worker))
    assert created.note.author_id == "agora-worker"
    # Mapped to admin: it may delete.
    deleted = notes_pb2.DeleteNoteRequest(note_id=created.note.note_id)
    await server.stub.DeleteNote(deleted, metadata=bearer_metadata(worker))


async def refusal(server: NotesEndpoint, token: str) -> str:
    error = await rpc_error(server.stub.CreateNote(CREATE, metadata=bearer_metadata(token)))
    assert_status(error, UNAUTHENTICATED)
    return str(error.details())


async def test_tokens_from_another_issuer_or_for_another_audience_are_refused(
    start_notes: StartNotes, oidc: OidcProvider
) -> None:
    server = await keycloak_shaped_server(start_notes, oidc)
    # Same signing key as the trusted provider: only the issuer differs.
    foreign = await oidc.client_credentials(token_url=f"{oidc.foreign_issuer}/token")
    assert jwt.decode(foreign, options={"verify_signature": False})["iss"] == oidc.foreign_issuer
    assert await refusal(server, foreign) == "token is from another issuer"
    billing = await oidc.client_credentials(resource=BILLING_API)
    assert await refusal(server, billing) == "token is for another audience"


async def test_an_expired_token_is_refused(start_notes: StartNotes, oidc: OidcProvider) -> None:
    server = await keycloak_shaped_server(start_notes, oidc)
    short_lived = await oidc.client_credentials("agora-short-lived")
    expires = jwt.decode(short_lived, options={"verify_signature": False})["exp"]
    await asyncio.sleep(max(0.0, expires - time.time()) + 0.2)
    assert await refusal(server, short_lived) == "token expired"


async def test_a_token_signed_with_a_key_the_provider_does_not_publish_is_refused(
    start_notes: StartNotes, oidc: OidcProvider
) -> None:
    server = await keycloak_shaped_server(start_notes, oidc)
    unknown_key = await oidc.client_credentials(token_url=oidc.foreign_key_token_url)
    assert jwt.decode(unknown_key, options={"verify_signature": False})["iss"] == oidc.issuer
    assert (await refusal(server, unknown_key)).startswith("unknown signing key")


async def test_a_key_rotation_at_the_provider_is_picked_up_at_most_once_per_cooldown(
    start_notes: StartNotes, oidc: OidcProvider
) -> None:
    cooldown = 2.0
    server = await keycloak_shaped_server(start_notes, oidc, jwt_jwks_min_refresh_seconds=cooldown)
    before = await oidc.client_credentials()
    await server.stub.CreateNote(CREATE, metadata=bearer_metadata(before))  # JWKS fetched
    fetched_at = time.monotonic()
    new_kid = await oidc.rotate_keys()
    after = await oidc.client_credentials()
    assert jwt.get_unverified_header(after)["kid"] == new_kid
    if time.monotonic() - fetched_at < cooldown * 0.8:
        # Within the cooldown an unknown kid does not refetch the key set.
        assert (await refusal(server, after)).startswith("unknown signing key")
    await asyncio.sleep(max(0.0, cooldown - (time.monotonic() - fetched_at)) + 0.1)
    created = await server.stub.CreateNote(CREATE, metadata=bearer_metadata(after))
    assert created.note.author_id == "agora-worker"
    # The old key is still published during the rotation: its tokens still work.
    await server.stub.CreateNote(CREATE, metadata=bearer_metadata(before))
