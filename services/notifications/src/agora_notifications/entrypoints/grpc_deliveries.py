"""The delivery-log RPCs: listing deliveries and retrying a failed one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from typing_extensions import override

from agora.notifications.v1 import notifications_pb2 as pb
from agora.notifications.v1 import notifications_pb2_grpc
from agora_core.errors import FailedPrecondition, InvalidArgument, NotFound
from agora_core.grpc.handler_wrapping import Context
from agora_core.grpc.timestamps import to_timestamp
from agora_core.grpc.validation import decode_page_token, encode_page_token, page_size
from agora_core.storage import Document
from agora_notifications.domain.model import DeliveryState
from agora_notifications.entrypoints.grpc_wire import (
    CHANNEL_TO_PB,
    MAX_ID_LENGTH,
    OffsetCursor,
    tenant_repo,
)
from agora_notifications.service_layer.ports import Clock, Waker

_STATES: Final = {
    pb.DELIVERY_STATE_PENDING: DeliveryState.PENDING,
    pb.DELIVERY_STATE_DELIVERED: DeliveryState.DELIVERED,
    pb.DELIVERY_STATE_FAILED: DeliveryState.FAILED,
    pb.DELIVERY_STATE_HELD: DeliveryState.HELD,
    pb.DELIVERY_STATE_DIGESTED: DeliveryState.DIGESTED,
    pb.DELIVERY_STATE_CANCELLED: DeliveryState.CANCELLED,
}
_STATE_TO_PB: Final = {v.value: k for k, v in _STATES.items()}


def delivery_pb(document: Document) -> pb.Delivery:
    return pb.Delivery(
        delivery_id=document["_id"],
        channel=CHANNEL_TO_PB.get(document["channel"], pb.CHANNEL_UNSPECIFIED),
        state=_STATE_TO_PB.get(document["state"], pb.DELIVERY_STATE_UNSPECIFIED),
        recipient_id=document.get("recipient_id", ""),
        subscription_id=document.get("subscription_id", ""),
        notification_id=document.get("notification_id", ""),
        event_type=document.get("event_type", ""),
        attempts=int(document.get("attempts", 0)),
        last_error=document.get("last_error", ""),
        next_attempt_time=to_timestamp(document.get("next_attempt_at")),
        create_time=to_timestamp(document.get("created_at")),
        log=[
            pb.DeliveryAttempt(
                time=to_timestamp(entry["time"]),
                ok=bool(entry["ok"]),
                status_code=int(entry.get("status_code", 0)),
                error=entry.get("error", ""),
            )
            for entry in document.get("log", [])
        ],
    )


class DeliveryRpcs(notifications_pb2_grpc.NotificationsServiceServicer):
    """ListDeliveries, RetryDelivery (the servicer inherits them)."""

    _collections: Mapping[str, Any]
    _clock: Clock
    _worker: Waker

    @override
    async def ListDeliveries(
        self, request: pb.ListDeliveriesRequest, context: Context
    ) -> pb.ListDeliveriesResponse:
        size = page_size(request.page_size)
        cursor = decode_page_token(request.page_token, OffsetCursor)
        offset = cursor.offset if cursor else 0
        query: dict[str, Any] = {}
        if request.channel:
            channel = {pb.CHANNEL_EMAIL: "email", pb.CHANNEL_WEBHOOK: "webhook"}.get(
                request.channel
            )
            if channel is None:
                raise InvalidArgument.single("channel", "deliveries are email or webhook")
            query["channel"] = channel
        for name, value in (
            ("subscription_id", request.subscription_id),
            ("recipient_id", request.recipient_id),
        ):
            if len(value) > MAX_ID_LENGTH:
                raise InvalidArgument.single(name, "too long")
            if value:
                query[name] = value
        if request.state:
            state = _STATES.get(request.state)
            if state is None:
                raise InvalidArgument.single("state", "unknown state")
            query["state"] = state.value
        documents = await tenant_repo(self._collections, "deliveries").find(
            query,
            sort=(("created_at", -1), ("_id", -1)),
            skip=offset,
            limit=size + 1,
            projection={"outbox": 0, "email": 0, "webhook": 0},
        )
        token = ""
        if len(documents) > size:
            documents = documents[:size]
            token = encode_page_token(OffsetCursor(offset=offset + size))
        return pb.ListDeliveriesResponse(
            deliveries=[delivery_pb(d) for d in documents], next_page_token=token
        )

    @override
    async def RetryDelivery(
        self, request: pb.RetryDeliveryRequest, context: Context
    ) -> pb.RetryDeliveryResponse:
        if not request.delivery_id or len(request.delivery_id) > MAX_ID_LENGTH:
            raise InvalidArgument.single("delivery_id", "invalid id")
        repo = tenant_repo(self._collections, "deliveries")
        current = await repo.find_one({"_id": request.delivery_id})
        if current is None:
            raise NotFound("delivery", request.delivery_id)
        if current["state"] != DeliveryState.FAILED.value:
            raise FailedPrecondition(
                f"only failed deliveries can be retried; this one is {current['state']}",
                current_state=current["state"],
            )
        # attempts restart so the retried delivery gets a full series again.
        updated = await repo.find_one_and_update(
            {"_id": request.delivery_id, "state": DeliveryState.FAILED.value},
            {
                "$set": {
                    "state": DeliveryState.PENDING.value,
                    "next_attempt_at": self._clock.now(),
                    "attempts": 0,
                    "retried": True,
                }
            },
        )
        if updated is None:
            raise FailedPrecondition("the delivery changed state meanwhile", current_state="")
        self._worker.notify()
        return pb.RetryDeliveryResponse(delivery=delivery_pb(updated))
