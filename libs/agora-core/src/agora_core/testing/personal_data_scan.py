"""Searching a whole database for traces of a person (erasure tests).

Reads every document of every collection and walks every value recursively (keys,
lists, nested documents, text), reporting where any of the needles occurs as a whole
token (ids) or as a case-insensitive substring (names, email addresses).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from agora_core.privacy.scrub import mentions_person
from agora_core.storage import Document


@dataclass(frozen=True)
class Trace:
    """One place a needle was found."""

    collection: str
    document_id: Any
    path: str
    value: str

    def __str__(self) -> str:
        return f"{self.collection}[{self.document_id!r}].{self.path} = {self.value[:120]!r}"


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield f"{path}.<key>", str(key)
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")
    elif isinstance(value, bytes):
        yield path, value.decode("utf-8", errors="replace")
    elif value is not None and not isinstance(value, bool | int | float):
        yield path, str(value)  # dates, uuids (a PostgreSQL row's typed values)


async def traces_of(
    database: AsyncDatabase[Document],
    *,
    ids: Sequence[str] = (),
    texts: Sequence[str] = (),
    tenant_id: str | None = None,
) -> list[Trace]:
    """Every string in ``database`` holding one of ``ids`` (as a token) or ``texts``.

    With ``tenant_id``, only documents of that tenant are read (documents without a
    ``tenant_id`` field are read too: a trace there would cross tenants).
    """
    found: list[Trace] = []
    lowered = [text.lower() for text in texts]
    for name in sorted(await database.list_collection_names()):
        async for document in database[name].find({}):
            owner = document.get("tenant_id")
            if tenant_id is not None and owner is not None and owner != tenant_id:
                continue
            for path, value in _strings(document, ""):
                if any(mentions_person(value, needle) for needle in ids) or any(
                    text in value.lower() for text in lowered
                ):
                    found.append(Trace(name, document.get("_id"), path, value))
    return found
