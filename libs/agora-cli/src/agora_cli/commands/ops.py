"""``agora ops``: operators' replay of dead letters and rewind of consumer groups.

Both go through ``agora.admin.v1.OperationsService``, which every service serves;
see the "Operations: replay" section of docs/messaging.md for the guarantees.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from agora.admin.v1 import admin_pb2
from agora.admin.v1.admin_pb2_grpc import OperationsServiceStub
from agora_cli.commands import operations
from agora_cli.config import CliConfig, CliUsageError, Service
from agora_cli.errors import CliFailure, ExitCode, report_problem
from agora_cli.output import emit, message_dict, table
from agora_cli.session import Session, run
from agora_cli.times import parse_moment, timestamp

if TYPE_CHECKING:
    from agora_core.messaging.rewind import ConsumerRewind

app = typer.Typer(help="Dead-letter replay and consumer rewind (admins).", no_args_is_help=True)
app.add_typer(operations.app, name="operations")

Via = Annotated[
    Service,
    typer.Option("--via", help="Service to ask (any of them can replay; the broker is shared)."),
]


@app.command("replay-dlq")
def replay_dlq(
    ctx: typer.Context,
    topic: Annotated[str, typer.Argument(help="Source topic; its DLQ is <topic>.dlq.")],
    types: Annotated[
        list[str] | None, typer.Option("--type", help="Only this CloudEvents type (repeatable).")
    ] = None,
    only_tenant: Annotated[
        str, typer.Option(help="Only this tenant's records (operators; others get their own).")
    ] = "",
    failed_group: Annotated[
        str, typer.Option(help="Only records this consumer group dead-lettered.")
    ] = "",
    after: Annotated[
        str | None, typer.Option(help="Dead-lettered at or after: ISO time or 2h (ago).")
    ] = None,
    before: Annotated[
        str | None, typer.Option(help="Dead-lettered before: ISO time or 30m (ago).")
    ] = None,
    max_records: Annotated[
        int, typer.Option("--max", min=0, max=100_000, help="DLQ records to read (0: 10000).")
    ] = 0,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be replayed; change nothing.")
    ] = False,
    no_wait: Annotated[
        bool,
        typer.Option(
            "--no-wait", help="Print the operation's name and return (follow it with `wait`)."
        ),
    ] = False,
    via: Via = Service.CATALOG,
) -> None:
    """Re-deliver the dead letters of TOPIC to TOPIC after a fix, once.

    Records keep their key, payload and CloudEvents headers (same event id, so
    consumers that already applied one skip it); the agora-dlq-* headers are dropped.
    Running the same replay again sends nothing already sent. The replay runs in the
    service as a long-running operation: a progress bar follows it (on stderr) and the
    command exits non-zero if it fails; `agora ops operations` reads, lists, waits for
    and cancels operations.
    """
    config: CliConfig = ctx.obj
    request = admin_pb2.StartDeadLetterReplayRequest(
        topic=topic,
        event_types=list(types or ()),
        tenant_id=only_tenant,
        failed_group=failed_group,
        max_records=max_records,
        dry_run=dry_run,
    )
    if after is not None:
        request.dead_lettered_after.CopyFrom(timestamp(parse_moment(after)))
    if before is not None:
        request.dead_lettered_before.CopyFrom(timestamp(parse_moment(before)))

    async def call(session: Session) -> admin_pb2.Operation:
        stub = session.stub(via, OperationsServiceStub)
        started: admin_pb2.Operation = await stub.StartDeadLetterReplay(
            request, **session.call_options
        )
        if no_wait:
            return started
        return await operations.follow(session, via, started, progress=not config.json)

    operation = run(config, call)
    if no_wait:
        emit(config.json, {"name": operation.name}, lambda console: console.print(operation.name))
        return
    try:
        report = operations.response_of(operation)
    except CliFailure as failure:
        report_problem(str(failure), json_mode=config.json, code=failure.code_name)
        raise typer.Exit(failure.exit_code) from None

    def render(console: Console) -> None:
        title = f"{report.dead_letter_topic} → {report.topic}" + (
            " (dry run)" if report.dry_run else ""
        )
        console.print(
            table(
                title,
                ["read", "matched", "replayed", "filtered out", "remaining"],
                [
                    (
                        report.read,
                        report.matched,
                        report.replayed,
                        report.filtered_out,
                        report.remaining,
                    )
                ],
            )
        )
        console.print(f"[dim]progress kept in consumer group {report.replayer_group}[/dim]")
        console.print(f"[dim]{operation.name}[/dim]")

    emit(config.json, {**message_dict(report), "operation": operation.name}, render)


@app.command("rewind")
def rewind(
    ctx: typer.Context,
    service: Annotated[Service, typer.Argument(help="Whose consumer group to move.")],
    topic: Annotated[str, typer.Argument(help="A topic that service consumes.")],
    at: Annotated[str, typer.Option("--at", help="Re-read from this time: ISO time or 2h (ago).")],
) -> None:
    """Make SERVICE re-read TOPIC from a point in time (effects are not doubled).

    The replica that answers moves the partitions it owns; the others are listed
    (call each replica, or scale to one first).
    """
    config: CliConfig = ctx.obj
    request = admin_pb2.RewindConsumerRequest(topic=topic, at=timestamp(parse_moment(at)))

    async def call(session: Session) -> Any:
        stub = session.stub(service, OperationsServiceStub)
        return await stub.RewindConsumer(request, **session.call_options)

    response = run(config, call)
    _show_rewind(
        config,
        f"{response.group_id} on {response.topic}",
        [(p.partition, p.previous_offset, p.offset) for p in response.partitions],
        list(response.not_assigned_partitions),
        message_dict(response),
    )


def _show_rewind(
    config: CliConfig,
    title: str,
    moves: list[tuple[int, int, int]],
    not_assigned: list[int],
    data: dict[str, Any],
) -> None:
    def render(console: Console) -> None:
        console.print(table(title, ["partition", "from offset", "to offset"], sorted(moves)))
        if not_assigned:
            owned_elsewhere = ", ".join(str(p) for p in not_assigned)
            console.print(
                f"[yellow]partitions owned by other replicas, not moved: {owned_elsewhere}[/]"
            )

    emit(config.json, data, render)


@app.command("rewind-group")
def rewind_group(
    ctx: typer.Context,
    group: Annotated[str, typer.Argument(help="Consumer group, e.g. agora-gamification.")],
    topic: Annotated[str, typer.Argument(help="A topic the group consumes.")],
    at: Annotated[str, typer.Option("--at", help="Re-read from this time: ISO time or 2h (ago).")],
) -> None:
    """Move a group with no running member to a point in time, straight on Kafka.

    For a service that cannot answer `agora ops rewind` (stopped, or crash-looping on
    a record): its replicas start from there. Kafka refuses while the group has live
    members (exit 6). Needs access to the broker (--kafka), not a token.
    """
    # Imported here: the messaging runtime is heavy and only this command needs it.
    from agora_cli.connections import kafka_client_options
    from agora_core.messaging.rewind import GroupHasMembers, rewind_idle_group

    config: CliConfig = ctx.obj
    moment = parse_moment(at)

    async def call(session: Session) -> ConsumerRewind:
        try:
            options = kafka_client_options(session.config.kafka)
            servers = options.pop("bootstrap_servers")
            return await rewind_idle_group(servers, group, topic, moment, kafka_options=options)
        except GroupHasMembers as error:
            raise CliFailure(str(error), ExitCode.CONFLICT, "FAILED_PRECONDITION") from None
        except ValueError as error:
            raise CliUsageError(str(error)) from None

    rewound = run(config, call)
    # The shape of `agora ops rewind`'s answer (minus the service), for scripts.
    response = admin_pb2.RewindConsumerResponse(
        group_id=rewound.group_id,
        topic=rewound.topic,
        partitions=[
            admin_pb2.PartitionRewind(
                partition=p.partition, offset=p.offset, previous_offset=p.previous_offset
            )
            for p in rewound.partitions
        ],
    )
    data = message_dict(response)
    del data["service"]
    _show_rewind(
        config,
        f"{rewound.group_id} on {rewound.topic}",
        [(p.partition, p.previous_offset, p.offset) for p in rewound.partitions],
        [],
        data,
    )
