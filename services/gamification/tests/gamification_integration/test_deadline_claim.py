"""Two replicas' deadline sweepers race for the same expired challenges on the real
database: each challenge is closed, and its challenge.completed written, exactly once."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from agora_core.storage import Document
from agora_gamification.adapters.mongo import GamificationStore
from agora_gamification.domain.challenges import NewChallenge
from agora_gamification.service_layer.challenges import Challenges

from .streams import T0

pytestmark = pytest.mark.integration


async def test_two_sweepers_close_each_challenge_once(database: AsyncDatabase[Document]) -> None:
    def clock() -> dt.datetime:
        return T0 + dt.timedelta(days=2)

    replicas = [
        Challenges(GamificationStore(database), lambda _hint=None, /: None, clock) for _ in range(2)
    ]
    for n in range(5):
        await replicas[0].create(
            "acme",
            "ann",
            NewChallenge(
                title=f"c{n}",
                scope="person",
                event_type="org.agora.learning.knowledge.completed.v1",
                target=10,
                starts_at=T0,
                ends_at=T0 + dt.timedelta(days=1),
            ),
        )
    closed = await asyncio.gather(*(r.close_due() for r in replicas for _ in range(3)))
    assert sum(closed) == 5
    async for challenge in database["challenges"].find({}):
        assert challenge["state"] == "completed"
        assert challenge["outcome"] == "deadline_passed"
        completed = [
            e for e in challenge["outbox"] if "challenge.completed" in e["headers"]["ce_type"]
        ]
        assert len(completed) == 1
    tenant = await database["tenants"].find_one({"_id": "acme"})
    assert tenant is not None
    assert tenant["open_challenges"] == 0
