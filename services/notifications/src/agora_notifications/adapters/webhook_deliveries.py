"""The delivery log's side of a deleted webhook subscription (delivery log on MongoDB
until the storage move replaces this adapter)."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from agora_core.storage import Document, TenantRepository
from agora_notifications.adapters.collections import DELIVERIES
from agora_notifications.domain.model import DeliveryState


class MongoPendingWebhookDeliveries:
    """Cancels the pending deliveries of a subscription (they are not sent any more)."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._deliveries = database[DELIVERIES]

    async def cancel(self, tenant_id: str, subscription_id: str) -> None:
        deliveries = TenantRepository(self._deliveries, tenant_id)
        await deliveries.collection.update_many(
            deliveries.scoped(
                {"subscription_id": subscription_id, "state": DeliveryState.PENDING.value}
            ),
            {"$set": {"state": DeliveryState.CANCELLED.value}},
        )
