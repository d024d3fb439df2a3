"""The ``operations`` table: long-running operations (the dead-letter replay, AIP-151),
their progress and lease (agora_core.long_running)."""

from agora_core.postgres.operations_table import create_operations_schema as upgrade

revision = "0005"
down_revision = "0004"

__all__ = ["down_revision", "revision", "upgrade"]
