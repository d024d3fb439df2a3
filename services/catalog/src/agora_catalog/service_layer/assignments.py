"""Use cases of assignments: managers assign items or paths; everyone sees where each
assigned learner stands."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import Field

from agora_catalog.domain.inputs import AssignmentIn
from agora_catalog.domain.learning import assignment_state
from agora_catalog.domain.model import Assignment, AssignmentStatus
from agora_catalog.service_layer.access import published_item
from agora_catalog.service_layer.events import EventFactory, utc_now
from agora_catalog.service_layer.paths import enrol_in, load_path
from agora_catalog.service_layer.ports import UnitOfWork, UnitOfWorkFactory
from agora_contracts.events.domains.learning import AssignmentCreatedV1
from agora_core.errors import FailedPrecondition
from agora_core.idempotency import CreateRequest
from agora_core.identity import Principal
from agora_core.pagination import Page, PageCursor, decode_page_token, keyset_page


class AssignmentCursor(PageCursor):
    after_time: datetime
    after_id: str = Field(max_length=256)


def _cursor(a: Assignment) -> AssignmentCursor:
    return AssignmentCursor(after_time=a.assigned_at, after_id=a.assignment_id)


async def with_status(uow: UnitOfWork, assignments: Sequence[Assignment]) -> list[AssignmentStatus]:
    """Each assignment with state, percent, completion time and overdue flag (two reads)."""
    items = [(a.learner_id, a.target_id) for a in assignments if a.target_kind == "knowledge"]
    paths = [(a.learner_id, a.target_id) for a in assignments if a.target_kind == "path"]
    progress = await uow.progress.get_many(items) if items else {}
    enrolments = await uow.enrolments.get_many(paths) if paths else {}
    now = utc_now()
    decorated = []
    for a in assignments:
        key = (a.learner_id, a.target_id)
        if a.target_kind == "knowledge":
            p = progress.get(key)
            started, done = p is not None, bool(p and p.completed)
            percent = p.percent if p else 0
            completed_at = p.completed_at if p else None
        else:
            e = enrolments.get(key)
            mandatory = e.mandatory_ids if e else []
            finished = [i for i in mandatory if e and i in e.completed_item_ids]
            started = bool(e and (e.completed_item_ids or e.completed))
            done = bool(e and e.completed)
            percent = round(100 * len(finished) / len(mandatory)) if mandatory else 0
            completed_at = e.completed_at if e else None
        state, overdue = assignment_state(started=started, completed=done, due_at=a.due_at, now=now)
        decorated.append(AssignmentStatus(a, state.value, overdue, percent, completed_at))
    return decorated


def _target_key(assignment: AssignmentIn) -> str:
    return f"{assignment.target_kind}:{assignment.target_id}"


def _assignment_id(tenant_id: str, assignment: AssignmentIn, learner: str) -> str:
    """One assignment per (learner, target): its id is derived, so repeats find it."""
    return f"{tenant_id}:{_target_key(assignment)}:{learner}"


async def _assigned(uow: UnitOfWork, assignment: AssignmentIn) -> list[Assignment]:
    """The assignments a request made (a replay of it names the same learners)."""
    found = []
    for learner in dict.fromkeys(assignment.learner_ids):
        existing = await uow.assignments.get(_assignment_id(uow.tenant_id, assignment, learner))
        if existing is not None:
            found.append(existing)
    return found


class Assignments:
    """Assignments of items and paths to learners."""

    def __init__(self, uow: UnitOfWorkFactory, events: EventFactory) -> None:
        self._uow = uow
        self._events = events

    async def assign(
        self,
        principal: Principal,
        assignment: AssignmentIn,
        request: CreateRequest | None = None,
    ) -> list[AssignmentStatus]:
        """One assignment per learner (repeating one returns it unchanged, no event).
        With ``request`` (a request id), a retry answers with the assignments the first
        call made, as they are now, without enrolling or announcing anything again."""
        async with self._uow(principal.tenant_id) as uow:
            if request is not None and await uow.request_ids.created_by(request) is not None:
                return await with_status(uow, await _assigned(uow, assignment))
            if assignment.target_kind == "path":
                path = await load_path(uow, assignment.target_id)
                if path.status != "published":
                    raise FailedPrecondition(
                        f"path {assignment.target_id} is {path.status}", current_state=path.status
                    )
                title = path.title
            else:
                title = (await published_item(uow, assignment.target_id)).fields.title
            results = []
            for learner in dict.fromkeys(assignment.learner_ids):
                key = _assignment_id(uow.tenant_id, assignment, learner)
                now = utc_now()
                created = Assignment(
                    assignment_id=key,
                    learner_id=learner,
                    assigned_by=principal.subject,
                    target_kind=assignment.target_kind,
                    target_id=assignment.target_id,
                    target_title=title,
                    due_at=assignment.due_at,
                    compliance=assignment.compliance,
                    assigned_at=now,
                )
                if await uow.assignments.add(created):
                    payload = AssignmentCreatedV1(
                        assignment_id=key,
                        learner_id=learner,
                        assigned_by=principal.subject,
                        target_kind=assignment.target_kind,
                        target_id=assignment.target_id,
                        target_title=title,
                        due_at=assignment.due_at,
                        compliance=assignment.compliance,
                        assigned_at=now,
                    )
                    uow.add_events(
                        [
                            self._events.create(
                                payload,
                                subject=key,
                                tenant_id=uow.tenant_id,
                                actor_id=principal.subject,
                                key=learner,
                            )
                        ]
                    )
                else:
                    existing = await uow.assignments.get(key)
                    assert existing is not None
                    created = existing
                results.append(created)
                if assignment.target_kind == "path":
                    await enrol_in(
                        uow, self._events, learner, assignment.target_id,
                        actor=principal.subject, self_enrolled=False,
                    )  # fmt: skip
            if request is not None:
                await uow.request_ids.remember(request, _target_key(assignment))
            return await with_status(uow, results)

    async def my_assignments(
        self, principal: Principal, token: str, size: int
    ) -> Page[AssignmentStatus]:
        cursor = decode_page_token(token, AssignmentCursor)
        after = (cursor.after_time, cursor.after_id) if cursor is not None else None
        async with self._uow(principal.tenant_id) as uow:
            found = await uow.assignments.page(
                learner_id=principal.subject, after=after, limit=size + 1
            )
            page = keyset_page(found, size, _cursor)
            return Page(await with_status(uow, page.items), page.next_page_token)

    async def team_assignments(
        self, principal: Principal, overdue_only: bool, token: str, size: int
    ) -> Page[AssignmentStatus]:
        """What the caller assigned (overdue ones only, if asked), newest first."""
        cursor = decode_page_token(token, AssignmentCursor)
        after = (cursor.after_time, cursor.after_id) if cursor is not None else None
        async with self._uow(principal.tenant_id) as uow:
            found = await uow.assignments.page(
                assigned_by=principal.subject,
                due_before=utc_now() if overdue_only else None,
                after=after,
                limit=size + 1,
            )
            page = keyset_page(found, size, _cursor)
            decorated = await with_status(uow, page.items)
        if overdue_only:
            decorated = [a for a in decorated if a.overdue]
        return Page(decorated, page.next_page_token)
