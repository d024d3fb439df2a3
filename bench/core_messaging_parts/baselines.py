"""Raw baselines of the core messaging benchmark, measured in the same run: aiokafka
produce and consume of the same records, a batched insert of the same rows."""

from __future__ import annotations

import time
from collections.abc import Sequence

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from agora_core.postgres import Database
from agora_core.postgres.unit_of_work import (
    TENANT_SETTING,
)
from bench.core_messaging_parts.workload import (
    INSERT_MANY,
    PARTITIONS,
    RAW_INSERT_BATCH,
    TENANT,
    Batch,
    console,
)


async def create_topics(kafka: str, topics: Sequence[str]) -> None:
    """Explicitly (clients never rely on auto-creation): 6 partitions each."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(t, num_partitions=PARTITIONS, replication_factor=1) for t in topics]
        )
    finally:
        await admin.close()


async def delete_topics(kafka: str, topics: Sequence[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        await admin.delete_topics(list(topics))
    except Exception as error:  # cleanup only; the run's figures stand
        console.log(f"[yellow]could not delete the bench topics: {error!r}")
    finally:
        await admin.close()


async def raw_insert(database: Database, batch: Batch) -> float:
    """Seconds to insert the rows by 500, one transaction each (plain psycopg)."""
    async with database.pool.connection() as connection:
        started = time.perf_counter()
        for part in batch.slices(RAW_INSERT_BATCH):
            async with connection.transaction():
                # The table's row-level security wants a tenant, as in every transaction.
                await connection.execute(
                    "SELECT set_config(%s, %s, true)", (TENANT_SETTING, TENANT)
                )
                await connection.execute(INSERT_MANY, part.columns())
        return time.perf_counter() - started
