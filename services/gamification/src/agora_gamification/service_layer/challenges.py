"""Use cases: challenges — creation, progress from events, completion, deadlines.

An event counts once per challenge (a progress row keyed by the event id); completion
is one conditional update ``open → completed`` whose ``challenge.completed`` event goes
to the outbox in the same transaction, so two replicas' sweepers or consumers never
close one challenge twice.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import structlog

from agora_contracts.events.domains import gamification as events
from agora_core.background import PeriodicTask
from agora_core.errors import InvalidArgument, NotFound, PermissionDenied
from agora_core.idempotency import CreateRequest
from agora_core.identity import Principal
from agora_core.messaging.events import OutgoingEvent
from agora_core.pagination import Page, PageCursor, decode_page_token, keyset_page, page_size
from agora_gamification.domain.catalogue import QUIZ_FAILED, QUIZ_PASSED
from agora_gamification.domain.challenges import (
    Challenge,
    DuelAttempt,
    NewChallenge,
    counts_toward,
    deadline_winners,
    duel_winners,
    goal_winners,
    participants_of,
)
from agora_gamification.domain.profile import EventFacts
from agora_gamification.service_layer.people import OVERSEERS
from agora_gamification.service_layer.ports import DueChallenges, UnitOfWork, UnitOfWorkFactory
from agora_gamification.service_layer.scoring import SOURCE, Clock

log = structlog.get_logger(__name__)

SWEEP_LIMIT = 200


class ChallengeCursor(PageCursor):
    """Next challenges page starts after this (created_at, id)."""

    after_time: dt.datetime
    after_id: str


class Challenges:
    """Challenge use cases (tenant from the caller or the event)."""

    def __init__(self, uow: UnitOfWorkFactory, due: DueChallenges, clock: Clock) -> None:
        self._uow = uow
        self._due = due
        self._clock = clock

    async def create(
        self, caller: Principal, new: NewChallenge, request: CreateRequest | None = None
    ) -> Challenge:
        """Open a challenge; team and space participants are resolved now. With
        ``request`` (a request id), a repeat answers with the first call's challenge.
        Team and space challenges, and person challenges for someone else, are set by
        managers and admins."""
        creator = caller.subject
        _check_may_create(caller, new)
        async with self._uow(caller.tenant_id) as uow:
            if request is not None:
                created = await uow.request_ids.created_by(request)
                if created is not None:
                    found = await uow.challenges.get_challenge(created)
                    if found is None:
                        raise NotFound("challenge", created)
                    return found
            if new.scope == "person":
                participants = new.participant_ids or (creator,)
            elif new.scope == "duel":
                if creator not in new.participant_ids:
                    raise PermissionDenied("a duel is created by one of its two colleagues")
                participants = new.participant_ids
            elif new.scope == "team":
                team = await uow.memberships.team(new.scope_id)
                if team is None:
                    raise NotFound("team", new.scope_id)
                participants = team.member_ids
            else:
                participants = tuple(await uow.memberships.members_of_space(new.scope_id))
            challenge = Challenge(
                challenge_id=uuid.uuid4().hex,
                title=new.title,
                scope=new.scope,
                scope_id=new.scope_id,
                participant_ids=participants_of(participants),
                event_type=QUIZ_PASSED if new.scope == "duel" else new.event_type,
                conditions=new.conditions,
                target=new.target,
                quiz_item_id=new.quiz_item_id,
                starts_at=new.starts_at,
                ends_at=new.ends_at,
                created_by=creator,
                created_at=self._clock(),
            )
            await uow.challenges.add_challenge(challenge)
            await uow.config.count_open_challenges(1)
            if request is not None:
                await uow.request_ids.remember(request, challenge.challenge_id)
            uow.add_events(
                [
                    _event(
                        caller.tenant_id,
                        creator,
                        events.ChallengeStartedV1(
                            challenge_id=challenge.challenge_id,
                            title=new.title,
                            scope=new.scope,
                            scope_id=new.scope_id or None,
                            participant_ids=challenge.participant_ids,
                            created_by=creator,
                            starts_at=new.starts_at,
                            ends_at=new.ends_at,
                        ),
                        challenge.challenge_id,
                    )
                ]
            )
        return challenge

    async def get(self, caller: Principal, challenge_id: str) -> Challenge:
        async with self._uow(caller.tenant_id) as uow:
            found = await uow.challenges.get_challenge(challenge_id)
        if found is None:
            raise NotFound("challenge", challenge_id)
        return found

    async def page(
        self, caller: Principal, *, everyone: bool, size: int, token: str
    ) -> Page[Challenge]:
        """The caller's challenges (or, for overseers, every one), newest first."""
        cursor = decode_page_token(token, ChallengeCursor)
        limit = page_size(size)
        after = None if cursor is None else (cursor.after_time, cursor.after_id)
        async with self._uow(caller.tenant_id) as uow:
            rows = await uow.challenges.page(None if everyone else caller.subject, after, limit + 1)
        return keyset_page(
            rows,
            limit,
            lambda c: ChallengeCursor(after_time=c.created_at, after_id=c.challenge_id),
        )

    async def on_events(
        self, uow: UnitOfWork, batch: Sequence[EventFacts], open_challenges: int
    ) -> None:
        """Progress of goal challenges, and duel attempts, from one tenant's events
        (``open_challenges``: the tenant's count, read with its configuration)."""
        for facts in batch:
            if facts.event_type in (QUIZ_PASSED, QUIZ_FAILED) and facts.payload.get("challenge_id"):
                await self._duel_attempt(uow, facts)
            elif open_challenges > 0:
                await self._goal_progress(uow, facts)

    async def _goal_progress(self, uow: UnitOfWork, facts: EventFacts) -> None:
        for challenge in await uow.challenges.open_goal_challenges(facts.event_type):
            who = counts_toward(challenge, facts.event_type, facts.payload, facts.occurred_at)
            if who is None:
                continue
            # Locked: another replica counting for it at once waits, then sees our row.
            locked = await uow.challenges.get_challenge(challenge.challenge_id, for_update=True)
            if locked is None or locked.state != "open":
                continue
            if not await uow.challenges.record_progress(locked.challenge_id, facts.event_id, who):
                continue
            challenge = locked
            progress = dict(challenge.progress)
            progress[who] = progress.get(who, 0) + 1
            winners = goal_winners(challenge, progress)
            if winners is not None:
                await self._complete(uow, challenge, "goal_reached", winners)

    async def _duel_attempt(self, uow: UnitOfWork, facts: EventFacts) -> None:
        learner = str(facts.payload["learner_id"])
        challenge_id = str(facts.payload["challenge_id"])
        challenge = await uow.challenges.get_challenge(challenge_id, for_update=True)
        if (
            challenge is None
            or challenge.scope != "duel"
            or challenge.quiz_item_id != facts.payload.get("item_id")
        ):
            log.info("quiz attempt names no duel of this quiz", challenge_id=challenge_id)
            return
        if challenge.state != "open" or learner not in challenge.participant_ids:
            return
        # The first graded attempt of each colleague counts; later ones change nothing.
        graded = facts.payload["graded_at"]
        attempt = DuelAttempt(
            learner,
            facts.event_type,
            float(facts.payload["score_percent"]),
            graded if isinstance(graded, dt.datetime) else dt.datetime.fromisoformat(graded),
        )
        if not await uow.challenges.record_attempt(challenge_id, attempt):
            return
        attempts = {**challenge.attempts, learner: attempt}
        if len(attempts) == 2:
            await self._complete(uow, challenge, "goal_reached", duel_winners(attempts))

    async def close_due(self) -> int:
        """Close every open challenge whose deadline passed (all tenants); count closed."""
        closed = 0
        for tenant_id, challenge_id in await self._due(self._clock(), SWEEP_LIMIT):
            async with self._uow(tenant_id) as uow:
                challenge = await uow.challenges.get_challenge(challenge_id, for_update=True)
                if challenge is not None and challenge.state == "open":
                    winners = deadline_winners(challenge)
                    if await self._complete(uow, challenge, "deadline_passed", winners):
                        closed += 1
        return closed

    async def _complete(
        self, uow: UnitOfWork, challenge: Challenge, outcome: str, winners: list[str]
    ) -> bool:
        now = self._clock()
        if not await uow.challenges.complete(challenge.challenge_id, outcome, winners, now):
            return False
        await uow.config.count_open_challenges(-1)
        uow.add_events(
            [
                _event(
                    uow.tenant_id,
                    None,
                    events.ChallengeCompletedV1(
                        challenge_id=challenge.challenge_id,
                        title=challenge.title,
                        scope=challenge.scope,
                        outcome=outcome,
                        winner_ids=tuple(winners),
                        participant_ids=challenge.participant_ids,
                        completed_at=now,
                    ),
                    challenge.challenge_id,
                )
            ]
        )
        return True


