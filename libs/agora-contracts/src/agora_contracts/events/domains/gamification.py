"""Gamification events: points, levels, badges and challenges.

Points, levels and badges are keyed by the learner; challenges by the challenge id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from agora_contracts.events.common import EntityId
from agora_contracts.events.payload import EventPayload
from agora_contracts.events.registry import REGISTRY

POINTS_TOPIC = "agora.gamification.points.v1"
BADGES_TOPIC = "agora.gamification.badges.v1"
CHALLENGES_TOPIC = "agora.gamification.challenges.v1"

_LEARNER = "learner_id"


@REGISTRY.event(
    "org.agora.gamification.points.awarded.v1",
    topic=POINTS_TOPIC,
    key=_LEARNER,
    description="A rule credited points to a learner for one event (once per event and rule).",
)
class PointsAwardedV1(EventPayload):
    learner_id: EntityId = Field(description="Who was credited.", examples=["u-ada"])
    points: int = Field(description="Points of this entry.", examples=[10])
    balance: int = Field(description="Balance after the entry.", examples=[120])
    rule_id: EntityId = Field(description="The rule that matched.", examples=["completion"])
    source_event_id: EntityId = Field(
        description="Id of the event that caused it.",
        examples=["0b8f6c1e-2d7a-4a53-9a55-0f6f3c2b9e11"],
    )
    source_event_type: str = Field(
        max_length=200,
        description="Type of that event.",
        examples=["org.agora.learning.knowledge.completed.v1"],
    )
    awarded_at: datetime = Field(description="When.", examples=["2026-11-23T10:00:00Z"])


@REGISTRY.event(
    "org.agora.gamification.level.reached.v1",
    topic=POINTS_TOPIC,
    key=_LEARNER,
    description="A learner's balance crossed a level threshold.",
)
class LevelReachedV1(EventPayload):
    learner_id: EntityId = Field(description="Who levelled up.", examples=["u-ada"])
    level: int = Field(ge=1, description="The new level.", examples=[3])
    level_name: str = Field(max_length=100, description="Its name.", examples=["Explorer"])
    points: int = Field(description="Balance when reached.", examples=[250])
    reached_at: datetime = Field(description="When.", examples=["2026-11-23T10:00:00Z"])


@REGISTRY.event(
    "org.agora.gamification.badge.awarded.v1",
    topic=BADGES_TOPIC,
    key=_LEARNER,
    description="A learner earned a badge (an Open Badges 3.0 achievement).",
)
class BadgeAwardedV1(EventPayload):
    award_id: EntityId = Field(description="The award (credential id).", examples=["aw-1"])
    badge_id: EntityId = Field(description="The badge definition.", examples=["sql-explorer"])
    badge_name: str = Field(max_length=200, description="Badge name.", examples=["SQL explorer"])
    learner_id: EntityId = Field(description="Who earned it.", examples=["u-ada"])
    image_url: str = Field(
        default="", max_length=2000, description="Badge image.", examples=["https://x/b.png"]
    )
    skill_ids: tuple[EntityId, ...] = Field(
        default=(), description="Skills the badge is aligned with.", examples=[["sql"]]
    )
    awarded_at: datetime = Field(description="When.", examples=["2026-11-23T10:00:00Z"])


@REGISTRY.event(
    "org.agora.gamification.badge.revoked.v1",
    topic=BADGES_TOPIC,
    key=_LEARNER,
    description="An award was revoked; its credential status shows it.",
)
class BadgeRevokedV1(EventPayload):
    award_id: EntityId = Field(description="The award.", examples=["aw-1"])
    badge_id: EntityId = Field(description="The badge definition.", examples=["sql-explorer"])
    learner_id: EntityId = Field(description="Whose award.", examples=["u-ada"])
    reason: str = Field(default="", max_length=1000, description="Why.", examples=["fraud"])
    revoked_at: datetime = Field(description="When.", examples=["2026-11-23T10:00:00Z"])


@REGISTRY.event(
    "org.agora.gamification.challenge.started.v1",
    topic=CHALLENGES_TOPIC,
    key="challenge_id",
    description="A challenge opened for a person, a team, a space or two colleagues.",
)
class ChallengeStartedV1(EventPayload):
    challenge_id: EntityId = Field(description="The challenge.", examples=["ch-1"])
    title: str = Field(max_length=200, description="Title.", examples=["5 items this week"])
    scope: Literal["person", "team", "space", "duel"] = Field(
        description="Who takes part: one person, a team, a space, or two colleagues.",
        examples=["duel"],
    )
    scope_id: EntityId | None = Field(
        default=None, description="Team or space id for those scopes.", examples=[None]
    )
    participant_ids: tuple[EntityId, ...] = Field(
        default=(), description="People taking part, when known.", examples=[["u-ada", "u-bob"]]
    )
    created_by: EntityId = Field(description="Who created it.", examples=["u-ada"])
    starts_at: datetime = Field(description="Start.", examples=["2026-11-23T00:00:00Z"])
    ends_at: datetime = Field(description="Deadline.", examples=["2026-11-30T00:00:00Z"])


@REGISTRY.event(
    "org.agora.gamification.challenge.completed.v1",
    topic=CHALLENGES_TOPIC,
    key="challenge_id",
    description="A challenge ended (goal reached or deadline passed) with its winners.",
)
class ChallengeCompletedV1(EventPayload):
    challenge_id: EntityId = Field(description="The challenge.", examples=["ch-1"])
    title: str = Field(max_length=200, description="Title.", examples=["5 items this week"])
    scope: Literal["person", "team", "space", "duel"] = Field(
        description="Kind of challenge.", examples=["duel"]
    )
    outcome: Literal["goal_reached", "deadline_passed"] = Field(
        description="Why it ended.", examples=["deadline_passed"]
    )
    winner_ids: tuple[EntityId, ...] = Field(
        default=(), description="Winning people (empty when nobody won).", examples=[["u-ada"]]
    )
    participant_ids: tuple[EntityId, ...] = Field(
        default=(), description="People who took part.", examples=[["u-ada", "u-bob"]]
    )
    completed_at: datetime = Field(description="When.", examples=["2026-11-30T00:00:00Z"])
