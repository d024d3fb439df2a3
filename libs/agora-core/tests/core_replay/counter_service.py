"""A service process with one consumer whose handler can be broken on purpose.

While ``outage.active`` the handler fails like a dependency that is down (a transient
error), so its events are retried and then dead-lettered; turning the outage off is
"the fix" after which operators replay the DLQ. The service writes no servicer of
its own: the runtime serves ``agora.admin.v1.OperationsService`` on its gRPC port.
The counters live in PostgreSQL (``core_postgres``' counters schema); a bump adds, so
an event applied twice would count twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core_postgres.world import COUNTER_MIGRATIONS
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from agora_contracts.events import EventPayload, EventRegistry, EventSpec
from agora_core.grpc.policy import MethodPolicy
from agora_core.grpc.server import create_grpc_server
from agora_core.messaging.events import OutgoingEvent, ReceivedEvent
from agora_core.postgres import Database, UnitOfWork
from agora_core.runtime import ServiceRuntime
from agora_core.settings import ServiceSettings


class CounterSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AGORA_COUNTERS_", extra="ignore", frozen=True)

    service_name: str = Field(default="counters", pattern=r"^[a-z][a-z0-9-]{1,40}$")


class CounterBumped(EventPayload):
    """A counter was bumped (test fact)."""

    counter_id: str = Field(description="Counter bumped.", examples=["c-1"])
    amount: int = Field(description="By how much.", examples=[1], ge=1, le=1000)


@dataclass
class Outage:
    """Switch of the handler's simulated downstream failure."""

    active: bool = False


@dataclass(frozen=True)
class CounterWorld:
    """The topic and event type of one test module (unique names per run)."""

    unique: str

    @property
    def topic(self) -> str:
        return f"agora.replay{self.unique}.counters.v1"

    @property
    def event_type(self) -> str:
        return f"org.agora.replay{self.unique}.counter.bumped.v1"

    def registry(self) -> EventRegistry:
        registry = EventRegistry()
        registry.register(
            EventSpec(self.event_type, self.topic, CounterBumped, "counter_id", "bumped")
        )
        return registry

    def event(self, counter_id: str, *, tenant: str, amount: int = 1) -> OutgoingEvent:
        return OutgoingEvent.create(
            CounterBumped(counter_id=counter_id, amount=amount),
            source="/agora/tests",
            subject=counter_id,
            tenant_id=tenant,
            actor_id="user-1",
            registry=self.registry(),
        )


async def counter_value(database: Database, tenant: str, counter_id: str) -> int:
    """One counter's value in ``tenant`` (0 before its first bump)."""
    async with database.unit_of_work(tenant) as uow:
        cursor = await uow.connection.execute(
            "SELECT value FROM counters WHERE tenant_id = %s AND counter_id = %s",
            (tenant, counter_id),
        )
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


def builder(world: CounterWorld, outage: Outage) -> Any:
    """The ``build`` function of the counter service for ``running_service``."""

    async def build(settings: CounterSettings) -> ServiceRuntime:
        runtime = ServiceRuntime(settings, registry=world.registry(), migrations=COUNTER_MIGRATIONS)

        async def bump(event: ReceivedEvent[Any], uow: UnitOfWork) -> None:
            if outage.active:
                raise RuntimeError("scoring backend unavailable")
            payload: CounterBumped = event.payload
            await uow.connection.execute(
                "INSERT INTO counters (tenant_id, counter_id, value) VALUES (%s, %s, %s) "
                "ON CONFLICT (tenant_id, counter_id) DO UPDATE SET value = counters.value + %s",
                (event.tenant_id, payload.counter_id, payload.amount, payload.amount),
            )

        runtime.add_batch_consumer([world.topic], {world.event_type: bump})
        runtime.set_api(
            create_grpc_server(settings, registrations=[], policy=MethodPolicy(), service_names=[])
        )
        return runtime

    return build
