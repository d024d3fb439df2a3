"""Translation between protobuf messages and the domain (validation errors name the
request field)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, TypeVar

from google.protobuf.message import Message
from pydantic import BaseModel, ValidationError

from agora.gamification.v1 import gamification_pb2 as pb
from agora_core.errors import FieldViolation, InvalidArgument
from agora_core.grpc.timestamps import to_timestamp
from agora_gamification.domain.awards import Award
from agora_gamification.domain.badges import BadgeDefinition
from agora_gamification.domain.challenges import Challenge
from agora_gamification.domain.profile import LedgerLine
from agora_gamification.domain.rules import Rule
from agora_gamification.domain.settings import TenantSettings
from agora_gamification.service_layer.challenges import progress_of
from agora_gamification.service_layer.leaderboards import Board, Standing
from agora_gamification.service_layer.people import ProfileView

ModelT = TypeVar("ModelT", bound=BaseModel)
_FIELD_IN_MESSAGE = re.compile(r"^(?:Value error, )?([a-z0-9_][a-z0-9_.]*): ")
MAX_ID: Final = 128
_ID: Final = re.compile(r"[^\s\x00-\x1f]+")

SCOPES: Final = {
    pb.CHALLENGE_SCOPE_PERSON: "person",
    pb.CHALLENGE_SCOPE_TEAM: "team",
    pb.CHALLENGE_SCOPE_SPACE: "space",
    pb.CHALLENGE_SCOPE_DUEL: "duel",
}
_SCOPE_PB: Final = {v: k for k, v in SCOPES.items()}


def validated(model: type[ModelT], prefix: str, data: Mapping[str, Any]) -> ModelT:
    """Validate ``data``; every violation names the request field (``prefix.path``)."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        violations = []
        for item in error.errors():
            path = ".".join(str(p) for p in item["loc"])
            found = _FIELD_IN_MESSAGE.match(item["msg"])
            if found:
                path = f"{path}.{found.group(1)}" if path else found.group(1)
            violations.append(
                FieldViolation(f"{prefix}.{path}" if path else prefix, str(item["msg"]))
            )
        raise InvalidArgument(violations) from None


def no_nul(message: Message, prefix: str = "") -> None:
    """Refuse a NUL character in any string of ``message`` (PostgreSQL text cannot hold
    one), naming the field: a clear INVALID_ARGUMENT instead of a failed statement."""
    for descriptor, value in message.ListFields():
        name = f"{prefix}{descriptor.name}"
        if descriptor.message_type is not None and descriptor.message_type.GetOptions().map_entry:
            values: list[Any] = [*value.keys(), *value.values()]
        elif descriptor.is_repeated:
            values = list(value)
        else:
            values = [value]
        for index, item in enumerate(values):
            path = name if len(values) == 1 else f"{name}.{index}"
            if isinstance(item, str) and "\x00" in item:
                raise InvalidArgument.single(path, "must not contain NUL characters")
            if isinstance(item, Message):
                no_nul(item, f"{path}.")


def json_value(raw: str, field: str) -> Any:
    if len(raw) > 4000:
        raise InvalidArgument.single(field, "at most 4000 characters")
    try:
        value = json.loads(raw) if raw else None
    except json.JSONDecodeError as error:
        raise InvalidArgument.single(field, f"not JSON: {error.msg}") from None
    if "\\u0000" in json.dumps(value):
        raise InvalidArgument.single(field, "must not contain NUL characters")
    return value


def conditions(items: Sequence[pb.Condition], prefix: str) -> list[dict[str, Any]]:
    return [
        {
            "field": c.field,
            "op": c.op,
            "value": json_value(c.value_json, f"{prefix}.{i}.value_json"),
        }
        for i, c in enumerate(items)
    ]


def identifier(value: str, field: str) -> str:
    if not value or len(value) > MAX_ID:
        raise InvalidArgument.single(field, f"required, at most {MAX_ID} characters")
    if not _ID.fullmatch(value):
        raise InvalidArgument.single(field, "no whitespace or control characters")
    return value


def _conditions_pb(items: Sequence[Any]) -> list[pb.Condition]:
    return [pb.Condition(field=c.field, op=c.op, value_json=json.dumps(c.value)) for c in items]


