"""Use cases over in-memory fakes of our storage port: the events each change leaves in
its document's outbox, exactly-once completion, idempotent consumers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from agora_catalog.domain.inputs import (
    ItemIn,
    PathIn,
    ProgressIn,
    ReviewIn,
    SearchIn,
    SkillIn,
    ThemeIn,
)
from agora_catalog.service_layer.catalog import Catalog
from agora_catalog.service_layer.events import EventFactory
from agora_catalog.service_layer.learning import Learning
from agora_catalog.service_layer.popularity import Popularity
from agora_contracts.events.registry import REGISTRY
from agora_core.errors import FailedPrecondition, PermissionDenied
from agora_core.grpc.auth import Principal, Role
from agora_core.storage import Document

from .fakes import FakeStores

pytestmark = pytest.mark.unit

T = "acme"
AUTHOR = Principal("u-grace", T, frozenset({Role.CONTRIBUTOR}))
EXPERT = Principal("u-linus", T, frozenset({Role.EXPERT}))
LEARNER = Principal("u-ada", T, frozenset({Role.LEARNER}))


class Notifier:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1


def _events(document: Document) -> list[tuple[str, dict[str, Any]]]:
    """(type, payload) of the entries in a document's outbox."""
    events = []
    for entry in document.get("outbox", []):
        # org.agora.<domain>.<entity>.<verb>.v1 -> "<entity>.<verb>"
        entity, verb = entry["headers"]["ce_type"].split(".")[-3:-1]
        events.append((f"{entity}.{verb}", json.loads(entry["value"])))
    return events


@pytest.fixture
async def world() -> tuple[FakeStores, Catalog, Learning, Notifier]:
    stores = FakeStores()
    notify = Notifier()
    factory = EventFactory(REGISTRY)
    catalog = Catalog(stores, factory, notify)
    learning = Learning(stores, catalog, factory, notify)
    await catalog.upsert_theme(T, ThemeIn(theme_id="data", name="Data"))
    await catalog.upsert_skill(T, SkillIn(skill_id="sql", name="SQL", expert_ids=[EXPERT.subject]))
    return stores, catalog, learning, notify


def _wiki(title: str = "Joins") -> ItemIn:
    return ItemIn.model_validate(
        {
            "title": title,
            "language": "en",
            "theme_ids": ["data"],
            "skills": [{"skill_id": "sql", "level": 2}],
            "wiki": {"markdown": "Use <b>LEFT JOIN</b>"},
        }
    )


async def _published(catalog: Catalog, title: str = "Joins") -> Document:
    item = await catalog.create_item(AUTHOR, _wiki(title))
    await catalog.submit(AUTHOR, item["_id"])
    await catalog.claim(EXPERT, item["_id"])
    return await catalog.review(EXPERT, ReviewIn(item_id=item["_id"], decision="approved"))


async def test_workflow_writes_its_events_with_the_change(
    world: tuple[FakeStores, Catalog, Learning, Notifier],
) -> None:
    stores, catalog, _, notify = world
    item = await catalog.create_item(AUTHOR, _wiki())
    assert item["content"]["markdown"] == "Use LEFT JOIN"
    drafts, _ = await catalog.search(AUTHOR, SearchIn(query="joi", status="draft"), "", 10)
    assert [d["_id"] for d in drafts] == [item["_id"]]
    submitted, reviewers = await catalog.submit(AUTHOR, item["_id"])
    assert reviewers == [EXPERT.subject]
    [(kind, payload)] = _events(submitted)
    assert kind == "submission.submitted"
    assert payload["reviewer_ids"] == [EXPERT.subject]
    with pytest.raises(PermissionDenied):
        await catalog.claim(Principal("u-x", T, frozenset({Role.EXPERT})), item["_id"])
    with pytest.raises(FailedPrecondition) as caught:
        await catalog.review(EXPERT, ReviewIn(item_id=item["_id"], decision="approved"))
    assert caught.value.current_state == "submitted"
    await catalog.claim(EXPERT, item["_id"])
    approved = await catalog.review(EXPERT, ReviewIn(item_id=item["_id"], decision="approved"))
    assert approved["status"] == "published"
    assert [k for k, _ in _events(approved)] == [
        "submission.submitted",
        "submission.reviewed",
        "knowledge.published",
    ]
    assert notify.calls == 3  # submit, claim, review: the relay is woken after each write
    assert stores.all("item_versions")[0]["version"] == 1


