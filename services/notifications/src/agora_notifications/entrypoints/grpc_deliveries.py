"""The delivery-log RPCs: listing deliveries and retrying a failed one."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from pydantic import Field
from typing_extensions import override

from agora.notifications.v1 import notifications_pb2 as pb
from agora.notifications.v1 import notifications_pb2_grpc
from agora_core.errors import InvalidArgument
from agora_core.grpc.auth import current_principal
from agora_core.grpc.handler_wrapping import Context
from agora_core.grpc.timestamps import to_timestamp
from agora_core.grpc.validation import PageCursor, decode_page_token, encode_page_token, page_size
from agora_notifications.domain.deliveries import Delivery
from agora_notifications.domain.model import DeliveryState
from agora_notifications.entrypoints.grpc_wire import (
    CHANNEL_TO_PB,
    ID_PATTERN,
    MAX_ID_LENGTH,
    checked_id,
)
from agora_notifications.service_layer import deliveries
from agora_notifications.service_layer.deliveries import DeliveryFilter
from agora_notifications.service_layer.ports import Clock, UnitOfWorkFactory, Waker

_STATES: Final = {
    pb.DELIVERY_STATE_PENDING: DeliveryState.PENDING,
    pb.DELIVERY_STATE_DELIVERED: DeliveryState.DELIVERED,
    pb.DELIVERY_STATE_FAILED: DeliveryState.FAILED,
    pb.DELIVERY_STATE_HELD: DeliveryState.HELD,
    pb.DELIVERY_STATE_DIGESTED: DeliveryState.DIGESTED,
    pb.DELIVERY_STATE_CANCELLED: DeliveryState.CANCELLED,
}
_STATE_TO_PB: Final = {v.value: k for k, v in _STATES.items()}


class DeliveryCursor(PageCursor):
    before_time: datetime
    before_id: str = Field(min_length=1, max_length=MAX_ID_LENGTH, pattern=ID_PATTERN)


def delivery_pb(delivery: Delivery) -> pb.Delivery:
    return pb.Delivery(
        delivery_id=delivery.id,
        channel=CHANNEL_TO_PB.get(delivery.channel, pb.CHANNEL_UNSPECIFIED),
        state=_STATE_TO_PB.get(delivery.state.value, pb.DELIVERY_STATE_UNSPECIFIED),
        recipient_id=delivery.recipient_id,
        subscription_id=delivery.subscription_id,
        notification_id=delivery.notification_id,
        event_type=delivery.event_type,
        attempts=delivery.attempts,
        last_error=delivery.last_error,
        next_attempt_time=to_timestamp(delivery.next_attempt_at),
        create_time=to_timestamp(delivery.create_time),
        log=[
            pb.DeliveryAttempt(
                time=to_timestamp(entry.time),
                ok=entry.ok,
                status_code=entry.status_code,
                error=entry.error,
            )
            for entry in delivery.log
        ],
    )


def _filter(request: pb.ListDeliveriesRequest) -> DeliveryFilter:
    channel = ""
    if request.channel:
        found = {pb.CHANNEL_EMAIL: "email", pb.CHANNEL_WEBHOOK: "webhook"}.get(request.channel)
        if found is None:
            raise InvalidArgument.single("channel", "deliveries are email or webhook")
        channel = found
    for name, value in (
        ("subscription_id", request.subscription_id),
        ("recipient_id", request.recipient_id),
    ):
        checked_id(value, name, required=False)
    state = None
    if request.state:
        state = _STATES.get(request.state)
        if state is None:
            raise InvalidArgument.single("state", "unknown state")
    return DeliveryFilter(request.subscription_id, request.recipient_id, channel, state)


class DeliveryRpcs(notifications_pb2_grpc.NotificationsServiceServicer):
    """ListDeliveries, RetryDelivery (the servicer inherits them)."""

    _units: UnitOfWorkFactory
    _clock: Clock
    _worker: Waker

    @override
    async def ListDeliveries(
        self, request: pb.ListDeliveriesRequest, context: Context
    ) -> pb.ListDeliveriesResponse:
        wanted = _filter(request)
        cursor = decode_page_token(request.page_token, DeliveryCursor)
        page = await deliveries.list_deliveries(
            self._units,
            current_principal(),
            wanted,
            size=page_size(request.page_size),
            after=None if cursor is None else (cursor.before_time, cursor.before_id),
        )
        token = ""
        if page.next is not None:
            token = encode_page_token(
                DeliveryCursor(before_time=page.next[0], before_id=page.next[1])
            )
        return pb.ListDeliveriesResponse(
            deliveries=[delivery_pb(d) for d in page.deliveries], next_page_token=token
        )

    @override
    async def RetryDelivery(
        self, request: pb.RetryDeliveryRequest, context: Context
    ) -> pb.RetryDeliveryResponse:
        checked_id(request.delivery_id, "delivery_id")
        retried = await deliveries.retry_delivery(
            self._units, current_principal(), request.delivery_id, self._clock.now(), self._worker
        )
        return pb.RetryDeliveryResponse(delivery=delivery_pb(retried))