def _event(tenant_id: str, actor: str | None, payload: Any, subject: str) -> OutgoingEvent:
    return OutgoingEvent.create(
        payload, source=SOURCE, subject=subject, tenant_id=tenant_id, actor_id=actor
    )


def progress_of(challenge: Challenge) -> dict[str, int]:
    """What a challenge shows as progress: counted events, or a duel's scores."""
    progress = dict(challenge.progress)
    for learner, attempt in challenge.attempts.items():
        progress[learner] = int(attempt.score)
    return progress


def deadline_sweeper(challenges: Challenges, interval: float) -> PeriodicTask:
    """Background task closing challenges at their deadline (safe with many replicas:
    closing is one conditional update)."""
    return PeriodicTask("challenge-deadline-sweeper", challenges.close_due, interval)


def _check_may_create(caller: Principal, new: NewChallenge) -> None:
    overseer = caller.has_any_role(OVERSEERS)
    if new.scope in ("team", "space") and not overseer:
        raise PermissionDenied("team and space challenges are set by managers and admins")
    if new.scope == "person" and new.participant_ids not in ((), (caller.subject,)):
        if not overseer:
            raise PermissionDenied("only managers and admins challenge someone else")
        if len(new.participant_ids) != 1:
            raise InvalidArgument.single("challenge.participant_ids", "one person")
