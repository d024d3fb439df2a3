"""What a PostgreSQL-backed process does around its database at start and while it runs:
migrate once the server answers, and purge old processed-event marks."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import structlog

from agora_core.messaging.retry import is_database_outage
from agora_core.postgres.migrations import Migrations, upgrade_async
from agora_core.postgres.pool import Pool
from agora_core.postgres.processed import purge_processed

log = structlog.get_logger(__name__)

PURGE_EVERY_SECONDS = 3600.0


async def migrate_when_reachable(
    migrations: Migrations, dsn: str, *, max_delay: float = 10.0
) -> None:
    """Upgrade to head, waiting with backoff while the server cannot be reached.

    One warning line when the database is first found unreachable and one when it
    answers, not one per attempt; any other failure (a broken migration) raises.
    """
    attempt = 0
    while True:
        try:
            await upgrade_async(migrations, dsn)
        except Exception as error:
            if not _unreachable(error):
                raise
            attempt += 1
            if attempt == 1:
                log.warning("postgres unreachable; migrating when it answers", error=repr(error))
            await asyncio.sleep(min(max_delay, 0.2 * 2**attempt))
            continue
        if attempt:
            log.info("postgres answered; schema migrated", attempts=attempt + 1)
        return


def _unreachable(error: BaseException) -> bool:
    # SQLAlchemy wraps the driver's error; the cause is psycopg's.
    while error is not None:
        if is_database_outage(error):
            return True
        cause = error.__cause__ or error.__context__
        if cause is None:
            return False
        error = cause
    return False


async def purge_marks_periodically(
    pool: Pool, retention_hours: int, *, every: float = PURGE_EVERY_SECONDS
) -> None:
    """Keep the processed-event table bounded: purge marks past the retention."""
    while True:
        with contextlib.suppress(Exception):  # an outage: try again next period
            deleted = await purge_processed(pool, timedelta(hours=retention_hours))
            if deleted:
                log.info("processed-event marks purged", deleted=deleted)
        await asyncio.sleep(every)
