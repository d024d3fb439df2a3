"""In-memory fakes of the storage ports (``service_layer/ports.py``) for unit tests:
dictionaries with the repositories' semantics, one tenant per fake unit of work, and a
count of the calls made (batching is part of what the use cases promise)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace

from agora_core.idempotency import RequestIds
from agora_core.messaging.events import OutgoingEvent
from agora_core.testing.request_ids import InMemoryRequestIds
from agora_gamification.domain.awards import Award
from agora_gamification.domain.badges import BadgeDefinition
from agora_gamification.domain.boards import BoardScore, Team
from agora_gamification.domain.challenges import Challenge, DuelAttempt
from agora_gamification.domain.profile import AwardLine, LedgerLine, ProfileState
from agora_gamification.domain.rules import Rule
from agora_gamification.domain.settings import PersonSettings, TenantSettings
from agora_gamification.domain.tenant import TenantState
from agora_gamification.service_layer.ports import (
    AwardRepository,
    BoardRepository,
    ChallengeRepository,
    ConfigRepository,
    LedgerRepository,
    MembershipRepository,
    ProfileRepository,
    RetentionRepository,
)

from .fake_retention import FakeRetention


class TenantData:
    """Everything one tenant stores."""

    def __init__(self) -> None:
        self.settings = TenantSettings()
        self.config_version = 0
        self.open_challenges = 0
        self.rules: dict[str, Rule] = {}
        self.badges: dict[str, BadgeDefinition] = {}
        self.profiles: dict[str, ProfileState] = {}
        self.person_settings: dict[str, tuple[str, bool]] = {}
        self.ledger: dict[str, LedgerLine] = {}
        self.purged_before: dt.datetime | None = None
        self.awards: dict[str, AwardLine] = {}
        self.revocations: dict[str, tuple[str, dt.datetime]] = {}
        self.entries: dict[tuple[str, str, str], BoardScore] = {}
        self.spaces: dict[str, set[str]] = defaultdict(set)
        self.teams: dict[str, Team] = {}
        self.challenges: dict[str, Challenge] = {}
        self.progress: dict[str, dict[str, str]] = defaultdict(dict)
        self.attempts: dict[str, dict[str, DuelAttempt]] = defaultdict(dict)
        self.outbox: list[OutgoingEvent] = []
        self.request_ids: dict[tuple[str, str], tuple[str, str]] = {}
        self.calls: Counter[str] = Counter()


class FakeConfig:
    def __init__(self, data: TenantData) -> None:
        self._d = data

    async def tenant_state(self) -> TenantState:
        return TenantState(self._d.config_version, self._d.open_challenges, self._d.settings)

    async def put_settings(self, settings: TenantSettings) -> None:
        self._d.settings = settings
        self._d.config_version += 1

    async def count_open_challenges(self, delta: int) -> None:
        self._d.open_challenges += delta

    async def stored_rules(self) -> list[Rule]:
        return [self._d.rules[k] for k in sorted(self._d.rules)]

    async def put_rule(self, rule: Rule) -> Rule:
        old = self._d.rules.get(rule.rule_id)
        stored = rule.model_copy(update={"version": (old.version if old else 0) + 1})
        self._d.rules[rule.rule_id] = stored
        self._d.config_version += 1
        return stored

    async def badges(self) -> list[BadgeDefinition]:
        return [self._d.badges[k] for k in sorted(self._d.badges)]

    async def badge(self, badge_id: str) -> BadgeDefinition | None:
        return self._d.badges.get(badge_id)

    async def put_badge(self, badge: BadgeDefinition) -> BadgeDefinition:
        old = self._d.badges.get(badge.badge_id)
        stored = badge.model_copy(update={"version": (old.version if old else 0) + 1})
        self._d.badges[badge.badge_id] = stored
        self._d.config_version += 1
        return stored


class FakeProfiles:
    def __init__(self, data: TenantData) -> None:
        self._d = data

    async def get_profiles(
        self, learner_ids: Sequence[str], *, for_update: bool = False
    ) -> dict[str, ProfileState]:
        self._d.calls["get_profiles"] += 1
        found = {}
        for learner in learner_ids:
            zone, opt_out = self._d.person_settings.get(learner, ("", False))
            stored = self._d.profiles.get(learner, ProfileState(learner_id=learner))
            found[learner] = replace(stored, time_zone=zone, opt_out=opt_out)
        return found

    async def get_profile(self, learner_id: str) -> ProfileState | None:
        if learner_id not in self._d.profiles:
            return None
        return (await self.get_profiles([learner_id]))[learner_id]

    async def save_profiles(self, states: Sequence[ProfileState]) -> None:
        self._d.calls["save_profiles"] += 1
        for state in states:
            self._d.profiles[state.learner_id] = replace(state, time_zone="", opt_out=False)

    async def put_person_settings(self, person_id: str, time_zone: str, opt_out: bool) -> None:
        self._d.person_settings[person_id] = (time_zone, opt_out)

    async def person_settings(self, person_id: str) -> PersonSettings | None:
        stored = self._d.person_settings.get(person_id)
        if stored is None:
            return None
        return PersonSettings(time_zone=stored[0], leaderboard_opt_out=stored[1])

    async def delete_person(self, person_id: str) -> int:
        found = self._d.profiles.pop(person_id, None), self._d.person_settings.pop(person_id, None)
        return sum(x is not None for x in found)


class FakeLedger:
    def __init__(self, data: TenantData) -> None:
        self._d = data

    async def add_entries(self, lines: Sequence[LedgerLine]) -> int:
        self._d.calls["add_entries"] += 1
        new = [x for x in lines if x.entry_id not in self._d.ledger]
        self._d.ledger.update((x.entry_id, x) for x in new)
        return len(new)

    async def entries_of(
        self, learner_id: str, after: tuple[dt.datetime, str] | None, limit: int
    ) -> list[LedgerLine]:
        mine = sorted(
            (x for x in self._d.ledger.values() if x.learner_id == learner_id),
            key=lambda x: (x.awarded_at, x.entry_id),
            reverse=True,
        )
        return [x for x in mine if after is None or (x.awarded_at, x.entry_id) < after][:limit]

    async def sum_of(self, learner_id: str) -> int:
        return sum(x.points for x in self._d.ledger.values() if x.learner_id == learner_id)

    async def pseudonymise(self, person_id: str, pseudonym: str) -> int:
        mine = [x for x in self._d.ledger.values() if x.learner_id == person_id]
        for x in mine:
            self._d.ledger[x.entry_id] = replace(x, learner_id=pseudonym)
        return len(mine)


class FakeAwards:
    def __init__(self, data: TenantData) -> None:
        self._d = data

    async def add_awards(self, lines: Sequence[AwardLine]) -> None:
        for line in lines:
            self._d.awards.setdefault(line.award_id, line)

    async def get_award(self, award_id: str) -> Award | None:
        line = self._d.awards.get(award_id)
        if line is None:
            return None
        reason, at = self._d.revocations.get(award_id, ("", None))
        return Award(
            line.award_id,
            line.badge_id,
            line.badge_name,
            line.learner_id,
            line.image_url,
            line.skill_ids,
            line.awarded_at,
            award_id in self._d.revocations,
            reason,
            at,
        )

    async def awards_of(self, learner_id: str, limit: int = 500) -> list[Award]:
        lines = sorted(
            (a for a in self._d.awards.values() if a.learner_id == learner_id),
            key=lambda a: (a.awarded_at, a.award_id),
        )
        return [a for a in [await self.get_award(x.award_id) for x in lines[:limit]] if a]

    async def revoke(self, award_id: str, reason: str, at: dt.datetime) -> bool:
        if award_id in self._d.revocations:
            return False
        self._d.revocations[award_id] = (reason, at)
        return True

    async def delete_person(self, learner_id: str) -> int:
        mine = [k for k, a in self._d.awards.items() if a.learner_id == learner_id]
        for key in mine:
            del self._d.awards[key]
            self._d.revocations.pop(key, None)
        return len(mine)


class FakeBoards:
    def __init__(self, data: TenantData) -> None:
        self._d = data

    async def set_scores(self, scores: Sequence[BoardScore]) -> None:
        self._d.calls["set_scores"] += 1
        for s in scores:
            self._d.entries[(s.board, s.period, s.learner_id)] = s

    async def set_public(self, learner_id: str, public: bool) -> None:
        for key, s in self._d.entries.items():
            if s.learner_id == learner_id:
                self._d.entries[key] = replace(s, public=public)

    async def remove(self, learner_id: str, board: str) -> int:
        gone = [k for k in self._d.entries if k[0] == board and k[2] == learner_id]
        for key in gone:
            del self._d.entries[key]
        return len(gone)

    async def delete_person(self, learner_id: str) -> int:
        gone = [k for k in self._d.entries if k[2] == learner_id]
        for key in gone:
            del self._d.entries[key]
        return len(gone)

    async def totals(self, boards: Sequence[str], period: str) -> dict[str, int]:
        totals: dict[str, int] = {}
        for (b, p, _), s in self._d.entries.items():
            if b in boards and p == period:
                totals[b] = totals.get(b, 0) + s.points
        return totals


class FakeMemberships:
    def __init__(self, data: TenantData) -> None:
        self._d = data

    async def memberships_of(
        self, learner_ids: Sequence[str]
    ) -> dict[str, tuple[list[str], list[str]]]:
        self._d.calls["memberships_of"] += 1
        return {
            learner: (
                sorted(s for s, members in self._d.spaces.items() if learner in members),
                sorted(t.team_id for t in self._d.teams.values() if learner in t.member_ids),
            )
            for learner in learner_ids
        }

    async def join_space(self, space_id: str, learner_id: str) -> None:
        self._d.spaces[space_id].add(learner_id)

    async def leave_space(self, space_id: str, learner_id: str) -> None:
        self._d.spaces[space_id].discard(learner_id)

    async def members_of_space(self, space_id: str) -> list[str]:
        return sorted(self._d.spaces[space_id])

    async def put_team(self, team: Team) -> tuple[str, ...]:
        before = self._d.teams.get(team.team_id)
        self._d.teams[team.team_id] = replace(team, member_ids=tuple(sorted(team.member_ids)))
        return before.member_ids if before is not None else ()

    async def team(self, team_id: str) -> Team | None:
        return self._d.teams.get(team_id)

    async def teams(self) -> list[Team]:
        return [self._d.teams[k] for k in sorted(self._d.teams)]

    async def leave_all(self, learner_id: str) -> int:
        removed = 0
        for members in self._d.spaces.values():
            removed += learner_id in members
            members.discard(learner_id)
        for key, team in list(self._d.teams.items()):
            if learner_id in team.member_ids:
                removed += 1
                kept = tuple(m for m in team.member_ids if m != learner_id)
                self._d.teams[key] = replace(team, member_ids=kept)
        return removed


class FakeChallenges:
    def __init__(self, data: TenantData) -> None:
        self._d = data

    def _current(self, challenge: Challenge) -> Challenge:
        counted = Counter(self._d.progress[challenge.challenge_id].values())
        return replace(
            challenge,
            progress=dict(counted),
            attempts=dict(self._d.attempts[challenge.challenge_id]),
        )

    async def add_challenge(self, challenge: Challenge) -> None:
        self._d.challenges[challenge.challenge_id] = challenge

    async def get_challenge(
        self, challenge_id: str, *, for_update: bool = False
    ) -> Challenge | None:
        found = self._d.challenges.get(challenge_id)
        return None if found is None else self._current(found)

    async def open_goal_challenges(self, event_type: str) -> list[Challenge]:
        return [
            self._current(c)
            for c in self._d.challenges.values()
            if c.state == "open" and c.scope != "duel" and c.event_type == event_type
        ]

    async def record_progress(self, challenge_id: str, event_id: str, learner_id: str) -> bool:
        counted = self._d.progress[challenge_id]
        if event_id in counted:
            return False
        counted[event_id] = learner_id
        return True

    async def record_attempt(self, challenge_id: str, attempt: DuelAttempt) -> bool:
        attempts = self._d.attempts[challenge_id]
        if attempt.learner_id in attempts:
            return False
        attempts[attempt.learner_id] = attempt
        return True

    async def complete(
        self, challenge_id: str, outcome: str, winners: Sequence[str], at: dt.datetime
    ) -> bool:
        challenge = self._d.challenges[challenge_id]
        if challenge.state != "open":
            return False
        self._d.challenges[challenge_id] = replace(
            challenge, state="completed", outcome=outcome, winner_ids=tuple(winners)
        )
        return True

    async def page(
        self, participant: str | None, after: tuple[dt.datetime, str] | None, limit: int
    ) -> list[Challenge]:
        listed = sorted(
            (
                c
                for c in self._d.challenges.values()
                if participant is None or participant in c.participant_ids
            ),
            key=lambda c: (c.created_at, c.challenge_id),
            reverse=True,
        )
        return [
            self._current(c)
            for c in listed
            if after is None or (c.created_at, c.challenge_id) < after
        ][:limit]

    async def pseudonymise(self, person_id: str, pseudonym: str) -> int:
        return 0


class FakeUnitOfWork:
    """One tenant's fake repositories; events reach the tenant's outbox on commit."""

    def __init__(self, tenant_id: str, data: TenantData) -> None:
        self.tenant_id = tenant_id
        self.data = data
        self.config: ConfigRepository = FakeConfig(data)
        self.profiles: ProfileRepository = FakeProfiles(data)
        self.ledger: LedgerRepository = FakeLedger(data)
        self.retention: RetentionRepository = FakeRetention(data)
        self.awards: AwardRepository = FakeAwards(data)
        self.boards: BoardRepository = FakeBoards(data)
        self.memberships: MembershipRepository = FakeMemberships(data)
        self.challenges: ChallengeRepository = FakeChallenges(data)
        self.request_ids: RequestIds = InMemoryRequestIds(data.request_ids)
        self.pending: list[OutgoingEvent] = []

    def add_events(self, events: Sequence[OutgoingEvent]) -> None:
        self.pending.extend(events)


class FakeStorage:
    """Every tenant's data, and a unit-of-work factory over it (no rollback: a use case
    that raises leaves what it wrote, which no test here relies on)."""

    def __init__(self) -> None:
        self.tenants: dict[str, TenantData] = defaultdict(TenantData)

    @asynccontextmanager
    async def __call__(self, tenant_id: str) -> AsyncIterator[FakeUnitOfWork]:
        uow = FakeUnitOfWork(tenant_id, self.tenants[tenant_id])
        yield uow
        uow.data.outbox.extend(uow.pending)

    async def retention_tenants(self) -> list[str]:
        return [t for t, data in self.tenants.items() if data.settings.ledger_retention_days]

    async def due_challenges(self, now: dt.datetime, limit: int) -> list[tuple[str, str]]:
        return [
            (tenant, c.challenge_id)
            for tenant, data in self.tenants.items()
            for c in data.challenges.values()
            if c.state == "open" and c.ends_at <= now
        ][:limit]
