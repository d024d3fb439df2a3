"""The event stream of the notifications scenarios: one tenant's week of events that
tell people something (reviews, comments, answers, badges, mentions) and events that
only integrators hear of (likes), with fixed ids ``uuid5(tenant, position)``.

Some people have an email address and some do not; some events concern their own
author (no notification). Every kind of effect the delivery worker retries occurs: inbox
entries, emails, and webhook deliveries to the tenant's one subscription, which takes
reviews, comments and likes only (answers, badges and mentions are filtered out).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from agora_contracts.events.domains import catalog, community, gamification
from agora_contracts.events.payload import EventPayload
from agora_contracts.events.registry import REGISTRY
from agora_core.messaging.events import OutgoingEvent

from .stream import Stream, event_id

PEOPLE: Final = ("u-ada", "u-grace", "u-linus", "u-barbara", "u-ken", "u-edsger")
WITH_EMAIL: Final = frozenset(("u-ada", "u-grace", "u-linus", "u-barbara"))
"""u-ken and u-edsger have no address: inbox only."""
LOCALES: Final = {"u-linus": "fr"}
STREAM_LENGTH: Final = 36
T0: Final = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)

WEBHOOK_TYPES: Final = tuple(
    REGISTRY.spec_for(model).event_type
    for model in (catalog.SubmissionReviewedV1, community.CommentPostedV1, community.LikeAddedV1)
)
"""What the tenant's integrator subscribes to."""


@dataclass(frozen=True)
class NotificationStream(Stream):
    """One tenant's events, in publication order, with the people they notify."""

    def address(self, person: str) -> str:
        """The person's email address in this tenant ('' when they have none)."""
        return f"{person}@{self.tenant}.example.com" if person in WITH_EMAIL else ""

    def person_of(self, address: str) -> str:
        """The person an address of this tenant belongs to."""
        local, _, domain = address.partition("@")
        assert domain == f"{self.tenant}.example.com", address
        return local

    def webhooked(self) -> frozenset[int]:
        """Positions of the events the subscription takes."""
        return frozenset(
            n for n, e in enumerate(self.events) if e.headers["ce_type"] in WEBHOOK_TYPES
        )


def _person(position: int) -> str:
    return PEOPLE[(position + position // 6) % len(PEOPLE)]


def _other(position: int) -> str:
    """Someone else involved at ``position``; now and then the actor themself."""
    return PEOPLE[(position * 5 + 2) % len(PEOPLE)]


def build_notification_stream(tenant: str) -> NotificationStream:
    """The same shape for every tenant; only the ids differ."""
    events: list[OutgoingEvent] = []
    for n in range(STREAM_LENGTH):
        actor, other = _person(n), _other(n)
        at = T0 + dt.timedelta(minutes=7 * n)
        kind = n % 6
        payload: EventPayload
        if kind == 0:
            decision = ("approved", "changes_requested", "rejected")[n // 6 % 3]
            payload = catalog.SubmissionReviewedV1(
                item_id=f"k-{n}",
                author_id=other,
                reviewer_id=actor,
                title=f"Item {n}",
                version=1,
                decision=decision,
                comment=f"Review {n}",
                reviewed_at=at,
            )
            source, subject = "/agora/catalog", f"k-{n}"
        elif kind == 1:
            payload = community.CommentPostedV1(
                comment_id=f"c-{n}",
                target_type="knowledge",
                target_id=f"k-{n}",
                author_id=actor,
                target_owner_id=other,
                excerpt=f"Comment {n}",
                posted_at=at,
            )
            source, subject = "/agora/community", f"k-{n}"
        elif kind == 2:
            payload = community.AnswerPostedV1(
                answer_id=f"an-{n}",
                question_id=f"q-{n}",
                question_title=f"Question {n}",
                asker_id=other,
                author_id=actor,
                excerpt=f"Answer {n}",
                posted_at=at,
            )
            source, subject = "/agora/community", f"q-{n}"
        elif kind == 3:
            payload = gamification.BadgeAwardedV1(
                award_id=f"aw-{n}",
                badge_id=f"b-{n}",
                badge_name=f"Badge {n}",
                learner_id=actor,
                awarded_at=at,
            )
            source, subject = "/agora/gamification", actor
        elif kind == 4:
            payload = community.LikeAddedV1(
                like_id=f"like-{n}",
                target_type="knowledge",
                target_id=f"k-{n}",
                liker_id=actor,
                target_owner_id=other,
                liked_at=at,
            )
            source, subject = "/agora/community", f"k-{n}"
        else:
            payload = community.MentionCreatedV1(
                comment_id=f"c-{n}",
                target_type="knowledge",
                target_id=f"k-{n}",
                author_id=actor,
                mentioned_user_id=other,
                excerpt=f"Mention {n}",
                mentioned_at=at,
            )
            source, subject = "/agora/community", f"c-{n}"
        events.append(
            OutgoingEvent.create(
                payload,
                source=source,
                subject=subject,
                tenant_id=tenant,
                actor_id=actor,
                event_id=event_id(tenant, n),
            )
        )
    return NotificationStream(tenant=tenant, events=tuple(events))
