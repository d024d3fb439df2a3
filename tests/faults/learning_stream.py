"""The stream the catalog and community consumers replay: one tenant's engagement with
its published knowledge, and the learning that feeds the expert directory.

The catalog items exist for real: they are created, submitted and approved through the
catalog's gRPC API first (so the catalog's own outbox also publishes their
``submission.reviewed`` and ``knowledge.published`` events, which community consumes).
The stream then holds, as their producers publish them: likes, withdrawn likes,
comments and deleted comments on those items and on items imported from elsewhere
(community knows them from ``knowledge.published``, the catalog does not);
completions; quiz passes and failures on a real quiz item (a pass makes the catalog
complete the quiz and publish ``knowledge.completed`` itself). Event ids are
``uuid5(tenant, position)`` so a redelivery is recognisable as the same event.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import grpc

from agora.catalog.v1 import catalog_pb2 as pb
from agora.catalog.v1.catalog_pb2_grpc import CatalogServiceStub
from agora_contracts.events.common import SkillLevel
from agora_contracts.events.domains import catalog, community, learning
from agora_contracts.events.payload import EventPayload
from agora_core.messaging.events import OutgoingEvent
from agora_core.testing.grpc_assertions import caller

from .stream import LEARNERS

if TYPE_CHECKING:
    from agora.catalog.v1.catalog_pb2_grpc import CatalogServiceAsyncStub

SKILLS: Final = ("sql", "git", "design")
ADMIN: Final = "u-admin"


@dataclass(frozen=True)
class ItemSpec:
    """A catalog item of the stream: who wrote it and what it teaches."""

    title: str
    author: str
    skills: tuple[str, ...]
    quiz: bool = False


CATALOG_ITEMS: Final = (
    ItemSpec("Window functions", LEARNERS[0], ("sql",)),
    ItemSpec("Rebase without fear", LEARNERS[1], ("git",)),
    ItemSpec("Indexes in practice", LEARNERS[2], ("sql", "design")),
    ItemSpec("Review etiquette", LEARNERS[1], ("git", "design")),
    ItemSpec("Schema design", LEARNERS[3], ("design",)),
    ItemSpec("SQL joins quiz", LEARNERS[0], ("sql",), quiz=True),
)
PATH_STEPS: Final = ((0, True), (1, True), (2, False))
"""(catalog item index, mandatory) of the path's steps."""
PATH_AUTHOR: Final = LEARNERS[1]
QUIZ_INDEX: Final = next(n for n, spec in enumerate(CATALOG_ITEMS) if spec.quiz)
EXTERNAL_ITEMS: Final = (
    # Imported items (another system's catalog): community learns them from the event
    # alone; the catalog does not have them and must ignore their likes and comments.
    ItemSpec("Imported: Git internals", LEARNERS[4], ("git",)),
    ItemSpec("Imported: Query plans", LEARNERS[5], ("sql",)),
    ItemSpec("Imported: Design critique", LEARNERS[2], ("design",)),
)
ENGAGEMENTS: Final = 60
"""Events after the imported items' publication events."""


@dataclass(frozen=True)
class LearningStream:
    """One tenant's events, in publication order, and the targets they are about."""

    tenant: str
    catalog_items: tuple[str, ...]
    """Catalog item ids, in ``CATALOG_ITEMS`` order."""
    external_items: tuple[str, ...]
    events: tuple[OutgoingEvent, ...]

    @property
    def targets(self) -> tuple[str, ...]:
        """Every liked or commented target; its index is how two tenants compare."""
        return (*self.catalog_items, *self.external_items)

    def of_types(self, types: frozenset[str]) -> tuple[OutgoingEvent, ...]:
        """The events whose CloudEvents type is in ``types`` (what one consumer handles)."""
        return tuple(e for e in self.events if e.headers["ce_type"] in types)


