"""Use case: a batch of consumed events → ledger entries, balances, levels, streaks,
badges and leaderboard entries, in the batch's one transaction.

Events are applied in their order, grouped by learner: every learner the batch touches
is read once (locked, in id order), the pure :func:`~agora_gamification.domain.profile.apply_event`
runs for each (event, learner), then each learner's profile is written once, the ledger
rows and awards go in one statement each, and the learners' board entries are set for
the periods the batch touched. The ledger rows and the balance commit together with the
processed-event marks (the batch consumer's transaction), so the balance is the sum of
the ledger by construction and a redelivered event is skipped before it gets here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Final

import structlog
from prometheus_client import Counter

from agora_contracts.events.domains import gamification as events
from agora_core.messaging.events import OutgoingEvent
from agora_gamification.domain.badges import BadgeDefinition
from agora_gamification.domain.boards import BoardScore, boards_of
from agora_gamification.domain.profile import (
    AwardLine,
    EventFacts,
    LedgerLine,
    ProfileChange,
    ProfileState,
    apply_event,
    people_touched,
)
from agora_gamification.domain.rules import Rule, credits_for, effective_rules
from agora_gamification.domain.settings import TenantSettings, period_keys
from agora_gamification.service_layer.ports import UnitOfWork

log = structlog.get_logger(__name__)

SOURCE: Final = "/agora/gamification"
Clock = Callable[[], dt.datetime]

EVENTS_WITHOUT_EFFECT = Counter(
    "agora_gamification_events_without_effect_total",
    "Consumed events no rule, badge or streak used (by type).",
    ["type"],
)
CAPPED_CREDITS = Counter(
    "agora_gamification_capped_credits_total", "Credits refused by a daily cap.", ["rule"]
)


@dataclass(frozen=True)
class TenantConfig:
    """A tenant's settings, effective rules and badges at one config version."""

    version: int
    open_challenges: int
    settings: TenantSettings
    rules: list[Rule]
    badges: list[BadgeDefinition]


MAX_CACHED_TENANTS: Final = 10_000


class TenantConfigs:
    """Each tenant's configuration, reloaded only when its version moved (one read by
    key per batch otherwise)."""

    def __init__(self) -> None:
        self._cached: dict[str, TenantConfig] = {}

    async def of(self, uow: UnitOfWork) -> TenantConfig:
        state = await uow.config.tenant_state()
        cached = self._cached.get(uow.tenant_id)
        if cached is not None and cached.version == state.config_version:
            return replace(cached, open_challenges=state.open_challenges)
        if len(self._cached) >= MAX_CACHED_TENANTS:
            self._cached.clear()
        loaded = TenantConfig(
            state.config_version,
            state.open_challenges,
            state.settings,
            effective_rules(await uow.config.stored_rules()),
            await uow.config.badges(),
        )
        self._cached[uow.tenant_id] = loaded
        return loaded


class Scoring:
    """Applies consumed events to learners' profiles (see the module doc)."""

    def __init__(self, configs: TenantConfigs) -> None:
        self._configs = configs

    async def score(self, uow: UnitOfWork, batch: Sequence[EventFacts]) -> TenantConfig:
        """Apply one tenant's events, in order; returns the tenant's configuration."""
        config = await self._configs.of(uow)
        plan = plan_credits(config, batch)
        learners = sorted({p for _, _, people in plan for p in people})
        if not learners:
            return config
        states = await uow.profiles.get_profiles(learners, for_update=True)
        await store_scored(uow, apply_credits(config, states, plan))
        return config


Plan = list[tuple[EventFacts, list[Any], list[str]]]
"""Each event of a batch with its credits and the people it touches."""


@dataclass(frozen=True)
class Scored:
    """What a batch changes, for :func:`store_scored` to write."""

    changed: list[ProfileState]
    entries: list[LedgerLine]
    awards: list[AwardLine]
    touched: dict[str, set[str]]
    """Learner → the periods whose board entries move."""
    states: dict[str, ProfileState]
    outgoing: list[OutgoingEvent]


def plan_credits(config: TenantConfig, batch: Sequence[EventFacts]) -> Plan:
    """The credits of each event and the people it touches (no one: counted)."""
    plan: Plan = []
    for facts in batch:
        credits = credits_for(config.rules, facts.event_type, facts.payload, facts.actor_id)
        people = people_touched(facts, credits, config.badges)
        if not people:
            EVENTS_WITHOUT_EFFECT.labels(facts.event_type).inc()
        plan.append((facts, credits, people))
    return plan


