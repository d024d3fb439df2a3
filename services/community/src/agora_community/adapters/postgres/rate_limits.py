"""Rate-limit windows: one row per tenant, action and person, reused window after
window, so storage stays bounded by the people who act (and expired rows purge)."""

from __future__ import annotations

from datetime import datetime

from agora_community.adapters.postgres.tenant_scoped import TenantScoped


class PostgresRateLimitRepository(TenantScoped):
    async def spend(
        self, action: str, user_id: str, window_start: datetime, expires_at: datetime
    ) -> int:
        # A newer window restarts the count; a late call of an older window (another
        # replica's clock) counts in the current one.
        row = await self._one(
            "INSERT INTO rate_windows AS w (tenant_id, action, user_id, window_start,"
            " expires_at, count) VALUES (%s, %s, %s, %s, %s, 1)"
            " ON CONFLICT (tenant_id, action, user_id) DO UPDATE SET"
            " count = CASE WHEN EXCLUDED.window_start > w.window_start THEN 1"
            " ELSE w.count + 1 END,"
            " window_start = greatest(w.window_start, EXCLUDED.window_start),"
            " expires_at = greatest(w.expires_at, EXCLUDED.expires_at)"
            " RETURNING count",
            (self._tenant, action, user_id, window_start, expires_at),
        )
        assert row is not None
        return int(row[0])

    async def purge_expired(self, before: datetime) -> int:
        return await self._run(
            "DELETE FROM rate_windows WHERE tenant_id = %s AND expires_at < %s",
            (self._tenant, before),
        )
