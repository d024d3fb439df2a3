"""Use cases of the validation workflow: submit, claim, review, publish, archive.

Each move reads the item under a row lock, checks the state then the actor, and writes
the new state with its events in one transaction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from pydantic import Field

from agora_catalog.domain.inputs import ReviewIn
from agora_catalog.domain.model import Item
from agora_catalog.domain.workflow import Action, ItemStatus, check_actor, next_status
from agora_catalog.service_layer.access import actor_of, load_item, reviewers
from agora_catalog.service_layer.events import EventFactory, skill_levels, utc_now
from agora_catalog.service_layer.ports import UnitOfWorkFactory
from agora_contracts.events.domains.catalog import (
    KnowledgeArchivedV1,
    KnowledgePublishedV1,
    SubmissionReviewedV1,
    SubmissionSubmittedV1,
)
from agora_core.errors import FailedPrecondition
from agora_core.identity import Principal, Role
from agora_core.messaging.events import OutgoingEvent
from agora_core.pagination import Page, PageCursor, decode_page_token, keyset_page

_DECISION_ACTION: Final = {
    "approved": Action.APPROVE,
    "changes_requested": Action.REQUEST_CHANGES,
    "rejected": Action.REJECT,
}
Change = Callable[[Item, datetime], dict[str, Any]]
Events = Callable[[Item, datetime], list[OutgoingEvent]]


class QueueCursor(PageCursor):
    after_time: datetime
    after_id: str = Field(max_length=128)


class Review:
    """The workflow of items between draft and archive."""

    def __init__(self, uow: UnitOfWorkFactory, events: EventFactory) -> None:
        self._uow = uow
        self._events = events

    async def _transition(
        self, principal: Principal, item_id: str, action: Action, change: Change, events: Events
    ) -> Item:
        async with self._uow(principal.tenant_id) as uow:
            current = await load_item(uow, item_id, for_update=True)
            target = next_status(ItemStatus(current.status), action)
            check_actor(action, await actor_of(uow, principal, current), current.facts)
            now = utc_now()
            updated = dataclasses.replace(
                current, status=target.value, update_time=now, **change(current, now)
            )
            await uow.items.save(updated)
            uow.add_events(events(updated, now))
            return updated

    def _published(self, tenant: str, item: Item, now: datetime, by: str | None) -> OutgoingEvent:
        f = item.fields
        return self._events.create(
            KnowledgePublishedV1(
                item_id=item.item_id,
                item_type=f.type,
                title=f.title,
                summary=f.summary,
                author_id=item.author_id,
                version=item.version,
                validated=by is not None,
                validated_by=by,
                space_id=f.space_id or None,
                language=f.language,
                estimated_minutes=f.estimated_minutes,
                skills=skill_levels(f.skills),
                themes=f.theme_ids,
                published_at=now,
            ),
            subject=item.item_id,
            tenant_id=tenant,
            actor_id=by or item.author_id,
        )

    async def submit(self, principal: Principal, item_id: str) -> tuple[Item, list[str]]:
        """Send to expert validation; the event names who can review it."""
        async with self._uow(principal.tenant_id) as uow:
            current = await load_item(uow, item_id)
            names = await reviewers(uow, current.fields.skill_ids)
        names = [r for r in names if r != current.author_id]

        def submitted(item: Item, now: datetime) -> list[OutgoingEvent]:
            payload = SubmissionSubmittedV1(
                item_id=item.item_id,
                author_id=item.author_id,
                item_type=item.fields.type,
                title=item.fields.title,
                version=item.version,
                skills=skill_levels(item.fields.skills),
                reviewer_ids=tuple(names),
                submitted_at=now,
            )
            return [
                self._events.create(
                    payload,
                    subject=item.item_id,
                    tenant_id=principal.tenant_id,
                    actor_id=principal.subject,
                )
            ]

        item = await self._transition(
            principal,
            item_id,
            Action.SUBMIT,
            lambda _item, now: {"reviewer_id": "", "sort_time": now},
            submitted,
        )
        return item, names

    async def publish_informally(self, principal: Principal, item_id: str, space_id: str) -> Item:
        """Share a draft in a community space without validation, if the tenant allows."""
        async with self._uow(principal.tenant_id) as uow:
            allowed = await uow.taxonomy.informal_publishing_allowed()
        if not allowed:
            raise FailedPrecondition(
                "informal publishing is not allowed in this tenant",
                current_state="informal_publishing_disabled",
            )
        return await self._transition(
            principal,
            item_id,
            Action.PUBLISH_INFORMALLY,
            lambda item, now: {
                "fields": dataclasses.replace(item.fields, space_id=space_id),
                "publish_time": now,
                "sort_time": now,
                "validated": False,
            },
            lambda item, now: [self._published(principal.tenant_id, item, now, None)],
        )

    async def claim(self, principal: Principal, item_id: str) -> Item:
        """Take a submission from the queue; only this reviewer may then decide."""
        return await self._transition(
            principal,
            item_id,
            Action.CLAIM,
            lambda _item, _now: {"reviewer_id": principal.subject},
            lambda _item, _now: [],
        )

    async def review(self, principal: Principal, review: ReviewIn) -> Item:
        """Approve (published), request changes (back to the author) or reject."""
        tenant = principal.tenant_id
        action = _DECISION_ACTION[review.decision]

        def change(_item: Item, now: datetime) -> dict[str, Any]:
            changes: dict[str, Any] = {"review_comment": review.comment, "sort_time": now}
            if action is Action.APPROVE:
                changes.update(publish_time=now, validated=True)
            return changes

        def events(item: Item, now: datetime) -> list[OutgoingEvent]:
            reviewed = self._events.create(
                SubmissionReviewedV1(
                    item_id=item.item_id,
                    author_id=item.author_id,
                    reviewer_id=principal.subject,
                    title=item.fields.title,
                    version=item.version,
                    decision=review.decision,
                    comment=review.comment,
                    skills=skill_levels(item.fields.skills),
                    reviewed_at=now,
                ),
                subject=item.item_id,
                tenant_id=tenant,
                actor_id=principal.subject,
            )
            if action is not Action.APPROVE:
                return [reviewed]
            return [reviewed, self._published(tenant, item, now, principal.subject)]

        return await self._transition(principal, review.item_id, action, change, events)

    async def archive(self, principal: Principal, item_id: str, reason: str) -> Item:
        """Withdraw a published item."""

        def archived(item: Item, now: datetime) -> list[OutgoingEvent]:
            payload = KnowledgeArchivedV1(
                item_id=item.item_id,
                author_id=item.author_id,
                title=item.fields.title,
                reason=reason,
                archived_at=now,
            )
            return [
                self._events.create(
                    payload,
                    subject=item.item_id,
                    tenant_id=principal.tenant_id,
                    actor_id=principal.subject,
                )
            ]

        return await self._transition(
            principal, item_id, Action.ARCHIVE, lambda _item, _now: {}, archived
        )

    async def review_queue(self, principal: Principal, token: str, size: int) -> Page[Item]:
        """Submissions the caller may take, oldest first (admins: every submission)."""
        cursor = decode_page_token(token, QueueCursor)
        after = (cursor.after_time, cursor.after_id) if cursor is not None else None
        async with self._uow(principal.tenant_id) as uow:
            if Role.ADMIN in principal.roles:
                found = await uow.items.review_queue(None, None, after, size + 1)
            else:
                skills = await uow.taxonomy.skills_reviewed_by(principal.subject)
                found = await uow.items.review_queue(skills, principal.subject, after, size + 1)
        return keyset_page(
            found, size, lambda i: QueueCursor(after_time=i.sort_time, after_id=i.item_id)
        )
