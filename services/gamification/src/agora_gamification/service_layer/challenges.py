"""Use case: challenges — creation, progress from events, completion, deadlines.

A challenge document is its own aggregate: progress is ``$push``-ed with a guard on the
event id (``applied``), so a redelivery never counts twice; completion is a conditional
update ``state: open → completed`` carrying ``challenge.completed`` in its outbox, which
is also the claim that keeps two replicas' deadline sweepers from closing one
challenge twice.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Mapping
from typing import Any

import structlog

from agora_contracts.events.domains import gamification as events
from agora_core.background import PeriodicTask
from agora_core.errors import NotFound, PermissionDenied
from agora_core.messaging.events import OutgoingEvent
from agora_core.outbox import OutboxHint, with_outbox
from agora_core.storage import Document
from agora_gamification.adapters.mongo import CHALLENGES
from agora_gamification.domain.catalogue import CONSUMED, QUIZ_FAILED, QUIZ_PASSED
from agora_gamification.domain.challenges import (
    NewChallenge,
    counts_toward,
    deadline_winners,
    duel_winners,
    goal_winners,
    participants_of,
)
from agora_gamification.domain.profile import EventFacts
from agora_gamification.service_layer.ports import ChallengeStore
from agora_gamification.service_layer.scoring import SOURCE, Clock, Notify

log = structlog.get_logger(__name__)


class Challenges:
    """Challenge use cases over the store (tenant from the caller or the event)."""

    def __init__(self, store: ChallengeStore, notify: Notify, clock: Clock) -> None:
        self._store = store
        self._notify = notify
        self._clock = clock

    async def create(self, tenant_id: str, creator: str, new: NewChallenge) -> Document:
        """Open a challenge; team and space participants are resolved now."""
        if new.scope == "person":
            participants = new.participant_ids or (creator,)
        elif new.scope == "duel":
            if creator not in new.participant_ids:
                raise PermissionDenied("a duel is created by one of its two colleagues")
            participants = new.participant_ids
        elif new.scope == "team":
            team = await self._store.team(tenant_id, new.scope_id)
            if team is None:
                raise NotFound("team", new.scope_id)
            participants = tuple(team.get("member_ids", ()))
        else:
            participants = tuple(await self._store.members_of_space(tenant_id, new.scope_id))
        challenge_id = uuid.uuid4().hex
        doc: dict[str, Any] = {
            "_id": challenge_id,
            "title": new.title,
            "scope": new.scope,
            "scope_id": new.scope_id,
            "participant_ids": list(participants_of(participants)),
            "event_type": QUIZ_PASSED if new.scope == "duel" else new.event_type,
            "conditions": [c.model_dump(mode="json") for c in new.conditions],
            "target": new.target,
            "quiz_item_id": new.quiz_item_id,
            "starts_at": new.starts_at,
            "ends_at": new.ends_at,
            "state": "open",
            "outcome": "",
            "winner_ids": [],
            "progress": [],
            "applied": [],
            "attempts": [],
            "attempt_by": [],
            "created_by": creator,
            "created_at": self._clock(),
        }
        started = self._event(
            tenant_id,
            creator,
            events.ChallengeStartedV1(
                challenge_id=challenge_id,
                title=new.title,
                scope=new.scope,
                scope_id=new.scope_id or None,
                participant_ids=tuple(doc["participant_ids"]),
                created_by=creator,
                starts_at=new.starts_at,
                ends_at=new.ends_at,
            ),
            challenge_id,
        )
        doc["outbox"] = [started.to_document()]
        # Counted first: a crash in between leaves the count high (an extra query per
        # event), never low (a challenge that would not see its events).
        await self._store.count_open_challenges(tenant_id, 1)
        await self._store.repo(CHALLENGES, tenant_id).insert_one(doc)
        self._notify(OutboxHint(CHALLENGES, doc["_id"]))
        return doc

    async def get(self, tenant_id: str, challenge_id: str) -> Document:
        doc = await self._store.repo(CHALLENGES, tenant_id).find_one({"_id": challenge_id})
        if doc is None:
            raise NotFound("challenge", challenge_id)
        return doc

    async def on_event(self, facts: EventFacts, open_challenges: int) -> None:
        """Progress of goal challenges, and duel attempts, from one event
        (``open_challenges``: the tenant's count, read with its configuration)."""
        repo = self._store.repo(CHALLENGES, facts.tenant_id)
        if facts.event_type in (QUIZ_PASSED, QUIZ_FAILED) and facts.payload.get("challenge_id"):
            await self._duel_attempt(facts)
            return
        if open_challenges <= 0:
            return
        person = facts.payload.get(CONSUMED[facts.event_type].person_field)
        candidates = await repo.find(
            {"state": "open", "event_type": facts.event_type, "scope": {"$ne": "duel"}}
            | ({"participant_ids": person} if isinstance(person, str) else {})
        )
        for challenge in candidates:
            who = counts_toward(challenge, facts.event_type, facts.payload, facts.occurred_at)
            if who is None:
                continue
            await repo.update_one(
                {"_id": challenge["_id"], "state": "open", "applied": {"$ne": facts.event_id}},
                {
                    "$push": {
                        "applied": facts.event_id,
                        "progress": {"event_id": facts.event_id, "learner_id": who},
                    }
                },
            )
            fresh = await repo.find_one({"_id": challenge["_id"]})
            if fresh is None or fresh["state"] != "open":
                continue
            winners = goal_winners(fresh, progress_counts(fresh))
            if winners is not None:
                await self._complete(facts.tenant_id, fresh, "goal_reached", winners)

    async def _duel_attempt(self, facts: EventFacts) -> None:
        repo = self._store.repo(CHALLENGES, facts.tenant_id)
        learner = str(facts.payload["learner_id"])
        challenge_id = str(facts.payload["challenge_id"])
        challenge = await repo.find_one({"_id": challenge_id, "scope": "duel"})
        if challenge is None or challenge.get("quiz_item_id") != facts.payload.get("item_id"):
            log.info("quiz attempt names no duel of this quiz", challenge_id=challenge_id)
            return
        # The first graded attempt of each colleague counts; later ones change nothing.
        await repo.update_one(
            {
                "_id": challenge_id,
                "state": "open",
                "participant_ids": learner,
                "attempt_by": {"$ne": learner},
            },
            {
                "$push": {
                    "attempt_by": learner,
                    "attempts": {
                        "learner_id": learner,
                        "event_type": facts.event_type,
                        "score": float(facts.payload["score_percent"]),
                        "graded_at": facts.payload["graded_at"],
                    },
                }
            },
        )
        fresh = await repo.find_one({"_id": challenge_id})
        if fresh is not None and fresh["state"] == "open" and len(fresh["attempt_by"]) == 2:
            await self._complete(facts.tenant_id, fresh, "goal_reached", duel_result(fresh))

    async def close_due(self) -> int:
        """Close every open challenge whose deadline passed (all tenants); count closed."""
        due = await self._store.due_challenges(self._clock(), 200)
        closed = 0
        for challenge in due:
            winners = (
                duel_result(challenge)
                if challenge["scope"] == "duel"
                else deadline_winners(challenge)
            )
            if await self._complete(challenge["tenant_id"], challenge, "deadline_passed", winners):
                closed += 1
        return closed

    async def _complete(
        self, tenant_id: str, challenge: Mapping[str, Any], outcome: str, winners: list[str]
    ) -> bool:
        now = self._clock()
        completed = self._event(
            tenant_id,
            None,
            events.ChallengeCompletedV1(
                challenge_id=challenge["_id"],
                title=challenge["title"],
                scope=challenge["scope"],
                outcome=outcome,
                winner_ids=tuple(winners),
                participant_ids=tuple(challenge["participant_ids"]),
                completed_at=now,
            ),
            challenge["_id"],
        )
        done = await self._store.repo(CHALLENGES, tenant_id).update_one(
            {"_id": challenge["_id"], "state": "open"},
            with_outbox(
                {
                    "$set": {
                        "state": "completed",
                        "outcome": outcome,
                        "winner_ids": winners,
                        "completed_at": now,
                    }
                },
                [completed],
            ),
        )
        if done:
            await self._store.count_open_challenges(tenant_id, -1)
            self._notify(OutboxHint(CHALLENGES, challenge["_id"]))
        return done

    @staticmethod
    def _event(tenant_id: str, actor: str | None, payload: Any, subject: str) -> OutgoingEvent:
        return OutgoingEvent.create(
            payload, source=SOURCE, subject=subject, tenant_id=tenant_id, actor_id=actor
        )


def progress_counts(challenge: Mapping[str, Any]) -> dict[str, int]:
    """Counted events per participant."""
    return dict(Counter(str(p["learner_id"]) for p in challenge.get("progress", ())))


def duel_result(challenge: Mapping[str, Any]) -> list[str]:
    """Winners of a duel from its recorded attempts."""
    attempts = {str(a["learner_id"]): a for a in challenge.get("attempts", ())}
    for attempt in attempts.values():
        graded = attempt["graded_at"]
        if isinstance(graded, str):
            attempt["graded_at"] = dt.datetime.fromisoformat(graded)
        elif graded.tzinfo is None:
            attempt["graded_at"] = graded.replace(tzinfo=dt.UTC)
    return duel_winners(attempts)


def deadline_sweeper(challenges: Challenges, interval: float) -> PeriodicTask:
    """Background task closing challenges at their deadline (safe with many replicas:
    closing is one conditional update)."""
    return PeriodicTask("challenge-deadline-sweeper", challenges.close_due, interval)
