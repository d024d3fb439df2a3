"""The inbox RPCs: pages newest first, unread count, marking read (each translates its
request, calls one use case of :mod:`service_layer.inbox` and translates back)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from typing_extensions import override

from agora.notifications.v1 import notifications_pb2 as pb
from agora.notifications.v1 import notifications_pb2_grpc
from agora_core.errors import InvalidArgument
from agora_core.grpc.auth import current_principal
from agora_core.grpc.handler_wrapping import Context
from agora_core.grpc.timestamps import to_timestamp
from agora_core.grpc.validation import PageCursor, decode_page_token, encode_page_token, page_size
from agora_notifications.domain.inbox import InboxPosition, Notification
from agora_notifications.entrypoints.grpc_wire import ID_PATTERN, MAX_IDS, checked_id
from agora_notifications.service_layer import inbox
from agora_notifications.service_layer.ports import Clock, UnitOfWorkFactory


class InboxCursor(PageCursor):
    before_time: datetime
    before_id: str = Field(min_length=1, max_length=200, pattern=ID_PATTERN)


def _notification_pb(notification: Notification) -> pb.Notification:
    return pb.Notification(
        notification_id=notification.notification_id,
        category=notification.category,
        title=notification.title,
        body=notification.body,
        subject_id=notification.subject_id or "",
        read=notification.read,
        create_time=to_timestamp(notification.create_time),
        read_time=to_timestamp(notification.read_time),
    )


class InboxRpcs(notifications_pb2_grpc.NotificationsServiceServicer):
    """ListInbox, GetUnreadCount, MarkRead, MarkAllRead (the servicer inherits them)."""

    _units: UnitOfWorkFactory
    _clock: Clock

    @override
    async def ListInbox(
        self, request: pb.ListInboxRequest, context: Context
    ) -> pb.ListInboxResponse:
        cursor = decode_page_token(request.page_token, InboxCursor)
        page = await inbox.list_inbox(
            self._units,
            current_principal(),
            size=page_size(request.page_size),
            after=None if cursor is None else InboxPosition(cursor.before_time, cursor.before_id),
            unread_only=request.unread_only,
        )
        token = ""
        if page.next is not None:
            token = encode_page_token(
                InboxCursor(before_time=page.next.create_time, before_id=page.next.notification_id)
            )
        return pb.ListInboxResponse(
            notifications=[_notification_pb(n) for n in page.notifications],
            next_page_token=token,
        )

    @override
    async def GetUnreadCount(
        self, request: pb.GetUnreadCountRequest, context: Context
    ) -> pb.GetUnreadCountResponse:
        return pb.GetUnreadCountResponse(
            unread=await inbox.unread_count(self._units, current_principal())
        )

    @override
    async def MarkRead(self, request: pb.MarkReadRequest, context: Context) -> pb.MarkReadResponse:
        ids = list(request.notification_ids)
        if not ids:
            raise InvalidArgument.single("notification_ids", "at least one id is required")
        if len(ids) > MAX_IDS:
            raise InvalidArgument.single("notification_ids", f"at most {MAX_IDS} ids")
        for i, value in enumerate(ids):
            checked_id(value, f"notification_ids.{i}")
        marked = await inbox.mark_read(self._units, current_principal(), ids, self._clock.now())
        return pb.MarkReadResponse(marked=marked)

    @override
    async def MarkAllRead(
        self, request: pb.MarkAllReadRequest, context: Context
    ) -> pb.MarkAllReadResponse:
        marked = await inbox.mark_all_read(self._units, current_principal(), self._clock.now())
        return pb.MarkAllReadResponse(marked=marked)
