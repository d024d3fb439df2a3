"""``agora ops operations``: the long-running operations (AIP-151) of a service.

A dead-letter replay runs in the service as an operation; ``agora ops replay-dlq``
starts one and follows it (:func:`follow`), and these commands read, list, wait for
and cancel operations later, from any replica (their state is in the service's
database). Only the caller's tenant's operations are visible.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Final

import grpc
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from agora.admin.v1 import admin_pb2
from agora.admin.v1.admin_pb2_grpc import OperationsServiceStub
from agora_cli.config import CliConfig, Service
from agora_cli.errors import CliFailure, exit_code_for
from agora_cli.output import emit, message_dict, table
from agora_cli.session import Session, run

POLL_SECONDS: Final = 0.5
_COLUMNS: Final = ("name", "state", "read", "total", "matched", "replayed", "started", "error")

app = typer.Typer(
    help="Long-running operations (dead-letter replays): get, list, wait, cancel.",
    no_args_is_help=True,
)

Via = Annotated[
    Service, typer.Option("--via", help="Service whose operations these are (any replica).")
]
Name = Annotated[str, typer.Argument(help="The operation's name: operations/<id>.")]


def metadata_of(operation: admin_pb2.Operation) -> admin_pb2.ReplayDeadLettersMetadata:
    metadata = admin_pb2.ReplayDeadLettersMetadata()
    operation.metadata.Unpack(metadata)
    return metadata


def response_of(operation: admin_pb2.Operation) -> admin_pb2.ReplayDeadLettersResponse:
    """The replay's report of a successful operation; CliFailure for a failed one."""
    if operation.WhichOneof("result") == "error":
        status = _status_code(operation.error.code)
        raise CliFailure(
            f"{operation.name} failed: {operation.error.message}",
            exit_code_for(status),
            status.name,
        )
    response = admin_pb2.ReplayDeadLettersResponse()
    operation.response.Unpack(response)
    return response


async def follow(
    session: Session, via: Service, operation: admin_pb2.Operation, *, progress: bool
) -> admin_pb2.Operation:
    """Poll ``operation`` until done; with ``progress``, draw a bar on stderr meanwhile."""
    stub = session.stub(via, OperationsServiceStub)
    request = admin_pb2.GetOperationRequest(name=operation.name)
    if not progress:
        while not operation.done:
            await asyncio.sleep(POLL_SECONDS)
            operation = await stub.GetOperation(request, **session.call_options)
        return operation
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("read · {task.fields[replayed]} replayed"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True, highlight=False)) as bar:
        start = metadata_of(operation)
        task = bar.add_task(f"{start.dead_letter_topic}", total=None, replayed=0)
        while True:
            meta = metadata_of(operation)
            bar.update(task, completed=meta.read, total=meta.total or None, replayed=meta.replayed)
            if operation.done:
                return operation
            await asyncio.sleep(POLL_SECONDS)
            operation = await stub.GetOperation(request, **session.call_options)


def show_operations(config: CliConfig, operations: list[admin_pb2.Operation], title: str) -> None:
    def render(console: Console) -> None:
        console.print(
            table(
                title,
                _COLUMNS,
                [_row(operation) for operation in operations],
            )
        )

    data: Any = [message_dict(operation) for operation in operations]
    emit(config.json, data, render)


@app.command("get")
def get(ctx: typer.Context, name: Name, via: Via = Service.CATALOG) -> None:
    """Show an operation: its progress, then its result or error."""
    config: CliConfig = ctx.obj

    async def call(session: Session) -> admin_pb2.Operation:
        stub = session.stub(via, OperationsServiceStub)
        request = admin_pb2.GetOperationRequest(name=name)
        found: admin_pb2.Operation = await stub.GetOperation(request, **session.call_options)
        return found

    operation = run(config, call)
    emit(config.json, message_dict(operation), lambda console: _print_one(console, operation))


@app.command("list")
def list_operations(
    ctx: typer.Context,
    running: Annotated[bool, typer.Option("--running", help="Only those still running.")] = False,
    done: Annotated[bool, typer.Option("--done", help="Only finished ones.")] = False,
    page_size: Annotated[int, typer.Option(min=0, max=100, help="Page size (0: default).")] = 0,
    page_token: Annotated[str, typer.Option(help="From a previous page.")] = "",
    via: Via = Service.CATALOG,
) -> None:
    """List your tenant's operations, newest first."""
    config: CliConfig = ctx.obj
    wanted = "done=false" if running else "done=true" if done else ""

    async def call(session: Session) -> admin_pb2.ListOperationsResponse:
        stub = session.stub(via, OperationsServiceStub)
        request = admin_pb2.ListOperationsRequest(
            filter=wanted, page_size=page_size, page_token=page_token
        )
        page: admin_pb2.ListOperationsResponse = await stub.ListOperations(
            request, **session.call_options
        )
        return page

    page = run(config, call)
    if config.json:
        emit(True, message_dict(page), lambda _: None)
        return
    show_operations(config, list(page.operations), "operations")
    if page.next_page_token:
        Console(highlight=False).print(f"[dim]next page: --page-token {page.next_page_token}[/dim]")


@app.command("wait")
def wait(ctx: typer.Context, name: Name, via: Via = Service.CATALOG) -> None:
    """Follow an operation (a progress bar) until it ends; non-zero exit if it failed."""
    config: CliConfig = ctx.obj

    async def call(session: Session) -> admin_pb2.Operation:
        stub = session.stub(via, OperationsServiceStub)
        request = admin_pb2.GetOperationRequest(name=name)
        first = await stub.GetOperation(request, **session.call_options)
        return await follow(session, via, first, progress=not config.json)

    operation = run(config, call)
    emit(config.json, message_dict(operation), lambda console: _print_one(console, operation))
    if operation.WhichOneof("result") == "error":
        raise typer.Exit(exit_code_for(_status_code(operation.error.code)))


@app.command("cancel")
def cancel(ctx: typer.Context, name: Name, via: Via = Service.CATALOG) -> None:
    """Ask a running operation to stop (it ends CANCELLED after its current batch)."""
    config: CliConfig = ctx.obj

    async def call(session: Session) -> None:
        stub = session.stub(via, OperationsServiceStub)
        await stub.CancelOperation(
            admin_pb2.CancelOperationRequest(name=name), **session.call_options
        )

    run(config, call)
    emit(
        config.json,
        {"name": name, "cancel_requested": True},
        lambda c: c.print(f"{name}: cancel asked"),
    )


def _print_one(console: Console, operation: admin_pb2.Operation) -> None:
    console.print(
        table(
            operation.name,
            ["state", "read", "total", "matched", "replayed", "started", "error"],
            [_row(operation)[1:]],
        )
    )


def _row(operation: admin_pb2.Operation) -> tuple[Any, ...]:
    meta = metadata_of(operation)
    result = operation.WhichOneof("result")
    state = "running" if not operation.done else "failed" if result == "error" else "done"
    error = (
        f"{_status_code(operation.error.code).name}: {operation.error.message}"
        if result == "error"
        else ""
    )
    started = meta.create_time.ToDatetime().isoformat(timespec="seconds") + "Z"
    return (
        operation.name,
        state,
        meta.read,
        meta.total,
        meta.matched,
        meta.replayed,
        started,
        error,
    )


def _status_code(number: int) -> grpc.StatusCode:
    for code in grpc.StatusCode:
        if code.value[0] == number:
            return code
    return grpc.StatusCode.UNKNOWN
