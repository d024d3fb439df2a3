"""Search without a text index: folded terms stored on each item, relevance in Python.

FerretDB has no text index and MongoDB's differs, so each item stores the folded
(case- and accent-free) tokens of its title, summary and body plus their prefixes in
one multikey array, ``search_terms``. A query matches items holding every query term
(``$all``); relevance is computed here over a bounded candidate set: a title hit
weighs more than a summary hit, which weighs more than a body hit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from agora_core.text import fold

_TOKEN: Final = re.compile(r"[0-9a-z]+")
MIN_TOKEN: Final = 2
MIN_PREFIX: Final = 3
MAX_TOKEN: Final = 40
MAX_TERMS: Final = 4000
"""Cap on stored terms per item: a long wiki page keeps its first distinct words."""
MAX_QUERY_TERMS: Final = 10

TITLE_WEIGHT: Final = 3.0
SUMMARY_WEIGHT: Final = 2.0
BODY_WEIGHT: Final = 1.0
PREFIX_FACTOR: Final = 0.6
"""A prefix hit ("educ" in "education") counts for less than a whole word."""


def tokens(text: str) -> list[str]:
    """Distinct folded words of ``text`` in order of first appearance."""
    seen: dict[str, None] = {}
    for token in _TOKEN.findall(fold(text)):
        if MIN_TOKEN <= len(token) <= MAX_TOKEN:
            seen.setdefault(token, None)
    return list(seen)


def prefixes(token: str) -> list[str]:
    """Prefixes of ``token`` long enough to be useful, shortest first, token excluded."""
    return [token[:n] for n in range(MIN_PREFIX, len(token))]


@dataclass(frozen=True)
class IndexedText:
    """The search fields stored on an item."""

    title_terms: list[str]
    summary_terms: list[str]
    search_terms: list[str]


def index_text(title: str, summary: str, body: str) -> IndexedText:
    """Terms of an item: per-field words (for scoring) and all words with prefixes."""
    title_terms = tokens(title)
    summary_terms = tokens(summary)
    terms: dict[str, None] = {}
    for token in [*title_terms, *summary_terms, *tokens(body)]:
        for term in (token, *prefixes(token)):
            terms.setdefault(term, None)
        if len(terms) >= MAX_TERMS:
            break
    return IndexedText(title_terms, summary_terms, list(terms)[:MAX_TERMS])


def query_terms(query: str) -> list[str]:
    """The terms a query must all match (the first :data:`MAX_QUERY_TERMS` words)."""
    return tokens(query)[:MAX_QUERY_TERMS]


def _field_score(term: str, words: Sequence[str], weight: float) -> float:
    if term in words:
        return weight
    if any(word.startswith(term) for word in words):
        return weight * PREFIX_FACTOR
    return 0.0


def relevance(
    terms: Iterable[str], title_terms: Sequence[str], summary_terms: Sequence[str]
) -> float:
    """Score of an item that matched every term: per term, its best field."""
    score = 0.0
    for term in terms:
        score += max(
            _field_score(term, title_terms, TITLE_WEIGHT),
            _field_score(term, summary_terms, SUMMARY_WEIGHT),
            BODY_WEIGHT,  # it matched, so at worst it is in the body
        )
    return score
