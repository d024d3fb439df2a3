"""Erasure records (what ``ErasePerson`` answers); the person only as a digest."""

from __future__ import annotations

from datetime import datetime

from agora_community.adapters.postgres.tenant_scoped import TenantScoped


class PostgresErasureRecords(TenantScoped):
    async def add(
        self,
        erasure_id: str,
        *,
        person_digest: str,
        requested_by: str,
        reason: str,
        at: datetime,
    ) -> tuple[str, str, datetime] | None:
        created = await self._one(
            "INSERT INTO erasures (tenant_id, erasure_id, person_digest, requested_by, reason,"
            " requested_at) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING 1",
            (self._tenant, erasure_id, person_digest, requested_by, reason, at),
        )
        if created is not None:
            return None
        row = await self._one(
            "UPDATE erasures SET repeats = repeats + 1, repeated_at = %s"
            " WHERE tenant_id = %s AND erasure_id = %s"
            " RETURNING requested_by, reason, requested_at",
            (at, self._tenant, erasure_id),
        )
        assert row is not None
        return row[0], row[1], row[2]
