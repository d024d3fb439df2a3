"""Use cases: badge awards as Open Badges 3.0 credentials, and their revocation."""

from __future__ import annotations

from typing import Any

from agora_contracts.events.domains import gamification as events
from agora_core.errors import FailedPrecondition, NotFound
from agora_core.identity import Principal
from agora_core.messaging.events import OutgoingEvent
from agora_gamification.domain.awards import Award
from agora_gamification.domain.open_badges import (
    CredentialSigner,
    build_credential,
    issuer_profile,
    key_url,
    revocation_list,
)
from agora_gamification.service_layer.ports import UnitOfWork, UnitOfWorkFactory
from agora_gamification.service_layer.scoring import SOURCE, Clock


class Awards:
    """Reading, exporting and revoking awards."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        *,
        base_url: str,
        issuer_name: str,
        signer: CredentialSigner | None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._base_url = base_url
        self._issuer_name = issuer_name
        self._signer = signer

    async def get(self, caller: Principal, award_id: str) -> Award:
        return await self._award(caller.tenant_id, award_id)

    async def of_learner(self, caller: Principal, learner_id: str) -> list[Award]:
        async with self._uow(caller.tenant_id) as uow:
            return await uow.awards.awards_of(learner_id)

    async def export(self, caller: Principal, award_id: str) -> tuple[dict[str, Any], str]:
        """The credential JSON-LD and, with a signing key, its VC-JWT."""
        async with self._uow(caller.tenant_id) as uow:
            award = await _required(uow, award_id)
            badge = await uow.config.badge(award.badge_id)
        if badge is None:
            raise NotFound("badge", award.badge_id)
        credential = build_credential(
            base_url=self._base_url,
            issuer_name=self._issuer_name,
            tenant_id=caller.tenant_id,
            award=award,
            badge=badge,
        )
        token = ""
        if self._signer is not None:
            kid = key_url(self._base_url, caller.tenant_id, self._signer.key_id)
            token = self._signer.sign(credential, kid)
        return credential, token

    async def revocation_list(self, tenant_id: str, award_id: str) -> dict[str, Any]:
        """The public status of one credential (what its ``credentialStatus.id`` serves)."""
        award = await self._award(tenant_id, award_id)
        return revocation_list(base_url=self._base_url, tenant_id=tenant_id, award=award)

    def issuer(self, tenant_id: str) -> dict[str, Any]:
        """The tenant's issuer profile (with the verification key when signing)."""
        return issuer_profile(
            base_url=self._base_url,
            issuer_name=self._issuer_name,
            tenant_id=tenant_id,
            signer=self._signer,
        )

    def public_keys(self, tenant_id: str) -> dict[str, Any]:
        """The issuer's JSON Web Key Set (empty when credentials are not signed)."""
        if self._signer is None:
            return {"keys": []}
        return {"keys": [self._signer.public_jwk(self._kid(tenant_id))]}

    def public_key(self, tenant_id: str, key_id: str) -> dict[str, Any]:
        """One key of the issuer as a JWK (what a VC-JWT's ``kid`` dereferences to)."""
        if self._signer is None or key_id != self._signer.key_id:
            raise NotFound("key", key_id)
        return self._signer.public_jwk(self._kid(tenant_id))

    def _kid(self, tenant_id: str) -> str:
        assert self._signer is not None
        return key_url(self._base_url, tenant_id, self._signer.key_id)

    async def revoke(self, caller: Principal, award_id: str, reason: str) -> Award:
        """Revoke once; revoking a revoked award fails naming its state."""
        now = self._clock()
        async with self._uow(caller.tenant_id) as uow:
            award = await _required(uow, award_id)
            if award.revoked or not await uow.awards.revoke(award_id, reason, now):
                raise FailedPrecondition("the award is already revoked", current_state="revoked")
            uow.add_events(
                [
                    OutgoingEvent.create(
                        events.BadgeRevokedV1(
                            award_id=award_id,
                            badge_id=award.badge_id,
                            learner_id=award.learner_id,
                            reason=reason,
                            revoked_at=now,
                        ),
                        source=SOURCE,
                        subject=award.learner_id,
                        tenant_id=caller.tenant_id,
                        actor_id=caller.subject,
                    )
                ]
            )
            return await _required(uow, award_id)

    async def _award(self, tenant_id: str, award_id: str) -> Award:
        async with self._uow(tenant_id) as uow:
            return await _required(uow, award_id)


async def _required(uow: UnitOfWork, award_id: str) -> Award:
    award = await uow.awards.get_award(award_id)
    if award is None:
        raise NotFound("award", award_id)
    return award
