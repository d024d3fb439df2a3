"""The inbox RPCs: pages newest first, unread count, marking read."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import Field
from typing_extensions import override

from agora.notifications.v1 import notifications_pb2 as pb
from agora.notifications.v1 import notifications_pb2_grpc
from agora_core.errors import InvalidArgument
from agora_core.grpc.auth import current_principal
from agora_core.grpc.handler_wrapping import Context
from agora_core.grpc.timestamps import to_timestamp
from agora_core.grpc.validation import PageCursor, decode_page_token, encode_page_token, page_size
from agora_core.storage import Document
from agora_notifications.entrypoints.grpc_wire import MAX_ID_LENGTH, MAX_IDS, tenant_repo
from agora_notifications.service_layer.ports import Clock


class InboxCursor(PageCursor):
    before_time: datetime
    before_id: str = Field(min_length=1, max_length=200)


def _notification_pb(document: Document) -> pb.Notification:
    return pb.Notification(
        notification_id=document["_id"],
        category=document["category"],
        title=document["title"],
        body=document["body"],
        subject_id=document.get("subject_id") or "",
        read=bool(document.get("read")),
        create_time=to_timestamp(document["created_at"]),
        read_time=to_timestamp(document.get("read_at")),
    )


class InboxRpcs(notifications_pb2_grpc.NotificationsServiceServicer):
    """ListInbox, GetUnreadCount, MarkRead, MarkAllRead (the servicer inherits them)."""

    _collections: Mapping[str, Any]
    _clock: Clock

    @override
    async def ListInbox(
        self, request: pb.ListInboxRequest, context: Context
    ) -> pb.ListInboxResponse:
        size = page_size(request.page_size)
        cursor = decode_page_token(request.page_token, InboxCursor)
        query: dict[str, Any] = {"recipient_id": current_principal().subject}
        if request.unread_only:
            query["read"] = False
        if cursor is not None:
            query["$or"] = [
                {"created_at": {"$lt": cursor.before_time}},
                {"created_at": cursor.before_time, "_id": {"$lt": cursor.before_id}},
            ]
        documents = await tenant_repo(self._collections, "notifications").find(
            query,
            sort=(("created_at", -1), ("_id", -1)),
            limit=size + 1,
            projection={"outbox": 0},
        )
        token = ""
        if len(documents) > size:
            documents = documents[:size]
            last = documents[-1]
            token = encode_page_token(
                InboxCursor(before_time=last["created_at"], before_id=last["_id"])
            )
        return pb.ListInboxResponse(
            notifications=[_notification_pb(d) for d in documents], next_page_token=token
        )

    @override
    async def GetUnreadCount(
        self, request: pb.GetUnreadCountRequest, context: Context
    ) -> pb.GetUnreadCountResponse:
        unread = await tenant_repo(self._collections, "notifications").count(
            {"recipient_id": current_principal().subject, "read": False}
        )
        return pb.GetUnreadCountResponse(unread=unread)

    @override
    async def MarkRead(self, request: pb.MarkReadRequest, context: Context) -> pb.MarkReadResponse:
        ids = list(request.notification_ids)
        if not ids:
            raise InvalidArgument.single("notification_ids", "at least one id is required")
        if len(ids) > MAX_IDS:
            raise InvalidArgument.single("notification_ids", f"at most {MAX_IDS} ids")
        for i, value in enumerate(ids):
            if not value or len(value) > MAX_ID_LENGTH:
                raise InvalidArgument.single(f"notification_ids.{i}", "invalid id")
        result = await tenant_repo(self._collections, "notifications").collection.update_many(
            tenant_repo(self._collections, "notifications").scoped(
                {"_id": {"$in": ids}, "recipient_id": current_principal().subject, "read": False}
            ),
            {"$set": {"read": True, "read_at": self._clock.now()}},
        )
        return pb.MarkReadResponse(marked=result.modified_count)

    @override
    async def MarkAllRead(
        self, request: pb.MarkAllReadRequest, context: Context
    ) -> pb.MarkAllReadResponse:
        repo = tenant_repo(self._collections, "notifications")
        result = await repo.collection.update_many(
            repo.scoped({"recipient_id": current_principal().subject, "read": False}),
            {"$set": {"read": True, "read_at": self._clock.now()}},
        )
        return pb.MarkAllReadResponse(marked=result.modified_count)
