"""A consumer process that applies its effect and then hangs before committing.

Run by ``test_consumer_killed_before_commit``: the handler bumps the counter inside
the batch's transaction, records on a connection of its own that it got that far,
and hangs; the test SIGKILLs it there, exactly the window where a real crash leaves
an effect written but not committed (nor its processed mark, nor its offset).
Usage: python crashing_consumer.py UNIQUE KAFKA POSTGRES_DSN
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import psycopg
from core_postgres.world import COUNTER_MIGRATIONS, bump, start_batch_consumer

from agora_core.messaging.events import ReceivedEvent
from agora_core.postgres import UnitOfWork
from agora_core.testing.postgres import migrated_database
from core_messaging.harness import EventWorld

REACHED_TABLE = "crash_reached"
"""Where the process notes the event it hangs on (outside the batch's transaction)."""


async def main(unique: str, kafka: str, dsn: str) -> None:
    world = EventWorld(unique)

    async def apply_then_hang(event: ReceivedEvent[Any], uow: UnitOfWork) -> None:
        await bump(event, uow)
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as own:
            await own.execute(
                f"INSERT INTO {REACHED_TABLE} (event_id) VALUES (%s)",  # noqa: S608 - a constant
                (event.event_id,),
            )
        await asyncio.sleep(3600)  # killed here: effect written, nothing committed

    async with migrated_database(dsn, COUNTER_MIGRATIONS) as database:
        await start_batch_consumer(world, kafka, database, {world.event_type: apply_then_hang})
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
