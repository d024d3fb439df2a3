"""How the CLI reaches the services and the broker securely.

gRPC: TLS when ``--tls`` (or a CA / client certificate) is given — the services sit
behind a TLS-terminating ingress or mesh in production — with the system's trust store
or ``--ca-file``, and a client certificate for mutual TLS. Kafka: the same
``AGORA_KAFKA_*`` variables as ``python -m agora_core.topics`` and the services
(security protocol, SASL mechanism and login, CA and client certificate), so one set
of names serves every tool. Secrets are read from files or the environment, never
printed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from pydantic import ValidationError

from agora_cli.config import CliUsageError


@dataclass(frozen=True)
class GrpcTls:
    """TLS towards the services: whom to trust, and who we are (mutual TLS)."""

    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None

    def __post_init__(self) -> None:
        if (self.cert_file is None) != (self.key_file is None):
            raise CliUsageError("--client-cert and --client-key go together (mutual TLS)")

    def credentials(self) -> grpc.ChannelCredentials:
        """Channel credentials from the files (read now: a bad path is a usage error)."""
        return grpc.ssl_channel_credentials(
            root_certificates=_read(self.ca_file, "--ca-file"),
            private_key=_read(self.key_file, "--client-key"),
            certificate_chain=_read(self.cert_file, "--client-cert"),
        )


def grpc_tls(
    tls: bool, ca_file: Path | None, cert_file: Path | None, key_file: Path | None
) -> GrpcTls | None:
    """The TLS settings of the global options; any certificate option implies TLS."""
    if not tls and ca_file is None and cert_file is None and key_file is None:
        return None
    return GrpcTls(ca_file, cert_file, key_file)


def open_channel(endpoint: str, tls: GrpcTls | None) -> grpc.aio.Channel:
    if tls is None:
        return grpc.aio.insecure_channel(endpoint)
    return grpc.aio.secure_channel(endpoint, tls.credentials())


def kafka_client_options(bootstrap_servers: str) -> dict[str, Any]:
    """aiokafka keyword arguments: the servers given and the ``AGORA_KAFKA_*`` security."""
    # Imported on use: only the commands that talk to Kafka need the settings machinery.
    from agora_core.messaging.kafka_security import client_options
    from agora_core.settings import KafkaSettings

    try:
        settings = KafkaSettings(kafka_bootstrap_servers=bootstrap_servers)
        return {"bootstrap_servers": bootstrap_servers, **client_options(settings)}
    except (ValidationError, ValueError, OSError) as error:
        raise CliUsageError(f"Kafka connection settings (AGORA_KAFKA_*): {_short(error)}") from None


def _read(path: Path | None, option: str) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as error:
        raise CliUsageError(f"{option} {path}: {error.strerror}") from None


def _short(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}"
            for e in error.errors()
        )
    return str(error)
