"""Bulk loads straight into the services' databases, with the services' own code: the
gamification board of the learners, the catalog's items and progress rows."""

from __future__ import annotations

import random
import time
from typing import Any

from agora_core.postgres import Database, create_pool
from agora_platform.config import PlatformConfig
from bench.gamification_parts import board as gamification_board
from bench.platform_parts.world import TENANT, console
from bench.seeding import catalog as catalog_bench


def board_scores(learners: int) -> list[gamification_board.Seeded]:
    """The learners' all-time scores, distributed as in ``bench/gamification.py``."""
    return gamification_board.seeded_scores(learners, prefix="u-learner-")


async def bulk_load_board(config: PlatformConfig, learners: int) -> dict[str, Any]:
    """The learners' board, profiles and one ledger entry each, in gamification's own
    database (``unnest`` inserts, ``bench/gamification_parts/board.py``). Before anything
    else reaches gamification: later points (the demo's seeding, the load) move
    through the service's own write path."""
    dsn = config.postgres_dsn("gamification")
    pool = create_pool(dsn, application_name="agora-bench-platform", max_size=2)
    await pool.open()
    try:
        with console.status(f"loading {learners:,} gamification learners"):
            rate = await gamification_board.seed(
                Database(pool), dsn, TENANT, board_scores(learners)
            )
    finally:
        await pool.close()
    return {"board_learners_per_s": round(rate, 1)}


async def bulk_load_catalog(config: PlatformConfig, items: int, learners: int) -> dict[str, Any]:
    """Items and progress, written with the catalog's own code into the platform
    catalog's PostgreSQL database (see the module docstring); returns the item ids and
    the rates. The running catalog process stays the only consumer and relay."""
    loaded: dict[str, Any] = {}
    pool = create_pool(config.postgres_dsn("catalog"), application_name="agora-bench-e2e")
    await pool.open()
    try:
        database = Database(pool)
        rng = random.Random(42)  # noqa: S311 - reproducible benchmark data
        began = time.perf_counter()
        ids = await catalog_bench.seed_items(database, items, rng, catalog_bench.Words(rng))
        loaded["items_per_s"] = round(items / (time.perf_counter() - began), 1)
        began = time.perf_counter()
        with console.status(f"loading {learners:,} progress rows"):
            await catalog_bench.seed_learners(database, ids, learners)
        loaded["progress_docs_per_s"] = round(learners / (time.perf_counter() - began), 1)
    finally:
        await pool.close()
    return {"bulk_item_ids": ids, **loaded}
