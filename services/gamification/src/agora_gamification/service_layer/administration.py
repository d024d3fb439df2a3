"""Use cases of a tenant's admins: settings, rules, badge definitions and teams."""

from __future__ import annotations

from agora_core.identity import Principal
from agora_gamification.domain.badges import BadgeDefinition
from agora_gamification.domain.boards import Team, board_key
from agora_gamification.domain.rules import Rule, effective_rules
from agora_gamification.domain.settings import TenantSettings
from agora_gamification.service_layer.ports import UnitOfWorkFactory
from agora_gamification.service_layer.scoring import Clock, resync_learners


class Administration:
    """Tenant configuration (a change bumps the configuration version: later events
    see it) and teams."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def settings(self, caller: Principal) -> TenantSettings:
        async with self._uow(caller.tenant_id) as uow:
            return (await uow.config.tenant_state()).settings

    async def put_settings(self, caller: Principal, settings: TenantSettings) -> TenantSettings:
        async with self._uow(caller.tenant_id) as uow:
            await uow.config.put_settings(settings)
        return settings

    async def rules(self, caller: Principal) -> list[Rule]:
        """The effective rules: defaults overridden by the stored ones."""
        async with self._uow(caller.tenant_id) as uow:
            return effective_rules(await uow.config.stored_rules())

    async def put_rule(self, caller: Principal, rule: Rule) -> Rule:
        async with self._uow(caller.tenant_id) as uow:
            return await uow.config.put_rule(rule)

    async def badges(self, caller: Principal) -> list[BadgeDefinition]:
        async with self._uow(caller.tenant_id) as uow:
            return await uow.config.badges()

    async def put_badge(self, caller: Principal, badge: BadgeDefinition) -> BadgeDefinition:
        async with self._uow(caller.tenant_id) as uow:
            return await uow.config.put_badge(badge)

    async def put_team(self, caller: Principal, team: Team) -> None:
        """Create or replace a team: members who left go off its board, members
        appear on it with their current points."""
        board = board_key("team", team.team_id)
        async with self._uow(caller.tenant_id) as uow:
            before = await uow.memberships.put_team(team)
            for gone in sorted(set(before) - set(team.member_ids)):
                await uow.boards.remove(gone, board)
            await resync_learners(
                uow, {member: [board] for member in team.member_ids}, self._clock()
            )
