"""Authentication and roles through a real server: exact codes for every refusal."""

from __future__ import annotations

import datetime as dt

import grpc
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from agora.testing.v1 import notes_pb2
from agora_core.grpc.auth import Role
from agora_core.grpc.client import bearer_metadata
from agora_core.grpc.dev_tokens import mint_dev_token, mint_token
from agora_core.grpc.policy import MethodPolicy
from core_grpc.conftest import JwksEndpoint, NotesEndpoint, StartNotes
from core_grpc.helpers import DEV_SECRET, assert_status, caller, public_pem, rpc_error
from core_grpc.notes_servicer import NOTES_POLICY
from core_grpc.test_token_verifier import claims, unsigned_token

pytestmark = pytest.mark.integration

UNAUTHENTICATED = grpc.StatusCode.UNAUTHENTICATED
PERMISSION_DENIED = grpc.StatusCode.PERMISSION_DENIED
CREATE = notes_pb2.CreateNoteRequest(title="Hello", body="world")


async def production_server(start_notes: StartNotes, **keys: str) -> NotesEndpoint:
    """A server with dev mode off, trusting only the given key settings."""
    return await start_notes(dev_mode=False, jwt_hs256_secret=None, **keys)


async def test_call_without_token_is_unauthenticated(notes: NotesEndpoint) -> None:
    error = await rpc_error(notes.stub.CreateNote(CREATE))
    assert_status(error, UNAUTHENTICATED)
    assert error.details() == "missing bearer token"


@pytest.mark.parametrize(
    "header", ["Basic dXNlcjpwdw==", "Bearer", "Bearer    ", "token-without-scheme"]
)
async def test_authorization_that_is_not_a_bearer_token_is_unauthenticated(
    notes: NotesEndpoint, header: str
) -> None:
    error = await rpc_error(notes.stub.CreateNote(CREATE, metadata=(("authorization", header),)))
    assert_status(error, UNAUTHENTICATED)


async def test_expired_token_is_unauthenticated(notes: NotesEndpoint) -> None:
    token = mint_dev_token(DEV_SECRET, "u", "acme", ["admin"], ttl=dt.timedelta(seconds=-60))
    error = await rpc_error(notes.stub.CreateNote(CREATE, metadata=bearer_metadata(token)))
    assert_status(error, UNAUTHENTICATED)
    assert error.details() == "token expired"


async def test_alg_none_token_is_unauthenticated(notes: NotesEndpoint) -> None:
    token = unsigned_token(claims(roles=["admin"]))
    error = await rpc_error(notes.stub.CreateNote(CREATE, metadata=bearer_metadata(token)))
    assert_status(error, UNAUTHENTICATED)


async def test_rs256_token_verified_with_the_pem_key_is_accepted(
    start_notes: StartNotes, rsa_key: rsa.RSAPrivateKey
) -> None:
    server = await production_server(start_notes, jwt_public_key_pem=public_pem(rsa_key))
    token = mint_token(rsa_key, "RS256", subject="ana", tenant="acme", roles=["contributor"])
    response = await server.stub.CreateNote(CREATE, metadata=bearer_metadata(token))
    # The servicer read the caller from the context variable the interceptor set.
    assert response.note.author_id == "ana"


async def test_token_signed_by_another_key_is_unauthenticated(
    start_notes: StartNotes, rsa_key: rsa.RSAPrivateKey, other_rsa_key: rsa.RSAPrivateKey
) -> None:
    server = await production_server(start_notes, jwt_public_key_pem=public_pem(rsa_key))
    token = mint_token(other_rsa_key, "RS256", subject="eve", tenant="acme", roles=["admin"])
    error = await rpc_error(server.stub.CreateNote(CREATE, metadata=bearer_metadata(token)))
    assert_status(error, UNAUTHENTICATED)
    assert error.details() == "bad token signature"


async def test_hs256_token_is_unauthenticated_when_dev_mode_is_off(
    start_notes: StartNotes, rsa_key: rsa.RSAPrivateKey
) -> None:
    server = await production_server(start_notes, jwt_public_key_pem=public_pem(rsa_key))
    error = await rpc_error(server.stub.CreateNote(CREATE, metadata=caller(["admin"])))
    assert_status(error, UNAUTHENTICATED)
    assert error.details() == "token algorithm 'HS256' is not accepted"


