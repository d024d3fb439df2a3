"""The pure projection of Agora learning and community events onto xAPI statements.

``to_statement(envelope, payload, profile)`` returns the statement an event stands
for, or ``None`` for event types that have no xAPI meaning. No I/O: the notifications
service runs it as a consumer, integrators may run it on their own copy of the topics.

Every statement:
- has ``id = uuid5(STATEMENT_NAMESPACE, <event id>)``: redelivering an event yields
  the same statement id, which an LRS stores once;
- names its actor by ``account`` (tenant home page + person id), never by email;
- takes its ``timestamp`` from the event's own time field;
- carries the tenant, the source event id and type as context extensions.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from agora_contracts.events.common import SkillLevel
from agora_contracts.events.domains import community, learning
from agora_contracts.events.envelope import CloudEventEnvelope
from agora_contracts.events.payload import EventPayload
from agora_contracts.xapi import vocabulary
from agora_contracts.xapi.profile import TenantXapiProfile
from agora_contracts.xapi.statement import (
    Account,
    Activity,
    ActivityDefinition,
    Agent,
    Context,
    ContextActivities,
    Result,
    Score,
    Statement,
    Verb,
)

STATEMENT_NAMESPACE: Final = uuid.UUID("5b0c6a52-7d0e-4c3f-9a57-0a9d2f3c8e41")
"""Namespace of statement ids (uuid5 of the event id) and registrations."""

PLATFORM: Final = "Agora"


def statement_id(event_id: uuid.UUID | str) -> uuid.UUID:
    """The statement id of an event: stable across redeliveries."""
    return uuid.uuid5(STATEMENT_NAMESPACE, f"event:{event_id}")


def registration(tenant_id: str, learner_id: str, kind: str, target_id: str) -> uuid.UUID:
    """One learner's run through an item (or through a path, for its items)."""
    return uuid.uuid5(
        STATEMENT_NAMESPACE, f"registration:{tenant_id}:{learner_id}:{kind}:{target_id}"
    )


class _Builder:
    """Shared pieces of the statements of one event."""

    def __init__(self, envelope: CloudEventEnvelope, profile: TenantXapiProfile) -> None:
        if envelope.tenantid != profile.tenant_id:
            raise ValueError(
                f"profile of tenant {profile.tenant_id!r} "
                f"used for an event of {envelope.tenantid!r}"
            )
        self.envelope = envelope
        self.profile = profile

    def agent(self, person_id: str) -> Agent:
        return Agent(account=Account(home_page=self.profile.home_page, name=person_id))

    def activity(
        self,
        kind: str,
        entity_id: str,
        *,
        title: str | None = None,
        item_type: str | None = None,
        skills: tuple[SkillLevel, ...] = (),
    ) -> Activity:
        type_key = item_type or kind
        extensions: dict[str, Any] = {}
        if item_type is not None:
            extensions[self.profile.extension("item-type")] = item_type
        if skills:
            extensions[self.profile.extension("skills")] = [
                {"skill_id": s.skill_id, "level": s.level} for s in skills
            ]
        definition = ActivityDefinition(
            name={"und": title} if title else None,
            type=vocabulary.ACTIVITY_TYPES.get(type_key),
            extensions=extensions or None,
        )
        return Activity(
            id=self.profile.activity_id(kind, entity_id),
            definition=definition if definition.model_dump() else None,
        )

    def context(
        self,
        *,
        registration_id: uuid.UUID | None = None,
        parents: tuple[Activity, ...] = (),
        extra: dict[str, Any] | None = None,
    ) -> Context:
        extensions: dict[str, Any] = {
            self.profile.extension("tenant"): self.envelope.tenantid,
            self.profile.extension("event-id"): str(self.envelope.id),
            self.profile.extension("event-type"): self.envelope.type,
        }
        extensions.update(extra or {})
        return Context(
            registration=registration_id,
            context_activities=ContextActivities(parent=parents) if parents else None,
            platform=PLATFORM,
            extensions=extensions,
        )

    def statement(
        self,
        actor_id: str,
        verb: Verb,
        activity: Activity,
        timestamp: datetime,
        *,
        result: Result | None = None,
        context: Context | None = None,
    ) -> Statement:
        return Statement(
            id=statement_id(self.envelope.id),
            actor=self.agent(actor_id),
            verb=verb,
            object=activity,
            result=result,
            context=context or self.context(),
            timestamp=timestamp,
        )


def _item_run(b: _Builder, learner: str, item_id: str, path_id: str | None) -> Context:
    """Context of an item: its path as parent and the path's registration, if any."""
    tenant = b.envelope.tenantid
    if path_id:
        return b.context(
            registration_id=registration(tenant, learner, "path", path_id),
            parents=(b.activity("path", path_id),),
        )
    return b.context(registration_id=registration(tenant, learner, "knowledge", item_id))


