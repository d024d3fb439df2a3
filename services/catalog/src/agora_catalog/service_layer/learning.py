"""Use cases of learning: progress and completion, paths and enrolments, assignments,
quizzes, and the skills report.

Exactly-once effects without transactions:
- a completion is one conditional update of the progress document (``completed:
  false`` → true) that also appends ``knowledge.completed`` to its outbox; repeating it
  matches nothing, so nothing changes and nothing is emitted;
- path progress is derived by consuming our own ``knowledge.completed`` events: each
  enrolment records the event ids it applied, and ``path.completed`` is appended to the
  enrolment's outbox by the conditional update that marks it complete;
- a quiz attempt's number is part of its ``_id``, so the attempt limit holds under
  concurrent submissions (a clash retries with the next number).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from pydantic import Field
from pymongo.errors import DuplicateKeyError

from agora_catalog.adapters.mongo import (
    ASSIGNMENTS,
    ENROLMENTS,
    ITEMS,
    PATHS,
    PROGRESS,
    QUIZ_ATTEMPTS,
    SKILLS,
    now_ms,
)
from agora_catalog.domain.inputs import AssignmentIn, AttemptIn, PathIn, ProgressIn
from agora_catalog.domain.learning import Step, assignment_state, mandatory_items, path_complete
from agora_catalog.domain.quiz import QuestionKey, attempts_left, grade
from agora_catalog.domain.workflow import ItemStatus
from agora_catalog.service_layer.catalog import Catalog
from agora_catalog.service_layer.events import EventFactory, skill_levels
from agora_catalog.service_layer.ports import Stores
from agora_contracts.events.domains.catalog import PathArchivedV1, PathPublishedV1, PathStepV1
from agora_contracts.events.domains.learning import (
    AssignmentCreatedV1,
    KnowledgeCompletedV1,
    KnowledgeProgressedV1,
    KnowledgeStartedV1,
    PathCompletedV1,
    PathEnrolledV1,
    QuizFailedV1,
    QuizPassedV1,
)
from agora_core.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from agora_core.grpc.auth import Principal, Role
from agora_core.grpc.validation import PageCursor, decode_page_token, encode_page_token
from agora_core.messaging.events import OutgoingEvent
from agora_core.outbox import OutboxHint, OutboxNotifier, with_outbox
from agora_core.storage import Document, DocumentStore

_ATTEMPT_RETRIES: Final = 5


class TimeCursor(PageCursor):
    after_time: datetime
    after_id: str = Field(max_length=256)


def _page(found: list[Document], size: int, time_field: str) -> tuple[list[Document], str]:
    if len(found) <= size:
        return found, ""
    found = found[:size]
    last = found[-1]
    return found, encode_page_token(TimeCursor(after_time=last[time_field], after_id=last["_id"]))


def _after(cursor: TimeCursor | None, time_field: str) -> Document:
    """Keyset condition for newest-first lists."""
    if cursor is None:
        return {}
    return {
        "$or": [
            {time_field: {"$lt": cursor.after_time}},
            {time_field: cursor.after_time, "_id": {"$lt": cursor.after_id}},
        ]
    }


def _steps(document: Document) -> list[Step]:
    return [Step(s["item_id"], s["mandatory"]) for s in document["steps"]]


class Learning:
    """Progress, paths, assignments, quizzes and reports, per tenant."""

    def __init__(
        self,
        db: Stores,
        catalog: Catalog,
        events: EventFactory,
        notify: OutboxNotifier,
        clock: Callable[[], datetime] = now_ms,
    ) -> None:
        self._db = db
        self._catalog = catalog
        self._events = events
        self._notify = notify
        self._clock = clock

    def _repo(self, collection: str, tenant: str) -> DocumentStore:
        return self._db.repo(collection, tenant)

    # --- progress --------------------------------------------------------------------

    async def _ensure_started(
        self, tenant: str, learner: str, item: Document, path_id: str | None
    ) -> Document:
        """The learner's progress document, created (with knowledge.started) if absent."""
        progress = self._repo(PROGRESS, tenant)
        key = f"{tenant}:{learner}:{item['_id']}"
        existing = await progress.find_one({"_id": key})
        if existing is not None:
            return existing
        now = self._clock()
        started = self._events.create(
            KnowledgeStartedV1(
                learner_id=learner,
                item_id=item["_id"],
                item_type=item["type"],
                item_title=item["title"],
                estimated_minutes=item["estimated_minutes"],
                path_id=path_id,
                started_at=now,
            ),
            subject=item["_id"],
            tenant_id=tenant,
            actor_id=learner,
            key=learner,
        )
        document: Document = {
            "_id": key,
            "learner_id": learner,
            "item_id": item["_id"],
            "item_title": item["title"],
            "item_type": item["type"],
            "percent": 0,
            "last_position": "",
            "completed": False,
            "started_at": now,
            "updated_at": now,
            "completed_at": None,
            "skill_ids": item["skill_ids"],
            "outbox": [started.to_document()],
        }
        try:
            await progress.insert_one(document)
        except DuplicateKeyError:  # a concurrent start won; it emitted the event
            found = await progress.find_one({"_id": key})
            assert found is not None
            return found
        self._notify(OutboxHint(PROGRESS, key))
        return document

    async def start(self, principal: Principal, item_id: str, path_id: str | None) -> Document:
        item = await self._catalog.require_visible(principal, item_id)
        return await self._ensure_started(principal.tenant_id, principal.subject, item, path_id)

    async def record_progress(self, principal: Principal, progress_in: ProgressIn) -> Document:
        """Percent and last position; a completed item keeps its completion.

        A rise of the percent emits ``knowledge.progressed`` in the same write, guarded
        by the state read (percent and ``completed: false``); a concurrent change makes
        the guard miss and the rise is re-evaluated on the fresh state.
        """
        tenant = principal.tenant_id
        item = await self._catalog.require_visible(principal, progress_in.item_id)
        progress = self._repo(PROGRESS, tenant)
        for _ in range(_ATTEMPT_RETRIES):
            document = await self._ensure_started(tenant, principal.subject, item, None)
            now = self._clock()
            changes: Document = {"last_position": progress_in.last_position, "updated_at": now}
            if document["completed"] or progress_in.percent <= document["percent"]:
                if not document["completed"]:
                    changes["percent"] = progress_in.percent
                break
            changes["percent"] = progress_in.percent
            progressed = self._events.create(
                KnowledgeProgressedV1(
                    learner_id=principal.subject,
                    item_id=item["_id"],
                    item_type=item["type"],
                    item_title=item["title"],
                    percent=progress_in.percent,
                    previous_percent=document["percent"],
                    progressed_at=now,
                ),
                subject=item["_id"],
                tenant_id=tenant,
                actor_id=principal.subject,
                key=principal.subject,
            )
            emitted = await progress.find_one_and_update(
                {"_id": document["_id"], "completed": False, "percent": document["percent"]},
                with_outbox({"$set": changes}, [progressed]),
            )
            if emitted is not None:
                self._notify(OutboxHint(PROGRESS, emitted["_id"]))
                return emitted
        else:  # contended every time: keep the position, leave the percent to the others
            changes.pop("percent", None)
        updated = await progress.find_one_and_update({"_id": document["_id"]}, {"$set": changes})
        assert updated is not None
        return updated

    async def complete(self, principal: Principal, item_id: str) -> tuple[Document, bool]:
        """Complete a (non-quiz) item; repeating it changes and emits nothing."""
        item = await self._catalog.require_visible(principal, item_id)
        if item["type"] == "quiz":
            raise FailedPrecondition(
                "a quiz is completed by passing it", current_state="quiz_not_passed"
            )
        return await self.record_completion(principal.tenant_id, principal.subject, item)

    async def record_completion(
        self, tenant: str, learner: str, item: Document
    ) -> tuple[Document, bool]:
        """The exactly-once completion: one conditional write with its event."""
        document = await self._ensure_started(tenant, learner, item, None)
        if document["completed"]:
            return document, False
        now = self._clock()
        completed = self._events.create(
            KnowledgeCompletedV1(
                learner_id=learner,
                item_id=item["_id"],
                item_type=item["type"],
                item_title=item["title"],
                author_id=item["author_id"],
                skills=skill_levels(item["skills"]),
                themes=tuple(item["theme_ids"]),
                estimated_minutes=item["estimated_minutes"],
                completed_at=now,
            ),
            subject=item["_id"],
            tenant_id=tenant,
            actor_id=learner,
            key=learner,
        )
        updated = await self._repo(PROGRESS, tenant).find_one_and_update(
            {"_id": document["_id"], "completed": False},
            with_outbox(
                {
                    "$set": {
                        "completed": True,
                        "completed_at": now,
                        "percent": 100,
                        "updated_at": now,
                        "skill_ids": item["skill_ids"],
                    }
                },
                [completed],
            ),
        )
        if updated is None:  # completed concurrently: that write emitted the event
            found = await self._repo(PROGRESS, tenant).find_one({"_id": document["_id"]})
            assert found is not None
            return found, False
        self._notify(OutboxHint(PROGRESS, updated["_id"]))
        return updated, True

    async def my_progress(
        self, principal: Principal, token: str, size: int
    ) -> tuple[list[Document], list[Document], str]:
        """Items (newest activity first, paged) and every path enrolment of the caller."""
        tenant = principal.tenant_id
        cursor = decode_page_token(token, TimeCursor)
        found = await self._repo(PROGRESS, tenant).find(
            {"learner_id": principal.subject, **_after(cursor, "updated_at")},
            sort=[("updated_at", -1), ("_id", -1)],
            limit=size + 1,
        )
        items, next_token = _page(found, size, "updated_at")
        paths = await self._repo(ENROLMENTS, tenant).find(
            {"learner_id": principal.subject}, sort=[("enrolled_at", -1)], limit=500
        )
        return items, paths, next_token

    # --- paths -----------------------------------------------------------------------

    async def create_path(self, principal: Principal, path: PathIn) -> Document:
        tenant = principal.tenant_id
        ids = [s.item_id for s in path.steps]
        known = {
            d["_id"]
            for d in await self._repo(ITEMS, tenant).find(
                {"_id": {"$in": ids}}, projection={"_id": 1}, limit=len(ids)
            )
        }
        for index, step in enumerate(path.steps):
            if step.item_id not in known:
                raise InvalidArgument.single(f"steps.{index}.item_id", "unknown item")
        skill_ids = [s.skill_id for s in path.target_skills]
        skills = await self._repo(SKILLS, tenant).find(
            {"skill_id": {"$in": skill_ids}}, limit=len(skill_ids) or 1
        )
        missing = sorted(set(skill_ids) - {s["skill_id"] for s in skills})
        if missing:
            raise InvalidArgument.single("target_skills", f"unknown skills: {', '.join(missing)}")
        now = self._clock()
        document: Document = {
            "_id": uuid.uuid4().hex,
            "title": path.title,
            "description": path.description,
            "objectives": path.objectives,
            "steps": [s.model_dump() for s in path.steps],
            "target_skills": [s.model_dump() for s in path.target_skills],
            "onboarding": path.onboarding,
            "space_id": path.space_id or "",
            "author_id": principal.subject,
            "status": "draft",
            "like_count": 0,
            "comment_count": 0,
            "popularity": 0,
            "popularity_seen": {},
            "create_time": now,
        }
        await self._repo(PATHS, tenant).insert_one(document)
        return document

    async def _path(self, tenant: str, path_id: str) -> Document:
        document = await self._repo(PATHS, tenant).find_one({"_id": path_id})
        if document is None:
            raise NotFound("path", path_id)
        return document

    async def get_path(self, principal: Principal, path_id: str) -> Document:
        document = await self._path(principal.tenant_id, path_id)
        if document["status"] != "published" and not (
            principal.subject == document["author_id"] or Role.ADMIN in principal.roles
        ):
            raise NotFound("path", path_id)
        return document

    async def _path_transition(
        self, principal: Principal, path_id: str, source: str, target: str
    ) -> Document:
        tenant = principal.tenant_id
        path = await self._path(tenant, path_id)
        if path["status"] != source:
            raise FailedPrecondition(
                f"cannot move a path from {path['status']} to {target}",
                current_state=path["status"],
            )
        if principal.subject != path["author_id"] and Role.ADMIN not in principal.roles:
            raise PermissionDenied("only the author or an admin may change a path's status")
        now = self._clock()
        if target == "published":
            items = await self._repo(ITEMS, tenant).find(
                {"_id": {"$in": [s["item_id"] for s in path["steps"]]}},
                projection={"_id": 1, "status": 1, "estimated_minutes": 1},
                limit=len(path["steps"]),
            )
            by_id = {i["_id"]: i for i in items}
            for step in path["steps"]:
                state = by_id.get(step["item_id"], {}).get("status", "missing")
                if state != ItemStatus.PUBLISHED.value:
                    raise FailedPrecondition(
                        f"step item {step['item_id']} is {state}, not published",
                        current_state=path["status"],
                    )
            event = self._events.create(
                PathPublishedV1(
                    path_id=path_id,
                    title=path["title"],
                    author_id=path["author_id"],
                    onboarding=path["onboarding"],
                    steps=tuple(
                        PathStepV1(
                            item_id=s["item_id"],
                            mandatory=s["mandatory"],
                            estimated_minutes=by_id[s["item_id"]]["estimated_minutes"],
                        )
                        for s in path["steps"]
                    ),
                    skills=skill_levels(path["target_skills"]),
                    space_id=path["space_id"] or None,
                    published_at=now,
                ),
                subject=path_id,
                tenant_id=tenant,
                actor_id=principal.subject,
            )
        else:
            event = self._events.create(
                PathArchivedV1(path_id=path_id, archived_at=now),
                subject=path_id,
                tenant_id=tenant,
                actor_id=principal.subject,
            )
        updated = await self._repo(PATHS, tenant).find_one_and_update(
            {"_id": path_id, "status": source},
            with_outbox({"$set": {"status": target, f"{target}_at": now}}, [event]),
        )
        if updated is None:
            latest = await self._path(tenant, path_id)
            raise FailedPrecondition("path changed concurrently", current_state=latest["status"])
        self._notify(OutboxHint(PATHS, path_id))
        return updated

    async def publish_path(self, principal: Principal, path_id: str) -> Document:
        return await self._path_transition(principal, path_id, "draft", "published")

    async def archive_path(self, principal: Principal, path_id: str) -> Document:
        return await self._path_transition(principal, path_id, "published", "archived")

    async def list_paths(
        self, principal: Principal, onboarding_only: bool, token: str, size: int
    ) -> tuple[list[Document], str]:
        cursor = decode_page_token(token, TimeCursor)
        query: Document = {"status": "published", **_after(cursor, "create_time")}
        if onboarding_only:
            query["onboarding"] = True
        found = await self._repo(PATHS, principal.tenant_id).find(
            query, sort=[("create_time", -1), ("_id", -1)], limit=size + 1
        )
        return _page(found, size, "create_time")

    async def enrol(
        self, tenant: str, learner: str, path_id: str, *, actor: str, self_enrolled: bool
    ) -> Document:
        """Enrol ``learner`` (idempotent); items already completed count at once."""
        path = await self._path(tenant, path_id)
        if path["status"] != "published":
            raise FailedPrecondition(
                f"path {path_id} is {path['status']}", current_state=path["status"]
            )
        enrolments = self._repo(ENROLMENTS, tenant)
        key = f"{tenant}:{learner}:{path_id}"
        existing = await enrolments.find_one({"_id": key})
        if existing is not None:
            return existing
        step_ids = [s["item_id"] for s in path["steps"]]
        done = await self._repo(PROGRESS, tenant).find(
            {"learner_id": learner, "item_id": {"$in": step_ids}, "completed": True},
            projection={"item_id": 1},
            limit=len(step_ids),
        )
        completed_ids = [d["item_id"] for d in done]
        now = self._clock()
        events = [
            self._events.create(
                PathEnrolledV1(
                    learner_id=learner,
                    path_id=path_id,
                    path_title=path["title"],
                    self_enrolled=self_enrolled,
                    enrolled_at=now,
                ),
                subject=path_id,
                tenant_id=tenant,
                actor_id=actor,
                key=learner,
            )
        ]
        complete = path_complete(_steps(path), completed_ids)
        if complete:
            events.append(
                self._path_completed(
                    tenant, learner, path_id, path["title"], path["target_skills"], now
                )
            )
        document: Document = {
            "_id": key,
            "learner_id": learner,
            "path_id": path_id,
            "path_title": path["title"],
            "steps": path["steps"],
            "step_item_ids": step_ids,
            "target_skills": path["target_skills"],
            "completed_item_ids": completed_ids,
            "applied": [],
            "self_enrolled": self_enrolled,
            "enrolled_at": now,
            "completed": complete,
            "completed_at": now if complete else None,
            "outbox": [e.to_document() for e in events],
        }
        try:
            await enrolments.insert_one(document)
        except DuplicateKeyError:
            found = await enrolments.find_one({"_id": key})
            assert found is not None
            return found
        self._notify(OutboxHint(ENROLMENTS, key))
        return document

    def _path_completed(
        self,
        tenant: str,
        learner: str,
        path_id: str,
        title: str,
        target_skills: list[Document],
        now: datetime,
    ) -> OutgoingEvent:
        return self._events.create(
            PathCompletedV1(
                learner_id=learner,
                path_id=path_id,
                path_title=title,
                skills=skill_levels(target_skills),
                completed_at=now,
            ),
            subject=path_id,
            tenant_id=tenant,
            actor_id=learner,
            key=learner,
        )

    async def advance_paths(
        self, tenant: str, learner: str, item_id: str, event_id: str, completed_at: datetime
    ) -> int:
        """Apply one of our own knowledge.completed events to the learner's enrolments.

        Idempotent per event (the enrolment keeps the ids it applied); the path
        completes in the conditional write that also appends path.completed.
        Returns how many paths this event completed.
        """
        enrolments = self._repo(ENROLMENTS, tenant)
        completed = 0
        for enrolment in await enrolments.find(
            {"learner_id": learner, "step_item_ids": item_id, "completed": False}, limit=1000
        ):
            updated = await enrolments.find_one_and_update(
                {"_id": enrolment["_id"], "applied": {"$ne": event_id}},
                {"$addToSet": {"completed_item_ids": item_id}, "$push": {"applied": event_id}},
            )
            current = updated or await enrolments.find_one({"_id": enrolment["_id"]})
            if current is None or current["completed"]:
                continue
            if not path_complete(_steps(current), current["completed_item_ids"]):
                continue
            done = await enrolments.find_one_and_update(
                {"_id": current["_id"], "completed": False},
                with_outbox(
                    {"$set": {"completed": True, "completed_at": completed_at}},
                    [
                        self._path_completed(
                            tenant,
                            learner,
                            current["path_id"],
                            current["path_title"],
                            current["target_skills"],
                            completed_at,
                        )
                    ],
                ),
            )
            if done is not None:
                completed += 1
                self._notify(OutboxHint(ENROLMENTS, done["_id"]))
        return completed

    # --- assignments -----------------------------------------------------------------

    async def assign(self, principal: Principal, assignment: AssignmentIn) -> list[Document]:
        """One assignment per learner (repeating one returns it unchanged, no event)."""
        tenant = principal.tenant_id
        if assignment.target_kind == "path":
            target = await self._path(tenant, assignment.target_id)
            if target["status"] != "published":
                raise FailedPrecondition(
                    f"path {assignment.target_id} is {target['status']}",
                    current_state=target["status"],
                )
        else:
            target = await self._catalog.require_visible(principal, assignment.target_id)
        repo = self._repo(ASSIGNMENTS, tenant)
        results = []
        for learner in dict.fromkeys(assignment.learner_ids):
            key = f"{tenant}:{assignment.target_kind}:{assignment.target_id}:{learner}"
            existing = await repo.find_one({"_id": key})
            if existing is not None:
                results.append(existing)
                continue
            now = self._clock()
            event = self._events.create(
                AssignmentCreatedV1(
                    assignment_id=key,
                    learner_id=learner,
                    assigned_by=principal.subject,
                    target_kind=assignment.target_kind,
                    target_id=assignment.target_id,
                    target_title=target["title"],
                    due_at=assignment.due_at,
                    compliance=assignment.compliance,
                    assigned_at=now,
                ),
                subject=key,
                tenant_id=tenant,
                actor_id=principal.subject,
                key=learner,
            )
            document: Document = {
                "_id": key,
                "learner_id": learner,
                "assigned_by": principal.subject,
                "target_kind": assignment.target_kind,
                "target_id": assignment.target_id,
                "target_title": target["title"],
                "due_at": assignment.due_at,
                "compliance": assignment.compliance,
                "assigned_at": now,
                "outbox": [event.to_document()],
            }
            try:
                await repo.insert_one(document)
            except DuplicateKeyError:
                found = await repo.find_one({"_id": key})
                assert found is not None
                document = found
            else:
                self._notify(OutboxHint(ASSIGNMENTS, key))
            results.append(document)
            if assignment.target_kind == "path":
                await self.enrol(
                    tenant,
                    learner,
                    assignment.target_id,
                    actor=principal.subject,
                    self_enrolled=False,
                )
        return await self._with_state(tenant, results)

    async def _with_state(self, tenant: str, assignments: Sequence[Document]) -> list[Document]:
        """Each assignment with state, percent, completion time and overdue flag."""
        item_keys = [
            f"{tenant}:{a['learner_id']}:{a['target_id']}"
            for a in assignments
            if a["target_kind"] == "knowledge"
        ]
        path_keys = [
            f"{tenant}:{a['learner_id']}:{a['target_id']}"
            for a in assignments
            if a["target_kind"] == "path"
        ]
        progress = {
            d["_id"]: d
            for d in await self._repo(PROGRESS, tenant).find(
                {"_id": {"$in": item_keys}}, limit=len(item_keys) or 1
            )
        }
        enrolments = {
            d["_id"]: d
            for d in await self._repo(ENROLMENTS, tenant).find(
                {"_id": {"$in": path_keys}}, limit=len(path_keys) or 1
            )
        }
        now = datetime.now(UTC)
        decorated = []
        for a in assignments:
            key = f"{tenant}:{a['learner_id']}:{a['target_id']}"
            if a["target_kind"] == "knowledge":
                p = progress.get(key)
                started, done = p is not None, bool(p and p["completed"])
                percent = p["percent"] if p else 0
                completed_at = p["completed_at"] if p else None
            else:
                e = enrolments.get(key)
                mandatory = mandatory_items(_steps(e)) if e else []
                finished = [i for i in mandatory if e and i in e["completed_item_ids"]]
                started = bool(e and (e["completed_item_ids"] or e["completed"]))
                done = bool(e and e["completed"])
                percent = round(100 * len(finished) / len(mandatory)) if mandatory else 0
                completed_at = e["completed_at"] if e else None
            state, overdue = assignment_state(
                started=started, completed=done, due_at=a["due_at"], now=now
            )
            decorated.append(
                {**a, "state": state.value, "overdue": overdue, "percent": percent,
                 "completed_at": completed_at}
            )  # fmt: skip
        return decorated

    async def my_assignments(
        self, principal: Principal, token: str, size: int
    ) -> tuple[list[Document], str]:
        cursor = decode_page_token(token, TimeCursor)
        found = await self._repo(ASSIGNMENTS, principal.tenant_id).find(
            {"learner_id": principal.subject, **_after(cursor, "assigned_at")},
            sort=[("assigned_at", -1), ("_id", -1)],
            limit=size + 1,
        )
        page, next_token = _page(found, size, "assigned_at")
        return await self._with_state(principal.tenant_id, page), next_token

    async def team_assignments(
        self, principal: Principal, overdue_only: bool, token: str, size: int
    ) -> tuple[list[Document], str]:
        """What the caller assigned (overdue ones only, if asked), newest first."""
        cursor = decode_page_token(token, TimeCursor)
        query: Document = {"assigned_by": principal.subject, **_after(cursor, "assigned_at")}
        if overdue_only:
            query["due_at"] = {"$lt": datetime.now(UTC)}
        found = await self._repo(ASSIGNMENTS, principal.tenant_id).find(
            query, sort=[("assigned_at", -1), ("_id", -1)], limit=size + 1
        )
        page, next_token = _page(found, size, "assigned_at")
        decorated = await self._with_state(principal.tenant_id, page)
        if overdue_only:
            decorated = [a for a in decorated if a["overdue"]]
        return decorated, next_token

    # --- quizzes ---------------------------------------------------------------------

    async def submit_attempt(self, principal: Principal, attempt: AttemptIn) -> Document:
        """Grade on the server; the attempt and its passed/failed event are one write."""
        tenant, learner = principal.tenant_id, principal.subject
        item = await self._catalog.require_visible(principal, attempt.item_id)
        if item["type"] != "quiz":
            raise FailedPrecondition(
                f"item {attempt.item_id} is a {item['type']}, not a quiz",
                current_state=str(item["status"]),
            )
        quiz = item["content"]
        key = [QuestionKey(q, frozenset(c)) for q, c in item["answer_key"].items()]
        answers: dict[str, frozenset[str]] = {}
        for index, answer in enumerate(attempt.answers):
            if answer.question_id not in item["answer_key"]:
                raise InvalidArgument.single(f"answers.{index}.question_id", "unknown question")
            answers[answer.question_id] = frozenset(answer.choice_ids)
        graded = grade(key, answers, quiz["pass_mark_percent"])
        attempts = self._repo(QUIZ_ATTEMPTS, tenant)
        for _ in range(_ATTEMPT_RETRIES):
            used = await attempts.count({"learner_id": learner, "item_id": item["_id"]})
            number = used + 1
            left = attempts_left(quiz["max_attempts"], number)
            if quiz["max_attempts"] and number > quiz["max_attempts"]:
                raise FailedPrecondition(
                    f"no attempts left ({quiz['max_attempts']} used)",
                    current_state="attempts_exhausted",
                )
            attempt_id = f"{tenant}:{learner}:{item['_id']}:{number}"
            now = self._clock()
            common: dict[str, Any] = {
                "learner_id": learner,
                "item_id": item["_id"],
                "attempt_id": attempt_id,
                "attempt_number": number,
                "score_percent": graded.score_percent,
                "pass_mark_percent": quiz["pass_mark_percent"],
                "skills": skill_levels(item["skills"]),
                "graded_at": now,
            }
            payload = (
                QuizPassedV1(**common)
                if graded.passed
                else QuizFailedV1(**common, attempts_left=left)
            )
            event = self._events.create(
                payload, subject=item["_id"], tenant_id=tenant, actor_id=learner, key=learner
            )
            document: Document = {
                "_id": attempt_id,
                "learner_id": learner,
                "item_id": item["_id"],
                "number": number,
                "score_percent": graded.score_percent,
                "passed": graded.passed,
                "results": [{"question_id": q, "correct": ok} for q, ok in graded.results],
                "skill_ids": item["skill_ids"],
                "graded_at": now,
                "attempts_left": -1 if left is None else left,
                "outbox": [event.to_document()],
            }
            try:
                await attempts.insert_one(document)
            except DuplicateKeyError:
                continue  # a concurrent attempt took this number; take the next one
            self._notify(OutboxHint(QUIZ_ATTEMPTS, attempt_id))
            if graded.passed:
                await self.record_completion(tenant, learner, item)
            return document
        raise FailedPrecondition("too many concurrent attempts", current_state="busy")

    async def complete_passed_quiz(self, tenant: str, learner: str, item_id: str) -> None:
        """Backstop for quiz.passed: completes the quiz if the attempt's caller crashed
        between grading and completing (a no-op otherwise)."""
        item = await self._repo(ITEMS, tenant).find_one({"_id": item_id})
        if item is not None:
            await self.record_completion(tenant, learner, item)

    # --- skills monitoring -----------------------------------------------------------

    async def skills_report(self, principal: Principal, skill_id: str | None) -> list[Document]:
        """Per skill: distinct learners with a completion, completions, quiz pass rate."""
        tenant = principal.tenant_id
        query: Document = {"skill_id": skill_id} if skill_id else {}
        skills = await self._repo(SKILLS, tenant).find(query, sort=[("skill_id", 1)], limit=1000)
        if skill_id and not skills:
            raise NotFound("skill", skill_id)
        progress = self._repo(PROGRESS, tenant)
        attempts = self._repo(QUIZ_ATTEMPTS, tenant)
        report = []
        for skill in skills:
            done = {"skill_ids": skill["skill_id"], "completed": True}
            learners = await progress.distinct("learner_id", done)
            taken = await attempts.count({"skill_ids": skill["skill_id"]})
            passed = await attempts.count({"skill_ids": skill["skill_id"], "passed": True})
            report.append(
                {
                    "skill_id": skill["skill_id"],
                    "skill_name": skill["name"],
                    "learners_completed": len(learners),
                    "completions": await progress.count(done),
                    "quiz_attempts": taken,
                    "quiz_passed": passed,
                    "quiz_pass_rate_percent": round(100.0 * passed / taken, 2) if taken else 0.0,
                }
            )
        return report
