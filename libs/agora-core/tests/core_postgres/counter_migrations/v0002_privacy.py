"""The erasure tombstones (agora_core.privacy.postgres)."""

from agora_core.privacy.postgres import create_privacy_schema as upgrade

revision = "0002"
down_revision = "0001"
__all__ = ["down_revision", "revision", "upgrade"]
