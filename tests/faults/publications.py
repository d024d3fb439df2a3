"""What gamification published for a tenant (points, levels, badges), read from its
topics and normalised so that two tenants fed the same stream compare equal.

Each fact (a learner credited by a rule for one event, a level reached, a badge
earned) must be published under ONE event id: a relay may send the same record twice
(at-least-once; consumers dedupe by id), but a fact under a second id is a double
credit downstream (notifications, xAPI), whatever the ledger says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from aiokafka import TopicPartition

from agora_contracts.events.domains import gamification

from .broker import end_offsets, records_between
from .stream import Stream

TOPICS: Final = (gamification.POINTS_TOPIC, gamification.BADGES_TOPIC)
POINTS: Final = "org.agora.gamification.points.awarded.v1"
LEVEL: Final = "org.agora.gamification.level.reached.v1"
BADGE: Final = "org.agora.gamification.badge.awarded.v1"
STREAK_DAY_RULE: Final = "streak-day"

Fact = tuple[str, str, str, int]
"""(kind, learner, what, position of the earning event or -1): ``("points", learner,
"completion:10", 12)``, ``("level", learner, "3", -1)``, ``("badge", learner,
"first-steps", -1)``."""

Published = tuple[tuple[Fact, int], ...]
"""Every fact once, with the number of distinct event ids it was published under."""

Offsets = dict[TopicPartition, int]


async def published_since(kafka: str) -> Offsets:
    """End offsets of gamification's topics: take them before a tenant's stream."""
    return await end_offsets(kafka, list(TOPICS))


def _fact(event_type: str, value: bytes, stream: Stream) -> tuple[object, Fact] | None:
    """(identity, normalised fact) of one record; identity names the fact in the
    tenant (a learner, a rule and the earning event; a level; a badge)."""
    if event_type == POINTS:
        points = gamification.PointsAwardedV1.model_validate_json(value)
        # Streak days: earned by whichever of the day's events is handled first (the
        # audit's ledger compares them the same way).
        position = (
            -1 if points.rule_id == STREAK_DAY_RULE else stream.position(points.source_event_id)
        )
        what = f"{points.rule_id}:{points.points}"
        key = (points.learner_id, points.rule_id, points.source_event_id)
        return key, ("points", points.learner_id, what, position)
    if event_type == LEVEL:
        level = gamification.LevelReachedV1.model_validate_json(value)
        return (level.learner_id, level.level), ("level", level.learner_id, str(level.level), -1)
    if event_type == BADGE:
        badge = gamification.BadgeAwardedV1.model_validate_json(value)
        identity = (badge.learner_id, badge.badge_id)
        return identity, ("badge", badge.learner_id, badge.badge_id, -1)
    return None


def facts_of(records: Iterable[tuple[Mapping[str, str], bytes]], stream: Stream) -> Published:
    """The tenant's facts among ``records`` (headers, value), each with its id count."""
    facts: dict[object, Fact] = {}
    ids: dict[object, set[str]] = {}
    for headers, value in records:
        if headers.get("ce_tenantid") != stream.tenant:
            continue
        found = _fact(headers.get("ce_type", ""), value, stream)
        if found is None:
            continue
        identity, fact = found
        facts[identity] = fact
        ids.setdefault(identity, set()).add(headers.get("ce_id", ""))
    return tuple(sorted((fact, len(ids[identity])) for identity, fact in facts.items()))


async def publications(
    kafka: str, since: Mapping[TopicPartition, int], streams: Iterable[Stream]
) -> dict[str, Published]:
    """What gamification published for each stream's tenant since ``since`` (one read
    of its topics for all of them)."""
    until = await end_offsets(kafka, list(TOPICS))
    records = await records_between(kafka, since, until)
    return {stream.tenant: facts_of(records, stream) for stream in streams}
