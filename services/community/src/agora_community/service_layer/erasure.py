"""Right to erasure in community: the admin's request.

The request (``ErasePerson``) writes one erasure record with ``person.erased`` in the
same transaction. The record's id is a name-based UUID of (tenant, person), so a
second request meets the first record: it answers that record and publishes the event
again (same erasure id), which sweeps up anything written since (erasure is
idempotent). The record keeps a digest of the person, never the id. Every service,
this one included, erases when the event arrives; what community deletes and what it
anonymises is in ``adapters/postgres/erasure.py`` (docs/privacy.md has the reasons).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from agora_community.domain.model import derived_id, now_ms
from agora_community.service_layer.outgoing import outgoing
from agora_community.service_layer.ports import UnitOfWorkFactory
from agora_contracts.events.domains.privacy import ErasureReason, PersonErasedV1
from agora_core.errors import FailedPrecondition
from agora_core.identity import Principal
from agora_core.privacy import person_digest


@dataclass(frozen=True)
class ErasureRecord:
    """What ``ErasePerson`` answers."""

    erasure_id: str
    person_id: str
    requested_by: str
    reason: ErasureReason
    requested_at: datetime
    created: bool


def erasure_id_of(tenant_id: str, person_id: str) -> str:
    """The erasure id of a person: the same for every request about them."""
    return derived_id(tenant_id, "erasure", person_id).replace("-", "")


async def request_erasure(
    uows: UnitOfWorkFactory, principal: Principal, *, person_id: str, reason: ErasureReason
) -> ErasureRecord:
    """Record the erasure with its event; the existing record if repeated."""
    if person_id == principal.subject:
        raise FailedPrecondition("an admin cannot erase themselves", "self_erasure")
    tenant_id = principal.tenant_id
    erasure_id = erasure_id_of(tenant_id, person_id)
    now = now_ms()
    async with uows(tenant_id) as uow:
        first = await uow.erasures.add(
            erasure_id,
            # A digest, not the id: the record must not keep what it erases.
            person_digest=person_digest(tenant_id, person_id),
            requested_by=principal.subject,
            reason=reason,
            at=now,
        )
        # A repeat publishes the event again, so whatever was written since is swept too.
        erased = PersonErasedV1(
            erasure_id=erasure_id,
            person_id=person_id,
            requested_by=principal.subject,
            reason=reason,
            requested_at=now,
        )
        uow.add_events([outgoing(tenant_id, erased, subject=person_id, actor_id=principal.subject)])
    if first is None:
        return ErasureRecord(erasure_id, person_id, principal.subject, reason, now, created=True)
    requested_by, first_reason, requested_at = first
    return ErasureRecord(
        erasure_id,
        person_id,
        requested_by,
        cast("ErasureReason", first_reason),
        requested_at,
        created=False,
    )
