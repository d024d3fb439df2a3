"""Use case: one consumed event → ledger entries, balances, levels, streaks, badges.

Order of writes for each learner the event touches, and why it is exactly-once:

1. read the profile (version v) and compute the change (pure domain);
2. write the profile iff still at version v, with the points.awarded / level.reached /
   badge.awarded events in its outbox (one single-document write). The profile keeps
   the last events it applied and the entries/awards each produced;
3. insert the ledger entries and awards (deterministic ids: a repeat is a no-op) and
   set the learner's leaderboard scores from the profile version (older never wins;
   :mod:`.boards` keeps the rank index exact).

A redelivery, a restart between 2 and 3, or a second replica handling the same event
finds the event in the profile's window at step 1 and only repeats step 3.
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
from agora_core.outbox import OutboxHint, OutboxNotifier
from agora_gamification.adapters.mongo import (
    AWARDS,
    LEDGER,
    PROFILES,
    Score,
    profile_from_document,
    profile_key,
    settings_of,
)
from agora_gamification.domain.badges import BadgeDefinition
from agora_gamification.domain.catalogue import MEMBER_JOINED, MEMBER_LEFT
from agora_gamification.domain.profile import (
    EventFacts,
    ProfileChange,
    ProfileState,
    apply_event,
    people_touched,
)
from agora_gamification.domain.rules import Credit, Rule, credits_for, effective_rules
from agora_gamification.domain.settings import ALL_TIME, TenantSettings, period_keys
from agora_gamification.service_layer.boards import BoardWriter
from agora_gamification.service_layer.ports import ScoringStore

log = structlog.get_logger(__name__)

SOURCE: Final = "/agora/gamification"
Clock = Callable[[], dt.datetime]
Notify = OutboxNotifier
"""The relay's ``notify``: a hint names the document just written with outbox entries,
so the relay claims it by ``_id`` instead of scanning the collection (FerretDB answers
any other filter with a full scan, and profiles number one per learner)."""

EVENTS_WITHOUT_EFFECT = Counter(
    "agora_gamification_events_without_effect_total",
    "Consumed events no rule, badge or streak used (by type).",
    ["type"],
)
CAPPED_CREDITS = Counter(
    "agora_gamification_capped_credits_total", "Credits refused by a daily cap.", ["rule"]
)


def boards_of(profile: Mapping[str, Any] | None) -> list[str]:
    """Leaderboards a learner appears on: the tenant's, their spaces' and teams'."""
    profile = profile or {}
    return [
        "tenant",
        *(f"space:{s}" for s in profile.get("spaces", ())),
        *(f"team:{t}" for t in profile.get("teams", ())),
    ]


@dataclass(frozen=True)
class TenantConfig:
    """A tenant's settings, effective rules and badges at one config version."""

    version: int
    open_challenges: int
    settings: TenantSettings
    rules: list[Rule]
    badges: list[BadgeDefinition]


MAX_CACHED_TENANTS: Final = 10_000


