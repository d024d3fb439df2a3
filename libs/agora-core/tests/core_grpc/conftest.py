"""Real grpc.aio Notes servers on 127.0.0.1:0, keys for every accepted algorithm, and a
real JWKS endpoint (aiohttp) for the verifier to fetch keys from."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import grpc.aio
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm

from agora.testing.v1 import notes_pb2_grpc
from agora_core.grpc.policy import MethodPolicy
from agora_core.grpc.server import GrpcServer, ServiceRegistration, create_grpc_server
from agora_core.postgres import Database
from agora_core.settings import ServiceSettings, load_settings
from agora_core.testing.postgres import migrated_database
from core_grpc.helpers import DEV_SECRET
from core_grpc.notes_servicer import (
    NOTES_POLICY,
    NOTES_SERVICE_NAME,
    NotesServicer,
    NoteStore,
    StoreForTenant,
)
from core_grpc.notes_store import NOTES_MIGRATIONS, PostgresNotes

if TYPE_CHECKING:
    from agora.testing.v1.notes_pb2_grpc import NotesServiceAsyncStub


@dataclass
class NotesEndpoint:
    """A running Notes server and a client connected to it."""

    server: GrpcServer
    servicer: NotesServicer
    channel: grpc.aio.Channel
    stub: NotesServiceAsyncStub
    settings: ServiceSettings


@dataclass
class JwksEndpoint:
    """A JWKS document served over real HTTP, counting how often it is fetched."""

    url: str
    kid: str
    fetches: list[float] = field(default_factory=list)


StartNotes = Callable[..., Awaitable[NotesEndpoint]]


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def other_rsa_key() -> rsa.RSAPrivateKey:
    """A key the servers do not trust."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="session")
async def jwks(ec_key: ec.EllipticCurvePrivateKey) -> AsyncIterator[JwksEndpoint]:
    """Serves the EC public key as a JWKS on a free loopback port."""
    kid = "es256-test-key"
    jwk = json.loads(ECAlgorithm.to_jwk(ec_key.public_key()))
    document = {"keys": [{**jwk, "kid": kid, "use": "sig", "alg": "ES256"}]}
    endpoint = JwksEndpoint(url="", kid=kid)

    async def serve_jwks(_request: web.Request) -> web.Response:
        endpoint.fetches.append(1.0)
        return web.json_response(document)

    app = web.Application()
    app.router.add_get("/.well-known/jwks.json", serve_jwks)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    endpoint.url = f"http://127.0.0.1:{port}/.well-known/jwks.json"
    yield endpoint
    await runner.cleanup()


@pytest.fixture
async def notes_database(postgres_dsn: str) -> AsyncIterator[Database]:
    """This test's PostgreSQL database, migrated to the Notes schema's head."""
    async with migrated_database(postgres_dsn, NOTES_MIGRATIONS, max_size=4) as database:
        yield database


@pytest.fixture
async def start_notes(notes_database: Database) -> AsyncIterator[StartNotes]:
    """Start Notes servers backed by this test's PostgreSQL database.

    Keyword arguments override settings (dev mode with DEV_SECRET by default; pass
    ``dev_mode=False, jwt_hs256_secret=None`` plus a key to test production auth).
    ``policy`` replaces the Notes policy; ``store_for_tenant`` the storage.
    """
    started: list[NotesEndpoint] = []

    def notes_in_this_database(tenant: str) -> NoteStore:
        return PostgresNotes(notes_database, tenant)

    async def start(
        policy: MethodPolicy = NOTES_POLICY,
        store_for_tenant: StoreForTenant = notes_in_this_database,
        **overrides: Any,
    ) -> NotesEndpoint:
        values: dict[str, Any] = {
            "service_name": "notes-test",
            "grpc_host": "127.0.0.1",
            "grpc_port": 0,
            "dev_mode": True,
            "jwt_hs256_secret": DEV_SECRET,
            "shutdown_grace_seconds": 1.0,
        }
        values.update(overrides)
        settings = load_settings(ServiceSettings, **values)
        servicer = NotesServicer(store_for_tenant)
        server = create_grpc_server(
            settings,
            registrations=[
                ServiceRegistration(notes_pb2_grpc.add_NotesServiceServicer_to_server, servicer)
            ],
            policy=policy,
            service_names=[NOTES_SERVICE_NAME],
        )
        await server.start()
        channel = grpc.aio.insecure_channel(server.address)
        endpoint = NotesEndpoint(
            server=server,
            servicer=servicer,
            channel=channel,
            stub=notes_pb2_grpc.NotesServiceStub(channel),
            settings=settings,
        )
        started.append(endpoint)
        return endpoint

    yield start
    for endpoint in started:
        await endpoint.channel.close(None)
        await endpoint.server.stop(None)


@pytest.fixture
async def notes(start_notes: StartNotes) -> NotesEndpoint:
    """A Notes server in dev mode (HS256 tokens signed with DEV_SECRET)."""
    return await start_notes()
