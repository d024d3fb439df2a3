"""Use case: badge awards as Open Badges 3.0 credentials, and their revocation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from agora_contracts.events.domains import gamification as events
from agora_core.errors import FailedPrecondition, NotFound
from agora_core.messaging.events import OutgoingEvent
from agora_core.outbox import OutboxHint, with_outbox
from agora_core.storage import Document
from agora_gamification.adapters.mongo import AWARDS, GamificationStore
from agora_gamification.domain.open_badges import (
    CredentialSigner,
    build_credential,
    issuer_profile,
    revocation_list,
)
from agora_gamification.service_layer.scoring import SOURCE, Clock, Notify


class Awards:
    """Reading, exporting and revoking awards."""

    def __init__(
        self,
        store: GamificationStore,
        notify: Notify,
        clock: Clock,
        *,
        base_url: str,
        issuer_name: str,
        signer: CredentialSigner | None,
    ) -> None:
        self._store = store
        self._notify = notify
        self._clock = clock
        self._base_url = base_url
        self._issuer_name = issuer_name
        self._signer = signer

    async def get(self, tenant_id: str, award_id: str) -> Document:
        doc = await self._store.repo(AWARDS, tenant_id).find_one({"_id": award_id})
        if doc is None:
            raise NotFound("award", award_id)
        return doc

    async def of_learner(self, tenant_id: str, learner_id: str) -> list[Document]:
        return await self._store.repo(AWARDS, tenant_id).find(
            {"learner_id": learner_id}, sort=(("awarded_at", 1), ("_id", 1)), limit=500
        )

    async def export(self, tenant_id: str, award_id: str) -> tuple[dict[str, Any], str]:
        """The credential JSON-LD and, with a signing key, its VC-JWT."""
        award = await self.get(tenant_id, award_id)
        badge = await self._store.badge_document(tenant_id, award["badge_id"])
        if badge is None:
            raise NotFound("badge", award["badge_id"])
        credential = build_credential(
            base_url=self._base_url,
            issuer_name=self._issuer_name,
            tenant_id=tenant_id,
            award={**award, "awarded_at": _utc(award["awarded_at"])},
            badge=badge,
        )
        token = self._signer.sign(credential) if self._signer is not None else ""
        return credential, token

    async def revocation_list(self, tenant_id: str, award_id: str) -> dict[str, Any]:
        """The public status of one credential (what its ``credentialStatus.id`` serves)."""
        award = await self.get(tenant_id, award_id)
        return revocation_list(base_url=self._base_url, tenant_id=tenant_id, award=award)

    def issuer(self, tenant_id: str) -> dict[str, Any]:
        """The tenant's issuer profile (with the verification key when signing)."""
        return issuer_profile(
            base_url=self._base_url,
            issuer_name=self._issuer_name,
            tenant_id=tenant_id,
            signer=self._signer,
        )

    async def revoke(self, tenant_id: str, award_id: str, reason: str) -> Document:
        """Revoke once; revoking a revoked award fails naming its state."""
        award = await self.get(tenant_id, award_id)
        if award.get("revoked"):
            raise FailedPrecondition("the award is already revoked", current_state="revoked")
        now = self._clock()
        revoked = OutgoingEvent.create(
            events.BadgeRevokedV1(
                award_id=award_id,
                badge_id=award["badge_id"],
                learner_id=award["learner_id"],
                reason=reason,
                revoked_at=now,
            ),
            source=SOURCE,
            subject=award["learner_id"],
            tenant_id=tenant_id,
        )
        updated = await self._store.repo(AWARDS, tenant_id).find_one_and_update(
            {"_id": award_id, "revoked": False},
            with_outbox(
                {"$set": {"revoked": True, "revocation_reason": reason, "revoked_at": now}},
                [revoked],
            ),
        )
        if updated is None:
            raise FailedPrecondition("the award is already revoked", current_state="revoked")
        self._notify(OutboxHint(AWARDS, award_id))
        return updated


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
