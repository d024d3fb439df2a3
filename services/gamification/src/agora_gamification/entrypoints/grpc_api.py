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

from typing_extensions import override

from agora.gamification.v1 import gamification_pb2 as pb
from agora.gamification.v1 import gamification_pb2_grpc
from agora_core.errors import InvalidArgument, PermissionDenied
from agora_core.grpc.aip import create_request
from agora_core.grpc.auth import current_principal
from agora_core.grpc.handler_wrapping import Context
from agora_core.grpc.policy import ANY_AUTHENTICATED, MethodPolicy
from agora_core.grpc.timestamps import to_timestamp
from agora_core.identity import Role
from agora_gamification.entrypoints import grpc_messages as m
from agora_gamification.entrypoints import grpc_requests as requests
from agora_gamification.service_layer.administration import Administration
from agora_gamification.service_layer.awards import Awards
from agora_gamification.service_layer.challenges import Challenges
from agora_gamification.service_layer.leaderboards import Leaderboards
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
        query = requests.board_query(request)
        board = await self._use.leaderboards.board(current_principal(), query)
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
        rule = requests.rule(request.rule)
        stored = await self._use.administration.put_rule(current_principal(), rule)
        return pb.PutRuleResponse(rule=m.rule_pb(stored))

    @override
    async def PutBadge(self, request: pb.PutBadgeRequest, context: Context) -> pb.PutBadgeResponse:
        m.no_nul(request)
        badge = requests.badge(request.badge)
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
        new = requests.new_challenge(request.challenge)
        challenge = await self._use.challenges.create(
            current_principal(), new, create_request("CreateChallenge", request)
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
        settings = requests.tenant_settings(request.settings)
        stored = await self._use.administration.put_settings(current_principal(), settings)
        return pb.PutTenantSettingsResponse(settings=m.tenant_pb(stored))

    @override
    async def PutPersonSettings(
        self, request: pb.PutPersonSettingsRequest, context: Context
    ) -> pb.PutPersonSettingsResponse:
        m.no_nul(request)
        settings = requests.person_settings(request)
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
        await self._use.administration.put_team(current_principal(), requests.team(request))
        return pb.PutTeamResponse()
