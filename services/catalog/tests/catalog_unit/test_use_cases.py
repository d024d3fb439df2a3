"""Use cases over in-memory fakes of our storage ports: the events each change commits
with it, exactly-once completion, path advancement, popularity per tenant."""

from __future__ import annotations

from datetime import UTC, datetime

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
from agora_catalog.domain.model import Item
from agora_catalog.service_layer.events import EventFactory
from agora_catalog.service_layer.items import Items
from agora_catalog.service_layer.paths import Paths, advance_paths
from agora_catalog.service_layer.popularity import apply_changes
from agora_catalog.service_layer.progress import Learning
from agora_catalog.service_layer.review import Review
from agora_catalog.service_layer.search import Search
from agora_catalog.service_layer.taxonomy import Taxonomy
from agora_contracts.events.registry import REGISTRY
from agora_core.errors import FailedPrecondition, PermissionDenied
from agora_core.identity import Principal, Role

from .fakes import FakeUnitOfWorkFactory

pytestmark = pytest.mark.unit

T = "acme"
AUTHOR = Principal("u-grace", T, frozenset({Role.CONTRIBUTOR}))
EXPERT = Principal("u-linus", T, frozenset({Role.EXPERT}))
LEARNER = Principal("u-ada", T, frozenset({Role.LEARNER}))
FACTORY = EventFactory(REGISTRY)


class World:
    def __init__(self) -> None:
        self.uow = FakeUnitOfWorkFactory()
        self.taxonomy = Taxonomy(self.uow)
        self.items = Items(self.uow)
        self.review = Review(self.uow, FACTORY)
        self.search = Search(self.uow)
        self.learning = Learning(self.uow, FACTORY)
        self.paths = Paths(self.uow, FACTORY)

    async def published(self, title: str = "Joins") -> Item:
        item = await self.items.create_item(AUTHOR, _wiki(title))
        await self.review.submit(AUTHOR, item.item_id)
        await self.review.claim(EXPERT, item.item_id)
        return await self.review.review(EXPERT, ReviewIn(item_id=item.item_id, decision="approved"))


@pytest.fixture
async def world() -> World:
    w = World()
    await w.taxonomy.upsert_theme(T, ThemeIn(theme_id="data", name="Data"))
    await w.taxonomy.upsert_skill(
        T, SkillIn(skill_id="sql", name="SQL", expert_ids=[EXPERT.subject])
    )
    return w


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


async def test_workflow_commits_its_events_with_the_change(world: World) -> None:
    item = await world.items.create_item(AUTHOR, _wiki())
    assert item.fields.content["markdown"] == "Use LEFT JOIN"
    drafts = await world.search.search(AUTHOR, SearchIn(query="joi", status="draft"), "", 10)
    assert [d.item_id for d in drafts.items] == [item.item_id]
    _, reviewers = await world.review.submit(AUTHOR, item.item_id)
    assert reviewers == [EXPERT.subject]
    assert world.uow.event_kinds() == ["submission.submitted"]
    assert world.uow.payloads("submission.submitted")[0]["reviewer_ids"] == [EXPERT.subject]
    with pytest.raises(PermissionDenied):
        await world.review.claim(Principal("u-x", T, frozenset({Role.EXPERT})), item.item_id)
    with pytest.raises(FailedPrecondition) as caught:
        await world.review.review(EXPERT, ReviewIn(item_id=item.item_id, decision="approved"))
    assert caught.value.current_state == "submitted"
    await world.review.claim(EXPERT, item.item_id)
    approved = await world.review.review(
        EXPERT, ReviewIn(item_id=item.item_id, decision="approved")
    )
    assert approved.status == "published"
    assert world.uow.event_kinds() == [
        "submission.submitted",
        "submission.reviewed",
        "knowledge.published",
    ]
    assert [v.version for v in await world.items.list_versions(AUTHOR, item.item_id)] == [1]


async def test_a_refused_move_leaves_no_change_and_no_event(world: World) -> None:
    item = await world.published()
    before = len(world.uow.state.events)
    with pytest.raises(FailedPrecondition):
        await world.review.submit(AUTHOR, item.item_id)  # published: cannot be submitted
    assert len(world.uow.state.events) == before
    assert (await world.items.get_item(AUTHOR, item.item_id)).status == "published"


async def test_completion_is_exactly_once(world: World) -> None:
    item = await world.published()
    first, newly = await world.learning.complete(LEARNER, item.item_id)
    again, repeated = await world.learning.complete(LEARNER, item.item_id)
    assert (newly, repeated) == (True, False)
    learning_events = [k for k in world.uow.event_kinds() if k.startswith("knowledge.")]
    assert learning_events == ["knowledge.published", "knowledge.started", "knowledge.completed"]
    [completed] = world.uow.payloads("knowledge.completed")
    assert completed["author_id"] == AUTHOR.subject
    assert completed["skills"] == [{"skill_id": "sql", "level": 2}]
    assert again.completed_at == first.completed_at


