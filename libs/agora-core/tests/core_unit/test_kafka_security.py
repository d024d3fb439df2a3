"""Kafka security settings: consistent or refused, and the same for every client kind."""

from __future__ import annotations

import datetime as dt
import ssl
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import ValidationError

from agora_core.messaging.kafka_security import client_options
from agora_core.settings import ServiceSettings

KEY: dict[str, Any] = {"jwt_jwks_url": "https://idp.example/jwks"}


def settings(**values: Any) -> ServiceSettings:
    return ServiceSettings(**KEY, **values)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"kafka_security_protocol": "SASL_SSL"},
            "needs kafka_sasl_username",
        ),
        (
            {"kafka_security_protocol": "SASL_PLAINTEXT", "kafka_sasl_username": "agora"},
            "needs kafka_sasl_username",
        ),
        ({"kafka_sasl_username": "agora", "kafka_sasl_password": "pw"}, "does not use SASL"),
        ({"kafka_ssl_ca_file": "/ca.pem"}, "has no TLS"),
        (
            {"kafka_security_protocol": "SSL", "kafka_ssl_cert_file": "/client.pem"},
            "go together",
        ),
    ],
)
def test_half_configured_security_is_refused(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        settings(**values)


@pytest.mark.unit
def test_plaintext_is_the_default_and_adds_nothing() -> None:
    plain = settings()
    assert client_options(plain) == {"security_protocol": "PLAINTEXT"}


@pytest.mark.unit
def test_sasl_gives_every_client_the_login() -> None:
    sasl = settings(
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="agora",
        kafka_sasl_password="s3cret-pw",
    )
    assert client_options(sasl) == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "agora",
        "sasl_plain_password": "s3cret-pw",
    }
    assert "s3cret-pw" not in repr(sasl)


def _ca_file(directory: Path) -> tuple[Path, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "agora-test-kafka-ca")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = directory / "ca.pem"
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return path, "agora-test-kafka-ca"


@pytest.mark.integration  # reads a CA file written to a temporary directory
def test_tls_verifies_the_brokers_with_the_configured_ca(tmp_path: Path) -> None:
    ca_file, common_name = _ca_file(tmp_path)
    tls = settings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="PLAIN",
        kafka_sasl_username="agora",
        kafka_sasl_password="pw",
        kafka_ssl_ca_file=str(ca_file),
    )
    options = client_options(tls)
    assert options["security_protocol"] == "SASL_SSL"
    assert (options["sasl_mechanism"], options["sasl_plain_username"]) == ("PLAIN", "agora")
    only_tls = client_options(
        settings(kafka_security_protocol="SSL", kafka_ssl_ca_file=str(ca_file))
    )
    assert only_tls["security_protocol"] == "SSL"
    assert "sasl_mechanism" not in only_tls
    for context in (options["ssl_context"], only_tls["ssl_context"]):
        assert isinstance(context, ssl.SSLContext)
        assert context.verify_mode is ssl.CERT_REQUIRED
        assert context.check_hostname
        names = [str(ca["subject"]) for ca in context.get_ca_certs()]
        assert any(common_name in name for name in names), names