def rule_pb(rule: Rule) -> pb.Rule:
    return pb.Rule(
        rule_id=rule.rule_id,
        event_type=rule.event_type,
        conditions=_conditions_pb(rule.conditions),
        points=rule.points,
        beneficiary_field=rule.beneficiary_field,
        daily_cap=rule.daily_cap,
        weight_field=rule.weight_field,
        weights=rule.weights,
        enabled=rule.enabled,
        version=rule.version,
        description=rule.description,
    )


def badge_pb(badge: BadgeDefinition) -> pb.Badge:
    return pb.Badge(
        badge_id=badge.badge_id,
        name=badge.name,
        description=badge.description,
        image_url=badge.image_url,
        skill_ids=badge.skill_ids,
        criteria_narrative=badge.criteria_narrative,
        groups=[
            pb.RequirementGroup(
                requirements=[
                    pb.Requirement(
                        event_type=r.event_type,
                        conditions=_conditions_pb(r.conditions),
                        count=r.count,
                        person_field=r.person_field,
                    )
                    for r in group
                ]
            )
            for group in badge.groups
        ],
        version=badge.version,
    )


def award_pb(award: Award) -> pb.Award:
    return pb.Award(
        award_id=award.award_id,
        badge_id=award.badge_id,
        badge_name=award.badge_name,
        learner_id=award.learner_id,
        awarded_at=to_timestamp(award.awarded_at),
        revoked=award.revoked,
        revocation_reason=award.revocation_reason,
    )


def challenge_pb(challenge: Challenge) -> pb.Challenge:
    c = challenge
    return pb.Challenge(
        challenge_id=c.challenge_id,
        title=c.title,
        scope=_SCOPE_PB[c.scope],
        scope_id=c.scope_id,
        participant_ids=c.participant_ids,
        event_type=c.event_type,
        conditions=_conditions_pb(c.conditions),
        target=c.target,
        quiz_item_id=c.quiz_item_id,
        starts_at=to_timestamp(c.starts_at),
        ends_at=to_timestamp(c.ends_at),
        state=c.state,
        outcome=c.outcome,
        winner_ids=c.winner_ids,
        progress=progress_of(c),
        created_by=c.created_by,
    )


def tenant_pb(settings: TenantSettings) -> pb.TenantSettings:
    return pb.TenantSettings(
        time_zone=settings.time_zone,
        privacy_mode=settings.privacy_mode,
        levels=[
            pb.Level(level=lv.level, name=lv.name, min_points=lv.min_points)
            for lv in settings.levels
        ],
        streak_grace_days=settings.streak_grace_days,
        ledger_retention_days=settings.ledger_retention_days,
    )


def profile_pb(view: ProfileView) -> pb.Profile:
    state, level, following, streak = view.state, view.level, view.next_level, view.streak
    return pb.Profile(
        learner_id=state.learner_id,
        points=state.points,
        level=pb.Level(level=level.level, name=level.name, min_points=level.min_points),
        points_to_next_level=following.min_points - state.points if following else 0,
        streak=pb.Streak(
            current_days=streak.current,
            longest_days=streak.longest,
            last_active_day=streak.last_day.isoformat() if streak.last_day else "",
        ),
        badges=[award_pb(a) for a in view.badges],
    )


def ledger_entry_pb(line: LedgerLine) -> pb.LedgerEntry:
    return pb.LedgerEntry(
        entry_id=line.entry_id,
        learner_id=line.learner_id,
        points=line.points,
        rule_id=line.rule_id,
        rule_version=line.rule_version,
        source_event_id=line.source_event_id,
        source_event_type=line.source_event_type,
        awarded_at=to_timestamp(line.awarded_at),
    )


def _standing_pb(s: Standing) -> pb.LeaderboardEntry:
    return pb.LeaderboardEntry(
        rank=s.rank, learner_id=s.learner_id, team_id=s.team_id, points=s.points, is_me=s.is_me
    )


def board_pb(board: Board) -> pb.GetLeaderboardResponse:
    return pb.GetLeaderboardResponse(
        top=[_standing_pb(s) for s in board.top],
        around_me=[_standing_pb(s) for s in board.around],
        me=_standing_pb(board.me),
        ranked_count=board.ranked_count,
        period_key=board.period_key,
        privacy_mode=board.privacy_mode,
    )
