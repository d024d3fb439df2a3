"""The SQL of the body-only group of a relevance search (``search.py`` runs it).

Items matching the words only in their body (``search_vector`` matches, ``rank_vector``
does not) come after every title-or-summary match, ranked among themselves by
popularity (``popularity DESC, item_id DESC``, the order of ``items_popular``), not by
text relevance (ADR 0005, amendment 1). So the group is read in an order an index
serves, whichever of two ways is cheaper:

- **few**: the body matches passing the filters read through ``items_search`` (every
  other condition out of index reach), at most ``BODY_FEW`` + 1 of them, counted
  (``body_matches``); when they are at most ``BODY_FEW`` the page is sorted from them,
  on the two in-row key columns (no body read, no relevance computed);
- **walk** (more than ``BODY_FEW``): ``items_popular`` walked in order from the page's
  key, each row's text checked, stopping at the page's end (``LIMIT``): with that many
  matches the walk reads few rows per match.

Each row has ``sort_key``: the item's popularity (an ``int``, where a title-or-summary
match's key is its relevance, a ``float``).
"""

from __future__ import annotations

from typing import Any, Final

from agora_catalog.adapters.postgres.search_sql import (
    PAGE_COLUMNS,
    filters,
    fts_parameter,
    out_of_index_reach,
    with_page_rows,
)
from agora_catalog.domain.search import SearchQuery

BODY_FEW: Final = 2000
"""Up to this many body matches the group is sorted whole; above, walked in order."""
_SOURCE: Final = "items, (SELECT %(fts)s::tsquery AS query) AS q"
_BODY_ONLY: Final = ("search_vector @@ q.query", "(rank_vector @@ q.query) IS NOT TRUE")
_KEYSET: Final = "(popularity, item_id) < (%(after_key)s, %(after_id)s)"
_ORDER: Final = "ORDER BY popularity DESC, item_id DESC LIMIT %(limit)s"


def _params(
    tenant_id: str, compiled: str, after: tuple[int, str] | None, limit: int
) -> dict[str, Any]:
    params: dict[str, Any] = {"tenant": tenant_id, "limit": limit}
    fts_parameter(compiled, params)
    if after is not None:
        params["after_key"], params["after_id"] = after
    return params


def body_few(
    tenant_id: str,
    query: SearchQuery,
    compiled: str,
    *,
    after: tuple[int, str] | None,
    limit: int,
    few: int = BODY_FEW,
) -> tuple[str, dict[str, Any]]:
    """The page after ``after`` (popularity, item id) sorted from at most ``few`` + 1
    body matches read through ``items_search`` (plan it with bitmap scans alone). One
    row at least: each has ``body_matches`` (how many were read); the page is right
    only if that is at most ``few`` (else walk: :func:`body_walk`); an empty page is a
    row without ``item_id``."""
    params = _params(tenant_id, compiled, after, limit)
    params["few"] = few + 1
    conditions = [*out_of_index_reach(filters(query.where, params)), *_BODY_ONLY]
    keyset = _KEYSET if after is not None else "true"
    statement = (
        f"WITH matched AS MATERIALIZED (SELECT items.item_id, popularity FROM {_SOURCE} "  # noqa: S608
        f"WHERE {' AND '.join(conditions)} LIMIT %(few)s) "
        f"SELECT {PAGE_COLUMNS}, page.*, total.body_matches "
        "FROM (SELECT count(*) AS body_matches FROM matched) AS total "
        "LEFT JOIN LATERAL (SELECT item_id, popularity AS sort_key FROM matched "
        f"WHERE {keyset} {_ORDER}) AS page ON true "
        "LEFT JOIN items ON items.tenant_id = %(tenant)s AND items.item_id = page.item_id "
        "ORDER BY page.sort_key DESC, page.item_id DESC"
    )
    return statement, params


def body_walk(
    tenant_id: str,
    query: SearchQuery,
    compiled: str,
    *,
    after: tuple[int, str] | None,
    limit: int,
) -> tuple[str, dict[str, Any]]:
    """The page after ``after`` (popularity, item id): ``items_popular`` walked in order,
    each row's text checked, up to the page's end."""
    params = _params(tenant_id, compiled, after, limit)
    conditions = filters(query.where, params)
    if after is not None:
        conditions.append(_KEYSET)
    # The text out of index reach: only the walk in popularity order serves the rest.
    conditions.extend(out_of_index_reach(list(_BODY_ONLY)))
    statement = (
        f"SELECT items.item_id, popularity AS sort_key FROM {_SOURCE} "  # noqa: S608
        f"WHERE {' AND '.join(conditions)} {_ORDER}"
    )
    return with_page_rows(statement), params