class Scoring:
    """Applies consumed events to learners' profiles (see module doc)."""

    def __init__(
        self, store: ScoringStore, notify: Notify, clock: Clock, *, boards: BoardWriter
    ) -> None:
        self._store = store
        self.boards = boards
        self._notify = notify
        self._clock = clock
        self._configs: dict[str, TenantConfig] = {}

    async def config(self, tenant_id: str) -> TenantConfig:
        """The tenant's configuration as of now: one read by id per event; rules and
        badges are reloaded only when an admin change bumped the config version."""
        tenant = await self._store.tenant_document(tenant_id)
        version = int(tenant.get("config_version", 0))
        cached = self._configs.get(tenant_id)
        open_challenges = int(tenant.get("open_challenges", 0))
        if cached is not None and cached.version == version:
            return replace(cached, open_challenges=open_challenges)
        if len(self._configs) >= MAX_CACHED_TENANTS:
            self._configs.clear()
        loaded = TenantConfig(
            version,
            open_challenges,
            settings_of(tenant),
            effective_rules(await self._store.stored_rules(tenant_id)),
            await self._store.badges(tenant_id),
        )
        self._configs[tenant_id] = loaded
        return loaded

    async def handle(self, facts: EventFacts) -> TenantConfig:
        """Apply one event for every learner it touches; membership events too."""
        config = await self.config(facts.tenant_id)
        if facts.event_type in (MEMBER_JOINED, MEMBER_LEFT):
            await self._membership(facts)
            return config
        tenant, rules, badges = config.settings, config.rules, config.badges
        credits = credits_for(rules, facts.event_type, facts.payload, facts.actor_id)
        people = people_touched(facts, credits, badges)
        if not people:
            EVENTS_WITHOUT_EFFECT.labels(facts.event_type).inc()
        for learner in people:
            await self._apply_for(learner, facts, tenant, rules, credits, badges)
        return config

    async def _apply_for(
        self,
        learner: str,
        facts: EventFacts,
        tenant: TenantSettings,
        rules: Sequence[Rule],
        credits: Sequence[Credit],
        badges: Sequence[BadgeDefinition],
    ) -> None:
        while True:
            doc = await self._store.profile_document(facts.tenant_id, learner)
            state = profile_from_document(learner, doc)
            record = state.applied_record(facts.event_id)
            if record is not None:
                await self._complete(facts.tenant_id, state, record, doc)
                return
            change = apply_event(
                state, facts, credits=credits, rules=rules, badges=badges, tenant=tenant
            )
            assert change is not None  # not in the window, checked above
            for rule_id in change.capped_rules:
                CAPPED_CREDITS.labels(rule_id).inc()
            outgoing = self._events_of(facts, change)
            saved = await self._store.save_profile(
                facts.tenant_id, change.state, expected_version=state.version, events=outgoing
            )
            if saved:
                if outgoing:
                    self._notify(OutboxHint(PROFILES, profile_key(facts.tenant_id, learner)))
                await self._complete(facts.tenant_id, change.state, change.state.applied[-1], doc)
                return
            # Another event (or replica) changed the profile meanwhile: recompute.

    async def _complete(
        self,
        tenant_id: str,
        state: ProfileState,
        record: Mapping[str, Any],
        doc: Mapping[str, Any] | None,
    ) -> None:
        """Idempotent follow-up writes of an applied event (see module doc, step 3)."""
        learner = state.learner_id
        event = {"source_event_id": record["event_id"], "source_event_type": record["event_type"]}
        await self._store.insert_ignoring_duplicates(
            LEDGER,
            tenant_id,
            [
                {
                    "_id": e["entry_id"],
                    "learner_id": learner,
                    "points": e["points"],
                    "balance": e["balance"],
                    "rule_id": e["rule_id"],
                    "rule_version": e["rule_version"],
                    **event,
                    "awarded_at": record["at"],
                }
                for e in record.get("entries", ())
            ],
        )
        await self._store.insert_ignoring_duplicates(
            AWARDS,
            tenant_id,
            [
                {
                    "_id": a["award_id"],
                    "badge_id": a["badge_id"],
                    "badge_name": a["badge_name"],
                    "learner_id": learner,
                    "image_url": a["image_url"],
                    "skill_ids": list(a["skill_ids"]),
                    "awarded_at": record["at"],
                    "revoked": False,
                }
                for a in record.get("awards", ())
            ],
        )
        await self.sync_scores(tenant_id, state, record.get("periods", ()), doc)

    async def sync_scores(
        self,
        tenant_id: str,
        state: ProfileState,
        periods: Sequence[str],
        doc: Mapping[str, Any] | None,
        boards: Sequence[str] | None = None,
    ) -> None:
        """Set the learner's scores for ``periods`` on every board they belong to."""
        await self.boards.set_scores(
            tenant_id,
            [
                Score(
                    board=board,
                    period=period,
                    learner_id=state.learner_id,
                    points=state.periods[period],
                    reached_at=state.period_times.get(period, ""),
                    public=not state.opt_out,
                )
                for board in (boards if boards is not None else boards_of(doc))
                for period in periods
                if period in state.periods
            ],
            state.version,
        )

    async def resync_learner(self, tenant_id: str, learner_id: str, boards: Sequence[str]) -> None:
        """After a membership or opt-out change: scores of the current periods."""
        doc = await self._store.profile_document(tenant_id, learner_id)
        state = profile_from_document(learner_id, doc)
        tenant = await self._store.tenant_settings(tenant_id)
        _, week, month = period_keys(self._clock(), tenant.time_zone)
        await self.sync_scores(tenant_id, state, (ALL_TIME, week, month), doc, boards)

    async def _membership(self, facts: EventFacts) -> None:
        space = str(facts.payload["space_id"])
        member = str(facts.payload["member_id"])
        if facts.event_type == MEMBER_JOINED:
            await self._store.set_profile_fields(
                facts.tenant_id, member, {"$addToSet": {"spaces": space}}
            )
            await self.resync_learner(facts.tenant_id, member, [f"space:{space}"])
        else:
            await self._store.set_profile_fields(
                facts.tenant_id, member, {"$pullAll": {"spaces": [space]}}
            )
            await self.boards.remove(facts.tenant_id, member, f"space:{space}")

    def _events_of(self, facts: EventFacts, change: ProfileChange) -> list[OutgoingEvent]:
        learner = change.state.learner_id
        out: list[OutgoingEvent] = []

        def emit(payload: Any, subject: str) -> None:
            out.append(
                OutgoingEvent.create(
                    payload,
                    source=SOURCE,
                    subject=subject,
                    tenant_id=facts.tenant_id,
                    actor_id=facts.actor_id,
                    time=facts.occurred_at,
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
                ),
                learner,
            )
        for level in change.levels_reached:
            emit(
                events.LevelReachedV1(
                    learner_id=learner,
                    level=level.level,
                    level_name=level.name,
                    points=change.state.points,
                    reached_at=facts.occurred_at,
                ),
                learner,
            )
        for award in change.awards:
            emit(
                events.BadgeAwardedV1(**asdict(award)),
                learner,
            )
        return out