def event_id(tenant: str, position: int) -> uuid.UUID:
    """The fixed id of the event at ``position`` in ``tenant``'s stream."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"agora-faults-learning/{tenant}/{position}")


def _draft(spec: ItemSpec) -> pb.ItemDraft:
    skills = [pb.SkillLevel(skill_id=s, level=2) for s in spec.skills]
    if not spec.quiz:
        return pb.ItemDraft(
            title=spec.title,
            language="en",
            estimated_minutes=10,
            skills=skills,
            wiki=pb.WikiContent(markdown=f"# {spec.title}\n\nNotes for the fault suite."),
        )
    return pb.ItemDraft(
        title=spec.title,
        language="en",
        estimated_minutes=5,
        skills=skills,
        quiz=pb.QuizContentInput(
            pass_mark_percent=50.0,
            questions=[
                pb.QuizQuestionInput(
                    question_id="q1",
                    text="Which join keeps unmatched left rows?",
                    choices=[
                        pb.QuizChoice(choice_id="a", text="INNER"),
                        pb.QuizChoice(choice_id="b", text="LEFT"),
                    ],
                    correct_choice_ids=["b"],
                )
            ],
        ),
    )


async def publish_catalog_items(address: str, tenant: str) -> tuple[str, ...]:
    """Create the tenant's skills and items through the catalog's gRPC API and have an
    admin approve each one (published, validated), then publish a path over some of
    them and enrol every learner; the item ids in spec order."""
    admin = caller(("admin",), tenant=tenant, subject=ADMIN)
    ids: list[str] = []
    async with grpc.aio.insecure_channel(address) as channel:
        stub: CatalogServiceAsyncStub = CatalogServiceStub(channel)
        for skill in SKILLS:
            await stub.UpsertSkill(
                pb.UpsertSkillRequest(skill_id=skill, name=skill.upper()), metadata=admin
            )
        for spec in CATALOG_ITEMS:
            author = caller(("contributor",), tenant=tenant, subject=spec.author)
            item = (
                await stub.CreateItem(pb.CreateItemRequest(item=_draft(spec)), metadata=author)
            ).item
            await stub.SubmitItem(pb.SubmitItemRequest(item_id=item.item_id), metadata=author)
            await stub.ClaimReview(pb.ClaimReviewRequest(item_id=item.item_id), metadata=admin)
            reviewed = await stub.ReviewItem(
                pb.ReviewItemRequest(item_id=item.item_id, decision=pb.REVIEW_DECISION_APPROVED),
                metadata=admin,
            )
            assert reviewed.item.status == pb.ITEM_STATUS_PUBLISHED, reviewed.item
            ids.append(item.item_id)
        # A path over the first items, every learner enrolled before the stream: the
        # catalog advances enrolments from completions and completes a path once.
        path_author = caller(("contributor",), tenant=tenant, subject=PATH_AUTHOR)
        created = await stub.CreatePath(
            pb.CreatePathRequest(
                title="Data basics",
                steps=[pb.PathStep(item_id=ids[n], mandatory=m) for n, m in PATH_STEPS],
            ),
            metadata=path_author,
        )
        path = (
            await stub.PublishPath(
                pb.PublishPathRequest(path_id=created.path.path_id), metadata=path_author
            )
        ).path
        assert path.status == pb.PATH_STATUS_PUBLISHED, path
        for learner in LEARNERS:
            await stub.EnrolInPath(
                pb.EnrolInPathRequest(path_id=path.path_id),
                metadata=caller(("learner",), tenant=tenant, subject=learner),
            )
    return tuple(ids)


def _skill_levels(spec: ItemSpec) -> tuple[SkillLevel, ...]:
    return tuple(SkillLevel(skill_id=s, level=2) for s in spec.skills)


def build_learning_stream(
    tenant: str, catalog_items: Sequence[str], start: dt.datetime
) -> LearningStream:
    """The deterministic stream: same shape for every tenant, only ids and times differ.

    ``start`` must be recent: the catalog remembers like and comment ids for a window
    of days and ignores events older than it (services/catalog/README.md).
    """
    assert len(catalog_items) == len(CATALOG_ITEMS)
    external = tuple(f"ext-{n}-{tenant}" for n in range(len(EXTERNAL_ITEMS)))
    specs = (*CATALOG_ITEMS, *EXTERNAL_ITEMS)
    targets = (*catalog_items, *external)
    events: list[OutgoingEvent] = []

    def emit(
        payload: EventPayload, source: str, subject: str, actor: str, key: str | None = None
    ) -> None:
        position = len(events)
        events.append(
            OutgoingEvent.create(
                payload,
                source=source,
                subject=subject,
                key=key,
                tenant_id=tenant,
                actor_id=actor,
                time=start + dt.timedelta(minutes=position),
                event_id=event_id(tenant, position),
            )
        )

    def at() -> dt.datetime:
        return start + dt.timedelta(minutes=len(events))

    # The imported items: two published validated, one validated later in review.
    for n, (spec, item) in enumerate(zip(EXTERNAL_ITEMS, external, strict=True)):
        published = catalog.KnowledgePublishedV1(
            item_id=item,
            item_type="link",
            title=spec.title,
            author_id=spec.author,
            version=1,
            validated=n != 2,
            validated_by=ADMIN if n != 2 else None,
            language="en",
            skills=_skill_levels(spec),
            published_at=at(),
        )
        emit(published, "/agora/catalog", item, spec.author)
    reviewed = catalog.SubmissionReviewedV1(
        item_id=external[2],
        author_id=EXTERNAL_ITEMS[2].author,
        reviewer_id=ADMIN,
        title=EXTERNAL_ITEMS[2].title,
        version=1,
        decision="approved",
        skills=_skill_levels(EXTERNAL_ITEMS[2]),
        reviewed_at=at(),
    )
    emit(reviewed, "/agora/catalog", external[2], ADMIN)

    quiz = catalog_items[QUIZ_INDEX]
    for n in range(ENGAGEMENTS):
        kind = n % 6
        target = (n + n // 6) % len(targets)
        owner = specs[target].author
        person = LEARNERS[(n * 5 + n // 12) % len(LEARNERS)]
        if person == owner:  # community refuses likes and comments of one's own content
            person = LEARNERS[(LEARNERS.index(person) + 1) % len(LEARNERS)]
        if kind in (0, 3):
            like = community.LikeAddedV1(
                like_id=f"like-{n}",
                target_type="knowledge",
                target_id=targets[target],
                liker_id=person,
                target_owner_id=owner,
                liked_at=at(),
            )
            emit(like, "/agora/community", targets[target], person)
        elif kind == 5 and n % 12 == 5:
            # Withdraw the like given two events earlier (kind 3).
            liked = events[-2]
            withdrawn = community.LikeAddedV1.model_validate_json(liked.value)
            unlike = community.LikeRemovedV1(
                like_id=withdrawn.like_id,
                target_type="knowledge",
                target_id=withdrawn.target_id,
                liker_id=withdrawn.liker_id,
                target_owner_id=withdrawn.target_owner_id,
                removed_at=at(),
            )
            emit(unlike, "/agora/community", withdrawn.target_id, withdrawn.liker_id)
        elif kind == 5:
            # The author deletes the comment posted four events earlier (kind 1): community
            # counts it down, the catalog counts comments posted.
            posted = community.CommentPostedV1.model_validate_json(events[-4].value)
            deleted = community.CommentDeletedV1(
                comment_id=posted.comment_id,
                target_type="knowledge",
                target_id=posted.target_id,
                author_id=posted.author_id,
                deleted_at=at(),
            )
            emit(deleted, "/agora/community", posted.target_id, posted.author_id)
        elif kind == 1:
            comment = community.CommentPostedV1(
                comment_id=f"c-{n}",
                target_type="knowledge",
                target_id=targets[target],
                author_id=person,
                target_owner_id=owner,
                excerpt=f"Comment {n}",
                posted_at=at(),
            )
            emit(comment, "/agora/community", targets[target], person)
        elif kind == 2:
            done = (n // 6) % len(CATALOG_ITEMS)
            spec = CATALOG_ITEMS[done]
            completed = learning.KnowledgeCompletedV1(
                learner_id=person,
                item_id=catalog_items[done],
                item_type="quiz" if spec.quiz else "wiki",
                item_title=spec.title,
                author_id=spec.author,
                skills=_skill_levels(spec),
                completed_at=at(),
            )
            # Learning events are keyed by the learner (ARCHITECTURE.md section 2).
            emit(completed, "/agora/catalog", catalog_items[done], person, key=person)
        else:
            fields = {
                "learner_id": person,
                "item_id": quiz,
                "attempt_id": f"a-{n}",
                "attempt_number": 1,
                "score_percent": 100.0 if n % 8 == 4 else 0.0,
                "pass_mark_percent": 50.0,
                "skills": _skill_levels(CATALOG_ITEMS[QUIZ_INDEX]),
                "graded_at": at(),
            }
            result: EventPayload = (
                learning.QuizPassedV1(**fields) if n % 8 == 4 else learning.QuizFailedV1(**fields)
            )
            emit(result, "/agora/catalog", quiz, person, key=person)
    return LearningStream(
        tenant=tenant,
        catalog_items=tuple(catalog_items),
        external_items=external,
        events=tuple(events),
    )
