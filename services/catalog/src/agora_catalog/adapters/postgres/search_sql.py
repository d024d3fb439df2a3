"""The SQL of catalogue search (``search.py`` runs it and explains the choices): the
filters, the words' query, the relevance key and the statement of one page.

Relevance is ``ts_rank`` over ``rank_vector``, the title (A) and summary (B) alone,
plus ``BODY_RANK`` (what a match in the body alone is worth), raised by popularity and
recency; recency is measured from ``ranked_at`` (fixed for a query's pages) so scores
are stable keys. A ranked page is ranked on the few columns the key needs; the page's
own rows are read after, by primary key.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Final, Literal

from psycopg import AsyncConnection

from agora_catalog.adapters.postgres.items import ITEM_COLUMNS
from agora_catalog.adapters.postgres.rows import fetch_all
from agora_catalog.domain.search import SearchFilter, SearchQuery

CONFIGS: Final = ("agora_fr", "agora_en", "agora_simple")
FTS_QUERY: Final = " || ".join(f"to_tsquery('{config}', %(tsquery)s)" for config in CONFIGS)
_COMPILE: Final = (
    "SELECT DISTINCT to_tsquery(config, %(tsquery)s)::text AS query "
    "FROM unnest(%(configs)b::text[]::regconfig[]) AS config"
)
"""The words' query in each configuration, once per search: French and English often
stem a word alike, and a text index scan per repeated branch costs as much as the first."""
_BOOST: Final = (
    "(1 + 0.1 * ln(1 + greatest(popularity, 0)))"
    " * (1 + 0.5 / (1 + greatest(extract(epoch FROM %(ranked_at)s - sort_time), 0) / 2592000))"
)
BODY_RANK: Final = 0.05
"""Added to every relevance (a title's is about 0.6, a summary's 0.24): what a match in
the body alone is worth in the statement ranking every match (the benchmarks' baseline;
the service lists body-only matches by popularity, ``search_body_sql.py``)."""
_RELEVANCE: Final = f"((ts_rank(rank_vector, q.query) + {BODY_RANK}) * {_BOOST})::float8"
_SIMILARITY: Final = f"(word_similarity(%(text)s, search_text) * {_BOOST})::float8"
_RANKED_COLUMNS: Final = "items.item_id, popularity, sort_time, rank_vector"
PAGE_COLUMNS: Final = ", ".join(f"items.{column}" for column in ITEM_COLUMNS.split(", "))
RANK_CANDIDATES: Final = 500
"""Above this many title-or-summary matches, only the most popular are ranked."""
WALK_ROWS: Final = 2000
"""How many of the most popular items the walk reads at most (step 1 in ``search.py``)."""
WALK_MATCHES: Final = 200
"""The walk stops at this many title-or-summary matches: its candidates."""
WALK_ENOUGH: Final = 100
"""Candidates enough from the walk (five pages of 20)."""
Candidates = Literal["walk", "head"]
SCAN_METHODS: Final = "SELECT " + ", ".join(
    [
        "set_config('jit', 'off', true)",
        *(
            f"set_config('enable_{method}', %(allowed)s, true)"
            for method in ("seqscan", "indexscan", "indexonlyscan")
        ),
    ]
)
"""Allow (``allowed`` = "on") or forbid ("off") the scans other than bitmap scans, for
the rest of the transaction, in one round trip; JIT off (see ``search.py``)."""


def filters(where: SearchFilter, params: dict[str, Any]) -> list[str]:
    conditions = ["tenant_id = %(tenant)s", "status = %(status)s"]
    params["status"] = where.status
    if where.space_id is not None:
        conditions.append("space_id = %(space)s")
        params["space"] = where.space_id
    if where.author_id is not None:
        conditions.append("author_id = %(author)s")
        params["author"] = where.author_id
    if where.types:
        conditions.append("type = ANY(%(types)b::text[])")
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
    candidates: Candidates | None = None,
    compiled: str | None = None,
    cap: int = RANK_CANDIDATES,
) -> tuple[str, dict[str, Any]]:
    """The statement of one search page and its parameters (each row has ``sort_key``).

    A relevance search ranks the ``candidates`` of step 1 or 2 (each row then has their
    number, ``candidate_count``), or by default every match (step 3; ``search.py``);
    step 2 ranks the ``cap`` most popular. ``compiled`` is the words' query
    (:func:`compiled_query`), else built in the statement."""
    params: dict[str, Any] = {"tenant": tenant_id, "limit": limit, "ranked_at": ranked_at}
    conditions = filters(query.where, params)
    source = "items"
    if query.words and not fuzzy:
        fts = _fts(query, compiled, params)
        source = f"items, (SELECT {fts} AS query) AS q"
        if candidates == "walk" and query.sort == "relevance":
            params["walk"], params["walk_matches"] = WALK_ROWS, WALK_MATCHES
            # Read in popularity order, it stops at the WALK_MATCHES-th match: a word in
            # a third of the titles reads 600 rows, one in a twentieth all 2,000.
            source = (
                f"(SELECT {_RANKED_COLUMNS}, q.query FROM ({_walk(conditions)}) AS items, "  # noqa: S608
                f"(SELECT {fts} AS query) AS q WHERE rank_vector @@ q.query "
                "ORDER BY popularity DESC, item_id DESC LIMIT %(walk_matches)s) AS q"
            )
            conditions = ["true"]
        elif candidates == "head" and query.sort == "relevance":
            params["candidates"] = cap
            head = [*out_of_index_reach(conditions), "rank_vector @@ q.query"]
            # Counted and cut on the key columns alone; the candidates' rank columns are
            # read after, by row address (a TID scan, in the statement's snapshot: the
            # same row versions): a common word's thousands of matches never carry their
            # vectors through the count and the sort (which then spilled to disk past
            # work_mem), and the 500 reads cost no index descent (4.4 → 1 ms by key).
            source = (
                f"(SELECT {_RANKED_COLUMNS}, q.query, candidate_count FROM "  # noqa: S608
                f"(SELECT items.ctid AS row_id, count(*) OVER () AS candidate_count "
                f"FROM {source} WHERE {' AND '.join(head)} "
                "ORDER BY popularity DESC, item_id DESC LIMIT %(candidates)s) AS cut "
                "JOIN items ON items.ctid = cut.row_id AND items.tenant_id = %(tenant)s, "
                f"(SELECT {fts} AS query) AS q) AS q"
            )
            conditions = ["true"]
        elif query.sort == "relevance":
            # Only the text index can serve it: every other condition out of its reach.
            conditions = [*out_of_index_reach(conditions), "search_vector @@ q.query"]
        else:
            conditions.append("search_vector @@ q.query")
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
    ranked = bool(query.words) and not fuzzy and query.sort == "relevance"
    columns = "item_id" if ranked else ITEM_COLUMNS
    if candidates == "walk" and ranked:
        columns = "item_id, count(*) OVER () AS candidate_count"
    elif candidates == "head" and ranked:
        columns = "item_id, candidate_count"
    statement = (
        f"SELECT * FROM (SELECT {columns}, {key} AS sort_key FROM {source} "  # noqa: S608
        f"WHERE {' AND '.join(conditions)}) AS found {outer} "
        "ORDER BY sort_key DESC, item_id DESC LIMIT %(limit)s"
    )
    return (with_page_rows(statement) if ranked else statement), params


def with_page_rows(statement: str) -> str:
    """``statement`` (a page of ``item_id`` and ``sort_key``, ranked on the few columns
    the key needs) with the page's own rows, read after by primary key."""
    return (
        f"SELECT {PAGE_COLUMNS}, page.* FROM ({statement}) AS page "  # noqa: S608
        "JOIN items ON items.tenant_id = %(tenant)s AND items.item_id = page.item_id "
        "ORDER BY page.sort_key DESC, page.item_id DESC"
    )


