"""Use cases of paths: authoring, publishing, enrolment, and advancing enrolments when
a learner completes a step (from our own ``knowledge.completed`` events)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from datetime import datetime

from pydantic import Field

from agora_catalog.domain.inputs import PathIn
from agora_catalog.domain.learning import Step, path_complete
from agora_catalog.domain.model import Enrolment, Path, SkillLevel
from agora_catalog.domain.workflow import ItemStatus
from agora_catalog.service_layer.events import EventFactory, skill_levels, utc_now
from agora_catalog.service_layer.ports import UnitOfWork, UnitOfWorkFactory
from agora_contracts.events.domains.catalog import PathArchivedV1, PathPublishedV1, PathStepV1
from agora_contracts.events.domains.learning import PathCompletedV1, PathEnrolledV1
from agora_core.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from agora_core.idempotency import CreateRequest
from agora_core.identity import Principal, Role
from agora_core.messaging.events import OutgoingEvent
from agora_core.pagination import Page, PageCursor, decode_page_token, keyset_page


class PathCursor(PageCursor):
    after_time: datetime
    after_id: str = Field(max_length=256)


async def load_path(uow: UnitOfWork, path_id: str, *, for_update: bool = False) -> Path:
    path = await uow.paths.get(path_id, for_update=for_update)
    if path is None:
        raise NotFound("path", path_id)
    return path


def path_completed(
    events: EventFactory, tenant: str, enrolment: Enrolment, now: datetime
) -> OutgoingEvent:
    payload = PathCompletedV1(
        learner_id=enrolment.learner_id,
        path_id=enrolment.path_id,
        path_title=enrolment.path_title,
        skills=skill_levels(enrolment.target_skills),
        completed_at=now,
    )
    return events.create(
        payload,
        subject=enrolment.path_id,
        tenant_id=tenant,
        actor_id=enrolment.learner_id,
        key=enrolment.learner_id,
    )


async def enrol_in(
    uow: UnitOfWork, events: EventFactory, learner: str, path_id: str, *, actor: str,
    self_enrolled: bool,
) -> Enrolment:  # fmt: skip
    """Enrol ``learner`` (idempotent); items already completed count at once."""
    path = await load_path(uow, path_id)
    if path.status != "published":
        raise FailedPrecondition(f"path {path_id} is {path.status}", current_state=path.status)
    existing = await uow.enrolments.get(learner, path_id)
    if existing is not None:
        return existing
    step_ids = [s.item_id for s in path.steps]
    done = await uow.progress.completed_items(learner, step_ids)
    now = utc_now()
    complete = path_complete(path.steps, done)
    enrolment = Enrolment(
        learner_id=learner,
        path_id=path_id,
        path_title=path.title,
        steps=path.steps,
        target_skills=path.target_skills,
        completed_item_ids=tuple(i for i in step_ids if i in done),
        self_enrolled=self_enrolled,
        enrolled_at=now,
        completed=complete,
        completed_at=now if complete else None,
    )
    if not await uow.enrolments.add(enrolment):  # a concurrent enrolment won
        found = await uow.enrolments.get(learner, path_id)
        assert found is not None
        return found
    enrolled = PathEnrolledV1(
        learner_id=learner,
        path_id=path_id,
        path_title=path.title,
        self_enrolled=self_enrolled,
        enrolled_at=now,
    )
    out = [
        events.create(
            enrolled, subject=path_id, tenant_id=uow.tenant_id, actor_id=actor, key=learner
        )
    ]
    if complete:
        out.append(path_completed(events, uow.tenant_id, enrolment, now))
    uow.add_events(out)
    return enrolment


Completion = tuple[str, str, datetime]
"""(learner, item, completed at) of one knowledge.completed event."""


async def advance_paths(
    uow: UnitOfWork, events: EventFactory, completions: Sequence[Completion]
) -> int:
    """Apply a batch of completions (in order) to the learners' open enrolments: one
    read of the enrolments, one write of those that changed. Returns how many paths the
    batch completed.

    Runs in the consumer's unit of work, whose processed-event marks make it once.
    """
    learners = sorted({learner for learner, _, _ in completions})
    # Each learner's own enrolments (by path), so an event looks at its learner's only.
    open_: dict[str, dict[str, Enrolment]] = {}
    for enrolment in await uow.enrolments.open_of_learners(learners):
        open_.setdefault(enrolment.learner_id, {})[enrolment.path_id] = enrolment
    changed: dict[tuple[str, str], Enrolment] = {}
    completed = 0
    for learner, item_id, completed_at in completions:
        paths = open_.get(learner, {})
        for path_id, enrolment in paths.items():
            if enrolment.completed or item_id in enrolment.completed_item_ids:
                continue
            if all(step.item_id != item_id for step in enrolment.steps):
                continue
            done = (*enrolment.completed_item_ids, item_id)
            finished = path_complete(enrolment.steps, done)
            enrolment = dataclasses.replace(
                enrolment,
                completed_item_ids=done,
                completed=finished,
                completed_at=completed_at if finished else None,
            )
            paths[path_id] = changed[learner, path_id] = enrolment
            if finished:
                completed += 1
                uow.add_events([path_completed(events, uow.tenant_id, enrolment, completed_at)])
    if changed:
        await uow.enrolments.save_progress(list(changed.values()))
    return completed


class Paths:
    """Paths and enrolments."""

    def __init__(self, uow: UnitOfWorkFactory, events: EventFactory) -> None:
        self._uow = uow
        self._events = events

    async def create_path(
        self, principal: Principal, path: PathIn, request: CreateRequest | None = None
    ) -> Path:
        """A draft path; with ``request`` (a request id) a repeat answers with the first."""
        async with self._uow(principal.tenant_id) as uow:
            if request is not None:
                created_before = await uow.request_ids.created_by(request)
                if created_before is not None:
                    return await load_path(uow, created_before)
            known = await uow.items.get_many([s.item_id for s in path.steps])
            for index, step in enumerate(path.steps):
                if step.item_id not in known:
                    raise InvalidArgument.single(f"steps.{index}.item_id", "unknown item")
            skill_ids = [s.skill_id for s in path.target_skills]
            missing = sorted(set(skill_ids) - set(await uow.taxonomy.skills_by_id(skill_ids)))
            if missing:
                raise InvalidArgument.single(
                    "target_skills", f"unknown skills: {', '.join(missing)}"
                )
            created = Path(
                path_id=uuid.uuid4().hex,
                title=path.title,
                description=path.description,
                objectives=tuple(path.objectives),
                steps=tuple(Step(s.item_id, s.mandatory) for s in path.steps),
                target_skills=tuple(SkillLevel(s.skill_id, s.level) for s in path.target_skills),
                onboarding=path.onboarding,
                space_id=path.space_id or "",
                author_id=principal.subject,
                status="draft",
                like_count=0,
                comment_count=0,
                create_time=utc_now(),
            )
            await uow.paths.add(created)
            if request is not None:
                await uow.request_ids.remember(request, created.path_id)
            return created

    async def get_path(self, principal: Principal, path_id: str) -> Path:
        async with self._uow(principal.tenant_id) as uow:
            path = await load_path(uow, path_id)
        if path.status != "published" and not (
            principal.subject == path.author_id or Role.ADMIN in principal.roles
        ):
            raise NotFound("path", path_id)
        return path

    async def _transition(
        self, principal: Principal, path_id: str, source: str, target: str
    ) -> Path:
        async with self._uow(principal.tenant_id) as uow:
            path = await load_path(uow, path_id, for_update=True)
            if path.status != source:
                raise FailedPrecondition(
                    f"cannot move a path from {path.status} to {target}",
                    current_state=path.status,
                )
            if principal.subject != path.author_id and Role.ADMIN not in principal.roles:
                raise PermissionDenied("only the author or an admin may change a path's status")
            now = utc_now()
            event: OutgoingEvent
            if target == "published":
                items = await uow.items.get_many([s.item_id for s in path.steps])
                for step in path.steps:
                    found = items.get(step.item_id)
                    state = found.status if found is not None else "missing"
                    if state != ItemStatus.PUBLISHED.value:
                        raise FailedPrecondition(
                            f"step item {step.item_id} is {state}, not published",
                            current_state=path.status,
                        )
                payload = PathPublishedV1(
                    path_id=path_id,
                    title=path.title,
                    author_id=path.author_id,
                    onboarding=path.onboarding,
                    steps=tuple(
                        PathStepV1(
                            item_id=s.item_id,
                            mandatory=s.mandatory,
                            estimated_minutes=items[s.item_id].fields.estimated_minutes,
                        )
                        for s in path.steps
                    ),
                    skills=skill_levels(path.target_skills),
                    space_id=path.space_id or None,
                    published_at=now,
                )
                event = self._events.create(
                    payload, subject=path_id, tenant_id=uow.tenant_id, actor_id=principal.subject
                )
            else:
                event = self._events.create(
                    PathArchivedV1(path_id=path_id, archived_at=now),
                    subject=path_id,
                    tenant_id=uow.tenant_id,
                    actor_id=principal.subject,
                )
            updated = await uow.paths.set_status(path_id, target, now)
            uow.add_events([event])
            return updated

    async def publish_path(self, principal: Principal, path_id: str) -> Path:
        return await self._transition(principal, path_id, "draft", "published")

    async def archive_path(self, principal: Principal, path_id: str) -> Path:
        return await self._transition(principal, path_id, "published", "archived")

    async def list_paths(
        self, principal: Principal, onboarding_only: bool, token: str, size: int
    ) -> Page[Path]:
        cursor = decode_page_token(token, PathCursor)
        after = (cursor.after_time, cursor.after_id) if cursor is not None else None
        async with self._uow(principal.tenant_id) as uow:
            found = await uow.paths.list_published(onboarding_only, after, size + 1)
        return keyset_page(
            found, size, lambda p: PathCursor(after_time=p.create_time, after_id=p.path_id)
        )

    async def enrol(self, principal: Principal, path_id: str) -> Enrolment:
        """The caller enrols themself."""
        async with self._uow(principal.tenant_id) as uow:
            return await enrol_in(
                uow, self._events, principal.subject, path_id, actor=principal.subject,
                self_enrolled=True,
            )  # fmt: skip
