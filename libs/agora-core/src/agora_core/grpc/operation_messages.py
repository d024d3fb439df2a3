"""Protobuf shapes of the replay and its long-running operation (``agora.admin.v1``)."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from agora.admin.v1 import admin_pb2
from agora_core.grpc.timestamps import optional_timestamp_value
from agora_core.long_running.model import ReplayOperation
from agora_core.messaging.replay import DeadLetterReplay
from agora_core.operations import ReplayRequest

ReplayMessage = admin_pb2.ReplayDeadLettersRequest | admin_pb2.StartDeadLetterReplayRequest


def replay_request(request: ReplayMessage) -> ReplayRequest:
    """The replay asked by the unary call or by the operation's start (same fields)."""
    return ReplayRequest(
        topic=request.topic,
        event_types=tuple(request.event_types),
        tenant_id=request.tenant_id or None,
        failed_group=request.failed_group or None,
        after=optional_time(request, "dead_lettered_after"),
        before=optional_time(request, "dead_lettered_before"),
        max_records=request.max_records,
        dry_run=request.dry_run,
    )


def replay_response(report: DeadLetterReplay) -> admin_pb2.ReplayDeadLettersResponse:
    return admin_pb2.ReplayDeadLettersResponse(
        topic=report.topic,
        dead_letter_topic=report.dead_letter_topic,
        replayer_group=report.replayer_group,
        read=report.read,
        replayed=report.replayed,
        filtered_out=report.filtered_out,
        matched=report.matched,
        dry_run=report.dry_run,
        remaining=report.remaining,
    )


def operation_message(operation: ReplayOperation) -> admin_pb2.Operation:
    """The AIP-151 operation: progress in ``metadata``, then ``response`` or ``error``."""
    progress = operation.progress
    metadata = admin_pb2.ReplayDeadLettersMetadata(
        topic=operation.topic,
        dead_letter_topic=operation.dead_letter_topic,
        replayer_group=operation.replayer_group,
        dry_run=operation.dry_run,
        read=progress.read,
        matched=progress.matched,
        replayed=progress.replayed,
        filtered_out=progress.read - progress.matched,
        total=progress.total,
        cancel_requested=operation.cancel_requested,
    )
    metadata.create_time.FromDatetime(operation.create_time)
    metadata.update_time.FromDatetime(operation.update_time)
    if operation.end_time is not None:
        metadata.end_time.FromDatetime(operation.end_time)
    message = admin_pb2.Operation(name=operation.name, done=operation.done)
    message.metadata.Pack(metadata)
    result = operation.result()
    if result is not None:
        message.response.Pack(replay_response(result))
    elif operation.failure is not None:
        message.error.code = operation.failure.code
        message.error.message = operation.failure.message
    return message


def optional_time(
    request: ReplayMessage | admin_pb2.RewindConsumerRequest, field: str
) -> datetime | None:
    """The timestamp ``field`` of ``request`` as an aware datetime (None when unset)."""
    present = request.HasField(field)  # type: ignore[arg-type]
    stamp: Timestamp = getattr(request, field)
    return optional_timestamp_value(stamp, present, field)
