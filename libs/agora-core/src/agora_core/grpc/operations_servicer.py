"""``agora.admin.v1.OperationsService``: replay and rewind over gRPC, on every service.

:func:`agora_core.grpc.server.create_grpc_server` mounts this servicer on every
server it builds, and the runtime attaches its :class:`~agora_core.operations.Operations`
when it is given the server (``ServiceRuntime.set_api``), so no service writes a line
for it. A server built without a runtime answers FAILED_PRECONDITION.
"""

from __future__ import annotations

from typing import Final

from google.protobuf.empty_pb2 import Empty
from typing_extensions import override

from agora.admin.v1 import admin_pb2, admin_pb2_grpc
from agora_core.errors import FailedPrecondition
from agora_core.grpc.auth import Role, current_principal
from agora_core.grpc.handler_wrapping import Context
from agora_core.grpc.operation_messages import (
    operation_message,
    optional_time,
    replay_request,
    replay_response,
)
from agora_core.grpc.policy import MethodPolicy
from agora_core.long_running.replays import ReplayOperations
from agora_core.operations import Operations

OPERATIONS_SERVICE: Final = admin_pb2.DESCRIPTOR.services_by_name["OperationsService"]
OPERATIONS_SERVICE_NAME: Final[str] = OPERATIONS_SERVICE.full_name

OPERATIONS_POLICY: Final = MethodPolicy.for_service(
    OPERATIONS_SERVICE,
    {
        name: {Role.ADMIN}
        for name in (
            "ReplayDeadLetters",
            "StartDeadLetterReplay",
            "GetOperation",
            "ListOperations",
            "CancelOperation",
            "RewindConsumer",
        )
    },
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

    def _replays(self) -> ReplayOperations:
        replays = self._attached().replays
        if replays is None:
            raise FailedPrecondition("this server's runtime keeps no operations")
        return replays

    @override
    async def ReplayDeadLetters(
        self, request: admin_pb2.ReplayDeadLettersRequest, context: Context
    ) -> admin_pb2.ReplayDeadLettersResponse:
        operations = self._attached()
        report = await operations.replay_dead_letters(current_principal(), replay_request(request))
        return replay_response(report)

    @override
    async def StartDeadLetterReplay(
        self, request: admin_pb2.StartDeadLetterReplayRequest, context: Context
    ) -> admin_pb2.Operation:
        replays = self._replays()
        started = await replays.start(current_principal(), replay_request(request))
        return operation_message(started)

    @override
    async def GetOperation(
        self, request: admin_pb2.GetOperationRequest, context: Context
    ) -> admin_pb2.Operation:
        return operation_message(await self._replays().get(current_principal(), request.name))

    @override
    async def ListOperations(
        self, request: admin_pb2.ListOperationsRequest, context: Context
    ) -> admin_pb2.ListOperationsResponse:
        page = await self._replays().newest(
            current_principal(),
            filter_text=request.filter,
            size=request.page_size,
            token=request.page_token,
        )
        return admin_pb2.ListOperationsResponse(
            operations=[operation_message(item) for item in page.items],
            next_page_token=page.next_page_token,
        )

    @override
    async def CancelOperation(
        self, request: admin_pb2.CancelOperationRequest, context: Context
    ) -> Empty:
        await self._replays().cancel(current_principal(), request.name)
        return Empty()

    @override
    async def RewindConsumer(
        self, request: admin_pb2.RewindConsumerRequest, context: Context
    ) -> admin_pb2.RewindConsumerResponse:
        operations = self._attached()
        rewind = await operations.rewind_consumer(
            current_principal(), request.topic, optional_time(request, "at")
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
