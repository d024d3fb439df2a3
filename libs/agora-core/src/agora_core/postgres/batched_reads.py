"""Several read statements in one round trip.

A call that needs three small reads waits for three round trips when it sends them one
by one; sent as one message they cost one. psycopg's client-side binding
(``AsyncClientCursor``) quotes the values into the text and sends the statements
together; each statement's rows come back as its own result set. Inside an open
transaction they run in it; outside one, PostgreSQL runs one message's statements as
one implicit transaction (so a transaction-local setting made by the first applies to
the others and ends with them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from agora_core.postgres.pool import AsyncConnection
from agora_core.postgres.traced_cursor import statement_span

Statement = tuple[str, Sequence[object]]
"""A statement with ``%s`` placeholders and its values."""


async def read_many(
    connection: AsyncConnection, statements: Sequence[Statement]
) -> list[list[tuple[Any, ...]]]:
    """The rows of each statement, in order, from one message."""
    text = ";\n".join(query for query, _ in statements)
    values = [value for _, params in statements for value in params]
    cursor = psycopg.AsyncClientCursor(connection)
    with statement_span(text):
        await cursor.execute(text, values)
    results = [await cursor.fetchall()]
    while cursor.nextset():
        results.append(await cursor.fetchall())
    return results
