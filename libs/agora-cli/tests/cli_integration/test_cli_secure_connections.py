"""The CLI over TLS (and mutual TLS) to a real Agora gRPC server, and over SASL to the
real broker's login-only listener.

The server is agora-core's own (interceptors, operations service) with a TLS port
added: an operator command reaching it is answered by the server's role check
(PERMISSION_DENIED for a learner, exit 5), which only happens once the TLS handshake
succeeded; every way the handshake should fail ends UNAVAILABLE (exit 7).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from aiokafka import AIOKafkaProducer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from typer.testing import CliRunner

from agora_cli.app import app
from agora_core.grpc.policy import MethodPolicy
from agora_core.grpc.server import create_grpc_server
from agora_core.settings import ServiceSettings
from agora_core.testing import SaslListener
from agora_core.testing.grpc_assertions import DEV_SECRET
from agora_core.testing.service_harness import test_settings

pytestmark = pytest.mark.integration

RUNNER = CliRunner()


@pytest.fixture(autouse=True)
def logging_of_a_cli_process() -> Iterator[None]:
    """The stdlib logging a CLI process has: none configured. An earlier test of the run
    may have configured a service's (JSON lines on the current stdout), which would put
    aiokafka's warnings (e.g. SASL_PLAINTEXT's "password in the clear") into the
    command's stdout here, something a real ``agora`` process never sees."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    root.handlers = []
    try:
        yield
    finally:
        root.handlers, root.level = handlers, level


PERMISSION, UNAVAILABLE, USAGE = 5, 7, 2


class EdgeSettings(ServiceSettings):
    service_name: str = "edge"


@dataclass(frozen=True)
class Pki:
    ca: Path
    other_ca: Path
    client_cert: Path
    client_key: Path
    server_cert: bytes
    server_key: bytes
    ca_pem: bytes


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _certificate(
    name: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None = None,
    *,
    server: bool = False,
) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer_name, issuer_key = issuer or (subject, key)
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    ca_key, other_key = _key(), _key()
    ca = _certificate("agora test CA", ca_key)
    signer = (ca.subject, ca_key)
    server_key, client_key = _key(), _key()
    server = _certificate("localhost", server_key, signer, server=True)
    client = _certificate("operator", client_key, signer)
    files = {
        "ca.pem": ca.public_bytes(serialization.Encoding.PEM),
        "other-ca.pem": _certificate("another CA", other_key).public_bytes(
            serialization.Encoding.PEM
        ),
        "client.pem": client.public_bytes(serialization.Encoding.PEM),
        "client-key.pem": _pem(client_key),
    }
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return Pki(
        ca=folder / "ca.pem",
        other_ca=folder / "other-ca.pem",
        client_cert=folder / "client.pem",
        client_key=folder / "client-key.pem",
        server_cert=server.public_bytes(serialization.Encoding.PEM),
        server_key=_pem(server_key),
        ca_pem=files["ca.pem"],
    )


async def _tls_server(pki: Pki, kafka: str, *, mutual: bool) -> AsyncIterator[int]:
    built = create_grpc_server(
        test_settings(EdgeSettings, kafka=kafka),
        registrations=[],
        policy=MethodPolicy(),
        service_names=[],
    )
    credentials = grpc.ssl_server_credentials(
        [(pki.server_key, pki.server_cert)],
        root_certificates=pki.ca_pem if mutual else None,
        require_client_auth=mutual,
    )
    port = built.server.add_secure_port("127.0.0.1:0", credentials)
    await built.server.start()
    try:
        yield port
    finally:
        await built.server.stop(None)


@pytest.fixture
async def tls_port(pki: Pki, kafka_bootstrap: str) -> AsyncIterator[int]:
    async for port in _tls_server(pki, kafka_bootstrap, mutual=False):
        yield port


@pytest.fixture
async def mtls_port(pki: Pki, kafka_bootstrap: str) -> AsyncIterator[int]:
    async for port in _tls_server(pki, kafka_bootstrap, mutual=True):
        yield port


