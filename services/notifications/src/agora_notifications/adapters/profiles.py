"""People's delivery profiles and preference layers in MongoDB."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from agora_core.storage import Document, TenantRepository
from agora_notifications.adapters.collections import PEOPLE, PREFERENCES
from agora_notifications.domain.model import Channel, DigestMode, NudgeCadence, Profile
from agora_notifications.domain.preferences import ChannelSetting, PreferenceLayer, QuietHours
from agora_notifications.domain.schedule import next_nudge_time


def person_key(tenant_id: str, person_id: str) -> str:
    return f"{tenant_id}:{person_id}"


def profile_from_document(person_id: str, document: Document | None) -> Profile:
    if document is None or "profile" not in document:
        return Profile(person_id=person_id)
    p = document["profile"]
    return Profile(
        person_id=person_id,
        email=p.get("email", ""),
        locale=p.get("locale", "en"),
        time_zone=p.get("time_zone", "UTC"),
        nudge_cadence=NudgeCadence(p.get("nudge_cadence", "off")),
        nudge_hour=int(p.get("nudge_hour", 9)),
        nudge_weekday=int(p.get("nudge_weekday", 1)),
    )


class People:
    """One document per person: the profile they set, plus what we learnt from events
    (paths followed, items completed, skills) for nudges."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._collection = database[PEOPLE]

    def for_tenant(self, tenant_id: str) -> TenantRepository:
        return TenantRepository(self._collection, tenant_id)

    async def profile(self, tenant_id: str, person_id: str) -> Profile:
        document = await self.for_tenant(tenant_id).find_one(
            {"_id": person_key(tenant_id, person_id)}
        )
        return profile_from_document(person_id, document)

    async def save_profile(self, tenant_id: str, profile: Profile, now: datetime) -> None:
        """Create or replace the profile; the next nudge is rescheduled from it."""
        next_nudge = next_nudge_time(
            now,
            profile.nudge_cadence,
            profile.time_zone,
            profile.nudge_hour,
            profile.nudge_weekday,
        )
        await self.for_tenant(tenant_id).update_one(
            {"_id": person_key(tenant_id, profile.person_id)},
            {
                "$set": {
                    "profile": {
                        "email": profile.email,
                        "locale": profile.locale,
                        "time_zone": profile.time_zone,
                        "nudge_cadence": profile.nudge_cadence.value,
                        "nudge_hour": profile.nudge_hour,
                        "nudge_weekday": profile.nudge_weekday,
                    },
                    "next_nudge_at": next_nudge,
                },
                "$setOnInsert": {"person_id": profile.person_id},
            },
            upsert=True,
        )

    async def learnt(self, tenant_id: str, person_id: str, update: dict[str, Any]) -> None:
        """Apply an idempotent ``$addToSet`` update from an event to the person's record."""
        await self.for_tenant(tenant_id).update_one(
            {"_id": person_key(tenant_id, person_id)},
            {**update, "$setOnInsert": {"person_id": person_id}},
            upsert=True,
        )


def layer_key(tenant_id: str, scope: str, scope_id: str) -> str:
    return f"{tenant_id}:{scope}:{scope_id}"


def layer_to_document(layer: PreferenceLayer) -> Document:
    return {
        "rules": {
            category: {
                channel.value: {
                    "enabled": setting.enabled,
                    "digest": setting.digest.value if setting.digest else None,
                }
                for channel, setting in channels.items()
            }
            for category, channels in layer.rules.items()
        },
        "quiet_hours": (
            {
                "start": layer.quiet_hours.start.strftime("%H:%M"),
                "end": layer.quiet_hours.end.strftime("%H:%M"),
            }
            if layer.quiet_hours
            else None
        ),
        "forced": sorted(layer.forced),
    }


def layer_from_document(document: Document) -> PreferenceLayer:
    rules = {
        category: {
            Channel(channel): ChannelSetting(
                enabled=setting.get("enabled"),
                digest=DigestMode(setting["digest"]) if setting.get("digest") else None,
            )
            for channel, setting in channels.items()
        }
        for category, channels in document.get("rules", {}).items()
    }
    quiet = document.get("quiet_hours")
    return PreferenceLayer(
        rules=rules,
        quiet_hours=(
            QuietHours(time.fromisoformat(quiet["start"]), time.fromisoformat(quiet["end"]))
            if quiet
            else None
        ),
        forced=frozenset(document.get("forced", [])),
    )


class Preferences:
    """Preference layers: one document per (tenant, scope, scope id)."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._collection = database[PREFERENCES]

    async def get(self, tenant_id: str, scope: str, scope_id: str) -> PreferenceLayer | None:
        document = await TenantRepository(self._collection, tenant_id).find_one(
            {"_id": layer_key(tenant_id, scope, scope_id)}
        )
        return layer_from_document(document) if document else None

    async def put(
        self, tenant_id: str, scope: str, scope_id: str, layer: PreferenceLayer, now: datetime
    ) -> None:
        await TenantRepository(self._collection, tenant_id).update_one(
            {"_id": layer_key(tenant_id, scope, scope_id)},
            {
                "$set": {**layer_to_document(layer), "updated_at": now},
                "$setOnInsert": {"scope": scope, "scope_id": scope_id},
            },
            upsert=True,
        )

    async def layers(
        self, tenant_id: str, space_id: str | None, person_id: str
    ) -> tuple[PreferenceLayer | None, PreferenceLayer | None, PreferenceLayer | None]:
        """(tenant, space, person) layers for one notification."""
        keys = [layer_key(tenant_id, "tenant", ""), layer_key(tenant_id, "person", person_id)]
        if space_id:
            keys.append(layer_key(tenant_id, "space", space_id))
        documents = await TenantRepository(self._collection, tenant_id).find({"_id": {"$in": keys}})
        by_key = {d["_id"]: layer_from_document(d) for d in documents}
        return (
            by_key.get(keys[0]),
            by_key.get(layer_key(tenant_id, "space", space_id)) if space_id else None,
            by_key.get(keys[1]),
        )
