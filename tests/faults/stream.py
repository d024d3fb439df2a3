"""The event stream every fault scenario replays: one tenant's few days of activity.

Events are built as their producers publish them (catalog: completions and quiz
results; community: likes, unlikes, comments), with event ids derived from the tenant
and the position in the stream, so a redelivery is recognisable as the same event and
an audit can name each ledger entry by the position of the event that earned it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from agora_contracts.events.domains import community, learning
from agora_contracts.events.payload import EventPayload
from agora_core.messaging.events import OutgoingEvent

LEARNERS: Final = tuple(
    f"u-{name}" for name in ("ada", "grace", "linus", "barbara", "ken", "edsger")
)
T0: Final = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
"""A fixed past Monday: event times (streaks, weekly boards) never depend on today."""
STREAM_LENGTH: Final = 96


@dataclass(frozen=True)
class Stream:
    """One tenant's events, in publication order."""

    tenant: str
    events: tuple[OutgoingEvent, ...]

    def position(self, event_id: str) -> int:
        """Where the event with this id sits in the stream."""
        return self._positions[event_id]

    @property
    def _positions(self) -> dict[str, int]:
        return {event.event_id: n for n, event in enumerate(self.events)}

    def ids(self) -> frozenset[str]:
        return frozenset(event.event_id for event in self.events)


def event_id(tenant: str, position: int) -> uuid.UUID:
    """The fixed id of the event at ``position`` in ``tenant``'s stream."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"agora-faults/{tenant}/{position}")


def _event(
    payload: EventPayload, *, tenant: str, position: int, source: str, subject: str, actor: str
) -> OutgoingEvent:
    return OutgoingEvent.create(
        payload,
        source=source,
        subject=subject,
        tenant_id=tenant,
        actor_id=actor,
        event_id=event_id(tenant, position),
    )


def learner_at(position: int) -> str:
    """Who acts at ``position``: every learner gets every kind of event over the stream."""
    return LEARNERS[(position + position // 6) % len(LEARNERS)]


def author_at(position: int) -> str:
    """Whose content is involved at ``position`` (sometimes the actor's own)."""
    return LEARNERS[(position * 5 + 2) % len(LEARNERS)]


STREAM_DAYS: Final = (0, 1, 3, 4)
"""Days of the week the stream's events fall on: Monday, Tuesday, Thursday, Friday (a
missed Wednesday that the default grace of one day forgives). A backlog consumed across
topics and partitions handles a learner's days in any order; streaks and streak-day
points must come out the same."""


def _at(position: int) -> dt.datetime:
    day = STREAM_DAYS[position * len(STREAM_DAYS) // STREAM_LENGTH]
    return T0 + dt.timedelta(days=day, minutes=5 * position)


def build_stream(tenant: str) -> Stream:
    """The deterministic stream of four days: completions of several item types (some of one's own
    content, which earns nothing), quiz passes and failures, likes received and some
    withdrawn, comments. Same shape for every tenant; only ids differ."""
    events: list[OutgoingEvent] = []

    def emit(payload: EventPayload, source: str, subject: str, actor: str) -> None:
        position = len(events)
        events.append(
            _event(
                payload,
                tenant=tenant,
                position=position,
                source=source,
                subject=subject,
                actor=actor,
            )
        )

    item_types: Sequence[str] = ("video", "session", "document", "scorm")
    for n in range(STREAM_LENGTH):
        learner = learner_at(n)
        author = author_at(n)
        item = f"k-{n % 17}"
        at = _at(n)
        kind = n % 6
        if kind in (0, 1):
            payload: EventPayload = learning.KnowledgeCompletedV1(
                learner_id=learner,
                item_id=f"{item}-{n}",
                item_type=item_types[n % len(item_types)],
                item_title=f"Item {item}",
                author_id=author,
                skills=({"skill_id": "sql", "level": 2},),
                completed_at=at,
            )
            emit(payload, "/agora/catalog", item, learner)
        elif kind == 2:
            quiz_fields = {
                "learner_id": learner,
                "item_id": f"quiz-{n % 5}",
                "attempt_id": f"a-{n}",
                "attempt_number": 1,
                "score_percent": 50.0 + (n % 50),
                "pass_mark_percent": 70.0,
                "graded_at": at,
            }
            quiz: EventPayload = (
                learning.QuizPassedV1(**quiz_fields)
                if n % 50 >= 20
                else learning.QuizFailedV1(**quiz_fields)
            )
            emit(quiz, "/agora/catalog", f"quiz-{n % 5}", learner)
        elif kind in (3, 4):
            like = community.LikeAddedV1(
                like_id=f"like-{n}",
                target_type="knowledge",
                target_id=item,
                liker_id=learner,
                target_owner_id=author,
                liked_at=at,
            )
            emit(like, "/agora/community", item, learner)
        else:
            # Every other comment slot withdraws the like given three events earlier.
            if n % 12 == 5:
                liked_at = n - 2
                unlike = community.LikeRemovedV1(
                    like_id=f"like-{liked_at}",
                    target_type="knowledge",
                    target_id=f"k-{liked_at % 17}",
                    liker_id=learner_at(liked_at),
                    target_owner_id=author_at(liked_at),
                    removed_at=at,
                )
                emit(unlike, "/agora/community", f"k-{liked_at % 17}", learner_at(liked_at))
            else:
                comment = community.CommentPostedV1(
                    comment_id=f"c-{n}",
                    target_type="knowledge",
                    target_id=item,
                    author_id=learner,
                    target_owner_id=author,
                    excerpt=f"Comment {n}",
                    posted_at=at,
                )
                emit(comment, "/agora/community", item, learner)
    return Stream(tenant=tenant, events=tuple(events))


def interleaved(streams: Sequence[Stream]) -> tuple[OutgoingEvent, ...]:
    """The events of several tenants' streams taken in turn, each stream in its own
    order: a busy platform's mix, where every tenant progresses at the same pace."""
    mixed: list[OutgoingEvent] = []
    for position in range(max(len(s.events) for s in streams)):
        mixed.extend(s.events[position] for s in streams if position < len(s.events))
    return tuple(mixed)
