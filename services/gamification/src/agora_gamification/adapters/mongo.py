"""MongoDB storage of gamification: collections, indexes, and the documents' shapes.

Every collection holds ``tenant_id`` and is reached through :class:`TenantRepository`
(the sweeper and the relay are the only cross-tenant readers). Only operations listed
in docs/local-infrastructure.md are used, so FerretDB and a MongoDB replica set behave
alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from agora_core.messaging.events import OutgoingEvent
from agora_core.outbox import with_outbox
from agora_core.storage import Document, IndexSpec, TenantRepository
from agora_gamification.adapters.board_index import SCORES
from agora_gamification.domain.badges import BadgeDefinition
from agora_gamification.domain.profile import ProfileState, Streak
from agora_gamification.domain.rules import Rule
from agora_gamification.domain.settings import TenantSettings

PROFILES: Final = "profiles"
LEDGER: Final = "ledger"
RULES: Final = "rules"
RULE_VERSIONS: Final = "rule_versions"
BADGES: Final = "badges"
AWARDS: Final = "awards"
CHALLENGES: Final = "challenges"
TENANTS: Final = "tenants"
TEAMS: Final = "teams"

OUTBOX_COLLECTIONS: Final = (PROFILES, AWARDS, CHALLENGES)

INDEXES: Final[dict[str, list[IndexSpec]]] = {
    PROFILES: [
        IndexSpec(keys=(("tenant_id", 1), ("spaces", 1))),
        IndexSpec(keys=(("tenant_id", 1), ("teams", 1))),
    ],
    LEDGER: [IndexSpec(keys=(("tenant_id", 1), ("learner_id", 1), ("awarded_at", -1), ("_id", 1)))],
    RULES: [IndexSpec(keys=(("tenant_id", 1), ("rule_id", 1)), unique=True)],
    RULE_VERSIONS: [IndexSpec(keys=(("tenant_id", 1), ("rule_id", 1), ("version", 1)))],
    BADGES: [IndexSpec(keys=(("tenant_id", 1), ("badge_id", 1)), unique=True)],
    AWARDS: [IndexSpec(keys=(("tenant_id", 1), ("learner_id", 1), ("awarded_at", 1)))],
    # Boards are read by _id only (adapters/board_index.py); these serve the two scans:
    # a learner's scores (opt-out, leaving a space or team) and the repair of moves.
    SCORES: [
        IndexSpec(keys=(("tenant_id", 1), ("learner_id", 1), ("board", 1))),
        IndexSpec(keys=(("pending.at", 1),), name="pending_moves", tenant_scoped=False),
    ],
    CHALLENGES: [
        IndexSpec(keys=(("tenant_id", 1), ("state", 1), ("event_type", 1), ("participant_ids", 1))),
        IndexSpec(keys=(("tenant_id", 1), ("participant_ids", 1), ("created_at", -1), ("_id", 1))),
        IndexSpec(keys=(("state", 1), ("ends_at", 1)), name="deadline_sweep", tenant_scoped=False),
    ],
    TEAMS: [IndexSpec(keys=(("tenant_id", 1), ("team_id", 1)), unique=True)],
}


def profile_key(tenant_id: str, learner_id: str) -> str:
    """``_id`` of a learner's profile."""
    return f"{tenant_id}:{learner_id}"


def profile_from_document(learner_id: str, doc: Mapping[str, Any] | None) -> ProfileState:
    """The domain state of a stored profile (a fresh one when none is stored)."""
    if doc is None:
        return ProfileState(learner_id=learner_id)
    streak = doc.get("streak") or {}
    last_day = streak.get("last_day")
    current = int(streak.get("current", 0))
    # Profiles written before the day window hold only the last day and its chain.
    days = streak.get("days") or ([last_day] if last_day else [])
    carried = int(streak["carried"]) if "days" in streak else max(current - 1, 0)
    return ProfileState(
        learner_id=learner_id,
        version=int(doc.get("version", 0)),
        points=int(doc.get("points", 0)),
        level=int(doc.get("level", 1)),
        streak=Streak(
            current,
            int(streak.get("longest", 0)),
            dt.date.fromisoformat(last_day) if last_day else None,
            tuple(dt.date.fromisoformat(d) for d in days),
            carried,
        ),
        time_zone=str(doc.get("time_zone", "")),
        opt_out=bool(doc.get("opt_out", False)),
        caps=dict(doc.get("caps", {})),
        periods=dict(doc.get("periods", {})),
        period_times=dict(doc.get("period_times", {})),
        badge_progress=dict(doc.get("badge_progress", {})),
        badges=tuple(doc.get("badges", ())),
        applied=tuple(doc.get("applied", ())),
    )


