"""Fault scenarios against the catalog and community consumers, both as real processes:
each scenario publishes a fresh tenant's items through the catalog, feeds both the
same stream shape as the clean pass (``learning_stream.py``), applies one fault, and
ends with the audit (``learning_audit.py``): every like, comment, participant,
completion and piece of expertise counted once, as in the clean pass."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import operator
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiokafka import TopicPartition

from agora_catalog.entrypoints.events import TOPICS as CATALOG_TOPICS
from agora_community.entrypoints.events import TOPICS as COMMUNITY_TOPICS
from agora_contracts.events.domains import catalog, community, learning
from agora_contracts.events.domains.privacy import ERASURES_TOPIC
from agora_contracts.events.payload import EventPayload
from agora_contracts.events.registry import REGISTRY
from agora_core.postgres import Database, create_pool
from agora_core.testing import eventually
from agora_core.testing.event_tap import publish_events, start_group_at_end
from agora_core.testing.postgres import (
    create_test_database,
    drop_test_database,
    scratch_database,
)

from .audit import WAIT
from .broker import end_offsets, records_of_other_tenants, wait_caught_up
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
from .processes import ServiceProcess

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


async def test_sigkill_of_catalog_and_community_mid_stream_ends_like_a_clean_pass(
    learning_rig: LearningRig,
) -> None:
    rig = learning_rig
    await rig.ensure_running()
    stream = await rig.stream("sigkill")
    half = len(stream.events) // 2
    await publish_events(rig.kafka, stream.events[:half])
    first_half = LearningStream(
        stream.tenant, stream.catalog_items, stream.external_items, stream.events[:half]
    )

    async def kill_once_some_handled(service: Service) -> None:
        consumer = service.consumer
        quarter = len(first_half.of_types(consumer.handled_types)) // 4

        async def some_handled() -> bool:
            return await marked(consumer, first_half) >= quarter

        await eventually(some_handled, timeout=WAIT, interval=0.2)
        # No drain, no offset commit, no outbox flush: records in flight are
        # redelivered and effects already written must not be applied twice.
        await service.process.kill()
        at_kill, total = (
            await marked(consumer, stream),
            len(stream.of_types(consumer.handled_types)),
        )
        # Shown with a failure: where the kill landed.
        print(f"{service.process.service.name} killed after {at_kill} of {total} events")
        assert at_kill < total, "killed mid-stream"

    await asyncio.gather(*(kill_once_some_handled(s) for s in rig.services))
    # The rest of the stream arrives while both services are down.
    await publish_events(rig.kafka, stream.events[half:])
    await rig.ensure_running()
    assert_like_clean_pass(rig.clean, await rig.audit(stream))


async def test_bulk_redelivery_to_catalog_and_community_ends_like_a_clean_pass(
    learning_rig: LearningRig,
) -> None:
    rig = learning_rig
    await rig.ensure_running()
    stream = await rig.stream("redeliver")
    await publish_events(rig.kafka, stream.events)
    assert_like_clean_pass(rig.clean, await rig.audit(stream))
    # The whole stream again, as a producer retrying a batch or a replay tool would.
    topics = sorted({t for s in rig.services for t in s.consumer.topics})
    since = await end_offsets(rig.kafka, topics)
    for service in rig.services:  # everything published before ``since`` is counted
        await wait_caught_up(rig.kafka, service.consumer.group, service.consumer.topics)
    before = [await s.process.consumed("duplicate") for s in rig.services]
    await publish_events(rig.kafka, stream.events)
    for service in rig.services:
        await wait_caught_up(rig.kafka, service.consumer.group, service.consumer.topics)
    after = [await s.process.consumed("duplicate") for s in rig.services]
    until = await end_offsets(rig.kafka, topics)
    for service, duplicates in zip(rig.services, map(operator.sub, after, before), strict=True):
        consumer = service.consumer
        expected = len(stream.of_types(consumer.handled_types))
        # The counter has no tenant label and other runs publish on the shared broker:
        # exact when they published nothing meanwhile, bounded by what they did.
        mine = {tp: end for tp, end in until.items() if tp.topic in consumer.topics}
        others = await records_of_other_tenants(
            rig.kafka, since, mine, stream.tenant, consumer.handled_types
        )
        assert expected <= duplicates <= expected + others, (consumer.group, others)
    # Nothing doubled: a mark commits in the transaction of its effects, so the
    # redelivered events changed nothing.
    assert_like_clean_pass(rig.clean, await rig.audit(stream))


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
