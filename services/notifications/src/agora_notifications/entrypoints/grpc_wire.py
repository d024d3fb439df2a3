"""What the servicer's modules share: limits, the channel enum on the wire, and the
tenant-scoped collection of the caller."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pydantic import Field

from agora.notifications.v1 import notifications_pb2 as pb
from agora_core.grpc.auth import current_principal
from agora_core.grpc.validation import PageCursor
from agora_core.storage import TenantRepository

MAX_IDS: Final = 500
MAX_ID_LENGTH: Final = 200

CHANNEL_TO_PB: Final = {
    "inbox": pb.CHANNEL_INBOX,
    "email": pb.CHANNEL_EMAIL,
    "webhook": pb.CHANNEL_WEBHOOK,
}


class OffsetCursor(PageCursor):
    offset: int = Field(ge=0)


def tenant_repo(collections: Mapping[str, Any], name: str) -> TenantRepository:
    """The caller's tenant's view of one collection."""
    return TenantRepository(collections[name], current_principal().tenant_id)