def profile_fields(state: ProfileState) -> dict[str, Any]:
    """The fields an event application writes (never settings or memberships)."""
    return {
        "learner_id": state.learner_id,
        "version": state.version,
        "points": state.points,
        "level": state.level,
        "streak": {
            "current": state.streak.current,
            "longest": state.streak.longest,
            "last_day": state.streak.last_day.isoformat() if state.streak.last_day else None,
            "days": [d.isoformat() for d in state.streak.days],
            "carried": state.streak.carried,
        },
        # Map keys never contain "." or "$": rule ids, ISO dates and badge ids only.
        "caps": dict(state.caps),
        "periods": dict(state.periods),
        "period_times": dict(state.period_times),
        "badge_progress": dict(state.badge_progress),
        "badges": list(state.badges),
        "applied": [dict(a) for a in state.applied],
    }


@dataclass(frozen=True)
class Score:
    """One learner's points on one board and period."""

    board: str
    period: str
    learner_id: str
    points: int
    reached_at: str
    public: bool


def badge_to_document(badge: BadgeDefinition) -> dict[str, Any]:
    """A badge as stored: each group wrapped in a document, because FerretDB 1.x
    refuses arrays nested directly in arrays."""
    body = badge.model_dump(mode="json")
    body["groups"] = [{"requirements": group} for group in body["groups"]]
    return body


def badge_from_document(stored: Mapping[str, Any]) -> dict[str, Any]:
    """The badge's fields from its stored form (see :func:`badge_to_document`)."""
    return {**stored, "groups": [group["requirements"] for group in stored["groups"]]}


def settings_of(tenant: Mapping[str, Any]) -> TenantSettings:
    """Settings in a tenant document (defaults when none were stored)."""
    stored = tenant.get("settings")
    return TenantSettings() if stored is None else TenantSettings.model_validate(stored)


