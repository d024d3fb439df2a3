"""Every metric the dashboard and the alerts read is exported by the running services.

The four services start in-process against the real Kafka and PostgreSQL (the shared
harness); a little traffic (one gRPC call each, one valid event and one poison record
on a topic all four consume) makes the labelled series exist; then each service's
``/metrics`` is scraped over HTTP and parsed with ``prometheus_client``'s parser.
The four share this process's metric registry, so series are checked per service
through their ``service`` label, not merely by name.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import grpc.aio
import pytest
from prometheus_client.parser import text_string_to_metric_families

from agora_catalog.bootstrap import build as build_catalog
from agora_community.bootstrap import build as build_community
from agora_contracts.events.domains.learning import KnowledgeCompletedV1
from agora_contracts.events.registry import REGISTRY
from agora_contracts.events.schemas import load_platform_events
from agora_core.messaging.events import OutgoingEvent
from agora_core.runtime import ServiceRuntime
from agora_core.testing import eventually
from agora_core.testing.event_tap import publish_events, publish_raw, start_group_at_end
from agora_core.testing.grpc_assertions import caller
from agora_core.testing.postgres import scratch_database
from agora_core.testing.service_harness import channel_to, running_service, test_settings
from agora_gamification.bootstrap import build as build_gamification
from agora_notifications.bootstrap import build as build_notifications

from .layout import SERVICES, ServiceSpec
from .observability import PROMETHEUS_SERIES, queries
from .tools import parse_promql

# Four services join their groups on a shared 2-core machine: allow time.
pytestmark = [pytest.mark.integration, pytest.mark.deploy, pytest.mark.timeout(600)]

BUILDERS = {
    "catalog": build_catalog,
    "community": build_community,
    "gamification": build_gamification,
    "notifications": build_notifications,
}
TOPIC = "agora.learning.completions.v1"  # consumed by all four services


@dataclass(frozen=True)
class Scrape:
    """One parsed ``/metrics`` page."""

    families: dict[str, str]  # exposed series name -> family type
    samples: list[tuple[str, dict[str, str], float]]

    def has(self, name: str, **labels: str) -> bool:
        return any(
            n == name and all(lbls.get(k) == v for k, v in labels.items())
            for n, lbls, _ in self.samples
        )

    def has_matching(self, name: str, label: str, prefix: str) -> bool:
        return any(
            n == name and lbls.get(label, "").startswith(prefix) for n, lbls, _ in self.samples
        )


def parse(text: str) -> Scrape:
    families: dict[str, str] = {}
    samples = []
    for family in text_string_to_metric_families(text):
        suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}
        for suffix in suffixes.get(family.type, ("",)):
            families[family.name + suffix] = family.type
        samples += [(s.name, dict(s.labels), s.value) for s in family.samples]
    return Scrape(families, samples)


async def scrape(runtime: ServiceRuntime, path: str = "/metrics") -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{runtime.http.port}{path}") as response,
    ):
        return response.status, await response.text()


def grpc_service_name(spec: ServiceSpec) -> tuple[str, str]:
    """The gRPC service and one method of it, from the generated descriptors."""
    module = importlib.import_module(f"agora.{spec.name}.v1.{spec.name}_pb2")
    (service,) = module.DESCRIPTOR.services_by_name.values()
    return service.full_name, service.methods[0].name


@pytest.fixture(scope="module")
async def platform(
    kafka_bootstrap: str, postgres_admin_dsn: str
) -> AsyncIterator[dict[str, ServiceRuntime]]:
    load_platform_events()
    run = uuid.uuid4().hex[:8]
    runtimes: dict[str, ServiceRuntime] = {}
    async with contextlib.AsyncExitStack() as stack:
        for spec in SERVICES:
            group = f"agora-{spec.name}-deploy-{run}"
            # A new group would replay every earlier test's events: start it at the end.
            await start_group_at_end(kafka_bootstrap, group, REGISTRY.topics())
            # Each service gets a database of its own.
            dsn = await stack.enter_async_context(
                scratch_database(postgres_admin_dsn, f"deploy_{spec.name[:4]}_{run}")
            )
            settings = test_settings(
                spec.settings,
                kafka=kafka_bootstrap,
                postgres_dsn=dsn,
                consumer_group=group,
                **({"public_port": 0} if spec.extra_ports else {}),
            )
            runtimes[spec.name] = await stack.enter_async_context(
                running_service(BUILDERS[spec.name], settings)  # type: ignore[arg-type]
            )
        await drive_traffic(kafka_bootstrap, runtimes)
        yield runtimes


async def drive_traffic(kafka: str, runtimes: dict[str, ServiceRuntime]) -> None:
    """An RPC per service, a valid event and a poison record, then wait for the series."""
    tenant = f"t-deploy-{uuid.uuid4().hex[:8]}"
    for spec in SERVICES:
        service, method = grpc_service_name(spec)
        async with channel_to(runtimes[spec.name]) as channel:
            call = channel.unary_unary(f"/{service}/{method}", None, None)
            # An empty request: whatever the answer, the call is counted with its code.
            with contextlib.suppress(grpc.aio.AioRpcError):
                await call(b"", metadata=caller(["learner"], tenant=tenant), timeout=10)
    completed = KnowledgeCompletedV1(
        learner_id="u-deploy",
        item_id="k-deploy",
        item_type="wiki",
        item_title="Metrics",
        completed_at=dt.datetime.now(dt.UTC),
    )
    event = OutgoingEvent.create(
        completed, source="/agora/catalog", subject="k-deploy", tenant_id=tenant, key="u-deploy"
    )
    await publish_events(kafka, [event])
    await publish_raw(kafka, TOPIC, b"not an event", headers={}, key=b"u-deploy")

    async def every_service_saw_both() -> bool:
        for spec in SERVICES:
            page = parse((await scrape(runtimes[spec.name]))[1])
            outcomes = {
                lbls.get("outcome")
                for n, lbls, _ in page.samples
                if n == "agora_events_consumed_total" and lbls.get("service") == spec.name
            }
            if "dead_lettered" not in outcomes or not outcomes - {"dead_lettered"}:
                return False
            if not page.has("agora_consumer_lag", service=spec.name):
                return False
        return True

    await eventually(every_service_saw_both, timeout=120, interval=0.5)


def used_metrics() -> set[str]:
    found = queries()
    names: set[str] = set()
    for parsed in parse_promql([q.expression for q in found]):
        names |= parsed.metrics
    return names - PROMETHEUS_SERIES


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
async def test_probes_answer(platform: dict[str, ServiceRuntime], spec: ServiceSpec) -> None:
    runtime = platform[spec.name]
    assert (await scrape(runtime, "/healthz"))[0] == 200
    assert (await scrape(runtime, "/readyz"))[0] == 200


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
async def test_every_metric_of_the_dashboard_and_alerts_is_exported(
    platform: dict[str, ServiceRuntime], spec: ServiceSpec
) -> None:
    status, text = await scrape(platform[spec.name])
    assert status == 200
    page = parse(text)
    used = used_metrics()
    assert len(used) >= 10
    missing = used - set(page.families)
    assert not missing, f"{spec.name} does not export {sorted(missing)}"


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
async def test_traffic_series_carry_the_service_label(
    platform: dict[str, ServiceRuntime], spec: ServiceSpec
) -> None:
    page = parse((await scrape(platform[spec.name]))[1])
    name = spec.name
    assert page.has("agora_events_consumed_total", service=name, outcome="dead_lettered")
    assert page.has("agora_events_consumed_total", service=name, topic=TOPIC)
    # The dead letter is published by the service itself, to <topic>.dlq.
    assert page.has("agora_events_produced_total", service=name, topic=f"{TOPIC}.dlq")
    assert page.has("agora_event_handler_seconds_bucket", service=name, topic=TOPIC)
    assert page.has("agora_consumer_lag", service=name, topic=TOPIC)
    assert page.has("agora_outbox_backlog", service=name)
    prefix = f"agora.{name}.v1."
    assert page.has_matching("agora_grpc_server_handled_total", "service", prefix)
    assert page.has_matching("agora_grpc_server_handling_seconds_bucket", "service", prefix)
