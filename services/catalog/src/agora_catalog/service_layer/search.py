"""The search use case: who may see what, the words, the order, the page."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Literal

from pydantic import Field

from agora_catalog.domain.inputs import SearchIn
from agora_catalog.domain.model import Item
from agora_catalog.domain.search import SearchFilter, SearchQuery, Sort, query_words
from agora_catalog.domain.workflow import ItemStatus
from agora_catalog.service_layer.events import utc_now
from agora_catalog.service_layer.ports import UnitOfWorkFactory
from agora_core.errors import InvalidArgument
from agora_core.identity import Principal, Role
from agora_core.pagination import Page, PageCursor, decode_page_token, encode_page_token


class SearchCursor(PageCursor):
    """Where the next page starts: the last row's sort key and id, for this query only.

    Relevance is scored against ``ranked_at`` (fixed for a query's pages) so a score is
    a stable key; ``fuzzy`` pages come from the typo fallback. A relevance search lists
    the title-or-summary matches (``group`` "head", keyed by score) then the body-only
    matches (``group`` "body", keyed by popularity, ``after_count``).
    """

    query_hash: str = Field(max_length=64)
    sort: Literal["relevance", "recency", "popularity"]
    ranked_at: datetime
    fuzzy: bool = False
    group: Literal["head", "body"] = "head"
    after_score: float | None = None
    after_time: datetime | None = None
    after_count: int | None = None
    after_id: str = Field(max_length=128)


def _key(cursor: SearchCursor) -> float | int | datetime:
    body = cursor.sort == "relevance" and cursor.group == "body"
    key = {
        "relevance": cursor.after_count if body else cursor.after_score,
        "recency": cursor.after_time,
        "popularity": cursor.after_count,
    }[cursor.sort]
    if key is None:
        raise InvalidArgument.single("page_token", "invalid page token")
    return key


class Search:
    """Filtered search sorted by relevance, recency or popularity, with page tokens."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def search(
        self, principal: Principal, search: SearchIn, token: str, size: int
    ) -> Page[Item]:
        query_hash = hashlib.sha256(search.model_dump_json().encode()).hexdigest()[:32]
        cursor = decode_page_token(token, SearchCursor)
        if cursor is not None and cursor.query_hash != query_hash:
            raise InvalidArgument.single("page_token", "the token belongs to another query")
        try:
            status = ItemStatus(search.status)
        except ValueError:
            raise InvalidArgument.single("status", "unknown status") from None
        published = status is ItemStatus.PUBLISHED
        where = SearchFilter(
            status=status.value,
            space_id=search.space_id if published else None,
            author_id=None if published or Role.ADMIN in principal.roles else principal.subject,
            types=tuple(search.types),
            theme_id=search.theme_id,
            skill_id=search.skill_id,
            language=search.language,
            max_minutes=search.max_minutes,
        )
        words = query_words(search.query)
        if search.query.strip() and not words:
            return Page([])  # only operators, quotes or one-letter words: nothing to find
        sort: Sort = search.sort or ("relevance" if words else "recency")
        if sort == "relevance" and not words:
            sort = "recency"
        if cursor is not None and cursor.sort != sort:
            raise InvalidArgument.single("page_token", "the token belongs to another sort")
        query = SearchQuery(words, where, sort)
        ranked_at = cursor.ranked_at if cursor is not None else utc_now()
        fuzzy = cursor.fuzzy if cursor is not None else False
        after = (_key(cursor), cursor.after_id) if cursor is not None else None
        # Pipelined: BEGIN, the tenant and the scan settings leave with the statement
        # after them (a search of a rare word: 5 round trips instead of 8).
        async with self._uow(principal.tenant_id, pipelined=True) as uow:
            found = await uow.search.search(
                query, ranked_at=ranked_at, fuzzy=fuzzy, after=after, limit=size + 1
            )
            if not found and words and cursor is None:
                # Nothing matches the words as written: try them as typos.
                fuzzy = True
                found = await uow.search.search(
                    query, ranked_at=ranked_at, fuzzy=True, after=None, limit=size + 1
                )
        items = [item for item, _ in found[:size]]
        if len(found) <= size:
            return Page(items)
        last_item, last_key = found[size - 1]
        # In a relevance search an int key is a body-only match's popularity (the port).
        body = sort == "relevance" and isinstance(last_key, int)
        next_cursor = SearchCursor(
            query_hash=query_hash,
            sort=sort,
            ranked_at=ranked_at,
            fuzzy=fuzzy,
            group="body" if body else "head",
            after_id=last_item.item_id,
            after_score=float(last_key) if sort == "relevance" and not body else None,  # type: ignore[arg-type]
            after_time=last_key if isinstance(last_key, datetime) else None,
            after_count=int(last_key) if sort == "popularity" or body else None,  # type: ignore[arg-type]
        )
        return Page(items, encode_page_token(next_cursor))
