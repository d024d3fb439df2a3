"""A learner's profile: the aggregate one event changes in a single write.

:func:`apply_event` is pure. Given the profile as stored and one event, it returns the
new profile plus everything the change causes: ledger entries (deterministic ids from
tenant, event and rule), badge awards, levels reached. The caller writes the new
profile with an optimistic version check, so two replicas or a redelivery can never
apply one event twice (``applied`` remembers the last events and what they produced).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Any, Final

from agora_gamification.domain.badges import BadgeDefinition
from agora_gamification.domain.catalogue import CONSUMED, STREAK_DAY
from agora_gamification.domain.rules import Credit, Rule, credits_for
from agora_gamification.domain.settings import (
    LevelThreshold,
    TenantSettings,
    local_day,
    period_keys,
)

APPLIED_WINDOW: Final = 32
"""Events remembered per profile. Redelivery of an in-flight event (the only kind the
processed-id record can miss) always falls inside it."""


def ledger_entry_id(tenant_id: str, event_id: str, rule_id: str) -> str:
    """Deterministic id of the one entry an (event, rule) pair can create."""
    return hashlib.sha256(f"{tenant_id}|{event_id}|{rule_id}".encode()).hexdigest()[:32]


def award_id(tenant_id: str, badge_id: str, learner_id: str) -> str:
    """Deterministic id of a learner's award of a badge (one per badge and learner)."""
    return hashlib.sha256(f"{tenant_id}|{badge_id}|{learner_id}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class EventFacts:
    """What the domain needs of one received event."""

    tenant_id: str
    event_id: str
    event_type: str
    actor_id: str | None
    payload: Mapping[str, Any]
    occurred_at: dt.datetime
    traceparent: str | None = None
    """The W3C trace context the event carried: what it causes continues that trace."""


STREAK_WINDOW_DAYS: Final = 62
"""Active days kept per profile, counted back from the latest one. Within the window a
streak is the same whatever order the days' events were handled in (a backlog is
consumed across topics and partitions, so a learner's days may arrive out of order);
activity older than the window can no longer join or split a chain and is ignored."""

CAP_WINDOW_DAYS: Final = 8
"""Daily-cap counters kept per profile, counted back from the newest day seen: a
late event within this window is capped exactly as it would have been in order."""


@dataclass(frozen=True)
class Streak:
    """Consecutive active local days; a gap of up to ``grace`` missed days is forgiven.

    ``days`` are the active days of the last :data:`STREAK_WINDOW_DAYS` (ascending, the
    last one is ``last_day``); ``carried`` counts the active days, older than the
    window, of the chain that runs into ``days[0]``. ``current`` and ``longest`` are
    derived from them, so they do not depend on the order the days were recorded in.
    """

    current: int = 0
    longest: int = 0
    last_day: dt.date | None = None
    days: tuple[dt.date, ...] = ()
    carried: int = 0

    def after_activity(self, day: dt.date, grace: int) -> Streak:
        """The streak once ``day`` is known to be active (a known day changes nothing)."""
        if day in self.days:
            return self
        if self.last_day is not None and (self.last_day - day).days >= STREAK_WINDOW_DAYS:
            return self  # older than the window: its chain is no longer known
        days = sorted({*self.days, day})
        carried = self.carried
        latest = days[-1]
        while (latest - days[0]).days >= STREAK_WINDOW_DAYS:
            dropped = days.pop(0)
            joined = (days[0] - dropped).days <= 1 + grace
            carried = carried + 1 if joined else 0
        chains = _chains(days, carried, grace)
        return Streak(
            current=chains[-1],
            longest=max(self.longest, *chains),
            last_day=latest,
            days=tuple(days),
            carried=carried,
        )

    def chain_through(self, day: dt.date, grace: int) -> int:
        """Active days of ``day``'s chain up to and including ``day`` (0 if not active)."""
        if day not in self.days:
            return 0
        length = self.carried
        for index, known in enumerate(self.days):
            if known > day:
                break
            if index and (known - self.days[index - 1]).days > 1 + grace:
                length = 0
            length += 1
        return length

    def as_of(self, today: dt.date, grace: int) -> Streak:
        """The streak as shown on ``today``: broken once more than ``grace`` days passed."""
        if self.last_day is None or (today - self.last_day).days <= 1 + grace:
            return self
        return replace(self, current=0)


def _chains(days: Sequence[dt.date], carried: int, grace: int) -> list[int]:
    """Lengths of the chains of ``days`` (ascending), the first one extended by
    ``carried``."""
    chains = [carried + 1]
    for before, after in pairwise(days):
        if (after - before).days <= 1 + grace:
            chains[-1] += 1
        else:
            chains.append(1)
    return chains


@dataclass(frozen=True)
class ProfileState:
    """A learner's stored state (see the adapter for the document shape)."""

    learner_id: str
    version: int = 0
    points: int = 0
    level: int = 1
    streak: Streak = Streak()
    time_zone: str = ""
    opt_out: bool = False
    caps: Mapping[str, int] = field(default_factory=dict)
    periods: Mapping[str, int] = field(default_factory=dict)
    period_times: Mapping[str, str] = field(default_factory=dict)
    badge_progress: Mapping[str, int] = field(default_factory=dict)
    badges: tuple[str, ...] = ()
    applied: tuple[Mapping[str, Any], ...] = ()

    def applied_record(self, event_id: str) -> Mapping[str, Any] | None:
        """What an already applied event produced, if it is in the window."""
        return next((a for a in self.applied if a["event_id"] == event_id), None)


@dataclass(frozen=True)
class LedgerLine:
    """One append-only ledger entry."""

    entry_id: str
    learner_id: str
    points: int
    rule_id: str
    rule_version: int
    source_event_id: str
    source_event_type: str
    awarded_at: dt.datetime
    balance: int


@dataclass(frozen=True)
class AwardLine:
    """A badge earned by this event."""

    award_id: str
    badge_id: str
    badge_name: str
    learner_id: str
    image_url: str
    skill_ids: tuple[str, ...]
    awarded_at: dt.datetime


@dataclass(frozen=True)
class ProfileChange:
    """The new state and everything the event caused for this learner."""

    state: ProfileState
    entries: tuple[LedgerLine, ...]
    awards: tuple[AwardLine, ...]
    levels_reached: tuple[LevelThreshold, ...]
    touched_periods: tuple[str, ...]
    capped_rules: tuple[str, ...]


def people_touched(
    facts: EventFacts, credits: Sequence[Credit], badges: Sequence[BadgeDefinition]
) -> list[str]:
    """Everyone whose profile this event may change (credited, streak, badge progress)."""
    people = {c.learner_id for c in credits}
    consumed = CONSUMED.get(facts.event_type)
    if consumed is not None:
        person = facts.payload.get(consumed.person_field)
        if isinstance(person, str) and consumed.learning_activity:
            people.add(person)
        for badge in badges:
            for group in badge.groups:
                for requirement in group:
                    if requirement.event_type == facts.event_type:
                        who = facts.payload.get(requirement.progressing_field)
                        if isinstance(who, str):
                            people.add(who)
    return sorted(people)


def apply_event(
    state: ProfileState,
    facts: EventFacts,
    *,
    credits: Sequence[Credit],
    rules: Sequence[Rule],
    badges: Sequence[BadgeDefinition],
    tenant: TenantSettings,
) -> ProfileChange | None:
    """Apply one event to one learner's profile; None when it was already applied."""
    if state.applied_record(facts.event_id) is not None:
        return None
    learner = state.learner_id
    zone = state.time_zone or tenant.time_zone
    day = local_day(facts.occurred_at, zone)
    consumed = CONSUMED[facts.event_type]

    streak = state.streak
    mine = [c for c in credits if c.learner_id == learner]
    if consumed.learning_activity and facts.payload.get(consumed.person_field) == learner:
        streak = state.streak.after_activity(day, tenant.streak_grace_days)
        # Every newly active day earns its streak day, in whatever order days arrive.
        if streak != state.streak:
            streak_payload = {
                "learner_id": learner,
                "current_days": streak.chain_through(day, tenant.streak_grace_days),
                "longest_days": streak.longest,
            }
            mine += credits_for(rules, STREAK_DAY, streak_payload, None)

    caps = _recent_caps(state.caps, day)
    entries: list[LedgerLine] = []
    capped: list[str] = []
    points = state.points
    for credit in mine:
        rule = credit.rule
        cap_key = f"{rule.rule_id}|{day.isoformat()}"
        if rule.daily_cap and caps.get(cap_key, 0) >= rule.daily_cap:
            capped.append(rule.rule_id)
            continue
        if rule.daily_cap:
            caps[cap_key] = caps.get(cap_key, 0) + 1
        points += credit.points
        entries.append(
            LedgerLine(
                entry_id=ledger_entry_id(facts.tenant_id, facts.event_id, rule.rule_id),
                learner_id=learner,
                points=credit.points,
                rule_id=rule.rule_id,
                rule_version=rule.version,
                source_event_id=facts.event_id,
                source_event_type=facts.event_type,
                awarded_at=facts.occurred_at,
                balance=points,
            )
        )

    periods = dict(state.periods)
    period_times = dict(state.period_times)
    touched: tuple[str, ...] = ()
    if entries:
        gained = points - state.points
        touched = period_keys(facts.occurred_at, tenant.time_zone)
        for key in touched:
            periods[key] = periods.get(key, 0) + gained
            period_times[key] = facts.occurred_at.isoformat()

    old_level = tenant.level_for(state.points).level
    reached = tuple(lv for lv in tenant.levels if old_level < lv.level and lv.min_points <= points)

    progress = dict(state.badge_progress)
    earned = list(state.badges)
    awards: list[AwardLine] = []
    for badge in badges:
        if badge.badge_id in earned:
            continue
        keys = badge.progress_keys(facts.event_type, facts.payload, learner)
        for key in keys:
            progress[key] = progress.get(key, 0) + 1
        if keys and badge.satisfied(progress):
            earned.append(badge.badge_id)
            awards.append(
                AwardLine(
                    award_id=award_id(facts.tenant_id, badge.badge_id, learner),
                    badge_id=badge.badge_id,
                    badge_name=badge.name,
                    learner_id=learner,
                    image_url=badge.image_url,
                    skill_ids=badge.skill_ids,
                    awarded_at=facts.occurred_at,
                )
            )

    # Compact on purpose: the window is rewritten with every change of the profile.
    record = {
        "event_id": facts.event_id,
        "event_type": facts.event_type,
        "at": facts.occurred_at,
        "entries": [
            {
                "entry_id": e.entry_id,
                "rule_id": e.rule_id,
                "rule_version": e.rule_version,
                "points": e.points,
                "balance": e.balance,
            }
            for e in entries
        ],
        "awards": [
            {
                "award_id": a.award_id,
                "badge_id": a.badge_id,
                "badge_name": a.badge_name,
                "image_url": a.image_url,
                "skill_ids": list(a.skill_ids),
            }
            for a in awards
        ],
        "periods": list(touched),
    }
    new_state = replace(
        state,
        version=state.version + 1,
        points=points,
        level=tenant.level_for(points).level,
        streak=streak,
        caps=caps,
        periods=periods,
        period_times=period_times,
        badge_progress=progress,
        badges=tuple(earned),
        applied=(*state.applied, record)[-APPLIED_WINDOW:],
    )
    return ProfileChange(new_state, tuple(entries), tuple(awards), reached, touched, tuple(capped))


def _cap_day(key: str) -> dt.date:
    return dt.date.fromisoformat(key.rsplit("|", 1)[1])


def _recent_caps(caps: Mapping[str, int], day: dt.date) -> dict[str, int]:
    """Cap counters of the last :data:`CAP_WINDOW_DAYS` before the newest day seen
    (``day`` included); older ones are dropped, so the profile stays small."""
    newest = max([day, *(_cap_day(k) for k in caps)])
    return {k: v for k, v in caps.items() if (newest - _cap_day(k)).days < CAP_WINDOW_DAYS}