async def test_completion_is_exactly_once(
    world: tuple[FakeStores, Catalog, Learning, Notifier],
) -> None:
    stores, catalog, learning, _ = world
    item = await _published(catalog)
    first, newly = await learning.complete(LEARNER, item["_id"])
    again, repeated = await learning.complete(LEARNER, item["_id"])
    assert (newly, repeated) == (True, False)
    [progress] = stores.all("progress")
    kinds = [k for k, _ in _events(progress)]
    assert kinds == ["knowledge.started", "knowledge.completed"]
    completed = _events(progress)[1][1]
    assert completed["author_id"] == AUTHOR.subject
    assert completed["skills"] == [{"skill_id": "sql", "level": 2}]
    assert again["completed_at"] == first["completed_at"]


async def test_path_advances_once_per_event_and_completes_once(
    world: tuple[FakeStores, Catalog, Learning, Notifier],
) -> None:
    stores, catalog, learning, _ = world
    one, two = await _published(catalog, "One"), await _published(catalog, "Two")
    path = await learning.create_path(
        AUTHOR,
        PathIn.model_validate(
            {"title": "P", "steps": [{"item_id": one["_id"]}, {"item_id": two["_id"]}]}
        ),
    )
    await learning.publish_path(AUTHOR, path["_id"])
    await learning.enrol(T, LEARNER.subject, path["_id"], actor=LEARNER.subject, self_enrolled=True)
    now = datetime.now(UTC)
    assert await learning.advance_paths(T, LEARNER.subject, one["_id"], "e1", now) == 0
    assert await learning.advance_paths(T, LEARNER.subject, one["_id"], "e1", now) == 0
    [enrolment] = stores.all("enrolments")
    assert enrolment["applied"] == ["e1"]
    assert await learning.advance_paths(T, LEARNER.subject, two["_id"], "e2", now) == 1
    assert await learning.advance_paths(T, LEARNER.subject, two["_id"], "e3", now) == 0
    [enrolment] = stores.all("enrolments")
    assert [k for k, _ in _events(enrolment)] == ["path.enrolled", "path.completed"]
    # Another tenant's event for the same learner and item finds no enrolment.
    assert await learning.advance_paths("other", LEARNER.subject, two["_id"], "e4", now) == 0


async def test_popularity_counts_each_event_once_within_its_tenant(
    world: tuple[FakeStores, Catalog, Learning, Notifier],
) -> None:
    stores, catalog, _, _ = world
    item = await _published(catalog)
    popularity = Popularity(stores, catalog.index)
    now = datetime.now(UTC)

    async def apply(tenant: str, target: str, event_id: str, likes: int, comments: int) -> bool:
        return await popularity.apply(
            tenant, target, item["_id"], event_id, occurred_at=now, likes=likes, comments=comments
        )

    assert await apply(T, "knowledge", "l1", 1, 0)
    assert not await apply(T, "knowledge", "l1", 1, 0)
    assert await apply(T, "knowledge", "c1", 0, 1)
    assert not await apply("other", "knowledge", "l2", 1, 0)
    assert not await apply(T, "question", "l3", 1, 0)
    assert await apply(T, "knowledge", "u1", -1, 0)
    assert not await apply(T, "knowledge", "u2", -1, 0)
    [stored] = [d for d in stores.all("items") if d["_id"] == item["_id"]]
    assert (stored["like_count"], stored["comment_count"], stored["popularity"]) == (0, 1, 2)


async def test_progress_emits_progressed_only_when_the_percent_rises(
    world: tuple[FakeStores, Catalog, Learning, Notifier],
) -> None:
    stores, catalog, learning, _ = world
    item = await _published(catalog)

    async def record(percent: int) -> Document:
        return await learning.record_progress(
            LEARNER, ProgressIn(item_id=item["_id"], percent=percent, last_position=f"p{percent}")
        )

    await record(25)
    await record(25)  # same percent, new position only
    lowered = await record(10)  # going back is recorded, not announced
    assert (lowered["percent"], lowered["last_position"]) == (10, "p10")
    await record(60)
    await learning.complete(LEARNER, item["_id"])
    after = await record(80)  # completed: the percent stays 100
    assert after["percent"] == 100
    [progress] = stores.all("progress")
    events = _events(progress)
    assert [k for k, _ in events] == [
        "knowledge.started",
        "knowledge.progressed",
        "knowledge.progressed",
        "knowledge.completed",
    ]
    rises = [
        (p["previous_percent"], p["percent"]) for k, p in events if k == "knowledge.progressed"
    ]
    assert rises == [(0, 25), (10, 60)]
    assert events[1][1]["learner_id"] == LEARNER.subject
    assert events[1][1]["item_title"] == "Joins"
