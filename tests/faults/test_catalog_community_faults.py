"""Fault scenarios against the catalog and community consumers, both as real processes:
each scenario publishes a fresh tenant's items through the catalog, feeds both the
same stream shape as the clean pass (``learning_stream.py``), applies one fault, and
ends with the audit (``learning_audit.py``): every like, comment, participant,
completion and piece of expertise counted once, as in the clean pass."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from aiokafka import TopicPartition

from agora_catalog.entrypoints.events import TOPICS as CATALOG_TOPICS
from agora_community.entrypoints.events import TOPICS as COMMUNITY_TOPICS
from agora_contracts.events.domains import catalog, community, learning
from agora_contracts.events.domains.privacy import ERASURES_TOPIC
from agora_contracts.events.payload import EventPayload
from agora_contracts.events.registry import REGISTRY
from agora_core.messaging.events import OutgoingEvent
from agora_core.postgres import Database, create_pool
from agora_core.testing import eventually
from agora_core.testing.event_tap import publish_events, start_group_at_end, wait_caught_up
from agora_core.testing.postgres import (
    create_test_database,
    drop_test_database,
    scratch_database,
)

from . import learning_audit
from .audit import WAIT
from .learning_audit import (
    Consumer,
    LearningState,
    assert_like_clean_pass,
    completions_offsets,
    learning_state,
    marked,
    wait_settled,
)
from .learning_stores import RigStore
from .learning_stream import (
    CATALOG_ITEMS,
    QUIZ_INDEX,
    SKILLS,
    LearningStream,
    build_learning_stream,
    publish_catalog_items,
)
from .processes import REPO_ROOT, ServiceProcess
from .unguarded import SERVICE_VARIABLE

pytestmark = [pytest.mark.faults, pytest.mark.timeout(900)]


def _types(*models: type[EventPayload]) -> frozenset[str]:
    return frozenset(REGISTRY.spec_for(m).event_type for m in models)


ENGAGEMENT = (community.LikeAddedV1, community.LikeRemovedV1, community.CommentPostedV1)
CATALOG_HANDLES = _types(*ENGAGEMENT, learning.KnowledgeCompletedV1, learning.QuizPassedV1)
"""What of the stream the catalog handles (``quiz.failed`` is not its business)."""
COMMUNITY_HANDLES = _types(
    *ENGAGEMENT,
    community.CommentDeletedV1,
    learning.KnowledgeCompletedV1,
    learning.QuizPassedV1,
    learning.QuizFailedV1,
    catalog.KnowledgePublishedV1,
    catalog.SubmissionReviewedV1,
)


@dataclass
class Service:
    """One service of the rig: its process and what the audit reads of it."""

    process: ServiceProcess
    consumer: Consumer


@dataclass
class LearningRig:
    """What a scenario works with."""

    kafka: str
    catalog: Service
    community: Service
    clean: LearningState
    run: str
    since: dict[str, dict[TopicPartition, int]] = field(default_factory=dict)
    """Per tenant, the completions topic's end offsets before its items existed."""

    @property
    def services(self) -> tuple[Service, Service]:
        return (self.catalog, self.community)

    async def stream(self, scenario: str) -> LearningStream:
        """A fresh tenant of this scenario: its items published, its stream built."""
        stream, since = await _new_stream(self.catalog.consumer, f"t-{scenario}-{self.run}")
        self.since[stream.tenant] = since
        return stream

    async def audit(self, stream: LearningStream) -> LearningState:
        await wait_settled(self.catalog.consumer, self.community.consumer, stream)
        return await learning_state(
            self.catalog.consumer, self.community.consumer, stream, self.since[stream.tenant]
        )

    async def ensure_running(self) -> None:
        await asyncio.gather(*(s.process.start() for s in self.services if s.process.pid is None))


async def _new_stream(
    catalog: Consumer, tenant: str
) -> tuple[LearningStream, dict[TopicPartition, int]]:
    since = await completions_offsets(catalog.kafka)
    items = await publish_catalog_items(catalog.address, tenant)
    # Recent times: the catalog ignores engagement older than its dedupe window.
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=2)
    return build_learning_stream(tenant, items, start), since


