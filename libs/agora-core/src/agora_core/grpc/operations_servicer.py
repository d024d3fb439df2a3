"""``agora.admin.v1.OperationsService``: replay and rewind over gRPC, on every service.

:func:`agora_core.grpc.server.create_grpc_server` mounts this servicer on every
server it builds, and the runtime attaches its :class:`~agora_core.operations.Operations`
when it is given the server (``ServiceRuntime.set_api``), so no service writes a line
for it. A server built without a runtime answers FAILED_PRECONDITION.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from google.protobuf.timestamp_pb2 import Timestamp
from typing_extensions import override

from agora.admin.v1 import admin_pb2, admin_pb2_grpc
from agora_core.errors import FailedPrecondition, InvalidArgument
from agora_core.grpc.auth import Role, current_principal
from agora_core.grpc.handler_wrapping import Context
from agora_core.grpc.policy import MethodPolicy
from agora_core.operations import Operations, ReplayRequest

OPERATIONS_SERVICE: Final = admin_pb2.DESCRIPTOR.services_by_name["OperationsService"]
OPERATIONS_SERVICE_NAME: Final[str] = OPERATIONS_SERVICE.full_name

OPERATIONS_POLICY: Final = MethodPolicy.for_service(
    OPERATIONS_SERVICE,
    {"ReplayDeadLetters": {Role.ADMIN}, "RewindConsumer": {Role.ADMIN}},
)
"""Admins only; which tenants an admin may act on is decided in ``Operations``."""


class OperationsServicer(admin_pb2_grpc.OperationsServiceServicer):
    """Translates the admin RPCs to :class:`Operations` of the attached runtime."""

    def __init__(self) -> None:
        self._operations: Operations | None = None

    def attach(self, operations: Operations) -> None:
        self._operations = operations

    def _attached(self) -> Operations:
        if self._operations is None:
            raise FailedPrecondition("this server runs without a service runtime")
        return self._operations

    @override
    async def ReplayDeadLetters(
        self, request: admin_pb2.ReplayDeadLettersRequest, context: Context
    ) -> admin_pb2.ReplayDeadLettersResponse:
        operations = self._attached()
        report = await operations.replay_dead_letters(
            current_principal(),
            ReplayRequest(
                topic=request.topic,
                event_types=tuple(request.event_types),
                tenant_id=request.tenant_id or None,
                failed_group=request.failed_group or None,
                after=_time(request, "dead_lettered_after"),
                before=_time(request, "dead_lettered_before"),
                max_records=request.max_records,
                dry_run=request.dry_run,
            ),
        )
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

    @override
    async def RewindConsumer(
        self, request: admin_pb2.RewindConsumerRequest, context: Context
    ) -> admin_pb2.RewindConsumerResponse:
        operations = self._attached()
        rewind = await operations.rewind_consumer(
            current_principal(), request.topic, _time(request, "at")
        )
        return admin_pb2.RewindConsumerResponse(
            service=operations.service,
            group_id=rewind.group_id,
            topic=rewind.topic,
            partitions=[
                admin_pb2.PartitionRewind(
                    partition=p.partition, offset=p.offset, previous_offset=p.previous_offset
                )
                for p in rewind.partitions
            ],
            not_assigned_partitions=list(rewind.not_assigned),
        )


def _time(
    request: admin_pb2.ReplayDeadLettersRequest | admin_pb2.RewindConsumerRequest, field: str
) -> datetime | None:
    """The timestamp ``field`` of ``request`` as an aware datetime (None when unset)."""
    if not request.HasField(field):  # type: ignore[arg-type]
        return None
    stamp: Timestamp = getattr(request, field)
    try:
        return stamp.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise InvalidArgument.single(field, "not a valid timestamp") from None
