"""Catalogue search on PostgreSQL full-text search.

The query is built from the words of ``domain.search.query_words`` only (letters and
digits), each as a prefix (``word:*``, search-as-you-type) joined by ``&``: user text is
never parsed as ``tsquery`` syntax. The words are stemmed in French, English and the
plain configuration (accents folded by ``unaccent`` in all three), so a query finds an
item in whichever language it was indexed. Relevance is ``ts_rank`` over the weighted
vector (title A > summary B > body C) raised by popularity and recency; recency is
measured from ``ranked_at`` (fixed for a query's pages) so scores are stable keys.
When no item matches, words are compared by trigram similarity to the folded title
and summary (``items_trigram``), so a typo still finds its item.

Ranking reads each match's weighted vector, so ranking every match of a word most items
contain costs seconds in a large catalogue (2.3 s for 90,000 matches among 100,000
items, ``bench/reports/catalog_ranking.json``). So a relevance search first counts its
matches up to ``RANK_CANDIDATES`` through the text index (:func:`match_probe`, at most
that many rows read). Up to the cap, every match is ranked. Above it, only the
``RANK_CANDIDATES`` most popular matches are ranked: ``items_popular`` yields items in
that order while the text condition is checked row by row, stopping at the cap; pages
end after the cap's worth of results, all of them popular matches ranked by relevance
(a person refines a query matching most of the catalogue rather than reading page 60).
The choice is made here and not left to the planner: it estimates prefix matches
(``word:*``) so coarsely that it would take the popularity path for a rare word too,
and read the whole catalogue to find its few matches.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from psycopg import AsyncConnection

from agora_catalog.adapters.postgres.items import ITEM_COLUMNS, item_of
from agora_catalog.adapters.postgres.rows import fetch_all
from agora_catalog.domain.model import Item
from agora_catalog.domain.search import SearchFilter, SearchQuery

_CONFIGS: Final = ("agora_fr", "agora_en", "agora_simple")
_FTS_QUERY: Final = " || ".join(f"to_tsquery('{config}', %(tsquery)s)" for config in _CONFIGS)
_BOOST: Final = (
    "(1 + 0.1 * ln(1 + greatest(popularity, 0)))"
    " * (1 + 0.5 / (1 + greatest(extract(epoch FROM %(ranked_at)s - sort_time), 0) / 2592000))"
)
_RELEVANCE: Final = f"(ts_rank(search_vector, q.query) * {_BOOST})::float8"
_SIMILARITY: Final = f"(word_similarity(%(text)s, search_text) * {_BOOST})::float8"
RANK_CANDIDATES: Final = 1000
"""How many matches relevance ranks at most (the most popular; see the module doc)."""
_BITMAP_ONLY: Final = tuple(
    f"SET LOCAL enable_{method} = {{}}" for method in ("seqscan", "indexscan", "indexonlyscan")
)


def _filters(where: SearchFilter, params: dict[str, Any]) -> list[str]:
    conditions = ["tenant_id = %(tenant)s", "status = %(status)s"]
    params["status"] = where.status
    if where.space_id is not None:
        conditions.append("space_id = %(space)s")
        params["space"] = where.space_id
    if where.author_id is not None:
        conditions.append("author_id = %(author)s")
        params["author"] = where.author_id
    if where.types:
        conditions.append("type = ANY(%(types)s)")
        params["types"] = list(where.types)
    if where.theme_id is not None:
        conditions.append("theme_scope @> ARRAY[%(theme)s]")
        params["theme"] = where.theme_id
    if where.skill_id is not None:
        conditions.append("skill_ids @> ARRAY[%(skill)s]")
        params["skill"] = where.skill_id
    if where.language is not None:
        column = "language_base" if where.language_is_base else "language"
        conditions.append(f"{column} = %(language)s")
        params["language"] = where.language
    if where.max_minutes:
        conditions.append("estimated_minutes <= %(minutes)s")
        params["minutes"] = where.max_minutes
    return conditions


def search_statement(
    tenant_id: str,
    query: SearchQuery,
    *,
    ranked_at: datetime,
    fuzzy: bool,
    after: tuple[float | int | datetime, str] | None,
    limit: int,
    candidates: int | None = None,
) -> tuple[str, dict[str, Any]]:
    """The statement of one search page and its parameters (each row has ``sort_key``).

    With ``candidates``, a relevance search ranks only that many of its most popular
    matches (module doc)."""
    params: dict[str, Any] = {"tenant": tenant_id, "limit": limit, "ranked_at": ranked_at}
    conditions = _filters(query.where, params)
    source = "items"
    if query.words and not fuzzy:
        params["tsquery"] = _tsquery(query)
        conditions.append("search_vector @@ q.query")
        source = f"items, (SELECT {_FTS_QUERY} AS query) AS q"
        if candidates is not None and query.sort == "relevance":
            # The capped candidates (module doc); the outer query ranks only these.
            params["candidates"] = candidates
            source = (
                f"(SELECT items.*, q.query FROM {source} "  # noqa: S608
                f"WHERE {' AND '.join(conditions)} "
                "ORDER BY popularity DESC, item_id DESC LIMIT %(candidates)s) AS q"
            )
            conditions = ["true"]
    elif query.words:
        params["text"] = " ".join(query.words)
        for index, word in enumerate(query.words):
            params[f"w{index}"] = word
            conditions.append(f"%(w{index})s <%% search_text")
    key = {
        "relevance": _SIMILARITY if fuzzy else _RELEVANCE,
        "recency": "sort_time",
        "popularity": "popularity",
    }[query.sort]
    outer = ""
    if after is not None:
        params["after_key"], params["after_id"] = after
        outer = "WHERE (sort_key, item_id) < (%(after_key)s, %(after_id)s)"
    statement = (
        f"SELECT * FROM (SELECT {ITEM_COLUMNS}, {key} AS sort_key FROM {source} "  # noqa: S608
        f"WHERE {' AND '.join(conditions)}) AS found {outer} "
        "ORDER BY sort_key DESC, item_id DESC LIMIT %(limit)s"
    )
    return statement, params


def _tsquery(query: SearchQuery) -> str:
    return " & ".join(f"{word}:*" for word in query.words)


def match_probe(tenant_id: str, query: SearchQuery, cap: int) -> tuple[str, dict[str, Any]]:
    """How many items match the words and filters, counted up to ``cap + 1``."""
    params: dict[str, Any] = {"tenant": tenant_id, "tsquery": _tsquery(query), "cap": cap + 1}
    conditions = [*_filters(query.where, params), f"search_vector @@ ({_FTS_QUERY})"]
    statement = (
        f"SELECT count(*) FROM (SELECT 1 FROM items WHERE {' AND '.join(conditions)} "  # noqa: S608
        "LIMIT %(cap)s) AS matches"
    )
    return statement, params


class PostgresItemSearch:
    """Search over one tenant's items."""

    def __init__(
        self, connection: AsyncConnection[Any], tenant_id: str, cap: int = RANK_CANDIDATES
    ) -> None:
        self._c = connection
        self._tenant = tenant_id
        self._cap = cap

    async def _many_matches(self, query: SearchQuery) -> bool:
        """More matches than the cap? Counted through the text index alone: the
        planner, misjudging prefixes, would otherwise scan the items for a rare word."""
        for setting in _BITMAP_ONLY:
            await self._c.execute(setting.format("off"))
        try:
            rows = await fetch_all(self._c, *match_probe(self._tenant, query, self._cap))
        finally:
            for setting in _BITMAP_ONLY:
                await self._c.execute(setting.format("on"))
        return int(rows[0]["count"]) > self._cap

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
        ranked = bool(query.words) and not fuzzy and query.sort == "relevance"
        capped = ranked and await self._many_matches(query)
        statement, params = search_statement(
            self._tenant,
            query,
            ranked_at=ranked_at,
            fuzzy=fuzzy,
            after=after,
            limit=limit,
            candidates=self._cap if capped else None,
        )
        rows = await fetch_all(self._c, statement, params)
        return [(item_of(row), row["sort_key"]) for row in rows]