def _started(b: _Builder, p: learning.KnowledgeStartedV1) -> Statement:
    item = b.activity("knowledge", p.item_id, title=p.item_title, item_type=p.item_type)
    context = _item_run(b, p.learner_id, p.item_id, p.path_id)
    return b.statement(p.learner_id, vocabulary.LAUNCHED, item, p.started_at, context=context)


def _progressed(b: _Builder, p: learning.KnowledgeProgressedV1) -> Statement:
    item = b.activity("knowledge", p.item_id, title=p.item_title, item_type=p.item_type)
    result = Result(extensions={vocabulary.PROGRESS_EXTENSION: p.percent})
    return b.statement(
        p.learner_id,
        vocabulary.PROGRESSED,
        item,
        p.progressed_at,
        result=result,
        context=_item_run(b, p.learner_id, p.item_id, None),
    )


def _item_completed(b: _Builder, p: learning.KnowledgeCompletedV1) -> Statement:
    item = b.activity(
        "knowledge", p.item_id, title=p.item_title, item_type=p.item_type, skills=p.skills
    )
    return b.statement(
        p.learner_id,
        vocabulary.COMPLETED,
        item,
        p.completed_at,
        result=Result(completion=True),
        context=_item_run(b, p.learner_id, p.item_id, None),
    )


def _path_completed(b: _Builder, p: learning.PathCompletedV1) -> Statement:
    path = b.activity("path", p.path_id, title=p.path_title, skills=p.skills)
    tenant = b.envelope.tenantid
    return b.statement(
        p.learner_id,
        vocabulary.COMPLETED,
        path,
        p.completed_at,
        result=Result(completion=True),
        context=b.context(registration_id=registration(tenant, p.learner_id, "path", p.path_id)),
    )


def _graded(
    b: _Builder, p: learning.QuizPassedV1 | learning.QuizFailedV1, verb: Verb, success: bool
) -> Statement:
    quiz = b.activity("knowledge", p.item_id, item_type="quiz", skills=p.skills)
    score = Score(scaled=round(p.score_percent / 100, 4), raw=p.score_percent, min=0.0, max=100.0)
    extra = {
        b.profile.extension("attempt-number"): p.attempt_number,
        b.profile.extension("pass-mark-percent"): p.pass_mark_percent,
    }
    tenant = b.envelope.tenantid
    context = b.context(
        registration_id=registration(tenant, p.learner_id, "knowledge", p.item_id), extra=extra
    )
    return b.statement(
        p.learner_id,
        verb,
        quiz,
        p.graded_at,
        result=Result(score=score, success=success),
        context=context,
    )


def _passed(b: _Builder, p: learning.QuizPassedV1) -> Statement:
    return _graded(b, p, vocabulary.PASSED, True)


def _failed(b: _Builder, p: learning.QuizFailedV1) -> Statement:
    return _graded(b, p, vocabulary.FAILED, False)


def _commented(b: _Builder, p: community.CommentPostedV1) -> Statement:
    parents = (b.activity("comment", p.parent_comment_id),) if p.parent_comment_id else ()
    if p.space_id:
        parents = (*parents, b.activity("space", p.space_id))
    extra = {b.profile.extension("comment-id"): p.comment_id}
    return b.statement(
        p.author_id,
        vocabulary.COMMENTED,
        b.activity(p.target_type, p.target_id),
        p.posted_at,
        result=Result(response=p.excerpt),
        context=b.context(parents=parents, extra=extra),
    )


def _liked(b: _Builder, p: community.LikeAddedV1) -> Statement:
    parents = (b.activity("space", p.space_id),) if p.space_id else ()
    return b.statement(
        p.liker_id,
        vocabulary.LIKED,
        b.activity(p.target_type, p.target_id),
        p.liked_at,
        context=b.context(parents=parents),
    )


_Mapper = Callable[[_Builder, Any], Statement]

MAPPERS: Final[dict[type[EventPayload], _Mapper]] = {
    learning.KnowledgeStartedV1: _started,
    learning.KnowledgeProgressedV1: _progressed,
    learning.KnowledgeCompletedV1: _item_completed,
    learning.PathCompletedV1: _path_completed,
    learning.QuizPassedV1: _passed,
    learning.QuizFailedV1: _failed,
    community.CommentPostedV1: _commented,
    community.LikeAddedV1: _liked,
}
"""Payload model → its statement builder; every other type has no statement."""


def projects(payload_type: type[EventPayload]) -> bool:
    """Whether events with this payload model become statements."""
    return payload_type in MAPPERS


def to_statement(
    envelope: CloudEventEnvelope, payload: EventPayload, profile: TenantXapiProfile
) -> Statement | None:
    """The xAPI statement of one event, or ``None`` if the type is not projected.

    ``profile`` must be the event's tenant's (a mismatch raises ``ValueError``: a
    statement must never carry another tenant's home page).
    """
    mapper = MAPPERS.get(type(payload))
    if mapper is None:
        return None
    return mapper(_Builder(envelope, profile), payload)
