"""Use cases of progress on items: start, progress, completion (exactly once).

Each call is one transaction: the progress row is created (with ``knowledge.started``)
or locked, changed, and its events join the same commit, so a repeated completion
finds the row completed and emits nothing.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from pydantic import Field

from agora_catalog.domain.inputs import ProgressIn
from agora_catalog.domain.model import Enrolment, Item, Progress
from agora_catalog.service_layer.access import published_item
from agora_catalog.service_layer.events import EventFactory, skill_levels, utc_now
from agora_catalog.service_layer.ports import UnitOfWork, UnitOfWorkFactory
from agora_contracts.events.domains.learning import (
    KnowledgeCompletedV1,
    KnowledgeProgressedV1,
    KnowledgeStartedV1,
)
from agora_core.errors import FailedPrecondition
from agora_core.identity import Principal
from agora_core.pagination import Page, PageCursor, decode_page_token, keyset_page


class ProgressCursor(PageCursor):
    after_time: datetime
    after_id: str = Field(max_length=256)


async def ensure_started(
    uow: UnitOfWork, events: EventFactory, learner: str, item: Item, path_id: str | None
) -> Progress:
    """The learner's progress on ``item``, locked; created with knowledge.started."""
    now = utc_now()
    fresh = Progress(
        learner_id=learner,
        item_id=item.item_id,
        item_title=item.fields.title,
        item_type=item.fields.type,
        percent=0,
        last_position="",
        completed=False,
        started_at=now,
        updated_at=now,
        completed_at=None,
    )
    if await uow.progress.start(fresh, item.fields.skill_ids):
        started = KnowledgeStartedV1(
            learner_id=learner,
            item_id=item.item_id,
            item_type=item.fields.type,
            item_title=item.fields.title,
            estimated_minutes=item.fields.estimated_minutes,
            path_id=path_id,
            started_at=now,
        )
        uow.add_events(
            [
                events.create(
                    started,
                    subject=item.item_id,
                    tenant_id=uow.tenant_id,
                    actor_id=learner,
                    key=learner,
                )
            ]
        )
    return await uow.progress.get(learner, item.item_id, for_update=True)


async def complete_in(
    uow: UnitOfWork, events: EventFactory, learner: str, item: Item
) -> tuple[Progress, bool]:
    """The exactly-once completion within ``uow``; True if it completed now."""
    current = await ensure_started(uow, events, learner, item, None)
    if current.completed:
        return current, False
    now = utc_now()
    done = dataclasses.replace(
        current, completed=True, completed_at=now, percent=100, updated_at=now
    )
    await uow.progress.save(done, item.fields.skill_ids)
    f = item.fields
    payload = KnowledgeCompletedV1(
        learner_id=learner,
        item_id=item.item_id,
        item_type=f.type,
        item_title=f.title,
        author_id=item.author_id,
        skills=skill_levels(f.skills),
        themes=f.theme_ids,
        estimated_minutes=f.estimated_minutes,
        completed_at=now,
    )
    uow.add_events(
        [
            events.create(
                payload,
                subject=item.item_id,
                tenant_id=uow.tenant_id,
                actor_id=learner,
                key=learner,
            )
        ]
    )
    return done, True


class Learning:
    """A learner's progress on items."""

    def __init__(self, uow: UnitOfWorkFactory, events: EventFactory) -> None:
        self._uow = uow
        self._events = events

    async def start(self, principal: Principal, item_id: str, path_id: str | None) -> Progress:
        async with self._uow(principal.tenant_id) as uow:
            item = await published_item(uow, item_id)
            return await ensure_started(uow, self._events, principal.subject, item, path_id)

    async def record_progress(self, principal: Principal, progress_in: ProgressIn) -> Progress:
        """Percent and last position; a rise emits ``knowledge.progressed``; a
        completed item keeps its completion."""
        async with self._uow(principal.tenant_id) as uow:
            item = await published_item(uow, progress_in.item_id)
            current = await ensure_started(uow, self._events, principal.subject, item, None)
            now = utc_now()
            updated = dataclasses.replace(
                current, last_position=progress_in.last_position, updated_at=now
            )
            if not current.completed:
                updated = dataclasses.replace(updated, percent=progress_in.percent)
            if not current.completed and progress_in.percent > current.percent:
                progressed = KnowledgeProgressedV1(
                    learner_id=principal.subject,
                    item_id=item.item_id,
                    item_type=item.fields.type,
                    item_title=item.fields.title,
                    percent=progress_in.percent,
                    previous_percent=current.percent,
                    progressed_at=now,
                )
                uow.add_events(
                    [
                        self._events.create(
                            progressed,
                            subject=item.item_id,
                            tenant_id=principal.tenant_id,
                            actor_id=principal.subject,
                            key=principal.subject,
                        )
                    ]
                )
            await uow.progress.save(updated, item.fields.skill_ids)
            return updated

    async def complete(self, principal: Principal, item_id: str) -> tuple[Progress, bool]:
        """Complete a (non-quiz) item; repeating it changes and emits nothing."""
        async with self._uow(principal.tenant_id) as uow:
            item = await published_item(uow, item_id)
            if item.fields.type == "quiz":
                raise FailedPrecondition(
                    "a quiz is completed by passing it", current_state="quiz_not_passed"
                )
            return await complete_in(uow, self._events, principal.subject, item)

    async def my_progress(
        self, principal: Principal, token: str, size: int
    ) -> tuple[Page[Progress], list[Enrolment]]:
        """Items (newest activity first, paged) and every path enrolment of the caller."""
        cursor = decode_page_token(token, ProgressCursor)
        after = (cursor.after_time, cursor.after_id) if cursor is not None else None
        async with self._uow(principal.tenant_id) as uow:
            found = await uow.progress.page(principal.subject, after, size + 1)
            paths = await uow.enrolments.of_learner(principal.subject)
        page = keyset_page(
            found, size, lambda p: ProgressCursor(after_time=p.updated_at, after_id=p.item_id)
        )
        return page, paths


async def complete_passed_quiz(
    uow: UnitOfWork, events: EventFactory, learner: str, item_id: str
) -> None:
    """Backstop for quiz.passed: completes the quiz if the grading call did not (a
    no-op otherwise)."""
    item = await uow.items.get(item_id)
    if item is not None:
        await complete_in(uow, events, learner, item)