def _tsquery(query: SearchQuery) -> str:
    return " & ".join(f"{word}:*" for word in query.words)


def _fts(query: SearchQuery, compiled: str | None, params: dict[str, Any]) -> str:
    """The SQL of the words' query: ``compiled`` as a parameter, else built in place."""
    if compiled is not None:
        return fts_parameter(compiled, params)
    params["tsquery"] = _tsquery(query)
    return FTS_QUERY


def fts_parameter(compiled: str, params: dict[str, Any]) -> str:
    """The SQL of the compiled words' query (:func:`compiled_query`), a parameter."""
    params["fts"] = compiled
    return "%(fts)s::tsquery"


async def compiled_query(connection: AsyncConnection[Any], query: SearchQuery) -> str:
    """The words' query in the three configurations, repeated branches and those
    another covers dropped (:func:`broadest`)."""
    params = {"tsquery": _tsquery(query), "configs": list(CONFIGS)}
    rows = await fetch_all(connection, _COMPILE, params)
    branches = broadest(sorted(row["query"] for row in rows if row["query"]))
    return " | ".join(f"( {branch} )" for branch in branches)


def broadest(branches: list[str]) -> list[str]:
    """``branches`` without those another one already covers: a branch of prefixes
    whose every prefix starts a prefix of another branch matches a subset of what that
    one matches (French stems "apprentissage" to 'apprentissag', the plain configuration
    keeps 'apprentissage': ``'apprentissag':*`` covers ``'apprentissage':*``). Each
    branch read by the text index costs a scan of its posting lists: a common word's
    narrower branch doubled the index's share of a search. Branches not made of
    prefixes alone (``&`` of ``'lexeme':*``) are kept as they are."""
    kept: list[tuple[str, frozenset[str] | None]] = []
    for branch in branches:
        terms = _prefixes(branch)
        if terms is not None and any(_covers(other, terms) for _, other in kept):
            continue
        kept = [(b, other) for b, other in kept if other is None or not _covers(terms, other)]
        kept.append((branch, terms))
    return [branch for branch, _ in kept]


_PREFIX: Final = re.compile(r"'((?:[^']|'')+)':\*")


def _prefixes(branch: str) -> frozenset[str] | None:
    """The lexeme prefixes of ``'a':* & 'b':*``; None for any other shape."""
    found = [_PREFIX.fullmatch(part) for part in branch.split(" & ")]
    return frozenset(m.group(1) for m in found if m) if all(found) else None


def _covers(broad: frozenset[str] | None, narrow: frozenset[str]) -> bool:
    """Whether every match of ``narrow``'s prefixes matches ``broad``'s."""
    return broad is not None and all(any(n.startswith(b) for n in narrow) for b in broad)


def out_of_index_reach(conditions: list[str]) -> list[str]:
    """The conditions as no index can serve them (``IS TRUE``), so that the text
    condition beside them chooses the index."""
    return [f"({condition}) IS TRUE" for condition in conditions]


def _walk(conditions: list[str]) -> str:
    """The ``WALK_ROWS`` most popular items passing ``conditions`` (rank columns only)."""
    return (
        "SELECT item_id, popularity, sort_time, rank_vector FROM items "  # noqa: S608
        f"WHERE {' AND '.join(conditions)} "
        "ORDER BY popularity DESC, item_id DESC LIMIT %(walk)s"
    )