async def test_path_advances_and_completes_once(world: World) -> None:
    one, two = await world.published("One"), await world.published("Two")
    path = await world.paths.create_path(
        AUTHOR,
        PathIn.model_validate(
            {"title": "P", "steps": [{"item_id": one.item_id}, {"item_id": two.item_id}]}
        ),
    )
    await world.paths.publish_path(AUTHOR, path.path_id)
    await world.paths.enrol(LEARNER, path.path_id)
    now = datetime.now(UTC)

    async def advance(tenant: str, item_id: str) -> int:
        async with world.uow(tenant) as uow:
            return await advance_paths(uow, FACTORY, [(LEARNER.subject, item_id, now)])

    assert await advance(T, one.item_id) == 0
    assert await advance(T, one.item_id) == 0  # the same step again: still one done
    [enrolment] = world.uow.state.enrolments.values()
    assert enrolment.completed_item_ids == (one.item_id,)
    assert await advance(T, two.item_id) == 1
    assert await advance(T, two.item_id) == 0  # completed paths are not open any more
    kinds = [k for k in world.uow.event_kinds() if k.startswith("path.")]
    assert kinds == ["path.published", "path.enrolled", "path.completed"]
    # Another tenant's completion for the same learner and item finds no enrolment.
    assert await advance("other", two.item_id) == 0


async def test_popularity_sums_a_batch_per_target_within_its_tenant(world: World) -> None:
    item = await world.published()
    async with world.uow(T) as uow:
        changed = await apply_changes(
            uow,
            [
                ("knowledge", item.item_id, 1, 0),
                ("knowledge", item.item_id, 1, 0),
                ("knowledge", item.item_id, 0, 1),
                ("knowledge", item.item_id, -1, 0),
                ("question", item.item_id, 1, 0),  # not the catalog's
                ("knowledge", "no-such-item", 1, 0),
            ],
        )
    assert changed == 1
    async with world.uow("other") as uow:
        assert await apply_changes(uow, [("knowledge", item.item_id, 5, 0)]) == 0
    stored = world.uow.state.items[(T, item.item_id)]
    assert (stored.like_count, stored.comment_count, stored.popularity) == (1, 1, 3)


async def test_progress_emits_progressed_only_when_the_percent_rises(world: World) -> None:
    item = await world.published()

    async def record(percent: int) -> tuple[int, str]:
        progress = await world.learning.record_progress(
            LEARNER, ProgressIn(item_id=item.item_id, percent=percent, last_position=f"p{percent}")
        )
        return progress.percent, progress.last_position

    await record(25)
    await record(25)  # same percent, new position only
    assert await record(10) == (10, "p10")  # going back is recorded, not announced
    await record(60)
    await world.learning.complete(LEARNER, item.item_id)
    assert (await record(80))[0] == 100  # completed: the percent stays 100
    kinds = [k for k in world.uow.event_kinds() if k.startswith("knowledge.")][1:]
    assert kinds == [
        "knowledge.started",
        "knowledge.progressed",
        "knowledge.progressed",
        "knowledge.completed",
    ]
    rises = [
        (p["previous_percent"], p["percent"]) for p in world.uow.payloads("knowledge.progressed")
    ]
    assert rises == [(0, 25), (10, 60)]


async def test_a_batch_of_completions_advances_each_enrolment_in_order(world: World) -> None:
    one, two = await world.published("One"), await world.published("Two")
    path = await world.paths.create_path(
        AUTHOR,
        PathIn.model_validate(
            {"title": "P", "steps": [{"item_id": one.item_id}, {"item_id": two.item_id}]}
        ),
    )
    await world.paths.publish_path(AUTHOR, path.path_id)
    other = Principal("u-bob", T, frozenset({Role.LEARNER}))
    await world.paths.enrol(LEARNER, path.path_id)
    await world.paths.enrol(other, path.path_id)
    now = datetime.now(UTC)
    batch = [
        (LEARNER.subject, one.item_id, now),
        (other.subject, one.item_id, now),
        (LEARNER.subject, one.item_id, now),  # a second completion of the same step
        (LEARNER.subject, two.item_id, now),
    ]
    async with world.uow(T) as uow:
        assert await advance_paths(uow, FACTORY, batch) == 1
    ada = world.uow.state.enrolments[(T, LEARNER.subject, path.path_id)]
    bob = world.uow.state.enrolments[(T, other.subject, path.path_id)]
    assert (ada.completed, ada.completed_item_ids) == (True, (one.item_id, two.item_id))
    assert (bob.completed, bob.completed_item_ids) == (False, (one.item_id,))
    [done] = world.uow.payloads("path.completed")
    assert done["learner_id"] == LEARNER.subject
