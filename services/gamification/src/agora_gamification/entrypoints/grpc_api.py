"""Thin gRPC servicer of ``agora.gamification.v1.GamificationService``.

Each method translates the request (``grpc_messages``), calls one use case with the
caller's :class:`~agora_core.identity.Principal`, and translates the answer back.
Roles are checked by the runtime's policy (below) and, for "self or manager" and
overseer-only choices, by the use cases.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final

from pydantic import BaseModel, Field
from typing_extensions import override

from agora.gamification.v1 import gamification_pb2 as pb
from agora.gamification.v1 import gamification_pb2_grpc
from agora_core.errors import InvalidArgument, PermissionDenied
from agora_core.grpc.aip import create_request
from agora_core.grpc.auth import current_principal
from agora_core.grpc.handler_wrapping import Context
from agora_core.grpc.policy import ANY_AUTHENTICATED, MethodPolicy
from agora_core.grpc.timestamps import optional_timestamp_value, to_timestamp
from agora_core.grpc.validation import parse_request
from agora_core.identity import Role
from agora_core.text import PlainText
from agora_gamification.domain.badges import BadgeDefinition
from agora_gamification.domain.boards import Team
from agora_gamification.domain.challenges import NewChallenge
from agora_gamification.domain.rules import Rule
from agora_gamification.domain.settings import TenantSettings
from agora_gamification.entrypoints import grpc_messages as m
from agora_gamification.service_layer.administration import Administration
from agora_gamification.service_layer.awards import Awards
from agora_gamification.service_layer.challenges import Challenges
from agora_gamification.service_layer.leaderboards import BoardKind, BoardQuery, Leaderboards
from agora_gamification.service_layer.people import OVERSEERS, People

SERVICE: Final = pb.DESCRIPTOR.services_by_name["GamificationService"]
SERVICE_NAME: Final[str] = SERVICE.full_name
ADMIN: Final = frozenset({Role.ADMIN})

POLICY: Final = MethodPolicy.for_service(
    SERVICE,
    {
        "GetProfile": ANY_AUTHENTICATED,
        "ListLedgerEntries": ANY_AUTHENTICATED,
        "GetLeaderboard": ANY_AUTHENTICATED,
        "ListRules": ANY_AUTHENTICATED,
        "PutRule": ADMIN,
        "PutBadge": ADMIN,
        "ListBadges": ANY_AUTHENTICATED,
        "ListAwards": ANY_AUTHENTICATED,
        "ExportCredential": ANY_AUTHENTICATED,
        "GetCredentialStatus": ANY_AUTHENTICATED,
        "RevokeAward": ADMIN,
        "CreateChallenge": ANY_AUTHENTICATED,
        "GetChallenge": ANY_AUTHENTICATED,
        "ListChallenges": ANY_AUTHENTICATED,
        "GetTenantSettings": ANY_AUTHENTICATED,
        "PutTenantSettings": ADMIN,
        "PutPersonSettings": ANY_AUTHENTICATED,
        "GetPersonSettings": ANY_AUTHENTICATED,
        "PutTeam": ADMIN,
    },
)
_PERIODS: Final = {pb.PERIOD_ALL_TIME: "all", pb.PERIOD_WEEK: "week", pb.PERIOD_MONTH: "month"}
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


@dataclass(frozen=True)
class UseCases:
    """Everything the servicer calls."""

    people: People
    leaderboards: Leaderboards
    administration: Administration
    awards: Awards
    challenges: Challenges


class GamificationServicer(gamification_pb2_grpc.GamificationServiceServicer):
    """Every method reads the tenant from the caller's token."""

    def __init__(self, use: UseCases) -> None:
        self._use = use

    @override
    async def GetProfile(
        self, request: pb.GetProfileRequest, context: Context
    ) -> pb.GetProfileResponse:
        m.no_nul(request)
        caller = current_principal()
        learner = m.identifier(request.learner_id or caller.subject, "learner_id")
        view = await self._use.people.profile(caller, learner)
        return pb.GetProfileResponse(profile=m.profile_pb(view))

    @override
    async def ListLedgerEntries(
        self, request: pb.ListLedgerEntriesRequest, context: Context
    ) -> pb.ListLedgerEntriesResponse:
        m.no_nul(request)
        caller = current_principal()
        learner = m.identifier(request.learner_id or caller.subject, "learner_id")
        page = await self._use.people.ledger(
            caller, learner, size=request.page_size, token=request.page_token
        )
        return pb.ListLedgerEntriesResponse(
            entries=[m.ledger_entry_pb(x) for x in page.items],
            next_page_token=page.next_page_token,
        )

    @override
    async def GetLeaderboard(
        self, request: pb.GetLeaderboardRequest, context: Context
    ) -> pb.GetLeaderboardResponse:
        m.no_nul(request)
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
        board = await self._use.leaderboards.board(
            current_principal(),
            BoardQuery(
                kind=kind,
                scope_id=scope_id,
                period=_PERIODS[request.period],  # type: ignore[arg-type]  # a PeriodKind
                period_key=query.period_key,
                top_n=query.top_n,
                around_me=request.around_me,
                neighbours=query.neighbours,
            ),
        )
        return m.board_pb(board)

    @override
    async def ListRules(
        self, request: pb.ListRulesRequest, context: Context
    ) -> pb.ListRulesResponse:
        m.no_nul(request)
        rules = await self._use.administration.rules(current_principal())
        return pb.ListRulesResponse(rules=[m.rule_pb(r) for r in rules])

    @override
    async def PutRule(self, request: pb.PutRuleRequest, context: Context) -> pb.PutRuleResponse:
        m.no_nul(request)
        r = request.rule
        rule = m.validated(
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
        stored = await self._use.administration.put_rule(current_principal(), rule)
        return pb.PutRuleResponse(rule=m.rule_pb(stored))

    @override
    async def PutBadge(self, request: pb.PutBadgeRequest, context: Context) -> pb.PutBadgeResponse:
        m.no_nul(request)
        b = request.badge
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
        badge = m.validated(
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
        stored = await self._use.administration.put_badge(current_principal(), badge)
        return pb.PutBadgeResponse(badge=m.badge_pb(stored))

    @override
    async def ListBadges(
        self, request: pb.ListBadgesRequest, context: Context
    ) -> pb.ListBadgesResponse:
        m.no_nul(request)
        badges = await self._use.administration.badges(current_principal())
        return pb.ListBadgesResponse(badges=[m.badge_pb(b) for b in badges])

    @override
    async def ListAwards(
        self, request: pb.ListAwardsRequest, context: Context
    ) -> pb.ListAwardsResponse:
        m.no_nul(request)
        caller = current_principal()
        learner = m.identifier(request.learner_id or caller.subject, "learner_id")
        awards = await self._use.awards.of_learner(caller, learner)
        return pb.ListAwardsResponse(awards=[m.award_pb(a) for a in awards])

    @override
    async def ExportCredential(
        self, request: pb.ExportCredentialRequest, context: Context
    ) -> pb.ExportCredentialResponse:
        m.no_nul(request)
        award_id = m.identifier(request.award_id, "award_id")
        credential, token = await self._use.awards.export(current_principal(), award_id)
        return pb.ExportCredentialResponse(
            credential_json=json.dumps(credential, sort_keys=True), jwt=token
        )

    @override
    async def GetCredentialStatus(
        self, request: pb.GetCredentialStatusRequest, context: Context
    ) -> pb.GetCredentialStatusResponse:
        m.no_nul(request)
        award_id = m.identifier(request.award_id, "award_id")
        award = await self._use.awards.get(current_principal(), award_id)
        return pb.GetCredentialStatusResponse(
            award_id=award.award_id,
            revoked=award.revoked,
            reason=award.revocation_reason,
            revoked_at=to_timestamp(award.revoked_at),
        )

    @override
    async def RevokeAward(
        self, request: pb.RevokeAwardRequest, context: Context
    ) -> pb.RevokeAwardResponse:
        m.no_nul(request)
        if len(request.reason) > 1000:
            raise InvalidArgument.single("reason", "at most 1000 characters")
        award_id = m.identifier(request.award_id, "award_id")
        award = await self._use.awards.revoke(current_principal(), award_id, request.reason)
        return pb.RevokeAwardResponse(award=m.award_pb(award))

    @override
    async def CreateChallenge(
        self, request: pb.CreateChallengeRequest, context: Context
    ) -> pb.CreateChallengeResponse:
        m.no_nul(request)
        caller = current_principal()
        c = request.challenge
        if c.scope not in m.SCOPES:
            raise InvalidArgument.single("challenge.scope", "one of PERSON, TEAM, SPACE, DUEL")
        new = m.validated(
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
        overseer = caller.has_any_role(OVERSEERS)
        if new.scope in ("team", "space") and not overseer:
            raise PermissionDenied("team and space challenges are set by managers and admins")
        if new.scope == "person" and new.participant_ids not in ((), (caller.subject,)):
            if not overseer:
                raise PermissionDenied("only managers and admins challenge someone else")
            if len(new.participant_ids) != 1:
                raise InvalidArgument.single("challenge.participant_ids", "one person")
        challenge = await self._use.challenges.create(
            caller, new, create_request("CreateChallenge", request)
        )
        return pb.CreateChallengeResponse(challenge=m.challenge_pb(challenge))

    @override
    async def GetChallenge(
        self, request: pb.GetChallengeRequest, context: Context
    ) -> pb.GetChallengeResponse:
        m.no_nul(request)
        challenge_id = m.identifier(request.challenge_id, "challenge_id")
        challenge = await self._use.challenges.get(current_principal(), challenge_id)
        return pb.GetChallengeResponse(challenge=m.challenge_pb(challenge))

    @override
    async def ListChallenges(
        self, request: pb.ListChallengesRequest, context: Context
    ) -> pb.ListChallengesResponse:
        m.no_nul(request)
        caller = current_principal()
        if request.all and not caller.has_any_role(OVERSEERS):
            raise PermissionDenied("listing every challenge needs the manager or admin role")
        page = await self._use.challenges.page(
            caller, everyone=request.all, size=request.page_size, token=request.page_token
        )
        return pb.ListChallengesResponse(
            challenges=[m.challenge_pb(c) for c in page.items],
            next_page_token=page.next_page_token,
        )

    @override
    async def GetTenantSettings(
        self, request: pb.GetTenantSettingsRequest, context: Context
    ) -> pb.GetTenantSettingsResponse:
        m.no_nul(request)
        settings = await self._use.administration.settings(current_principal())
        return pb.GetTenantSettingsResponse(settings=m.tenant_pb(settings))

    @override
    async def PutTenantSettings(
        self, request: pb.PutTenantSettingsRequest, context: Context
    ) -> pb.PutTenantSettingsResponse:
        m.no_nul(request)
        s = request.settings
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
        settings = m.validated(TenantSettings, "settings", data)
        stored = await self._use.administration.put_settings(current_principal(), settings)
        return pb.PutTenantSettingsResponse(settings=m.tenant_pb(stored))

    @override
    async def PutPersonSettings(
        self, request: pb.PutPersonSettingsRequest, context: Context
    ) -> pb.PutPersonSettingsResponse:
        m.no_nul(request)
        settings = parse_request(
            PersonSettings,
            time_zone=request.time_zone,
            leaderboard_opt_out=request.leaderboard_opt_out,
        )
        await self._use.people.put_settings(
            current_principal(), settings.time_zone, settings.leaderboard_opt_out
        )
        return pb.PutPersonSettingsResponse()

    @override
    async def GetPersonSettings(
        self, request: pb.GetPersonSettingsRequest, context: Context
    ) -> pb.GetPersonSettingsResponse:
        own = await self._use.people.settings(current_principal())
        return pb.GetPersonSettingsResponse(
            settings=pb.PersonSettings(
                time_zone=own.time_zone, leaderboard_opt_out=own.leaderboard_opt_out
            )
        )

    @override
    async def PutTeam(self, request: pb.PutTeamRequest, context: Context) -> pb.PutTeamResponse:
        m.no_nul(request)
        team = parse_request(
            TeamRequest,
            team_id=request.team_id,
            name=request.name,
            member_ids=tuple(dict.fromkeys(request.member_ids)),
        )
        if any(not member or len(member) > m.MAX_ID for member in team.member_ids):
            raise InvalidArgument.single("member_ids", f"ids are 1 to {m.MAX_ID} characters")
        await self._use.administration.put_team(
            current_principal(), Team(team.team_id, team.name, team.member_ids)
        )
        return pb.PutTeamResponse()
