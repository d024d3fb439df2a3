"""The catalog's tombstones of erased persons (``erased_persons``, agora_core.privacy)."""

from agora_core.privacy.postgres import create_privacy_schema as upgrade

revision = "0003"
down_revision = "0002"
__all__ = ["down_revision", "revision", "upgrade"]
