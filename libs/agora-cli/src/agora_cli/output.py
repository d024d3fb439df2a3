"""Printing results: a rich table for people, stable JSON for scripts (``--json``).

JSON output is one document per command (an object), with keys sorted and protobuf
fields under their proto names, every field present (zero values too), enums by
name and timestamps in RFC 3339, so scripts can rely on its shape.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import typer
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from rich.console import Console
from rich.table import Table

Json = dict[str, Any]


def message_dict(message: Message) -> Json:
    """A protobuf message as JSON-ready data (proto field names, zero values kept)."""
    return MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )


def emit(json_mode: bool, data: Json, render: Callable[[Console], None]) -> None:
    """Print ``data`` as JSON, or let ``render`` draw it for a person."""
    if json_mode:
        typer.echo(json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False))
    else:
        render(Console(highlight=False))


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    """A rich table of ``rows`` (cells shown with ``str``)."""
    result = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        result.add_column(column)
    for row in rows:
        result.add_row(*("" if cell is None else str(cell) for cell in row))
    return result


def short_enum(name: str, prefix: str) -> str:
    """``KNOWLEDGE_TYPE_VIDEO`` → ``video`` for tables (JSON keeps the full name)."""
    return name.removeprefix(prefix).lower()


def next_page_hint(console: Console, token: str) -> None:
    if token:
        console.print(f"[dim]more: --page-token {token}[/dim]")
