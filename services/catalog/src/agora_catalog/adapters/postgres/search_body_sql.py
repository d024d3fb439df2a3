"""The SQL of the body-only group of a relevance search (``search.py`` runs it).

Items matching the words only in their body (``search_vector`` matches, ``rank_vector``
does not) come after every title-or-summary match, ranked among themselves by
popularity (``popularity DESC, item_id DESC``, the order of ``items_popular``), not by
text relevance (ADR 0005, amendment 1). So the group is read in an order an index
serves, whichever of two ways is cheaper:

- **count**: how many body matches pass the filters, read through ``items_search``
  (every other condition out of index reach) and counted up to ``BODY_FEW`` + 1 only;
- **few** (at most ``BODY_FEW``): all of them, read through ``items_search``, sorted
  on the two in-row key columns (no body read, no relevance computed);
- **many**: ``items_popular`` walked in order from the page's key, each row's text
  checked, stopping at the page's end (``LIMIT``): with more than ``BODY_FEW`` matches
  the walk reads few rows per match.

Each row has ``sort_key``: the item's popularity (an ``int``, where a title-or-summary
match's key is its relevance, a ``float``).
"""

from __future__ import annotations

from typing import Any, Final

from agora_catalog.adapters.postgres.search_sql import (
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


def body_count(
    tenant_id: str, query: SearchQuery, compiled: str, few: int = BODY_FEW
) -> tuple[str, dict[str, Any]]:
    """How many items match only in their body, counted up to ``few`` + 1
    (``body_matches``); planned with bitmap scans alone, served by ``items_search``."""
    params: dict[str, Any] = {"tenant": tenant_id, "few": few + 1}
    fts_parameter(compiled, params)
    conditions = [*out_of_index_reach(filters(query.where, params)), *_BODY_ONLY]
    statement = (
        f"SELECT count(*) AS body_matches FROM (SELECT 1 FROM {_SOURCE} "  # noqa: S608
        f"WHERE {' AND '.join(conditions)} LIMIT %(few)s) AS matched"
    )
    return statement, params


def body_page(
    tenant_id: str,
    query: SearchQuery,
    compiled: str,
    *,
    after: tuple[int, str] | None,
    limit: int,
    few: bool,
) -> tuple[str, dict[str, Any]]:
    """A page of the body-only group after ``after`` (popularity, item id): with
    ``few``, every match read through ``items_search`` (plan it with bitmap scans alone)
    and sorted; else ``items_popular`` walked in order."""
    params: dict[str, Any] = {"tenant": tenant_id, "limit": limit}
    fts_parameter(compiled, params)
    conditions = filters(query.where, params)
    if after is not None:
        params["after_key"], params["after_id"] = after
        conditions.append(_KEYSET)
    if few:
        conditions = [*out_of_index_reach(conditions), *_BODY_ONLY]
    else:
        # The text out of index reach: only the walk in popularity order serves it.
        conditions = [*conditions, *out_of_index_reach(list(_BODY_ONLY))]
    statement = (
        f"SELECT items.item_id, popularity AS sort_key FROM {_SOURCE} "  # noqa: S608
        f"WHERE {' AND '.join(conditions)} "
        "ORDER BY popularity DESC, item_id DESC LIMIT %(limit)s"
    )
    return with_page_rows(statement), params