def _check_oracle(clean: LearningState) -> None:
    """The clean pass must be worth comparing with: every counter, every kind of
    evidence and the quiz backstop occur."""
    assert all(likes > 0 and comments > 0 for likes, comments in clean.catalog_counters), (
        clean.catalog_counters
    )
    assert all(p > 0 for _, _, p in clean.popularity), clean.popularity
    # Deleted comments: community counts some targets' comments back down to zero.
    assert any(c == 0 for _, c, _ in clean.popularity), clean.popularity
    assert any(QUIZ_INDEX in done for _, done, _ in clean.completed), "quiz backstop completed"
    paths = [path for _, _, path in clean.completed]
    assert any(completed for _, _, completed in paths), ("a path completed", paths)
    assert any(steps and not completed for steps, _, completed in paths), ("one partly", paths)
    rows = [row for _, skill_rows in clean.experts for row in skill_rows]
    assert {skill for skill, skill_rows in clean.experts if skill_rows} == set(SKILLS)
    evidence = (
        sum(row[2] for row in rows),  # validated contributions
        sum(row[4] for row in rows),  # completions
        sum(row[5] for row in rows),  # quiz passes
    )
    assert all(count > 0 for count in evidence), (evidence, clean.experts)
    kinds = {kind for kind, _, _ in clean.published}
    assert kinds == {"knowledge.completed", "path.completed"}, clean.published


