"""The storage floor of the events benchmark: what the database alone costs for the
effects of the same completions.

The events are decoded and scored beforehand, untimed, by the service's own code
(``parse_record``, ``facts_of``, ``plan_credits``, ``apply_credits``: profiles evolve
batch after batch as the service's would); then each batch of :data:`BATCH` events is
written as the service writes a poll, timed: one transaction with the processed marks,
the profiles read under lock, and ``store_scored`` (profiles, ledger rows, board entries
and counts, outbox rows). No Kafka, no decoding, no validation, no rules in the timed
part: a consumer keeping exactly-once effects cannot handle events faster than this on
the same machine, so the floor bounds any ratio to raw consumption.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from agora_core.messaging.events import OutgoingEvent
from agora_core.postgres import Database
from agora_core.postgres.processed import mark_processed
from agora_gamification.adapters.postgres.unit_of_work import bind
from agora_gamification.entrypoints.events import facts_of
from agora_gamification.service_layer.scoring import (
    Scored,
    TenantConfigs,
    apply_credits,
    plan_credits,
    store_scored,
)
from bench.processes.floor import BATCH, GROUP, received


@dataclass(frozen=True)
class _Batch:
    marks: list[tuple[str, str, str]]
    learners: list[str]
    scored: Scored


async def _scored_batches(
    database: Database, tenant: str, events: Sequence[OutgoingEvent]
) -> list[_Batch]:
    """Every batch decoded and scored by the service's code (nothing written)."""
    facts = [facts_of(r) for r in received(events)]
    async with database.unit_of_work(tenant) as core:
        uow = await bind(core, tenant)
        config = await TenantConfigs().of(uow)
        states = await uow.profiles.get_profiles(sorted({f.payload["learner_id"] for f in facts}))
    batches = []
    for at in range(0, len(facts), BATCH):
        part = facts[at : at + BATCH]
        plan = plan_credits(config, part)
        learners = sorted({p for _, _, people in plan for p in people})
        scored = apply_credits(config, {lr: states[lr] for lr in learners}, plan)
        states.update(scored.states)
        marks = [(tenant, f.event_id, f.event_type) for f in part]
        batches.append(_Batch(marks, learners, scored))
    return batches


async def storage_floor(database: Database, tenant: str, events: Sequence[OutgoingEvent]) -> float:
    """Events/s of the service's writes alone for ``events`` (see the module doc)."""
    batches = await _scored_batches(database, tenant, events)
    began = time.perf_counter()
    for batch in batches:
        async with database.unit_of_work(tenant) as core:
            await mark_processed(core, GROUP, batch.marks)
            uow = await bind(core, tenant)
            await uow.profiles.get_profiles(batch.learners, for_update=True)
            await store_scored(uow, batch.scored)
    return len(events) / (time.perf_counter() - began)