class GamificationStore:
    """Tenant-scoped repositories over the service's database."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.database = database

    def repo(self, collection: str, tenant_id: str) -> TenantRepository:
        """The tenant's view of one collection."""
        return TenantRepository(self.database[collection], tenant_id)

    # ---- tenant configuration -------------------------------------------------------

    async def tenant_document(self, tenant_id: str) -> Document:
        """The tenant's document: settings, ``config_version``, ``open_challenges``."""
        doc = await self.repo(TENANTS, tenant_id).find_one({"_id": tenant_id})
        return doc or {"_id": tenant_id}

    async def tenant_settings(self, tenant_id: str) -> TenantSettings:
        """The tenant's settings, defaults when none were stored."""
        return settings_of(await self.tenant_document(tenant_id))

    async def put_tenant_settings(self, tenant_id: str, settings: TenantSettings) -> None:
        await self.repo(TENANTS, tenant_id).update_one(
            {"_id": tenant_id},
            {"$set": {"settings": settings.model_dump(mode="json")}, "$inc": {"config_version": 1}},
            upsert=True,
        )

    async def bump_config_version(self, tenant_id: str) -> None:
        """Tell every replica's cache that rules or badges changed (later events see it)."""
        await self.repo(TENANTS, tenant_id).update_one(
            {"_id": tenant_id}, {"$inc": {"config_version": 1}}, upsert=True
        )

    async def count_open_challenges(self, tenant_id: str, delta: int) -> None:
        """Keep the count of open challenges that lets events skip the challenge query."""
        await self.repo(TENANTS, tenant_id).update_one(
            {"_id": tenant_id}, {"$inc": {"open_challenges": delta}}, upsert=True
        )

    async def stored_rules(self, tenant_id: str) -> list[Rule]:
        """Rules an admin stored (they override defaults by rule id)."""
        docs = await self.repo(RULES, tenant_id).find({}, sort=(("rule_id", 1),))
        return [Rule.model_validate(d["rule"]) for d in docs]

    async def put_rule(self, tenant_id: str, rule: Rule) -> Rule:
        """Store ``rule`` as the next version of its id (history kept in rule_versions)."""
        rules = self.repo(RULES, tenant_id)
        key = {"_id": f"{tenant_id}:{rule.rule_id}"}
        current = await rules.find_one(key)
        stored = rule.model_copy(update={"version": (current or {}).get("version", 0) + 1})
        body = stored.model_dump(mode="json")
        if current is None:
            try:
                await rules.insert_one({**key, "rule_id": rule.rule_id, "version": 1, "rule": body})
            except DuplicateKeyError:
                return await self.put_rule(tenant_id, rule)
        elif not await rules.update_one(
            {**key, "version": current["version"]},
            {"$set": {"version": stored.version, "rule": body}},
        ):
            return await self.put_rule(tenant_id, rule)
        await self.repo(RULE_VERSIONS, tenant_id).update_one(
            {"_id": f"{tenant_id}:{rule.rule_id}:{stored.version}"},
            {"$set": {"rule_id": rule.rule_id, "version": stored.version, "rule": body}},
            upsert=True,
        )
        await self.bump_config_version(tenant_id)
        return stored

    async def badges(self, tenant_id: str) -> list[BadgeDefinition]:
        docs = await self.repo(BADGES, tenant_id).find({}, sort=(("badge_id", 1),))
        return [BadgeDefinition.model_validate(badge_from_document(d["badge"])) for d in docs]

    async def put_badge(self, tenant_id: str, badge: BadgeDefinition) -> BadgeDefinition:
        repo = self.repo(BADGES, tenant_id)
        key = {"_id": f"{tenant_id}:{badge.badge_id}"}
        current = await repo.find_one(key)
        stored = badge.model_copy(update={"version": (current or {}).get("version", 0) + 1})
        await repo.update_one(
            key,
            {
                "$set": {
                    "badge_id": badge.badge_id,
                    "version": stored.version,
                    "badge": badge_to_document(stored),
                }
            },
            upsert=True,
        )
        await self.bump_config_version(tenant_id)
        return stored

    async def badge_document(self, tenant_id: str, badge_id: str) -> Document | None:
        doc = await self.repo(BADGES, tenant_id).find_one({"_id": f"{tenant_id}:{badge_id}"})
        return None if doc is None else badge_from_document(doc["badge"])

    async def due_challenges(self, now: dt.datetime, limit: int) -> list[Document]:
        """Open challenges of every tenant whose deadline passed (the sweeper's query)."""
        cursor = self.database[CHALLENGES].find({"state": "open", "ends_at": {"$lte": now}})
        return await cursor.limit(limit).to_list()

    # ---- teams ------------------------------------------------------------------------

    async def teams(self, tenant_id: str) -> list[Document]:
        """The tenant's teams by id (admin-defined: a small collection)."""
        return await self.repo(TEAMS, tenant_id).find({}, sort=(("team_id", 1),))

    async def team(self, tenant_id: str, team_id: str) -> Document | None:
        return await self.repo(TEAMS, tenant_id).find_one({"_id": f"{tenant_id}:{team_id}"})

    # ---- profiles ------------------------------------------------------------------

    async def profile_document(self, tenant_id: str, learner_id: str) -> Document | None:
        return await self.repo(PROFILES, tenant_id).find_one(
            {"_id": profile_key(tenant_id, learner_id)}
        )

    async def save_profile(
        self,
        tenant_id: str,
        state: ProfileState,
        *,
        expected_version: int,
        events: Sequence[OutgoingEvent],
    ) -> bool:
        """Write the profile and its events in one write if nobody changed it meanwhile."""
        repo = self.repo(PROFILES, tenant_id)
        key = profile_key(tenant_id, state.learner_id)
        if expected_version == 0:
            # Most version-0 profiles do not exist yet: one insert instead of a missed
            # update first. A duplicate is a settings-only profile (still version 0,
            # updated below) or another writer's first event (the update then misses).
            doc = {"_id": key, **profile_fields(state)}
            if events:
                doc["outbox"] = [e.to_document() for e in events]
            try:
                await repo.insert_one(doc)
            except DuplicateKeyError:
                pass
            else:
                return True
        update = with_outbox({"$set": profile_fields(state)}, events)
        return await repo.update_one({"_id": key, "version": expected_version}, update)

    async def set_profile_fields(
        self, tenant_id: str, learner_id: str, update: Mapping[str, Any]
    ) -> Document | None:
        """Settings and memberships: fields an event application never writes."""
        base = {op: dict(v) for op, v in update.items()}
        base.setdefault("$setOnInsert", {}).update({"learner_id": learner_id, "version": 0})
        return await self.repo(PROFILES, tenant_id).find_one_and_update(
            {"_id": profile_key(tenant_id, learner_id)}, base, upsert=True
        )

    async def members_of_space(self, tenant_id: str, space_id: str) -> list[str]:
        docs = await self.repo(PROFILES, tenant_id).find(
            {"spaces": space_id}, projection={"learner_id": 1}
        )
        return sorted(str(d["learner_id"]) for d in docs)

    # ---- ledger and awards ------------------------------------------------------------

    async def insert_ignoring_duplicates(
        self, collection: str, tenant_id: str, documents: Sequence[Mapping[str, Any]]
    ) -> None:
        """Insert deterministic-id documents; those already there are left as they are."""
        if not documents:
            return
        try:
            await self.repo(collection, tenant_id).insert_many(documents)
        except BulkWriteError as error:
            others = [e for e in error.details.get("writeErrors", []) if e.get("code") != 11000]
            if others:
                raise

    async def ledger_sum(self, tenant_id: str, learner_id: str) -> int:
        """Sum of a learner's ledger entries (the balance must always equal it)."""
        cursor = await self.database[LEDGER].aggregate(
            [
                {"$match": {"tenant_id": tenant_id, "learner_id": learner_id}},
                {"$group": {"_id": None, "total": {"$sum": "$points"}}},
            ]
        )
        rows = await cursor.to_list()
        return int(rows[0]["total"]) if rows else 0
