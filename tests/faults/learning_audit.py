"""The audit of the catalog and community consumers for one tenant, normalised so that
two tenants fed the same stream shape compare equal (targets by their index in the
stream, people by name).

The oracle is a clean single pass of the same stream shape in another tenant, through
the same processes (as for gamification, ``audit.py``): the counter rules, the expert
weights and the evidence keys stay the services'.

Read over gRPC, as a client sees it:

- catalog ``GetItem`` of every catalog item: ``like_count``, ``comment_count``;
- catalog ``SearchItems`` sorted by popularity: the search rows (kept in step with
  each counter change by a second write a kill can separate) rank the items by
  ``likes + 2 x comments`` as the items themselves say;
- catalog ``ListMyProgress`` of every learner: which items they completed (a quiz
  pass completes the quiz item through the catalog's own backstop) and their path
  enrolment (steps done, mandatory steps done, completed: completions advance it);
- community ``GetPopularity`` of every target, catalog and imported: likes, comments,
  participants (trending is decayed to the moment of the read, so it differs between
  any two reads and is not compared);
- community ``FindExperts`` (every page) of every skill: each person's score and
  evidence counters.

From the broker: what the catalog published about the stream (the quiz backstop's
``knowledge.completed``, ``path.completed``), each fact under one event id (a relay may
publish an id twice, at-least-once; two ids for one fact would be a double count for
every consumer downstream).

From the databases where gRPC cannot show it: one processed mark per handled stream
event, and no pending outbox in either service for the tenant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import grpc
from aiokafka import TopicPartition

from agora.catalog.v1 import catalog_pb2 as cat
from agora.catalog.v1.catalog_pb2_grpc import CatalogServiceStub
from agora.community.v1 import community_pb2 as com
from agora.community.v1.community_pb2_grpc import CommunityServiceStub
from agora_contracts.events.domains.learning import (
    COMPLETIONS_TOPIC,
    KnowledgeCompletedV1,
    PathCompletedV1,
)
from agora_contracts.events.registry import REGISTRY
from agora_core.testing import eventually
from agora_core.testing.event_tap import wait_caught_up
from agora_core.testing.grpc_assertions import caller

from .audit import WAIT
from .broker import end_offsets, records_between
from .learning_stores import RigStore
from .learning_stream import SKILLS, LearningStream
from .stream import LEARNERS

if TYPE_CHECKING:
    from agora.catalog.v1.catalog_pb2_grpc import CatalogServiceAsyncStub
    from agora.community.v1.community_pb2_grpc import CommunityServiceAsyncStub

Counters = tuple[int, int]
"""(likes, comments) of a catalog item."""
Indicators = tuple[int, int, int]
"""(likes, comments, participants) of a community target."""
PathState = tuple[tuple[int, ...], int, bool]
"""(indexes of the steps done, mandatory steps done, completed) of a path enrolment."""
Publication = tuple[str, str, int]
"""(event type, learner, catalog item index or -1 for the path) the catalog published."""
ExpertRow = tuple[str, float, int, int, int, int]
"""(person, score, validated contributions, accepted answers, completions, quiz passes)."""


@dataclass(frozen=True)
class Consumer:
    """One service of the rig as the audit sees it: where it keeps its marks, which
    group commits its offsets, and what of the stream it handles."""

    kafka: str
    address: str
    store: RigStore
    group: str
    topics: tuple[str, ...]
    handled_types: frozenset[str]


@dataclass(frozen=True)
class LearningState:
    """What the audit compares."""

    catalog_counters: tuple[Counters, ...]
    ranking: tuple[int, ...]
    """The popularity (likes + 2 x comments) of each item in popularity search order."""
    completed: tuple[tuple[str, tuple[int, ...], PathState], ...]
    """Per learner, the indexes of the catalog items they completed and their path."""
    popularity: tuple[Indicators, ...]
    experts: tuple[tuple[str, tuple[ExpertRow, ...]], ...]
    """Per skill, the directory in its listed order."""
    published: tuple[Publication, ...]
    """What the catalog published about the stream, sorted."""


async def marked(consumer: Consumer, stream: LearningStream) -> int:
    """How many of the stream's events this consumer handles carry its processed mark."""
    ids = [e.event_id for e in stream.of_types(consumer.handled_types)]
    return await consumer.store.marked(consumer.group, ids)


