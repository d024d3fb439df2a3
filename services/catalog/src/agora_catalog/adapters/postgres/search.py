"""Catalogue search on PostgreSQL full-text search.

The query is built from the words of ``domain.search.query_words`` only (letters and
digits), each as a prefix (``word:*``, search-as-you-type) joined by ``&``: user text is
never parsed as ``tsquery`` syntax. The words are stemmed in French, English and the
plain configuration (accents folded by ``unaccent`` in all three), so a query finds an
item in whichever language it was indexed. When no item matches, words are compared by
trigram similarity to the folded title and summary (``items_trigram``), so a typo
still finds its item.

What matches is decided by ``search_vector`` (title, summary and body); relevance ranks
``rank_vector`` (title and summary, ``search_sql.py``), so title > summary > body and
the ranking reads a small vector kept in the row, never the body's (kilobytes out of
line, about 30 µs a row to read and rank: most of a search's time before migration
0006). Decision record: ``docs/adr/0005-catalog-search-ranking.md``.

Which matches are ranked is decided here, not by the planner (it estimates prefix
matches ``word:*`` so coarsely that it walks the catalogue for a rare word, or reads
every match of a common one); each step reads a bounded number of rows:

1. **walk**: the ``WALK_ROWS`` most popular items passing the filters
   (``items_popular`` read in order) until ``WALK_MATCHES`` of them match in their
   title or summary. At least ``WALK_ENOUGH`` matches: a word that common is ranked
   among these candidates.
2. **head**: else, if more than ``RANK_CANDIDATES`` items match in their title or
   summary (all read through ``items_head``; fewer than a tenth of the items, since the
   walk found few), the ``RANK_CANDIDATES`` most popular of them are ranked.
3. **groups**: else every title-or-summary match was ranked in step 2 (at most
   ``RANK_CANDIDATES``): when the page is not full it goes on with the items matching
   only in their body, by popularity (``search_body_sql.py``: read whole through
   ``items_search`` when at most ``BODY_FEW``, else ``items_popular`` walked to the
   page's end). A page token's key tells the group: a relevance (``float``) continues
   the title-or-summary group, a popularity (``int``) the body-only group.

Steps 1 and 2 count their candidates in the statement that ranks them, so a search
runs one to four statements (a title-or-summary page token does not carry the step:
each page decides again, alike while the catalogue does not change).

In 1 and 2 a body-only match is not a candidate: title-or-summary matches outrank it,
and there are more of them than a person pages through. Decision record and its
amendment (body-only matches by popularity): ``docs/adr/0005-catalog-search-ranking.md``.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from agora_catalog.adapters.postgres.items import item_of
from agora_catalog.adapters.postgres.rows import fetch_all
from agora_catalog.adapters.postgres.search_body_sql import BODY_FEW, body_few, body_walk
from agora_catalog.adapters.postgres.search_sql import (
    RANK_CANDIDATES,
    SCAN_METHODS,
    WALK_ENOUGH,
    compiled_query,
    search_statement,
)
from agora_catalog.domain.model import Item
from agora_catalog.domain.search import SearchQuery

__all__ = ["RANK_CANDIDATES", "PostgresItemSearch", "search_statement"]


class PostgresItemSearch:
    """Search over one tenant's items."""

    def __init__(
        self,
        connection: AsyncConnection[Any],
        tenant_id: str,
        cap: int = RANK_CANDIDATES,
        body_few: int = BODY_FEW,
    ) -> None:
        self._c = connection
        self._tenant = tenant_id
        self._cap = cap
        self._body_few = body_few
        self._bitmaps = False

    async def _fetch(
        self, statement: tuple[str, dict[str, Any]], *, bitmaps: bool
    ) -> list[dict[str, Any]]:
        """The rows of ``statement``; with ``bitmaps``, planned with bitmap scans alone
        (a text index is read only through a bitmap: no walk reading each body)."""
        await self._scans(bitmaps_only=bitmaps)
        return await fetch_all(self._c, *statement)

    async def _scans(self, *, bitmaps_only: bool) -> None:
        # In a pipelined unit of work the settings are only queued (their result is
        # never read): they leave with the statement after them, or with COMMIT.
        if bitmaps_only != self._bitmaps:
            # A path these settings forbid still costs 10^10 in the plan, enough to start
            # JIT compilation (100 ms and more) for a statement that runs in milliseconds:
            # JIT is turned off with them (and stays off).
            await self._c.execute(SCAN_METHODS, {"allowed": "off" if bitmaps_only else "on"})
            self._bitmaps = bitmaps_only

    async def search(
        self,
        query: SearchQuery,
        *,
        ranked_at: datetime,
        fuzzy: bool,
        after: tuple[float | int | datetime, str] | None,
        limit: int,
    ) -> list[tuple[Item, float | int | datetime]]:
        """A page of matches and each one's sort key (the keyset of the next page)."""
        try:
            statement = functools.partial(
                search_statement, self._tenant, query, ranked_at=ranked_at, fuzzy=fuzzy,
                after=after, limit=limit, cap=self._cap,
            )  # fmt: skip
            if not query.words or fuzzy:
                rows = await self._fetch(statement(), bitmaps=False)
                return _found(rows)
            compiled = await compiled_query(self._c, query)
            if not compiled:
                return []  # no word left a lexeme: nothing can match
            if query.sort != "relevance":
                return _found(await self._fetch(statement(compiled=compiled), bitmaps=False))
            if after is not None and isinstance(after[0], int):
                return await self._body_only(query, compiled, (after[0], after[1]), limit)
            walk = await self._fetch(statement(candidates="walk", compiled=compiled), bitmaps=False)
            if _candidates(walk) >= WALK_ENOUGH:
                return _found(walk)
            head = await self._fetch(statement(candidates="head", compiled=compiled), bitmaps=True)
            if _candidates(head) > self._cap or len(head) >= limit:
                return _found(head)
            # Every title-or-summary match was ranked: the body-only group follows.
            body = await self._body_only(query, compiled, None, limit - len(head))
            return _found(head) + body
        finally:
            await self._scans(bitmaps_only=False)  # the transaction's other statements

    async def _body_only(
        self, query: SearchQuery, compiled: str, after: tuple[int, str] | None, limit: int
    ) -> list[tuple[Item, float | int | datetime]]:
        """A page of the items matching only in their body, in popularity order
        (``search_body_sql.py``): sorted whole when few, else ``items_popular`` walked."""
        few = body_few(self._tenant, query, compiled, after=after, limit=limit, few=self._body_few)
        rows = await self._fetch(few, bitmaps=True)
        if int(rows[0]["body_matches"]) <= self._body_few:
            return _found([row for row in rows if row["item_id"] is not None])
        walk = body_walk(self._tenant, query, compiled, after=after, limit=limit)
        return _found(await self._fetch(walk, bitmaps=False))


def _candidates(rows: list[dict[str, Any]]) -> int:
    """How many candidates a step's statement ranked (none on an empty page)."""
    return int(rows[0]["candidate_count"]) if rows else 0


def _found(rows: list[dict[str, Any]]) -> list[tuple[Item, float | int | datetime]]:
    return [(item_of(row), row["sort_key"]) for row in rows]
