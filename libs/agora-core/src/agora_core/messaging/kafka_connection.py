"""One process's Kafka clients: the idempotent producer and its consumer-group members.

Plain aiokafka, through its public API only (docs/adr/0003-plain-aiokafka.md says why
FastStream left): the producer is built here from the connection's settings, so it can
be replaced by a new one (a new producer id) when it fell into a state it cannot leave,
and every consumer-group member registered here is started and stopped with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from aiokafka import AIOKafkaProducer


class ConsumerMember(Protocol):
    """A consumer-group member started and stopped with its connection."""

    async def start(self, connection: KafkaConnection) -> None: ...

    async def stop(self) -> None: ...


class KafkaConnection:
    """The bootstrap servers, security options and client id every client of a process
    shares; owns the producer and starts the registered consumer-group members."""

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        client_id: str,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.client_id = client_id
        self.options: dict[str, Any] = dict(options or {})
        self._producer: AIOKafkaProducer | None = None
        self._members: list[ConsumerMember] = []
        self._started: list[ConsumerMember] = []

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of a plain aiokafka client on this connection."""
        return {
            "bootstrap_servers": self.bootstrap_servers,
            "client_id": self.client_id,
            **self.options,
        }

    def register(self, member: ConsumerMember) -> None:
        """Start ``member`` with this connection (and stop it with it)."""
        self._members.append(member)

    @property
    def producer(self) -> AIOKafkaProducer:
        """The current producer (raises before :meth:`start`)."""
        if self._producer is None:
            raise RuntimeError(f"{self.client_id}: the Kafka connection is not started")
        return self._producer

    def _new_producer(self) -> AIOKafkaProducer:
        # Idempotent, waits for all in-sync replicas; a short linger batches the
        # records the outbox relay pipelines. aiokafka never creates topics through
        # its admin API: `python -m agora_core.topics apply` provisions them.
        return AIOKafkaProducer(
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            request_timeout_ms=15_000,
            **self.client_kwargs(),
        )

    async def start(self) -> None:
        """Connect the producer, then start every registered consumer-group member."""
        producer = self._new_producer()
        await producer.start()
        self._producer = producer
        for member in self._members:
            await member.start(self)
            self._started.append(member)

    async def replace_producer(self) -> None:
        """Close the current producer and connect a new one (a new producer id)."""
        old, self._producer = self._producer, None
        if old is not None:
            await old.stop()
        producer = self._new_producer()
        await producer.start()
        self._producer = producer

    async def stop(self) -> None:
        """Stop the consumer-group members (leaving their groups), then the producer
        (which sends what it still holds). Safe to call twice."""
        started, self._started = self._started, []
        for member in reversed(started):
            await member.stop()
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()


def create_broker(
    bootstrap_servers: str, *, client_id: str, options: Mapping[str, Any] | None = None
) -> KafkaConnection:
    """A process's Kafka connection (``options``: security, from
    :func:`agora_core.messaging.kafka_security.client_options`)."""
    return KafkaConnection(bootstrap_servers, client_id=client_id, options=options)
