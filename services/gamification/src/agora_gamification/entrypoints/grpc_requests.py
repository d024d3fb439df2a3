"""GamificationService requests → validated domain values (the servicer's translation).

Each function reads one request message, validates it into the domain's model and
raises ``INVALID_ARGUMENT`` with the field's path on bad input; none calls a use case.
"""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel, Field

from agora.gamification.v1 import gamification_pb2 as pb
from agora_core.errors import InvalidArgument
from agora_core.grpc.timestamps import optional_timestamp_value
from agora_core.grpc.validation import parse_request
from agora_core.text import PlainText
from agora_gamification.domain.badges import BadgeDefinition
from agora_gamification.domain.boards import Team
from agora_gamification.domain.challenges import NewChallenge
from agora_gamification.domain.rules import Rule
from agora_gamification.domain.settings import TenantSettings
from agora_gamification.entrypoints import grpc_messages as m
from agora_gamification.service_layer.leaderboards import BoardKind, BoardQuery, PeriodKind

_PERIODS: Final[dict[int, PeriodKind]] = {
    pb.PERIOD_ALL_TIME: "all",
    pb.PERIOD_WEEK: "week",
    pb.PERIOD_MONTH: "month",
}
_BOARDS: Final[dict[int, BoardKind]] = {
    pb.BOARD_SCOPE_TENANT: "tenant",
    pb.BOARD_SCOPE_SPACE: "space",
    pb.BOARD_SCOPE_TEAM: "team",
    pb.BOARD_SCOPE_TEAMS: "teams",
}


class LeaderboardQuery(BaseModel):
    """A validated GetLeaderboard request."""

    top_n: int = Field(ge=1, le=100)
    neighbours: int = Field(ge=0, le=25)
    scope_id: str = Field(max_length=m.MAX_ID)
    period_key: str = Field(max_length=16, pattern=r"^(all|\d{4}-W\d{2}|\d{4}-\d{2})?$")


class PersonSettings(BaseModel):
    """A validated PutPersonSettings request."""

    time_zone: str = Field(max_length=64)
    leaderboard_opt_out: bool


class TeamRequest(BaseModel):
    """A validated PutTeam request."""

    team_id: str = Field(min_length=1, max_length=m.MAX_ID, pattern=r"^[A-Za-z0-9._-]+$")
    name: PlainText = Field(min_length=1, max_length=200)
    member_ids: tuple[str, ...] = Field(max_length=5000)


def board_query(request: pb.GetLeaderboardRequest) -> BoardQuery:
    query = parse_request(
        LeaderboardQuery,
        top_n=request.top_n or 10,
        neighbours=request.neighbours or (2 if request.around_me else 0),
        scope_id=request.scope_id,
        period_key=request.period_key,
    )
    if request.period not in _PERIODS:
        raise InvalidArgument.single("period", "one of ALL_TIME, WEEK, MONTH")
    if request.scope not in _BOARDS:
        raise InvalidArgument.single("scope", "one of TENANT, SPACE, TEAM, TEAMS")
    kind = _BOARDS[request.scope]
    scope_id = m.identifier(query.scope_id, "scope_id") if kind in ("space", "team") else ""
    return BoardQuery(
        kind=kind,
        scope_id=scope_id,
        period=_PERIODS[request.period],
        period_key=query.period_key,
        top_n=query.top_n,
        around_me=request.around_me,
        neighbours=query.neighbours,
    )


def rule(r: pb.Rule) -> Rule:
    return m.validated(
        Rule,
        "rule",
        {
            "rule_id": r.rule_id,
            "event_type": r.event_type,
            "conditions": m.conditions(r.conditions, "rule.conditions"),
            "points": r.points,
            "beneficiary_field": r.beneficiary_field,
            "daily_cap": r.daily_cap,
            "weight_field": r.weight_field,
            "weights": dict(r.weights),
            "enabled": r.enabled,
            "description": r.description,
        },
    )


def badge(b: pb.Badge) -> BadgeDefinition:
    groups = [
        [
            {
                "event_type": r.event_type,
                "conditions": m.conditions(r.conditions, f"badge.groups.{g}.{i}.conditions"),
                "count": r.count or 1,
                "person_field": r.person_field,
            }
            for i, r in enumerate(group.requirements)
        ]
        for g, group in enumerate(b.groups)
    ]
    return m.validated(
        BadgeDefinition,
        "badge",
        {
            "badge_id": b.badge_id,
            "name": b.name,
            "description": b.description,
            "image_url": b.image_url,
            "skill_ids": list(b.skill_ids),
            "criteria_narrative": b.criteria_narrative,
            "groups": groups,
        },
    )


def new_challenge(c: pb.Challenge) -> NewChallenge:
    if c.scope not in m.SCOPES:
        raise InvalidArgument.single("challenge.scope", "one of PERSON, TEAM, SPACE, DUEL")
    return m.validated(
        NewChallenge,
        "challenge",
        {
            "title": c.title,
            "scope": m.SCOPES[c.scope],
            "scope_id": c.scope_id,
            "participant_ids": list(c.participant_ids),
            "event_type": c.event_type,
            "conditions": m.conditions(c.conditions, "challenge.conditions"),
            "target": c.target,
            "quiz_item_id": c.quiz_item_id,
            "starts_at": optional_timestamp_value(
                c.starts_at, c.HasField("starts_at"), "challenge.starts_at"
            ),
            "ends_at": optional_timestamp_value(
                c.ends_at, c.HasField("ends_at"), "challenge.ends_at"
            ),
        },
    )


def tenant_settings(s: pb.TenantSettings) -> TenantSettings:
    data: dict[str, object] = {
        "time_zone": s.time_zone or "UTC",
        "privacy_mode": s.privacy_mode or "public",
        "streak_grace_days": s.streak_grace_days,
        "ledger_retention_days": s.ledger_retention_days,
    }
    if s.levels:
        data["levels"] = [
            {"level": lv.level, "name": lv.name, "min_points": lv.min_points} for lv in s.levels
        ]
    return m.validated(TenantSettings, "settings", data)


def person_settings(request: pb.PutPersonSettingsRequest) -> PersonSettings:
    return parse_request(
        PersonSettings,
        time_zone=request.time_zone,
        leaderboard_opt_out=request.leaderboard_opt_out,
    )


def team(request: pb.PutTeamRequest) -> Team:
    valid = parse_request(
        TeamRequest,
        team_id=request.team_id,
        name=request.name,
        member_ids=tuple(dict.fromkeys(request.member_ids)),
    )
    if any(not member or len(member) > m.MAX_ID for member in valid.member_ids):
        raise InvalidArgument.single("member_ids", f"ids are 1 to {m.MAX_ID} characters")
    return Team(valid.team_id, valid.name, valid.member_ids)