async def wait_settled(catalog: Consumer, community: Consumer, stream: LearningStream) -> None:
    """Until both services handled every stream event meant for them, what the catalog
    published meanwhile (quiz completions) reached community, and every outbox is empty."""

    async def all_marked(consumer: Consumer) -> None:
        want = len(stream.of_types(consumer.handled_types))

        async def done() -> bool:
            return await marked(consumer, stream) == want

        await eventually(done, timeout=WAIT, interval=0.5)

    async def flushed(consumer: Consumer) -> None:
        async def done() -> bool:
            return await consumer.store.pending_outbox(stream.tenant) == 0

        await eventually(done, timeout=WAIT, interval=1.0)

    await all_marked(catalog)
    await flushed(catalog)
    # End offsets are taken now, after the catalog's outbox was published: caught up
    # means community also handled what the catalog published about this stream.
    await all_marked(community)
    await wait_caught_up(community.kafka, community.group, community.topics)
    await flushed(community)
    await wait_caught_up(catalog.kafka, catalog.group, catalog.topics)


CatalogView = tuple[
    tuple[Counters, ...], tuple[int, ...], tuple[tuple[str, tuple[int, ...], PathState], ...]
]


async def _catalog_view(address: str, stream: LearningStream) -> CatalogView:
    reader = caller(("learner",), tenant=stream.tenant, subject="u-auditor")
    counters: list[Counters] = []
    completed: list[tuple[str, tuple[int, ...], PathState]] = []
    index = {item: n for n, item in enumerate(stream.catalog_items)}
    async with grpc.aio.insecure_channel(address) as channel:
        stub: CatalogServiceAsyncStub = CatalogServiceStub(channel)
        for item_id in stream.catalog_items:
            item = (await stub.GetItem(cat.GetItemRequest(item_id=item_id), metadata=reader)).item
            counters.append((item.like_count, item.comment_count))
        found = await stub.SearchItems(
            cat.SearchItemsRequest(sort=cat.SEARCH_SORT_POPULARITY, page_size=50),
            metadata=reader,
        )
        listed = [i.item_id for i in found.items]
        assert sorted(listed) == sorted(stream.catalog_items), "search lists every item once"
        ranking = tuple(i.like_count + 2 * i.comment_count for i in found.items)
        assert list(ranking) == sorted(ranking, reverse=True), (
            f"search rows rank by a stale popularity: {ranking}"
        )
        for learner in LEARNERS:
            mine = caller(("learner",), tenant=stream.tenant, subject=learner)
            done: list[int] = []
            paths: list[PathState] = []
            token = ""
            while True:
                page = await stub.ListMyProgress(
                    cat.ListMyProgressRequest(page_size=100, page_token=token), metadata=mine
                )
                done += [index[p.item_id] for p in page.items if p.completed]
                paths += [
                    (
                        tuple(sorted(index[i] for i in p.completed_item_ids)),
                        p.mandatory_completed,
                        p.completed,
                    )
                    for p in page.paths
                ]
                token = page.next_page_token
                if not token:
                    break
            assert len(paths) == 1, f"{learner}: one enrolment in the path, {paths}"
            completed.append((learner, tuple(sorted(done)), paths[0]))
    return tuple(counters), ranking, tuple(completed)


def _expert_row(expert: com.Expert) -> ExpertRow:
    return (
        expert.user_id,
        expert.score,
        expert.validated_contributions,
        expert.accepted_answers,
        expert.completions,
        expert.quiz_passes,
    )


async def _community_view(
    address: str, stream: LearningStream
) -> tuple[tuple[Indicators, ...], tuple[tuple[str, tuple[ExpertRow, ...]], ...]]:
    reader = caller(("learner",), tenant=stream.tenant, subject="u-auditor")
    experts: list[tuple[str, tuple[ExpertRow, ...]]] = []
    async with grpc.aio.insecure_channel(address) as channel:
        stub: CommunityServiceAsyncStub = CommunityServiceStub(channel)
        targets = [com.Target(type=com.TARGET_TYPE_KNOWLEDGE, id=t) for t in stream.targets]
        answer = await stub.GetPopularity(
            com.GetPopularityRequest(targets=targets), metadata=reader
        )
        by_id = {p.target.id: (p.likes, p.comments, p.participants) for p in answer.popularity}
        for skill in SKILLS:
            rows: list[ExpertRow] = []
            token = ""
            while True:
                page = await stub.FindExperts(
                    com.FindExpertsRequest(skill_id=skill, page_size=100, page_token=token),
                    metadata=reader,
                )
                rows += [_expert_row(e) for e in page.experts]
                token = page.next_page_token
                if not token:
                    break
            experts.append((skill, tuple(rows)))
    return tuple(by_id[t] for t in stream.targets), tuple(experts)


