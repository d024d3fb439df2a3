"""What community learns from other services' events: known targets and expertise."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agora_community.domain.model import TargetKind
from agora_community.service_layer.experts import record_evidence
from agora_community.service_layer.ports import Store


async def target_published(
    store: Store,
    kind: TargetKind,
    target_id: str,
    *,
    owner_id: str,
    space_id: str | None,
    title: str,
    skill_ids: list[str],
    published_at: datetime,
) -> None:
    """Remember a catalog target and its author (idempotent: the same event sets the same)."""
    fields: dict[str, Any] = {
        "target_type": kind.value,
        "target_id": target_id,
        "owner_id": owner_id,
        "space_id": space_id,
        "title": title,
        "skill_ids": skill_ids,
        "archived": False,
        "published_at": published_at,
    }
    await store.targets.update_one(
        {"_id": store.key(kind.value, target_id)}, {"$set": fields}, upsert=True
    )


async def target_archived(store: Store, kind: TargetKind, target_id: str) -> None:
    """Mark the target archived: it stays readable but takes no new comments or likes."""
    await store.targets.update_one(
        {"_id": store.key(kind.value, target_id)},
        {
            "$set": {"archived": True},
            "$setOnInsert": {"target_type": kind.value, "target_id": target_id},
        },
        upsert=True,
    )


async def validated_contribution(
    store: Store, author_id: str, item_id: str, skill_ids: list[str]
) -> None:
    """An expert validated the author's item: evidence in each of its skills, once per item."""
    await record_evidence(
        store, author_id, skill_ids, "validated_contributions", f"contribution:{item_id}"
    )