async def _agora(
    port: int, *security: str, env: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    """``agora ops replay-dlq`` as a learner through ``localhost:port``; (exit, error)."""
    argv: Sequence[str] = [
        "--json",
        "--timeout",
        "10",
        "--catalog",
        f"localhost:{port}",
        *security,
        "ops",
        "replay-dlq",
        "agora.learning.completions.v1",
        "--dry-run",
    ]
    # In a worker thread: the CLI runs its own event loop, the server serves on this one.
    result = await asyncio.to_thread(
        RUNNER.invoke, app, argv, env={"AGORA_JWT_HS256_SECRET": DEV_SECRET, **(env or {})}
    )
    document = json.loads(result.stderr) if result.stderr.strip().startswith("{") else {}
    return result.exit_code, document.get("error", {})


async def test_tls_with_the_right_ca_reaches_the_server(pki: Pki, tls_port: int) -> None:
    code, error = await _agora(tls_port, "--ca-file", str(pki.ca))

    assert (code, error.get("code")) == (PERMISSION, "PERMISSION_DENIED")


async def test_tls_is_also_taken_from_the_environment(pki: Pki, tls_port: int) -> None:
    code, _ = await _agora(
        tls_port, env={"AGORA_GRPC_TLS": "true", "AGORA_GRPC_CA_FILE": str(pki.ca)}
    )

    assert code == PERMISSION


async def test_plaintext_or_an_untrusted_certificate_never_reaches_it(
    pki: Pki, tls_port: int
) -> None:
    assert (await _agora(tls_port))[0] == UNAVAILABLE
    assert (await _agora(tls_port, "--ca-file", str(pki.other_ca)))[0] == UNAVAILABLE
    # The system's trust store does not know the test CA either.
    assert (await _agora(tls_port, "--tls"))[0] == UNAVAILABLE


async def test_mutual_tls_needs_the_client_certificate(pki: Pki, mtls_port: int) -> None:
    with_cert = await _agora(
        mtls_port,
        "--ca-file",
        str(pki.ca),
        "--client-cert",
        str(pki.client_cert),
        "--client-key",
        str(pki.client_key),
    )

    assert with_cert[0] == PERMISSION
    assert (await _agora(mtls_port, "--ca-file", str(pki.ca)))[0] == UNAVAILABLE


async def test_a_half_client_certificate_or_a_missing_file_is_a_usage_error(pki: Pki) -> None:
    assert (await _agora(1, "--client-cert", str(pki.client_cert)))[0] == USAGE
    code, error = await _agora(1, "--ca-file", "/nonexistent/ca.pem")
    assert code == USAGE
    assert "/nonexistent/ca.pem" in error["message"]


async def test_events_tail_logs_in_with_sasl(
    kafka_bootstrap: str, kafka_sasl: SaslListener, create_topic: Any, unique: str
) -> None:
    topic = f"agora.{unique}.secure.v1"
    await create_topic(topic, 1)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b'{"hello": "sasl"}', key=b"k")
    finally:
        await producer.stop()
    login = {
        "AGORA_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "AGORA_KAFKA_SASL_MECHANISM": "PLAIN",
        "AGORA_KAFKA_SASL_USERNAME": kafka_sasl.username,
    }
    argv = ["--json", "--kafka", kafka_sasl.address, "events", "tail", topic]
    tail = [*argv, "--from-beginning", "--max", "1", "--idle-timeout", "20"]

    result = await asyncio.to_thread(
        RUNNER.invoke, app, tail, env={**login, "AGORA_KAFKA_SASL_PASSWORD": kafka_sasl.password}
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["data"] == {"hello": "sasl"}

    no_password = await asyncio.to_thread(RUNNER.invoke, app, tail, env=login)
    assert no_password.exit_code == USAGE
    assert "kafka_sasl" in no_password.stderr
    assert kafka_sasl.password not in no_password.stderr
