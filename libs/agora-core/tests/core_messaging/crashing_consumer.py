"""A consumer process that applies its effect and then hangs before committing.

Run by ``test_consumer_killed_before_commit``: the test SIGKILLs it while it hangs,
exactly the window where a real crash would leave an effect without a commit.
Usage: python crashing_consumer.py UNIQUE KAFKA MONGO_URI DATABASE
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from agora_core.messaging.events import ReceivedEvent
from agora_core.storage import create_mongo_client
from core_messaging.harness import EventWorld, bump_counter, start_consumer


async def main(unique: str, kafka: str, mongo_uri: str, database_name: str) -> None:
    client = create_mongo_client(mongo_uri)
    database = client[database_name]
    world = EventWorld(unique)

    async def apply_then_hang(event: ReceivedEvent[Any]) -> None:
        await bump_counter(database, event)
        await database["markers"].insert_one({"_id": event.event_id, "pid": "crashing"})
        await asyncio.sleep(3600)  # killed here: effect applied, nothing marked or committed

    await start_consumer(world, kafka, database, {world.event_type: apply_then_hang})
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
