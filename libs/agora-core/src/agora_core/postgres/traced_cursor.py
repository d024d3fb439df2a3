"""A span per SQL statement, through psycopg's public ``cursor_factory`` hook.

Every connection the runtime opens (pool, relay listener) uses :class:`TracedCursor`,
so ``connection.execute`` and cursors alike are covered. A statement gets a span only
inside a recorded trace (a sampled gRPC call or consumed event); otherwise the cost is
one check. The span carries the statement's text with its placeholders, never the
parameters (they hold personal data).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Final

import psycopg
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from psycopg.abc import Params, Query

from agora_core.tracing.spans import child_span

STATEMENT_TEXT_LIMIT: Final = 2000


def _text(query: Query) -> str:
    if isinstance(query, str):
        return query
    if isinstance(query, bytes):
        return query.decode("utf-8", "replace")
    return type(query).__name__  # a psycopg.sql.Composed: rendering needs the connection


def _attributes(query: Query) -> dict[str, Any]:
    text = _text(query).strip()
    operation = text.split(None, 1)[0].upper() if text else "SQL"
    return {
        "db.system.name": "postgresql",
        "db.operation.name": operation,
        "db.query.text": text[:STATEMENT_TEXT_LIMIT],
    }


@contextmanager
def statement_span(query: Query) -> Iterator[None]:
    """A client span around one statement, inside a recorded trace only."""
    if not trace.get_current_span().is_recording():
        yield
        return
    attributes = _attributes(query)
    with child_span(f"{attributes['db.operation.name']} postgresql", SpanKind.CLIENT):
        trace.get_current_span().set_attributes(attributes)
        yield


class TracedCursor(psycopg.AsyncCursor[Any]):
    """An ``AsyncCursor`` whose ``execute``/``executemany`` are spans when traced."""

    async def execute(
        self,
        query: Any,  # psycopg's Query, or a t-string Template (its two overloads)
        params: Params | None = None,
        *,
        prepare: bool | None = None,
        binary: bool | None = None,
    ) -> TracedCursor:
        with statement_span(query):
            await super().execute(query, params, prepare=prepare, binary=binary)
        return self

    async def executemany(
        self, query: Query, params_seq: Iterable[Params], *, returning: bool = False
    ) -> None:
        with statement_span(query):
            await super().executemany(query, params_seq, returning=returning)
