"""What the scoring use case needs of storage (``adapters.mongo.GamificationStore``
provides it; unit tests use an in-memory fake)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from agora_core.messaging.events import OutgoingEvent
from agora_gamification.adapters.mongo import Score
from agora_gamification.domain.badges import BadgeDefinition
from agora_gamification.domain.profile import ProfileState
from agora_gamification.domain.rules import Rule
from agora_gamification.domain.settings import TenantSettings


class ScoringStore(Protocol):
    """Profiles, ledger, awards, scores and the tenant's configuration."""

    async def tenant_document(self, tenant_id: str) -> dict[str, Any]: ...

    async def tenant_settings(self, tenant_id: str) -> TenantSettings: ...

    async def stored_rules(self, tenant_id: str) -> list[Rule]: ...

    async def badges(self, tenant_id: str) -> list[BadgeDefinition]: ...

    async def profile_document(self, tenant_id: str, learner_id: str) -> dict[str, Any] | None: ...

    async def save_profile(
        self,
        tenant_id: str,
        state: ProfileState,
        *,
        expected_version: int,
        events: Sequence[OutgoingEvent],
    ) -> bool: ...

    async def set_profile_fields(
        self, tenant_id: str, learner_id: str, update: Mapping[str, Any]
    ) -> dict[str, Any] | None: ...

    async def insert_ignoring_duplicates(
        self, collection: str, tenant_id: str, documents: Sequence[Mapping[str, Any]]
    ) -> None: ...

    async def set_scores(self, tenant_id: str, scores: Sequence[Score], version: int) -> None: ...

    async def delete_scores(self, tenant_id: str, learner_id: str, board: str) -> None: ...
