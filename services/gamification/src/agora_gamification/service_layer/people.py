"""Use cases about one person: their profile, their ledger, their settings, and the
space memberships community events report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from agora_core.errors import InvalidArgument, NotFound, PermissionDenied
from agora_core.identity import Principal, Role
from agora_core.pagination import Page, PageCursor, decode_page_token, keyset_page, page_size
from agora_gamification.domain.awards import Award
from agora_gamification.domain.boards import board_key, boards_of
from agora_gamification.domain.catalogue import MEMBER_JOINED
from agora_gamification.domain.profile import EventFacts, LedgerLine, ProfileState, Streak
from agora_gamification.domain.settings import (
    LevelThreshold,
    PersonSettings,
    local_day,
    valid_time_zone,
)
from agora_gamification.service_layer.ports import UnitOfWork, UnitOfWorkFactory
from agora_gamification.service_layer.scoring import Clock, resync_learners

OVERSEERS = frozenset({Role.MANAGER, Role.ADMIN})


class LedgerCursor(PageCursor):
    """Next ledger page starts after this (awarded_at, id)."""

    after_time: dt.datetime
    after_id: str


@dataclass(frozen=True)
class ProfileView:
    """A profile as shown: level, the next one, the streak as of today, badges held."""

    state: ProfileState
    level: LevelThreshold
    next_level: LevelThreshold | None
    streak: Streak
    badges: list[Award]


class People:
    """Profile, ledger and person settings use cases."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def profile(self, caller: Principal, learner_id: str) -> ProfileView:
        async with self._uow(caller.tenant_id) as uow:
            tenant = (await uow.config.tenant_state()).settings
            stored = await uow.profiles.get_profile(learner_id)
            if stored is None and learner_id != caller.subject:
                raise NotFound("profile", learner_id)
            state = stored or (await uow.profiles.get_profiles([learner_id]))[learner_id]
            awards = await uow.awards.awards_of(learner_id)
        zone = state.time_zone or tenant.time_zone
        return ProfileView(
            state=state,
            level=tenant.level_for(state.points),
            next_level=tenant.next_level(state.points),
            streak=state.streak.as_of(local_day(self._clock(), zone), tenant.streak_grace_days),
            badges=[a for a in awards if not a.revoked],
        )

    async def ledger(
        self, caller: Principal, learner_id: str, *, size: int, token: str
    ) -> Page[LedgerLine]:
        """A learner's entries, newest first (another person's: managers and admins)."""
        if learner_id != caller.subject and not caller.has_any_role(OVERSEERS):
            raise PermissionDenied("another person's ledger needs the manager or admin role")
        cursor = decode_page_token(token, LedgerCursor)
        limit = page_size(size)
        after = None if cursor is None else (cursor.after_time, cursor.after_id)
        async with self._uow(caller.tenant_id) as uow:
            rows = await uow.ledger.entries_of(learner_id, after, limit + 1)
        return keyset_page(
            rows, limit, lambda x: LedgerCursor(after_time=x.awarded_at, after_id=x.entry_id)
        )

    async def settings(self, caller: Principal) -> PersonSettings:
        """The caller's own settings; the defaults (the tenant's zone, shown) if never put."""
        async with self._uow(caller.tenant_id) as uow:
            stored = await uow.profiles.person_settings(caller.subject)
        return stored or PersonSettings()

    async def put_settings(self, caller: Principal, time_zone: str, opt_out: bool) -> None:
        """The caller's time zone and leaderboard opt-out (shown or hidden at once)."""
        if time_zone:
            try:
                valid_time_zone(time_zone)
            except ValueError as error:
                raise InvalidArgument.single("time_zone", str(error)) from None
        async with self._uow(caller.tenant_id) as uow:
            await uow.profiles.put_person_settings(caller.subject, time_zone, opt_out)
            await uow.boards.set_public(caller.subject, not opt_out)
            if not opt_out:
                (spaces, teams) = (await uow.memberships.memberships_of([caller.subject]))[
                    caller.subject
                ]
                await resync_learners(
                    uow, {caller.subject: boards_of(spaces, teams)}, self._clock()
                )


async def membership_changed(
    uow: UnitOfWork, batch: Sequence[EventFacts], now: dt.datetime
) -> None:
    """member.joined / member.left: the learner's place on the space's board."""
    for facts in batch:
        space = str(facts.payload["space_id"])
        member = str(facts.payload["member_id"])
        board = board_key("space", space)
        if facts.event_type == MEMBER_JOINED:
            await uow.memberships.join_space(space, member)
            await resync_learners(uow, {member: [board]}, now)
        else:
            await uow.memberships.leave_space(space, member)
            await uow.boards.remove(member, board)