def apply_credits(config: TenantConfig, states: Mapping[str, ProfileState], plan: Plan) -> Scored:
    """Apply the planned events, in order, to the learners' ``states`` (pure)."""
    after = dict(states)
    entries: list[LedgerLine] = []
    awards: list[AwardLine] = []
    touched: dict[str, set[str]] = {}
    outgoing: list[OutgoingEvent] = []
    for facts, credits, people in plan:
        for learner in people:
            change = apply_event(
                after[learner],
                facts,
                credits=credits,
                rules=config.rules,
                badges=config.badges,
                tenant=config.settings,
            )
            if change is None:
                continue  # applied already (its processed mark was purged since)
            for rule_id in change.capped_rules:
                CAPPED_CREDITS.labels(rule_id).inc()
            after[learner] = change.state
            entries += change.entries
            awards += change.awards
            touched.setdefault(learner, set()).update(change.touched_periods)
            outgoing += events_of(facts, change)
    changed = [s for learner, s in after.items() if s != states[learner]]
    return Scored(changed, entries, awards, touched, after, outgoing)


async def store_scored(uow: UnitOfWork, scored: Scored) -> None:
    """Write what a batch changed: profiles once each, ledger rows and awards in one
    statement each, board entries, and the events to publish (at commit)."""
    await uow.profiles.save_profiles(scored.changed)
    await uow.ledger.add_entries(scored.entries)
    await uow.awards.add_awards(scored.awards)
    states = [scored.states[learner] for learner in scored.touched]
    await write_scores(uow, states, scored.touched)
    uow.add_events(scored.outgoing)


async def write_scores(
    uow: UnitOfWork,
    states: Sequence[ProfileState],
    periods: Mapping[str, set[str]],
    boards: Mapping[str, list[str]] | None = None,
) -> None:
    """Set each learner's entries for their ``periods`` on every board they belong to
    (or on ``boards``, per learner)."""
    if not states:
        return
    if boards is None:
        memberships = await uow.memberships.memberships_of([s.learner_id for s in states])
        boards = {who: boards_of(spaces, teams) for who, (spaces, teams) in memberships.items()}
    await uow.boards.set_scores(
        [
            BoardScore(
                board=board,
                period=period,
                learner_id=state.learner_id,
                points=state.periods[period],
                reached_at=dt.datetime.fromisoformat(state.period_times[period]),
                public=not state.opt_out,
            )
            for state in states
            for board in boards[state.learner_id]
            for period in sorted(periods[state.learner_id])
            if period in state.periods and period in state.period_times
        ]
    )


async def resync_learners(
    uow: UnitOfWork, boards: Mapping[str, Sequence[str]], now: dt.datetime
) -> None:
    """After joining a space or a team (``{learner: boards}``): the learners' entries of
    the current periods on those boards."""
    if not boards:
        return
    # Locked as scoring locks them: an event of the same learner waits, so the two
    # never both create one board entry.
    states = await uow.profiles.get_profiles(list(boards), for_update=True)
    tenant = (await uow.config.tenant_state()).settings
    current = set(period_keys(now, tenant.time_zone))
    await write_scores(
        uow,
        list(states.values()),
        dict.fromkeys(states, current),
        {learner: list(b) for learner, b in boards.items()},
    )


def events_of(facts: EventFacts, change: ProfileChange) -> list[OutgoingEvent]:
    """points.awarded, level.reached and badge.awarded of one applied change."""
    learner = change.state.learner_id
    out: list[OutgoingEvent] = []

    def emit(payload: Any) -> None:
        out.append(
            OutgoingEvent.create(
                payload,
                source=SOURCE,
                subject=learner,
                tenant_id=facts.tenant_id,
                actor_id=facts.actor_id,
                time=facts.occurred_at,
                # A run of events may span several traces: each effect continues its own.
                traceparent=facts.traceparent,
            )
        )

    for entry in change.entries:
        emit(
            events.PointsAwardedV1(
                learner_id=learner,
                points=entry.points,
                balance=entry.balance,
                rule_id=entry.rule_id,
                source_event_id=entry.source_event_id,
                source_event_type=entry.source_event_type,
                awarded_at=entry.awarded_at,
            )
        )
    for level in change.levels_reached:
        emit(
            events.LevelReachedV1(
                learner_id=learner,
                level=level.level,
                level_name=level.name,
                points=change.state.points,
                reached_at=facts.occurred_at,
            )
        )
    for award in change.awards:
        emit(events.BadgeAwardedV1(**asdict(award)))
    return out
