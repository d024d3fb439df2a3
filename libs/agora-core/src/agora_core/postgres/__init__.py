"""PostgreSQL storage: the pool, the unit of work, the outbox table and its relay,
processed-event marks, the shared schema pieces and Alembic migrations.

SQL lives in here (the shared tables) and in each service's ``adapters/``; use cases
see a :class:`UnitOfWork` and repositories, never the driver.
"""

from agora_core.postgres.pool import create_pool, ping
from agora_core.postgres.unit_of_work import Database, UnitOfWork

__all__ = ["Database", "UnitOfWork", "create_pool", "ping"]