@pytest.fixture(scope="module")
async def learning_rig(
    kafka_bootstrap: str,
    postgres_admin_dsn: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[LearningRig]:
    run = uuid.uuid4().hex[:8]
    # The catalog is on PostgreSQL: a database of its own, read by the audit too.
    stack = contextlib.AsyncExitStack()
    catalog_dsn = await stack.enter_async_context(
        scratch_database(postgres_admin_dsn, f"faults_catalog_{run}")
    )
    catalog_pool = create_pool(catalog_dsn, application_name="agora-faults-audit", max_size=4)
    await catalog_pool.open()
    stack.push_async_callback(catalog_pool.close)
    services: list[Service] = []
    # Community is on PostgreSQL: a database of its own on the test server.
    community_database, community_dsn = await create_test_database(
        postgres_admin_dsn, prefix="faults_community"
    )
    community_pool = create_pool(community_dsn, application_name="faults-audit", max_size=2)
    await community_pool.open()
    stores: dict[str, RigStore] = {
        "catalog": RigStore(Database(catalog_pool)),
        "community": RigStore(Database(community_pool)),
    }
    for name, topics, handles in (
        ("catalog", CATALOG_TOPICS, CATALOG_HANDLES),
        ("community", COMMUNITY_TOPICS, COMMUNITY_HANDLES),
    ):
        prefix = f"AGORA_{name.upper()}_"
        group = f"agora-{name}-faults-{run}"
        # Start at the end: a new group would otherwise replay every earlier run's
        # events (erasures included: both services subscribe to them).
        await start_group_at_end(kafka_bootstrap, group, [*topics, ERASURES_TOPIC])
        state_dir: Path = tmp_path_factory.mktemp(f"faults-{name}")
        storage = {f"{prefix}POSTGRES_DSN": community_dsn if name == "community" else catalog_dsn}
        process = ServiceProcess.create(
            state_dir,
            kafka_bootstrap,
            name,
            {
                **storage,
                f"{prefix}CONSUMER_GROUP": group,
                f"{prefix}CONSUMER_RETRY_BACKOFF_MS": "20",
                f"{prefix}CONSUMER_RETRY_BACKOFF_MAX_MS": "500",
                f"{prefix}OUTBOX_POLL_INTERVAL_MS": "250",
                f"{prefix}SHUTDOWN_GRACE_SECONDS": "20",
                f"{prefix}LOG_LEVEL": "WARNING",
                # Duplicates per tenant: the shared topics carry other runs' events.
                f"{prefix}METRICS_PER_TENANT": "true",
                # Small polls: progress comes a few events at a time, so a kill can
                # land inside the stream (a 500-record poll is one transaction).
                f"{prefix}CONSUMER_MAX_RECORDS": str(MAX_RECORDS),
            },
        )
        consumer = Consumer(
            kafka=kafka_bootstrap,
            address=process.grpc_address,
            store=stores[name],
            group=group,
            topics=tuple(topics),
            handled_types=handles,
        )
        services.append(Service(process, consumer))
    catalog_service, community_service = services
    try:
        await asyncio.gather(*(s.process.start() for s in services))
        reference, since = await _new_stream(catalog_service.consumer, f"t-clean-{run}")
        await publish_events(kafka_bootstrap, reference.events)
        await wait_settled(catalog_service.consumer, community_service.consumer, reference)
        clean = await learning_state(
            catalog_service.consumer, community_service.consumer, reference, since
        )
        _check_oracle(clean)
        yield LearningRig(kafka_bootstrap, catalog_service, community_service, clean, run)
    except BaseException:
        for service in services:
            name = service.process.service.name
            print(f"--- {name} log tail ---\n{service.process.tail()}")
        raise
    finally:
        for service in services:
            if service.process.pid is not None:
                await service.process.stop()
        await community_pool.close()
        await drop_test_database(postgres_admin_dsn, community_database)
        await stack.aclose()


MAX_RECORDS = 8
"""Records per poll of the rig's consumers."""

UNGUARDED_MODULE = "faults.unguarded"
"""The test-only service variant, run with ``tests/`` on ``PYTHONPATH``."""

KILL_TENANTS = 4
"""Tenants whose streams the kill scenario interleaves (256 events): one 64-event stream
is handled in a poll round or two, too fast for a kill to land reliably inside it."""


def _interleaved(streams: list[LearningStream]) -> tuple[OutgoingEvent, ...]:
    """The streams' events taken in turn, each stream in its own order."""
    return tuple(
        stream.events[n]
        for n in range(max(len(s.events) for s in streams))
        for stream in streams
        if n < len(stream.events)
    )


def _part(stream: LearningStream, ids: set[str]) -> LearningStream:
    """The stream restricted to the events in ``ids``."""
    events = tuple(e for e in stream.events if e.event_id in ids)
    return LearningStream(stream.tenant, stream.catalog_items, stream.external_items, events)


async def test_sigkill_of_catalog_and_community_mid_stream_ends_like_a_clean_pass(
    learning_rig: LearningRig,
) -> None:
    rig = learning_rig
    await rig.ensure_running()
    streams = [await rig.stream(f"sigkill{n}") for n in range(KILL_TENANTS)]
    events = _interleaved(streams)
    half = len(events) // 2
    await publish_events(rig.kafka, events[:half])
    published = {e.event_id for e in events[:half]}
    first_half = [_part(stream, published) for stream in streams]

    async def kill_once_inside(service: Service) -> None:
        consumer = service.consumer
        total = sum(len(part.of_types(consumer.handled_types)) for part in first_half)

        # Its processed marks of these streams' events, strictly inside what was
        # published: a kill after everything was handled would test nothing, so that
        # fails at once. (Not its per-tenant counter: that also counts what the
        # catalog publishes about the tenants' items, handled meanwhile.)
        async def inside() -> bool:
            handled = sum([await marked(consumer, part) for part in first_half])
            assert handled < total, f"{consumer.group}: all {total} handled before the kill"
            return handled >= total // 4

        await eventually(inside, timeout=WAIT, interval=0.05)
        # No drain, no offset commit, no outbox flush: records in flight are
        # redelivered and effects already written must not be applied twice.
        await service.process.kill()
        at_kill = sum([await marked(consumer, part) for part in first_half])
        print(f"{service.process.service.name} killed after {at_kill} of {total} events")
        assert total // 4 <= at_kill < total, "killed mid-stream"

    await asyncio.gather(*(kill_once_inside(s) for s in rig.services))
    # The rest of the streams arrive while both services are down.
    await publish_events(rig.kafka, events[half:])
    await rig.ensure_running()
    for stream in streams:
        assert_like_clean_pass(rig.clean, await rig.audit(stream))


async def _outcomes(service: Service, stream: LearningStream) -> tuple[int, int]:
    """(handled, duplicate) of the stream's tenant in the service's per-tenant counter
    (other runs publish on the shared topics too)."""
    mine = [stream.tenant]
    return (
        await service.process.consumed("handled", mine),
        await service.process.consumed("duplicate", mine),
    )


def _redelivery_differences(
    service: Service, stream: LearningStream, before: tuple[int, int], after: tuple[int, int]
) -> list[str]:
    """What a redelivery of the whole stream did other than recognise every event as a
    duplicate and handle none again."""
    expected = len(stream.of_types(service.consumer.handled_types))
    handled, duplicates = (a - b for a, b in zip(after, before, strict=True))
    name = service.process.service.name
    lines = [f"{name}: {handled} redelivered events handled again"] if handled else []
    if duplicates != expected:
        lines.append(f"{name}: {duplicates} duplicates counted, {expected} redelivered")
    return lines


async def test_bulk_redelivery_to_catalog_and_community_ends_like_a_clean_pass(
    learning_rig: LearningRig,
) -> None:
    rig = learning_rig
    await rig.ensure_running()
    stream = await rig.stream("redeliver")
    await publish_events(rig.kafka, stream.events)
    assert_like_clean_pass(rig.clean, await rig.audit(stream))
    # The whole stream again, as a producer retrying a batch or a replay tool would.
    before = [await _outcomes(s, stream) for s in rig.services]
    await publish_events(rig.kafka, stream.events)
    for service in rig.services:
        await wait_caught_up(rig.kafka, service.consumer.group, service.consumer.topics)
    for service, counted in zip(rig.services, before, strict=True):
        after = await _outcomes(service, stream)
        assert _redelivery_differences(service, stream, counted, after) == []
    # Nothing doubled: a mark commits in the transaction of its effects, so the
    # redelivered events changed nothing.
    assert_like_clean_pass(rig.clean, await rig.audit(stream))


async def test_a_consumer_without_processed_marks_fails_the_audit(
    learning_rig: LearningRig,
) -> None:
    """The oracle against a real defect: community run with a consumer whose
    processed-id step is disabled (``unguarded.py``, wired here only) is fed the stream
    twice; the audit must report the doubles."""
    rig = learning_rig
    await rig.ensure_running()
    normal = rig.community.process
    await normal.stop()
    path = os.pathsep.join(p for p in (str(REPO_ROOT / "tests"), os.environ.get("PYTHONPATH")) if p)
    unguarded = replace(
        normal,
        module=UNGUARDED_MODULE,
        overrides={**normal.overrides, "PYTHONPATH": path, SERVICE_VARIABLE: "agora_community"},
        pid=None,
    )
    try:
        await unguarded.start()
        stream = await rig.stream("unguarded")
        await publish_events(rig.kafka, stream.events)
        # One pass: nothing redelivered, so nothing to double yet.
        assert_like_clean_pass(rig.clean, await rig.audit(stream))
        before = await _outcomes(rig.community, stream)
        await publish_events(rig.kafka, stream.events)
        await wait_caught_up(rig.kafka, rig.community.consumer.group, COMMUNITY_TOPICS)
        after = await _outcomes(rig.community, stream)
        state = await rig.audit(stream)
    finally:
        if unguarded.pid is not None:
            await unguarded.stop()
        await rig.ensure_running()  # the real community again, for later scenarios
    # The redelivery check of the scenario above reports every event handled twice ...
    expected = len(stream.of_types(rig.community.consumer.handled_types))
    assert _redelivery_differences(rig.community, stream, before, after) == [
        f"community: {expected} redelivered events handled again",
        f"community: 0 duplicates counted, {expected} redelivered",
    ]
    # ... and the audit sees the doubled likes and comments of every target.
    diff = learning_audit.differences(rig.clean, state)
    print("\n".join(diff))
    popularity = [line for line in diff if line.startswith("community (likes, comments")]
    assert len(popularity) == len(stream.targets), diff


async def test_community_counts_rest_on_its_marks_participants_and_experts_on_keys(
    learning_rig: LearningRig,
) -> None:
    """Why deleting community's marks and redelivering doubles likes and comments but
    nothing else (README, "Community's guards"): the like and comment counters are
    increments whose only guard is the processed mark committed with them, while a
    participant is a row keyed by (target, person) (``add_participants`` counts the first
    insert only) and an expert's evidence a row keyed by the earning event. With the marks
    gone (as after their retention purge), the counters double exactly and the keyed
    facts do not move; on a service that did not key them, this test fails on them."""
    rig = learning_rig
    await rig.ensure_running()
    stream = await rig.stream("nomarks")
    await publish_events(rig.kafka, stream.events)
    clean = await rig.audit(stream)
    assert_like_clean_pass(rig.clean, clean)
    async with rig.community.consumer.store.database.unit_of_work(stream.tenant) as uow:
        cursor = await uow.connection.execute(
            "DELETE FROM processed_events WHERE tenant_id = %s", (stream.tenant,)
        )
        assert cursor.rowcount > 0, "the tenant's marks were deleted"
    before = await _outcomes(rig.community, stream)
    await publish_events(rig.kafka, stream.events)
    await wait_caught_up(rig.kafka, rig.community.consumer.group, COMMUNITY_TOPICS)
    after = await _outcomes(rig.community, stream)
    state = await rig.audit(stream)
    expected = len(stream.of_types(rig.community.consumer.handled_types))
    assert after[0] - before[0] == expected, "every redelivered event handled again"
    # Counters: exactly twice the clean pass (net of withdrawals and deletions).
    doubled = tuple(
        (2 * likes, 2 * comments, people) for likes, comments, people in clean.popularity
    )
    assert state.popularity == doubled
    assert any(likes or comments for likes, comments, _ in clean.popularity)
    # Keyed facts: unchanged.
    assert state.experts == clean.experts


def test_the_stream_covers_every_catalog_item() -> None:
    """Pure check of the stream's shape: every item is liked and commented, and the
    quiz is both passed and failed (the audit's oracle check relies on it)."""
    items = tuple(f"k-{n}" for n in range(len(CATALOG_ITEMS)))
    stream = build_learning_stream("t-shape", items, dt.datetime(2026, 11, 30, tzinfo=dt.UTC))
    liked = {
        community.LikeAddedV1.model_validate_json(e.value).target_id
        for e in stream.of_types(_types(community.LikeAddedV1))
    }
    commented = {
        community.CommentPostedV1.model_validate_json(e.value).target_id
        for e in stream.of_types(_types(community.CommentPostedV1))
    }
    assert set(stream.targets) <= liked & commented
    assert stream.of_types(_types(community.LikeRemovedV1))
    assert stream.of_types(_types(community.CommentDeletedV1))
    assert stream.of_types(_types(learning.QuizPassedV1))
    assert stream.of_types(_types(learning.QuizFailedV1))
    assert len({e.event_id for e in stream.events}) == len(stream.events)