async def test_es256_token_verified_through_the_jwks_url_is_accepted_and_keys_are_cached(
    start_notes: StartNotes, ec_key: ec.EllipticCurvePrivateKey, jwks: JwksEndpoint
) -> None:
    server = await production_server(start_notes, jwt_jwks_url=jwks.url)
    fetches_before = len(jwks.fetches)
    for subject in ("bo", "cy", "di"):
        token = mint_token(
            ec_key, "ES256", subject=subject, tenant="acme", roles=["expert"], key_id=jwks.kid
        )
        response = await server.stub.CreateNote(CREATE, metadata=bearer_metadata(token))
        assert response.note.author_id == subject
    assert len(jwks.fetches) - fetches_before == 1  # fetched once, then served from cache


async def test_jwks_token_with_an_unknown_key_id_is_unauthenticated(
    start_notes: StartNotes, ec_key: ec.EllipticCurvePrivateKey, jwks: JwksEndpoint
) -> None:
    server = await production_server(start_notes, jwt_jwks_url=jwks.url)
    token = mint_token(ec_key, "ES256", subject="x", tenant="acme", roles=[], key_id="rotated")
    error = await rpc_error(
        server.stub.GetNote(notes_pb2.GetNoteRequest(note_id="n"), metadata=bearer_metadata(token))
    )
    assert_status(error, UNAUTHENTICATED)
    assert error.details() == "unknown signing key 'rotated'"


async def test_forged_key_ids_refetch_the_jwks_at_most_once_per_cooldown(
    start_notes: StartNotes, ec_key: ec.EllipticCurvePrivateKey, jwks: JwksEndpoint
) -> None:
    server = await production_server(
        start_notes, jwt_jwks_url=jwks.url, jwt_jwks_min_refresh_seconds="600"
    )
    fetches_before = len(jwks.fetches)
    for forged in ("k1", "k2", "k3", "k4", "k5"):
        token = mint_token(ec_key, "ES256", subject="x", tenant="acme", roles=[], key_id=forged)
        error = await rpc_error(server.stub.CreateNote(CREATE, metadata=bearer_metadata(token)))
        assert error.details() == f"unknown signing key {forged!r}"
    # The first call loads the set; no forged kid fetches it again within the cooldown.
    assert len(jwks.fetches) - fetches_before == 1
    # The published key still works from the cache.
    good = mint_token(
        ec_key, "ES256", subject="y", tenant="acme", roles=["expert"], key_id=jwks.kid
    )
    await server.stub.CreateNote(CREATE, metadata=bearer_metadata(good))
    assert len(jwks.fetches) - fetches_before == 1


async def test_caller_without_a_listed_role_is_permission_denied(notes: NotesEndpoint) -> None:
    error = await rpc_error(notes.stub.CreateNote(CREATE, metadata=caller(["learner"])))
    assert_status(error, PERMISSION_DENIED)
    assert "contributor" in (error.details() or "")

    created = await notes.stub.CreateNote(CREATE, metadata=caller(["contributor"]))
    delete = notes_pb2.DeleteNoteRequest(note_id=created.note.note_id)
    error = await rpc_error(notes.stub.DeleteNote(delete, metadata=caller(["manager"])))
    assert_status(error, PERMISSION_DENIED)
    await notes.stub.DeleteNote(delete, metadata=caller([Role.ADMIN]))


async def test_any_authenticated_caller_may_use_an_open_method(notes: NotesEndpoint) -> None:
    response = await notes.stub.ListNotes(notes_pb2.ListNotesRequest(), metadata=caller([]))
    assert list(response.notes) == []


async def test_method_without_a_policy_is_refused_even_to_admins(start_notes: StartNotes) -> None:
    without_delete = MethodPolicy(
        rules={m: r for m, r in NOTES_POLICY.rules.items() if not m.endswith("/DeleteNote")}
    )
    server = await start_notes(policy=without_delete)
    request = notes_pb2.DeleteNoteRequest(note_id="n")
    error = await rpc_error(server.stub.DeleteNote(request, metadata=caller(["admin"])))
    assert_status(error, PERMISSION_DENIED)
    assert "no access policy" in (error.details() or "")
    # Refused before authentication too: no token is needed to learn nothing.
    assert_status(await rpc_error(server.stub.DeleteNote(request)), PERMISSION_DENIED)


async def test_unknown_method_is_unimplemented(notes: NotesEndpoint) -> None:
    call = notes.channel.unary_unary("/agora.testing.v1.NotesService/Nope", None, None)
    assert_status(await rpc_error(call(b"", metadata=caller())), grpc.StatusCode.UNIMPLEMENTED)
