"""What community learns from other services' events: known targets and expertise."""

from __future__ import annotations

from collections.abc import Sequence

from agora_community.domain.model import CatalogTarget, TargetKind
from agora_community.service_layer.experts import record_evidence
from agora_community.service_layer.ports import UnitOfWork


async def target_published(uow: UnitOfWork, target: CatalogTarget) -> None:
    """Remember a catalog target and its author (the same event sets the same)."""
    await uow.targets.put(target)


async def target_archived(uow: UnitOfWork, kind: TargetKind, target_id: str) -> None:
    """Mark the target archived: it stays readable but takes no new comments or likes."""
    await uow.targets.archive(kind, target_id)


async def validated_contribution(
    uow: UnitOfWork, author_id: str, item_id: str, skill_ids: Sequence[str]
) -> None:
    """An expert validated the author's item: evidence in each of its skills, once per item."""
    await record_evidence(
        uow, author_id, skill_ids, "validated_contributions", f"contribution:{item_id}"
    )
