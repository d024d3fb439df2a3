"""How a service authenticates to Kafka and encrypts the connection.

One source for every kind of client (all aiokafka): a service's producer and
consumer groups, the operators' replay and rewind consumers, and the admin client
provisioning topics. Managed Kafka services require SASL over TLS; a
self-run cluster may use mutual TLS. ``PLAINTEXT`` (the default) is for a broker on a
trusted network only.
"""

from __future__ import annotations

import ssl
from typing import Any, Final

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


def client_options(settings: KafkaSettings) -> dict[str, Any]:
    """Keyword arguments of an aiokafka client (producer, consumer, admin) for the
    settings' security protocol, TLS context and SASL login."""
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
