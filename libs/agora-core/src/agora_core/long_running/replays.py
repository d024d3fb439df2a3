"""Use cases of the dead-letter replay as a long-running operation (AIP-151).

Start validates and scopes the replay exactly as the unary call does
(:meth:`agora_core.operations.Operations.plan_replay`), stores the operation in the
caller's tenant and returns it while the runner works. Get, list and cancel see only
the caller's tenant's operations (an operator's are the operator tenant's); a name
of another tenant's operation is NOT_FOUND, as one that never existed.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Final

from agora_core.errors import InvalidArgument, NotFound
from agora_core.identity import Principal
from agora_core.long_running.model import ReplayOperation, operation_id_of
from agora_core.long_running.runner import OperationRunner
from agora_core.pagination import Page, PageCursor, decode_page_token, keyset_page, page_size

if TYPE_CHECKING:
    from agora_core.operations import Operations, ReplayRequest

_DONE_FILTERS: Final = {"": None, "done=true": True, "done=false": False}


class _OperationCursor(PageCursor):
    create_time: datetime
    operation_id: str


class ReplayOperations:
    """Start, read, list and cancel replay operations."""

    def __init__(self, operations: Operations, runner: OperationRunner) -> None:
        self._operations = operations
        self._runner = runner

    async def start(self, caller: Principal, request: ReplayRequest) -> ReplayOperation:
        plan = self._operations.plan_replay(caller, request)
        operation = ReplayOperation.new(
            caller.tenant_id,
            topic=plan.topic,
            dead_letter_topic=plan.dead_letter_topic,
            replayer_group=plan.replayer_group,
            dry_run=plan.dry_run,
        )
        return await self._runner.start(operation, partial(self._operations.run_replay, plan))

    async def get(self, caller: Principal, name: str) -> ReplayOperation:
        found = await self._runner.store.get(caller.tenant_id, _operation_id(name))
        if found is None:
            raise NotFound("operation", name)
        return found

    async def newest(
        self, caller: Principal, *, filter_text: str, size: int, token: str
    ) -> Page[ReplayOperation]:
        normalized = filter_text.replace(" ", "").lower()
        if normalized not in _DONE_FILTERS:
            raise InvalidArgument.single("filter", "empty, done=true or done=false")
        limit = page_size(size)
        cursor = decode_page_token(token, _OperationCursor)
        rows = await self._runner.store.newest(
            caller.tenant_id,
            done=_DONE_FILTERS[normalized],
            after=None if cursor is None else (cursor.create_time, cursor.operation_id),
            limit=limit + 1,
        )
        return keyset_page(
            rows,
            limit,
            lambda row: _OperationCursor(
                create_time=row.create_time, operation_id=row.operation_id
            ),
        )

    async def cancel(self, caller: Principal, name: str) -> None:
        if not await self._runner.store.request_cancel(caller.tenant_id, _operation_id(name)):
            raise NotFound("operation", name)


def _operation_id(name: str) -> str:
    found = operation_id_of(name)
    if found is None:
        raise InvalidArgument.single("name", "an operation name: operations/<id>")
    return found
