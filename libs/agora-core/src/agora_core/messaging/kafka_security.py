"""How a service authenticates to Kafka and encrypts the connection.

One source for every kind of client: the FastStream broker (consumers and the
producer), the plain aiokafka consumers of the operators' replay and rewind, and the
admin client provisioning topics. Managed Kafka services require SASL over TLS; a
self-run cluster may use mutual TLS. ``PLAINTEXT`` (the default) is for a broker on a
trusted network only.
"""

from __future__ import annotations

import ssl
from typing import Any, Final

from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from agora_core.settings import KafkaSettings

TLS_PROTOCOLS: Final = frozenset({"SSL", "SASL_SSL"})
SASL_PROTOCOLS: Final = frozenset({"SASL_PLAINTEXT", "SASL_SSL"})


def tls_context(settings: KafkaSettings) -> ssl.SSLContext | None:
    """The TLS context verifying the brokers (the CA file, else the system's trust
    store) and presenting a client certificate when one is configured."""
    if settings.kafka_security_protocol not in TLS_PROTOCOLS:
        return None
    context = ssl.create_default_context(cafile=settings.kafka_ssl_ca_file)
    if settings.kafka_ssl_cert_file is not None:
        context.load_cert_chain(settings.kafka_ssl_cert_file, settings.kafka_ssl_key_file)
    return context


def broker_security(settings: KafkaSettings) -> BaseSecurity | None:
    """The FastStream security object of the settings (None: plaintext)."""
    protocol = settings.kafka_security_protocol
    context = tls_context(settings)
    if protocol in SASL_PROTOCOLS:
        username, password = _sasl_credentials(settings)
        kind = {
            "PLAIN": SASLPlaintext,
            "SCRAM-SHA-256": SASLScram256,
            "SCRAM-SHA-512": SASLScram512,
        }[settings.kafka_sasl_mechanism]
        return kind(username, password, ssl_context=context, use_ssl=protocol == "SASL_SSL")
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context, use_ssl=True)
    return None


def client_options(settings: KafkaSettings) -> dict[str, Any]:
    """Keyword arguments for a plain aiokafka client with the same security."""
    protocol = settings.kafka_security_protocol
    options: dict[str, Any] = {"security_protocol": protocol}
    context = tls_context(settings)
    if context is not None:
        options["ssl_context"] = context
    if protocol in SASL_PROTOCOLS:
        username, password = _sasl_credentials(settings)
        options.update(
            sasl_mechanism=settings.kafka_sasl_mechanism,
            sasl_plain_username=username,
            sasl_plain_password=password,
        )
    return options


def _sasl_credentials(settings: KafkaSettings) -> tuple[str, str]:
    # The settings validator guarantees both for a SASL protocol.
    assert settings.kafka_sasl_username is not None
    assert settings.kafka_sasl_password is not None
    return settings.kafka_sasl_username, settings.kafka_sasl_password.get_secret_value()
