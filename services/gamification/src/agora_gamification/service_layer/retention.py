"""Use case: purge the ledger by each tenant's retention policy.

For every tenant with a retention, batch after batch (at most ``batch_size`` old
entries, so at most that many learners, per transaction): claim the tenant (another
replica holding the claim means it is being purged: skip it), find the learners with
entries before the horizon, delete those entries and insert one carried entry per
learner worth what was deleted, in the same transaction. Balances are not touched and
stay the sum of the ledger. A run that finds nothing to do changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from prometheus_client import Counter

from agora_core.background import PeriodicTask
from agora_gamification.domain.retention import carried_entries, retention_horizon
from agora_gamification.service_layer.ports import RetentionTenants, UnitOfWorkFactory
from agora_gamification.service_layer.scoring import Clock

log = structlog.get_logger(__name__)

PURGED_ENTRIES = Counter(
    "agora_gamification_ledger_entries_purged_total",
    "Ledger entries folded into carried entries by the retention purge.",
)


@dataclass(frozen=True)
class PurgeResult:
    """What one tenant's purge did: learners carried and entries deleted."""

    learners: int = 0
    entries: int = 0

    def __add__(self, other: PurgeResult) -> PurgeResult:
        return PurgeResult(self.learners + other.learners, self.entries + other.entries)


class LedgerRetention:
    """The retention purge of every tenant that set one."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        tenants: RetentionTenants,
        clock: Clock,
        *,
        batch_size: int,
    ) -> None:
        self._uow = uow
        self._tenants = tenants
        self._clock = clock
        self._batch = batch_size

    async def purge(self) -> PurgeResult:
        """Purge every tenant with a retention (the periodic task's tick)."""
        total = PurgeResult()
        for tenant_id in await self._tenants():
            try:
                total += await self.purge_tenant(tenant_id)
            except Exception as error:  # one tenant's failed batch must not stop the others
                log.warning("ledger purge failed", tenant=tenant_id, error=repr(error))
        return total

    async def purge_tenant(self, tenant_id: str) -> PurgeResult:
        """Fold the tenant's old entries, one transaction per batch, until none is left
        (or retention is off, or another replica holds the tenant's claim)."""
        done = PurgeResult()
        while True:
            async with self._uow(tenant_id) as uow:
                days = await uow.retention.claim()
                if days is None:
                    return done
                horizon = retention_horizon(self._clock(), days)
                learners = await uow.retention.learners_before(horizon, self._batch)
                if not learners:
                    await uow.retention.finished(horizon, self._clock())
                    if done.entries:
                        log.info(
                            "ledger purged",
                            tenant=tenant_id,
                            horizon=horizon.isoformat(),
                            learners=done.learners,
                            entries=done.entries,
                        )
                    return done
                folded = await uow.retention.fold_before(learners, horizon)
                await uow.retention.add_carried(carried_entries(folded, horizon))
            batch = PurgeResult(len(folded), sum(f.entries for f in folded))
            PURGED_ENTRIES.inc(batch.entries)
            done += batch
            if not batch.entries:  # the learners changed under us (erased): next tick
                return done


def retention_purger(retention: LedgerRetention, interval: float) -> PeriodicTask:
    """Background task purging ledgers by policy (safe with many replicas: each batch
    claims its tenant)."""
    return PeriodicTask("ledger-retention-purge", retention.purge, interval)
