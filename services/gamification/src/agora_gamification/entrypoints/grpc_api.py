"""Thin gRPC servicer of ``agora.gamification.v1.GamificationService``.

It translates protobuf to validated models and calls the use cases; the tenant is
always the caller's (``current_principal``), roles are checked by the runtime's policy
(below) and, for "self or manager" reads, here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, TypeVar

from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, Field, ValidationError
from typing_extensions import override

from agora.gamification.v1 import gamification_pb2 as pb
from agora.gamification.v1 import gamification_pb2_grpc
from agora_core.errors import FieldViolation, InvalidArgument, NotFound, PermissionDenied
from agora_core.grpc.auth import Principal, Role, current_principal
from agora_core.grpc.handler_wrapping import Context
from agora_core.grpc.policy import ANY_AUTHENTICATED, MethodPolicy
from agora_core.grpc.validation import (
    PageCursor,
    decode_page_token,
    encode_page_token,
    page_size,
    parse_request,
    timestamp_value,
)
from agora_core.text import PlainText
from agora_gamification.adapters.mongo import (
    CHALLENGES,
    LEDGER,
    TEAMS,
    GamificationStore,
    profile_from_document,
)
from agora_gamification.domain.badges import BadgeDefinition
from agora_gamification.domain.challenges import NewChallenge
from agora_gamification.domain.rules import Rule, effective_rules
from agora_gamification.domain.settings import TenantSettings, local_day, valid_time_zone
from agora_gamification.service_layer.awards import Awards
from agora_gamification.service_layer.challenges import Challenges, progress_counts
from agora_gamification.service_layer.leaderboards import (
    Board,
    Leaderboards,
    Standing,
    current_period,
)
from agora_gamification.service_layer.scoring import Clock, Scoring, boards_of

SERVICE: Final = pb.DESCRIPTOR.services_by_name["GamificationService"]
SERVICE_NAME: Final[str] = SERVICE.full_name
ADMIN: Final = frozenset({Role.ADMIN})
OVERSEERS: Final = frozenset({Role.MANAGER, Role.ADMIN})

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
        "PutTeam": ADMIN,
    },
)

ModelT = TypeVar("ModelT", bound=BaseModel)
_FIELD_IN_MESSAGE = re.compile(r"^(?:Value error, )?([a-z0-9_][a-z0-9_.]*): ")
MAX_ID: Final = 128


def _validated(model: type[ModelT], prefix: str, data: Mapping[str, Any]) -> ModelT:
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


def _json_value(raw: str, field: str) -> Any:
    if len(raw) > 4000:
        raise InvalidArgument.single(field, "at most 4000 characters")
    try:
        return json.loads(raw) if raw else None
    except json.JSONDecodeError as error:
        raise InvalidArgument.single(field, f"not JSON: {error.msg}") from None


def _conditions(items: Sequence[pb.Condition], prefix: str) -> list[dict[str, Any]]:
    return [
        {
            "field": c.field,
            "op": c.op,
            "value": _json_value(c.value_json, f"{prefix}.{i}.value_json"),
        }
        for i, c in enumerate(items)
    ]


def _id(value: str, field: str) -> str:
    if not value or len(value) > MAX_ID:
        raise InvalidArgument.single(field, f"required, at most {MAX_ID} characters")
    return value


def _ts(moment: dt.datetime | None) -> Timestamp:
    stamp = Timestamp()
    if moment is not None:
        stamp.FromDatetime(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC))
    return stamp


def _rule_pb(rule: Rule) -> pb.Rule:
    return pb.Rule(
        rule_id=rule.rule_id,
        event_type=rule.event_type,
        conditions=[
            pb.Condition(field=c.field, op=c.op, value_json=json.dumps(c.value))
            for c in rule.conditions
        ],
        points=rule.points,
        beneficiary_field=rule.beneficiary_field,
        daily_cap=rule.daily_cap,
        weight_field=rule.weight_field,
        weights=rule.weights,
        enabled=rule.enabled,
        version=rule.version,
        description=rule.description,
    )


def _badge_pb(badge: BadgeDefinition) -> pb.Badge:
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
                        conditions=[
                            pb.Condition(field=c.field, op=c.op, value_json=json.dumps(c.value))
                            for c in r.conditions
                        ],
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


def _award_pb(doc: Mapping[str, Any]) -> pb.Award:
    return pb.Award(
        award_id=doc["_id"],
        badge_id=doc["badge_id"],
        badge_name=doc["badge_name"],
        learner_id=doc["learner_id"],
        awarded_at=_ts(doc["awarded_at"]),
        revoked=bool(doc.get("revoked", False)),
        revocation_reason=str(doc.get("revocation_reason", "")),
    )


_SCOPES: Final = {
    pb.CHALLENGE_SCOPE_PERSON: "person",
    pb.CHALLENGE_SCOPE_TEAM: "team",
    pb.CHALLENGE_SCOPE_SPACE: "space",
    pb.CHALLENGE_SCOPE_DUEL: "duel",
}
_SCOPE_PB: Final = {v: k for k, v in _SCOPES.items()}


def _challenge_pb(doc: Mapping[str, Any]) -> pb.Challenge:
    progress = progress_counts(doc)
    for attempt in doc.get("attempts", ()):
        progress[str(attempt["learner_id"])] = int(attempt["score"])
    return pb.Challenge(
        challenge_id=doc["_id"],
        title=doc["title"],
        scope=_SCOPE_PB[doc["scope"]],
        scope_id=doc.get("scope_id", ""),
        participant_ids=doc["participant_ids"],
        event_type=doc["event_type"],
        conditions=[
            pb.Condition(field=c["field"], op=c["op"], value_json=json.dumps(c["value"]))
            for c in doc.get("conditions", ())
        ],
        target=int(doc.get("target", 0)),
        quiz_item_id=doc.get("quiz_item_id", ""),
        starts_at=_ts(doc["starts_at"]),
        ends_at=_ts(doc["ends_at"]),
        state=doc["state"],
        outcome=doc.get("outcome", ""),
        winner_ids=doc.get("winner_ids", []),
        progress=progress,
        created_by=doc["created_by"],
    )


def _tenant_pb(settings: TenantSettings) -> pb.TenantSettings:
    return pb.TenantSettings(
        time_zone=settings.time_zone,
        privacy_mode=settings.privacy_mode,
        levels=[
            pb.Level(level=lv.level, name=lv.name, min_points=lv.min_points)
            for lv in settings.levels
        ],
        streak_grace_days=settings.streak_grace_days,
    )


class LedgerCursor(PageCursor):
    """Next ledger page starts after this (awarded_at, id)."""

    after_time: dt.datetime
    after_id: str = Field(min_length=1, max_length=64)


class ChallengeCursor(PageCursor):
    """Next challenges page starts after this (created_at, id)."""

    after_time: dt.datetime
    after_id: str = Field(min_length=1, max_length=64)


class LeaderboardQuery(BaseModel):
    """A validated GetLeaderboard request."""

    top_n: int = Field(ge=1, le=100)
    neighbours: int = Field(ge=0, le=25)
    scope_id: str = Field(max_length=MAX_ID)
    period_key: str = Field(max_length=16, pattern=r"^(all|\d{4}-W\d{2}|\d{4}-\d{2})?$")


class PersonSettings(BaseModel):
    """A validated PutPersonSettings request."""

    time_zone: str = Field(max_length=64)
    leaderboard_opt_out: bool


class TeamRequest(BaseModel):
    """A validated PutTeam request."""

    team_id: str = Field(min_length=1, max_length=MAX_ID, pattern=r"^[A-Za-z0-9._-]+$")
    name: PlainText = Field(min_length=1, max_length=200)
    member_ids: tuple[str, ...] = Field(max_length=5000)


class GamificationServicer(gamification_pb2_grpc.GamificationServiceServicer):
    """Every method reads the tenant from the caller's token."""

    def __init__(
        self,
        store: GamificationStore,
        scoring: Scoring,
        leaderboards: Leaderboards,
        awards: Awards,
        challenges: Challenges,
        clock: Clock,
    ) -> None:
        self._store = store
        self._scoring = scoring
        self._boards = leaderboards
        self._awards = awards
        self._challenges = challenges
        self._clock = clock

    # ---- profile and ledger ----------------------------------------------------------

    @override
    async def GetProfile(
        self, request: pb.GetProfileRequest, context: Context
    ) -> pb.GetProfileResponse:
        caller = current_principal()
        learner = _id(request.learner_id or caller.subject, "learner_id")
        tenant = await self._store.tenant_settings(caller.tenant_id)
        doc = await self._store.profile_document(caller.tenant_id, learner)
        if doc is None and learner != caller.subject:
            raise NotFound("profile", learner)
        state = profile_from_document(learner, doc)
        level = tenant.level_for(state.points)
        following = tenant.next_level(state.points)
        zone = state.time_zone or tenant.time_zone
        streak = state.streak.as_of(local_day(self._clock(), zone), tenant.streak_grace_days)
        awards = await self._awards.of_learner(caller.tenant_id, learner)
        return pb.GetProfileResponse(
            profile=pb.Profile(
                learner_id=learner,
                points=state.points,
                level=pb.Level(level=level.level, name=level.name, min_points=level.min_points),
                points_to_next_level=following.min_points - state.points if following else 0,
                streak=pb.Streak(
                    current_days=streak.current,
                    longest_days=streak.longest,
                    last_active_day=streak.last_day.isoformat() if streak.last_day else "",
                ),
                badges=[_award_pb(a) for a in awards if not a.get("revoked")],
            )
        )

    @override
    async def ListLedgerEntries(
        self, request: pb.ListLedgerEntriesRequest, context: Context
    ) -> pb.ListLedgerEntriesResponse:
        caller = current_principal()
        learner = _id(request.learner_id or caller.subject, "learner_id")
        _require_self_or(caller, learner)
        size = page_size(request.page_size)
        cursor = decode_page_token(request.page_token, LedgerCursor)
        query: dict[str, Any] = {"learner_id": learner}
        if cursor is not None:
            query["$or"] = [
                {"awarded_at": {"$lt": cursor.after_time}},
                {"awarded_at": cursor.after_time, "_id": {"$gt": cursor.after_id}},
            ]
        docs = await self._store.repo(LEDGER, caller.tenant_id).find(
            query, sort=(("awarded_at", -1), ("_id", 1)), limit=size + 1
        )
        token = ""
        if len(docs) > size:
            docs = docs[:size]
            token = encode_page_token(
                LedgerCursor(after_time=docs[-1]["awarded_at"], after_id=docs[-1]["_id"])
            )
        return pb.ListLedgerEntriesResponse(
            entries=[
                pb.LedgerEntry(
                    entry_id=d["_id"],
                    learner_id=d["learner_id"],
                    points=d["points"],
                    rule_id=d["rule_id"],
                    rule_version=d["rule_version"],
                    source_event_id=d["source_event_id"],
                    source_event_type=d["source_event_type"],
                    awarded_at=_ts(d["awarded_at"]),
                )
                for d in docs
            ],
            next_page_token=token,
        )

    # ---- leaderboards ---------------------------------------------------------------

    @override
    async def GetLeaderboard(
        self, request: pb.GetLeaderboardRequest, context: Context
    ) -> pb.GetLeaderboardResponse:
        caller = current_principal()
        query = parse_request(
            LeaderboardQuery,
            top_n=request.top_n or 10,
            neighbours=request.neighbours or (2 if request.around_me else 0),
            scope_id=request.scope_id,
            period_key=request.period_key,
        )
        kinds = {pb.PERIOD_ALL_TIME: "all", pb.PERIOD_WEEK: "week", pb.PERIOD_MONTH: "month"}
        if request.period not in kinds:
            raise InvalidArgument.single("period", "one of ALL_TIME, WEEK, MONTH")
        tenant = await self._store.tenant_settings(caller.tenant_id)
        period = query.period_key or current_period(
            kinds[request.period],  # type: ignore[arg-type]  # a PeriodKind literal
            self._clock(),
            tenant.time_zone,
        )
        if request.scope == pb.BOARD_SCOPE_TEAMS:
            board = await self._boards.teams(
                caller.tenant_id, caller.subject, period=period, top_n=query.top_n
            )
            return _board_pb(board)
        if request.scope == pb.BOARD_SCOPE_TENANT:
            key = "tenant"
        elif request.scope in (pb.BOARD_SCOPE_SPACE, pb.BOARD_SCOPE_TEAM):
            scope_id = _id(query.scope_id, "scope_id")
            if request.scope == pb.BOARD_SCOPE_TEAM:
                await self._boards.require_team(caller.tenant_id, scope_id)
                key = f"team:{scope_id}"
            else:
                key = f"space:{scope_id}"
        else:
            raise InvalidArgument.single("scope", "one of TENANT, SPACE, TEAM, TEAMS")
        board = await self._boards.people(
            caller.tenant_id,
            caller.subject,
            board=key,
            period=period,
            top_n=query.top_n,
            around_me=request.around_me,
            neighbours=query.neighbours,
            privacy_mode=tenant.privacy_mode,
        )
        return _board_pb(board)

    # ---- rules ------------------------------------------------------------------------

    @override
    async def ListRules(
        self, request: pb.ListRulesRequest, context: Context
    ) -> pb.ListRulesResponse:
        tenant_id = current_principal().tenant_id
        rules = effective_rules(await self._store.stored_rules(tenant_id))
        return pb.ListRulesResponse(rules=[_rule_pb(r) for r in rules])

    @override
    async def PutRule(self, request: pb.PutRuleRequest, context: Context) -> pb.PutRuleResponse:
        tenant_id = current_principal().tenant_id
        r = request.rule
        rule = _validated(
            Rule,
            "rule",
            {
                "rule_id": r.rule_id,
                "event_type": r.event_type,
                "conditions": _conditions(r.conditions, "rule.conditions"),
                "points": r.points,
                "beneficiary_field": r.beneficiary_field,
                "daily_cap": r.daily_cap,
                "weight_field": r.weight_field,
                "weights": dict(r.weights),
                "enabled": r.enabled,
                "description": r.description,
            },
        )
        return pb.PutRuleResponse(rule=_rule_pb(await self._store.put_rule(tenant_id, rule)))

    # ---- badges and awards --------------------------------------------------------------

    @override
    async def PutBadge(self, request: pb.PutBadgeRequest, context: Context) -> pb.PutBadgeResponse:
        tenant_id = current_principal().tenant_id
        b = request.badge
        badge = _validated(
            BadgeDefinition,
            "badge",
            {
                "badge_id": b.badge_id,
                "name": b.name,
                "description": b.description,
                "image_url": b.image_url,
                "skill_ids": list(b.skill_ids),
                "criteria_narrative": b.criteria_narrative,
                "groups": [
                    [
                        {
                            "event_type": r.event_type,
                            "conditions": _conditions(
                                r.conditions, f"badge.groups.{g}.{i}.conditions"
                            ),
                            "count": r.count or 1,
                            "person_field": r.person_field,
                        }
                        for i, r in enumerate(group.requirements)
                    ]
                    for g, group in enumerate(b.groups)
                ],
            },
        )
        return pb.PutBadgeResponse(badge=_badge_pb(await self._store.put_badge(tenant_id, badge)))

    @override
    async def ListBadges(
        self, request: pb.ListBadgesRequest, context: Context
    ) -> pb.ListBadgesResponse:
        badges = await self._store.badges(current_principal().tenant_id)
        return pb.ListBadgesResponse(badges=[_badge_pb(b) for b in badges])

    @override
    async def ListAwards(
        self, request: pb.ListAwardsRequest, context: Context
    ) -> pb.ListAwardsResponse:
        caller = current_principal()
        learner = _id(request.learner_id or caller.subject, "learner_id")
        awards = await self._awards.of_learner(caller.tenant_id, learner)
        return pb.ListAwardsResponse(awards=[_award_pb(a) for a in awards])

    @override
    async def ExportCredential(
        self, request: pb.ExportCredentialRequest, context: Context
    ) -> pb.ExportCredentialResponse:
        tenant_id = current_principal().tenant_id
        credential, token = await self._awards.export(tenant_id, _id(request.award_id, "award_id"))
        return pb.ExportCredentialResponse(
            credential_json=json.dumps(credential, sort_keys=True), jwt=token
        )

    @override
    async def GetCredentialStatus(
        self, request: pb.GetCredentialStatusRequest, context: Context
    ) -> pb.GetCredentialStatusResponse:
        tenant_id = current_principal().tenant_id
        award = await self._awards.get(tenant_id, _id(request.award_id, "award_id"))
        return pb.GetCredentialStatusResponse(
            award_id=award["_id"],
            revoked=bool(award.get("revoked")),
            reason=str(award.get("revocation_reason", "")),
            revoked_at=_ts(award.get("revoked_at")),
        )

    @override
    async def RevokeAward(
        self, request: pb.RevokeAwardRequest, context: Context
    ) -> pb.RevokeAwardResponse:
        tenant_id = current_principal().tenant_id
        if len(request.reason) > 1000:
            raise InvalidArgument.single("reason", "at most 1000 characters")
        award = await self._awards.revoke(
            tenant_id, _id(request.award_id, "award_id"), request.reason
        )
        return pb.RevokeAwardResponse(award=_award_pb(award))

    # ---- challenges -------------------------------------------------------------------

    @override
    async def CreateChallenge(
        self, request: pb.CreateChallengeRequest, context: Context
    ) -> pb.CreateChallengeResponse:
        caller = current_principal()
        c = request.challenge
        if c.scope not in _SCOPES:
            raise InvalidArgument.single("challenge.scope", "one of PERSON, TEAM, SPACE, DUEL")
        new = _validated(
            NewChallenge,
            "challenge",
            {
                "title": c.title,
                "scope": _SCOPES[c.scope],
                "scope_id": c.scope_id,
                "participant_ids": list(c.participant_ids),
                "event_type": c.event_type,
                "conditions": _conditions(c.conditions, "challenge.conditions"),
                "target": c.target,
                "quiz_item_id": c.quiz_item_id,
                "starts_at": timestamp_value(c.starts_at, "challenge.starts_at")
                if c.HasField("starts_at")
                else None,
                "ends_at": timestamp_value(c.ends_at, "challenge.ends_at")
                if c.HasField("ends_at")
                else None,
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
        doc = await self._challenges.create(caller.tenant_id, caller.subject, new)
        return pb.CreateChallengeResponse(challenge=_challenge_pb(doc))

    @override
    async def GetChallenge(
        self, request: pb.GetChallengeRequest, context: Context
    ) -> pb.GetChallengeResponse:
        tenant_id = current_principal().tenant_id
        doc = await self._challenges.get(tenant_id, _id(request.challenge_id, "challenge_id"))
        return pb.GetChallengeResponse(challenge=_challenge_pb(doc))

    @override
    async def ListChallenges(
        self, request: pb.ListChallengesRequest, context: Context
    ) -> pb.ListChallengesResponse:
        caller = current_principal()
        if request.all and not caller.has_any_role(OVERSEERS):
            raise PermissionDenied("listing every challenge needs the manager or admin role")
        size = page_size(request.page_size)
        cursor = decode_page_token(request.page_token, ChallengeCursor)
        query: dict[str, Any] = {} if request.all else {"participant_ids": caller.subject}
        if cursor is not None:
            query["$or"] = [
                {"created_at": {"$lt": cursor.after_time}},
                {"created_at": cursor.after_time, "_id": {"$gt": cursor.after_id}},
            ]
        docs = await self._store.repo(CHALLENGES, caller.tenant_id).find(
            query, sort=(("created_at", -1), ("_id", 1)), limit=size + 1
        )
        token = ""
        if len(docs) > size:
            docs = docs[:size]
            token = encode_page_token(
                ChallengeCursor(after_time=docs[-1]["created_at"], after_id=docs[-1]["_id"])
            )
        return pb.ListChallengesResponse(
            challenges=[_challenge_pb(d) for d in docs], next_page_token=token
        )

    # ---- settings and teams -------------------------------------------------------------

    @override
    async def GetTenantSettings(
        self, request: pb.GetTenantSettingsRequest, context: Context
    ) -> pb.GetTenantSettingsResponse:
        settings = await self._store.tenant_settings(current_principal().tenant_id)
        return pb.GetTenantSettingsResponse(settings=_tenant_pb(settings))

    @override
    async def PutTenantSettings(
        self, request: pb.PutTenantSettingsRequest, context: Context
    ) -> pb.PutTenantSettingsResponse:
        tenant_id = current_principal().tenant_id
        s = request.settings
        data: dict[str, Any] = {
            "time_zone": s.time_zone or "UTC",
            "privacy_mode": s.privacy_mode or "public",
            "streak_grace_days": s.streak_grace_days,
        }
        if s.levels:
            data["levels"] = [
                {"level": lv.level, "name": lv.name, "min_points": lv.min_points} for lv in s.levels
            ]
        settings = _validated(TenantSettings, "settings", data)
        await self._store.put_tenant_settings(tenant_id, settings)
        return pb.PutTenantSettingsResponse(settings=_tenant_pb(settings))

    @override
    async def PutPersonSettings(
        self, request: pb.PutPersonSettingsRequest, context: Context
    ) -> pb.PutPersonSettingsResponse:
        caller = current_principal()
        settings = parse_request(
            PersonSettings,
            time_zone=request.time_zone,
            leaderboard_opt_out=request.leaderboard_opt_out,
        )
        if settings.time_zone:
            try:
                valid_time_zone(settings.time_zone)
            except ValueError as error:
                raise InvalidArgument.single("time_zone", str(error)) from None
        doc = await self._store.set_profile_fields(
            caller.tenant_id,
            caller.subject,
            {"$set": {"time_zone": settings.time_zone, "opt_out": settings.leaderboard_opt_out}},
        )
        await self._scoring.boards.set_public(
            caller.tenant_id, caller.subject, not settings.leaderboard_opt_out
        )
        if not settings.leaderboard_opt_out:
            await self._scoring.resync_learner(caller.tenant_id, caller.subject, boards_of(doc))
        return pb.PutPersonSettingsResponse()

    @override
    async def PutTeam(self, request: pb.PutTeamRequest, context: Context) -> pb.PutTeamResponse:
        tenant_id = current_principal().tenant_id
        team = parse_request(
            TeamRequest,
            team_id=request.team_id,
            name=request.name,
            member_ids=tuple(dict.fromkeys(request.member_ids)),
        )
        if any(not m or len(m) > MAX_ID for m in team.member_ids):
            raise InvalidArgument.single("member_ids", f"ids are 1 to {MAX_ID} characters")
        teams = self._store.repo(TEAMS, tenant_id)
        before = await teams.find_one_and_update(
            {"_id": f"{tenant_id}:{team.team_id}"},
            {
                "$set": {
                    "team_id": team.team_id,
                    "name": team.name,
                    "member_ids": list(team.member_ids),
                }
            },
            upsert=True,
            return_after=False,
        )
        board = f"team:{team.team_id}"
        for gone in set((before or {}).get("member_ids", ())) - set(team.member_ids):
            await self._store.set_profile_fields(
                tenant_id, gone, {"$pullAll": {"teams": [team.team_id]}}
            )
            await self._scoring.boards.remove(tenant_id, gone, board)
        for member in team.member_ids:
            await self._store.set_profile_fields(
                tenant_id, member, {"$addToSet": {"teams": team.team_id}}
            )
            await self._scoring.resync_learner(tenant_id, member, [board])
        return pb.PutTeamResponse()


def _require_self_or(caller: Principal, learner: str) -> None:
    if learner != caller.subject and not caller.has_any_role(OVERSEERS):
        raise PermissionDenied("another person's ledger needs the manager or admin role")


def _standing_pb(s: Standing) -> pb.LeaderboardEntry:
    return pb.LeaderboardEntry(
        rank=s.rank, learner_id=s.learner_id, team_id=s.team_id, points=s.points, is_me=s.is_me
    )


def _board_pb(board: Board) -> pb.GetLeaderboardResponse:
    return pb.GetLeaderboardResponse(
        top=[_standing_pb(s) for s in board.top],
        around_me=[_standing_pb(s) for s in board.around],
        me=_standing_pb(board.me),
        ranked_count=board.ranked_count,
        period_key=board.period_key,
        privacy_mode=board.privacy_mode,
    )
