"""What the scoring use case needs of storage (``adapters.mongo.GamificationStore``
provides it; unit tests use an in-memory fake)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from agora_core.messaging.events import OutgoingEvent
from agora_core.storage import DocumentStore
from agora_gamification.domain.badges import BadgeDefinition
from agora_gamification.domain.profile import ProfileState
from agora_gamification.domain.rules import Rule
from agora_gamification.domain.settings import TenantSettings
from agora_gamification.domain.standings import Entry


class ScoringStore(Protocol):
    """Profiles, ledger, awards and the tenant's configuration."""

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


class ChallengeStore(Protocol):
    """What the challenge use cases need: tenant views of collections, teams, space
    members, the open-challenge count, and the cross-tenant deadline query."""

    def repo(self, collection: str, tenant_id: str) -> DocumentStore: ...

    async def team(self, tenant_id: str, team_id: str) -> dict[str, Any] | None: ...

    async def members_of_space(self, tenant_id: str, space_id: str) -> list[str]: ...

    async def count_open_challenges(self, tenant_id: str, delta: int) -> None: ...

    async def due_challenges(self, now: dt.datetime, limit: int) -> list[dict[str, Any]]:
        """Open challenges (every tenant) whose deadline is ``now`` or earlier."""
        ...


class TeamDirectory(Protocol):
    """Admin-defined teams (``{team_id, name, member_ids}``)."""

    async def teams(self, tenant_id: str) -> list[dict[str, Any]]: ...

    async def team(self, tenant_id: str, team_id: str) -> dict[str, Any] | None: ...


class BoardStore(Protocol):
    """Score documents (the truth) and the rank index derived from them
    (``domain/standings.py``); every method is one single-document operation except
    the scans named as such."""

    async def score(self, tenant_id: str, key: str) -> dict[str, Any] | None: ...

    async def scores_of(
        self, tenant_id: str, learner_id: str, board: str | None = None
    ) -> list[dict[str, Any]]:
        """Every score document of a learner (on one board): a scan on FerretDB."""
        ...

    async def create_score(self, tenant_id: str, document: Mapping[str, Any]) -> bool:
        """Insert; False when the key exists."""
        ...

    async def update_score(
        self, tenant_id: str, key: str, seq: int, fields: Mapping[str, Any]
    ) -> bool:
        """``$set`` the fields iff the document is still at ``seq``."""
        ...

    async def clear_pending(self, tenant_id: str, key: str, seq: int) -> bool:
        """Remove the pending move iff it is move ``seq``."""
        ...

    async def stale_pending(self, before: str, limit: int) -> list[dict[str, Any]]:
        """Score documents (any tenant) whose pending move was recorded before ``before``."""
        ...

    async def change_bucket(
        self,
        tenant_id: str,
        board: str,
        period: str,
        points: int,
        *,
        add: Entry | None = None,
        remove: Entry | None = None,
    ) -> tuple[int, int] | None:
        """Add or remove one entry; (entries now, bucket revision) read in the same
        write, None when removing from a bucket that does not exist."""
        ...

    async def set_point_count(
        self, tenant_id: str, board: str, period: str, points: int, count: int, rev: int
    ) -> tuple[int, int] | None:
        """Set the count of ``points`` unless a count read from a newer bucket revision
        is stored; when set, (the range's total, range revision) read in that write."""
        ...

    async def set_range_count(
        self, tenant_id: str, board: str, period: str, range_index: int, count: int, rev: int
    ) -> None:
        """Set a range's count in the directory unless one from a newer revision is stored."""
        ...

    async def directory(self, tenant_id: str, board: str, period: str) -> dict[int, int]: ...

    async def range_counts(
        self, tenant_id: str, board: str, period: str, range_index: int
    ) -> dict[int, int]: ...

    async def bucket(self, tenant_id: str, board: str, period: str, points: int) -> list[Entry]: ...

    async def team_total(self, tenant_id: str, team_id: str, period: str) -> dict[str, Any] | None:
        """``{total, m: {member key: {p, s}}}`` of one team and period."""
        ...

    async def update_team_total(
        self,
        tenant_id: str,
        team_id: str,
        period: str,
        member: str,
        expected: Mapping[str, Any] | None,
        new: Mapping[str, Any],
    ) -> bool:
        """Set a member's contribution iff it is still ``expected`` (None: absent), and
        move the total by the difference, in one write."""
        ...
