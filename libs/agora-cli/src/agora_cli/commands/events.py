"""``agora events``: watch a topic, CloudEvents decoded (straight from Kafka)."""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.json import JSON
from rich.rule import Rule

from agora_cli.config import CliConfig, CliUsageError
from agora_cli.session import Session, run

if TYPE_CHECKING:
    from aiokafka import ConsumerRecord

    from agora_contracts.events.envelope import CloudEventEnvelope

app = typer.Typer(help="Kafka topics, CloudEvents decoded.", no_args_is_help=True)


@dataclass(frozen=True)
class DecodedRecord:
    """One record of a topic: Kafka coordinates, headers, envelope, payload."""

    topic: str
    partition: int
    offset: int
    timestamp: datetime
    key: str | None
    headers: dict[str, str]
    envelope: CloudEventEnvelope | None
    data: Any
    error: str | None

    @classmethod
    def of(cls, record: ConsumerRecord[Any, Any]) -> DecodedRecord:
        # Imported on use: the contracts load every event model.
        from agora_contracts.events.envelope import CloudEventEnvelope, EnvelopeError

        raw_headers = record.headers or ()
        headers = {
            name: value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
            for name, value in raw_headers
        }
        errors: list[str] = []
        try:
            envelope: CloudEventEnvelope | None = CloudEventEnvelope.from_headers(raw_headers)
        except EnvelopeError as error:
            envelope = None
            errors.append(f"not a CloudEvent: {error}")
        try:
            data = json.loads(record.value) if record.value else None
        except (ValueError, UnicodeDecodeError) as error:
            data = None
            errors.append(f"payload is not JSON: {error}")
        return cls(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            timestamp=datetime.fromtimestamp(record.timestamp / 1000, UTC),
            key=record.key.decode("utf-8", "replace") if record.key is not None else None,
            headers=headers,
            envelope=envelope,
            data=data,
            error="; ".join(errors) or None,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "partition": self.partition,
            "offset": self.offset,
            "timestamp": self.timestamp.isoformat(),
            "key": self.key,
            "headers": self.headers,
            "event": self.envelope.model_dump(mode="json") if self.envelope else None,
            "data": self.data,
            "error": self.error,
        }


def render_record(console: Console, record: DecodedRecord) -> None:
    """A rule naming the event, its headers, then the payload as pretty JSON."""
    kind = record.envelope.type if record.envelope else "(not a CloudEvent)"
    console.print(
        Rule(f"[bold]{kind}[/]  {record.topic}[{record.partition}]@{record.offset}", align="left")
    )
    for name, value in sorted(record.headers.items()):
        console.print(f"[cyan]{name}[/]: {value}", highlight=False, markup=True)
    if record.error:
        console.print(f"[red]{record.error}[/]")
    if record.data is not None:
        console.print(JSON.from_data(record.data))
    elif record.error is None:
        console.print("[dim](empty payload)[/]")


@app.command("tail")
def tail(
    ctx: typer.Context,
    topic: Annotated[str, typer.Argument(help="e.g. agora.learning.completions.v1 (or a .dlq)")],
    from_beginning: Annotated[
        bool, typer.Option("--from-beginning", help="Start at the oldest record, not the end.")
    ] = False,
    types: Annotated[
        list[str] | None, typer.Option("--type", help="Only this CloudEvents type (repeatable).")
    ] = None,
    tenant: Annotated[
        str | None, typer.Option("--tenant", help="Only this tenant's events.")
    ] = None,
    max_events: Annotated[
        int, typer.Option("--max", min=0, help="Stop after this many events (0: follow).")
    ] = 0,
    idle_timeout: Annotated[
        float,
        typer.Option(
            min=0, help="Stop after this many seconds without a matching event (0: never)."
        ),
    ] = 0,
) -> None:
    """Print the records of a topic as they arrive: headers and pretty JSON payload.

    With --json, one JSON object per line (JSON Lines) per record. Reads without a
    consumer group: nothing is committed, no service is affected.
    """
    config: CliConfig = ctx.obj
    wanted = set(types or ())
    console = Console(highlight=False)

    def matches(record: DecodedRecord) -> bool:
        if wanted and (record.envelope is None or record.envelope.type not in wanted):
            return False
        return tenant is None or (
            record.envelope is not None and record.envelope.tenantid == tenant
        )

    async def follow(session: Session) -> int:
        # Imported here: only this command talks to Kafka.
        from aiokafka import AIOKafkaConsumer

        from agora_cli.connections import kafka_client_options
        from agora_core.messaging.partitions import topic_partitions

        options = kafka_client_options(session.config.kafka)
        consumer = AIOKafkaConsumer(**options, enable_auto_commit=False, group_id=None)
        await consumer.start()
        shown = 0
        try:
            if topic not in await consumer.topics():
                raise CliUsageError(f"no topic {topic!r} on {session.config.kafka}")
            partitions = await topic_partitions([topic], **options)
            consumer.assign(partitions)
            if from_beginning:
                await consumer.seek_to_beginning(*partitions)
            else:
                await consumer.seek_to_end(*partitions)
            last_match = time.monotonic()
            while max_events == 0 or shown < max_events:
                if idle_timeout and time.monotonic() - last_match > idle_timeout:
                    break
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    for raw in records:
                        record = DecodedRecord.of(raw)
                        if not matches(record):
                            continue
                        if config.json:
                            typer.echo(
                                json.dumps(record.to_json(), sort_keys=True, ensure_ascii=False)
                            )
                        else:
                            render_record(console, record)
                        shown += 1
                        last_match = time.monotonic()
                        if shown == max_events:
                            return shown
        finally:
            await consumer.stop()
        return shown

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how one stops following
        run(config, follow)