_PUBLISHED_TYPES = {
    REGISTRY.spec_for(KnowledgeCompletedV1).event_type: "knowledge.completed",
    REGISTRY.spec_for(PathCompletedV1).event_type: "path.completed",
}


async def completions_offsets(kafka: str) -> dict[TopicPartition, int]:
    """End offsets of the completions topic, taken before a tenant's items exist."""
    return await end_offsets(kafka, [COMPLETIONS_TOPIC])


async def catalog_publications(
    kafka: str, since: dict[TopicPartition, int], stream: LearningStream
) -> tuple[Publication, ...]:
    """What the catalog published on the completions topic for the tenant since
    ``since``, each fact checked to carry a single event id."""
    until = await end_offsets(kafka, [COMPLETIONS_TOPIC])
    index = {item: n for n, item in enumerate(stream.catalog_items)}
    ours = {e.event_id for e in stream.events}  # the stream's own completions
    ids: dict[Publication, set[str]] = {}
    for headers, value in await records_between(kafka, since, until):
        kind = _PUBLISHED_TYPES.get(headers.get("ce_type", ""))
        if kind is None or headers.get("ce_tenantid") != stream.tenant:
            continue
        if headers.get("ce_id") in ours:
            continue
        if kind == "path.completed":
            path = PathCompletedV1.model_validate_json(value)
            fact: Publication = (kind, path.learner_id, -1)
        else:
            done = KnowledgeCompletedV1.model_validate_json(value)
            fact = (kind, done.learner_id, index[done.item_id])
        ids.setdefault(fact, set()).add(headers["ce_id"])
    doubled = {fact: sorted(v) for fact, v in ids.items() if len(v) > 1}
    assert not doubled, f"the catalog published one fact under several event ids: {doubled}"
    return tuple(sorted(ids))


async def learning_state(
    catalog: Consumer,
    community: Consumer,
    stream: LearningStream,
    since: dict[TopicPartition, int],
) -> LearningState:
    """Read both services' state for the tenant and check the invariants (one mark per
    handled event, no pending outbox)."""
    for consumer in (catalog, community):
        assert await marked(consumer, stream) == len(stream.of_types(consumer.handled_types)), (
            f"{consumer.group}: one processed mark per handled event"
        )
        assert await consumer.store.pending_outbox(stream.tenant) == 0, (
            f"{consumer.group}: no pending outbox"
        )
    counters, ranking, completed = await _catalog_view(catalog.address, stream)
    popularity, experts = await _community_view(community.address, stream)
    published = await catalog_publications(catalog.kafka, since, stream)
    return LearningState(counters, ranking, completed, popularity, experts, published)


def differences(expected: LearningState, actual: LearningState) -> list[str]:
    """What a faulted run has more or less than the clean pass, line by line."""
    lines: list[str] = []

    def compare(what: str, want: Sequence[Any], got: Sequence[Any]) -> None:
        for n, (w, g) in enumerate(zip(want, got, strict=True)):
            if w != g:
                lines.append(f"{what} #{n}: expected {w}, got {g}")

    compare("catalog (likes, comments) of item", expected.catalog_counters, actual.catalog_counters)
    compare("catalog popularity search rank", [expected.ranking], [actual.ranking])
    compare("catalog completions and path of", expected.completed, actual.completed)
    compare(
        "community (likes, comments, participants) of target",
        expected.popularity,
        actual.popularity,
    )
    compare("community experts of skill", expected.experts, actual.experts)
    compare("catalog publications", [expected.published], [actual.published])
    return lines


def assert_like_clean_pass(expected: LearningState, actual: LearningState) -> None:
    """Equal state, or a failure naming every counter, completion or expert that differs."""
    diff = differences(expected, actual)
    assert not diff, "state differs from a clean single pass:\n" + "\n".join(diff)
