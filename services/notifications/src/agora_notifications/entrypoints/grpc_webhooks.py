"""The webhook-subscription RPCs of the servicer (Create/List/Delete), in a module of their
own so the subscription work can change them without touching the rest of the servicer."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import override

from agora.notifications.v1 import notifications_pb2 as pb
from agora.notifications.v1 import notifications_pb2_grpc
from agora_core.errors import FailedPrecondition, InvalidArgument, NotFound
from agora_core.grpc.auth import current_principal
from agora_core.grpc.handler_wrapping import Context
from agora_core.grpc.timestamps import to_timestamp as _ts
from agora_core.grpc.validation import (
    PageCursor,
    decode_page_token,
    encode_page_token,
    page_size,
    parse_request,
)
from agora_core.storage import Document, TenantRepository
from agora_core.text import PlainText
from agora_notifications.adapters.webhooks import AddressGuard
from agora_notifications.domain.model import DeliveryState
from agora_notifications.domain.webhooks import UrlRefused
from agora_notifications.service_layer.intake import SubscriptionCache
from agora_notifications.service_layer.ports import Clock

MAX_ID_LENGTH: Final = 200
MAX_EVENT_FILTERS: Final = 100


class OffsetCursor(PageCursor):
    offset: int = Field(ge=0)


class SubscriptionInput(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    url: str = Field(min_length=1, max_length=2000)
    event_types: list[str] = Field(default_factory=list, max_length=MAX_EVENT_FILTERS)
    subjects: list[str] = Field(default_factory=list, max_length=MAX_EVENT_FILTERS)
    description: PlainText = Field(default="", max_length=500)


def _subscription_pb(document: Document) -> pb.WebhookSubscription:
    return pb.WebhookSubscription(
        subscription_id=document["_id"],
        url=document["url"],
        event_types=document.get("event_types", []),
        subjects=document.get("subjects", []),
        description=document.get("description", ""),
        create_time=_ts(document["created_at"]),
    )


class WebhookSubscriptionRpcs(notifications_pb2_grpc.NotificationsServiceServicer):
    """Create, list and delete webhook subscriptions (the servicer inherits them)."""

    _collections: Mapping[str, Any]
    _subscriptions: SubscriptionCache
    _guard: AddressGuard
    _clock: Clock
    _known_event_types: frozenset[str]
    _max_subscriptions: int

    def _repo(self, name: str) -> TenantRepository:
        return TenantRepository(self._collections[name], current_principal().tenant_id)

    @override
    async def CreateWebhookSubscription(
        self, request: pb.CreateWebhookSubscriptionRequest, context: Context
    ) -> pb.CreateWebhookSubscriptionResponse:
        wanted = parse_request(
            SubscriptionInput,
            url=request.url,
            event_types=list(request.event_types),
            subjects=list(request.subjects),
            description=request.description,
        )
        for i, event_type in enumerate(wanted.event_types):
            if event_type not in self._known_event_types:
                raise InvalidArgument.single(f"event_types.{i}", "not a platform event type")
        for i, subject in enumerate(wanted.subjects):
            if not subject or len(subject) > MAX_ID_LENGTH:
                raise InvalidArgument.single(f"subjects.{i}", "invalid subject")
        try:
            await self._guard.check(wanted.url)
        except UrlRefused as refused:
            raise InvalidArgument.single("url", str(refused)) from None
        repo = self._repo("webhook_subscriptions")
        if await repo.count() >= self._max_subscriptions:
            raise FailedPrecondition(
                f"the tenant already has {self._max_subscriptions} subscriptions",
                current_state="limit_reached",
            )
        secret = secrets.token_urlsafe(32)
        document = {
            "_id": f"whs-{uuid.uuid4().hex[:20]}",
            "url": wanted.url,
            "event_types": sorted(set(wanted.event_types)),
            "subjects": sorted(set(wanted.subjects)),
            "description": wanted.description,
            "secret": secret,
            "created_at": self._clock.now(),
        }
        await repo.insert_one(document)
        self._subscriptions.invalidate(repo.tenant_id)
        return pb.CreateWebhookSubscriptionResponse(
            subscription=_subscription_pb(document), secret=secret
        )

    @override
    async def ListWebhookSubscriptions(
        self, request: pb.ListWebhookSubscriptionsRequest, context: Context
    ) -> pb.ListWebhookSubscriptionsResponse:
        size = page_size(request.page_size)
        cursor = decode_page_token(request.page_token, OffsetCursor)
        offset = cursor.offset if cursor else 0
        documents = await self._repo("webhook_subscriptions").find(
            {},
            sort=(("created_at", 1), ("_id", 1)),
            skip=offset,
            limit=size + 1,
            projection={"secret": 0},
        )
        token = ""
        if len(documents) > size:
            documents = documents[:size]
            token = encode_page_token(OffsetCursor(offset=offset + size))
        return pb.ListWebhookSubscriptionsResponse(
            subscriptions=[_subscription_pb(d) for d in documents], next_page_token=token
        )

    @override
    async def DeleteWebhookSubscription(
        self, request: pb.DeleteWebhookSubscriptionRequest, context: Context
    ) -> pb.DeleteWebhookSubscriptionResponse:
        if not request.subscription_id or len(request.subscription_id) > MAX_ID_LENGTH:
            raise InvalidArgument.single("subscription_id", "invalid id")
        repo = self._repo("webhook_subscriptions")
        if not await repo.delete_one({"_id": request.subscription_id}):
            raise NotFound("webhook subscription", request.subscription_id)
        self._subscriptions.invalidate(repo.tenant_id)
        deliveries = self._repo("deliveries")
        await deliveries.collection.update_many(
            deliveries.scoped(
                {"subscription_id": request.subscription_id, "state": DeliveryState.PENDING.value}
            ),
            {"$set": {"state": DeliveryState.CANCELLED.value}},
        )
        return pb.DeleteWebhookSubscriptionResponse()
