"""Search without a text index: one lean row per item, matched and ranked in memory.

FerretDB has no text index and serves only ``_id`` lookups from an index; MongoDB's
text index differs anyway. So each item is summarised in a :class:`SearchRow`: what
the filters and sorts read (status, visibility, type, language, duration, themes,
skills, popularity, recency) and the folded (case- and accent-free) words of its
title, summary and body. Rows are stored compactly (``service_layer.search_index``)
and evaluated here, in memory: a query's words must all match (a word matches itself
and, from three letters, any word it starts), a title hit weighs more than a summary
hit, which weighs more than a body hit.
"""

from __future__ import annotations

import json
import re
import sys
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final

from agora_core.text import fold

_TOKEN: Final = re.compile(r"[0-9a-z]+")
MIN_TOKEN: Final = 2
MIN_PREFIX: Final = 3
"""A query word of this length or more also matches the words it starts."""
MAX_TOKEN: Final = 40
MAX_BODY_WORDS: Final = 1000
"""Cap on distinct body words per item: a long wiki page keeps its first ones."""
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


def query_terms(query: str) -> list[str]:
    """The words a query must all match (the first :data:`MAX_QUERY_TERMS`)."""
    return tokens(query)[:MAX_QUERY_TERMS]


def body_text(document: Mapping[str, Any]) -> str:
    """The searchable body of a stored item: a wiki's Markdown, a quiz's questions."""
    content = document.get("content") or {}
    if document.get("type") == "wiki":
        return str(content.get("markdown", ""))
    if document.get("type") == "quiz":
        questions = content.get("questions", [])
        return " ".join(
            [q["text"] for q in questions] + [c["text"] for q in questions for c in q["choices"]]
        )
    return ""


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class SearchRow:
    """What search needs of one item, at the item's search revision ``rev``."""

    item_id: str
    rev: int
    status: str
    space_id: str
    author_id: str
    type: str
    language: str
    estimated_minutes: int
    theme_scope: tuple[str, ...]
    skill_ids: tuple[str, ...]
    popularity: int
    sort_time: int
    """Milliseconds since the epoch (publish time once published)."""
    title_words: tuple[str, ...]
    summary_words: tuple[str, ...]
    body_words: tuple[str, ...]
    """Body words not already in the title or summary."""

    @classmethod
    def of(cls, document: Mapping[str, Any]) -> SearchRow:
        """The row of a stored item document."""
        title = tokens(document["title"])
        seen = set(title)
        summary = [w for w in tokens(document["summary"]) if w not in seen]
        seen.update(summary)
        body = [w for w in tokens(body_text(document)) if w not in seen][:MAX_BODY_WORDS]
        return cls(
            item_id=document["_id"],
            rev=int(document.get("search_rev", 0)),
            status=document["status"],
            space_id=document.get("space_id") or "",
            author_id=document["author_id"],
            type=document["type"],
            language=document["language"],
            estimated_minutes=int(document["estimated_minutes"]),
            theme_scope=tuple(document.get("theme_scope", ())),
            skill_ids=tuple(document.get("skill_ids", ())),
            popularity=int(document.get("popularity", 0)),
            sort_time=_ms(document["sort_time"]),
            title_words=tuple(title),
            summary_words=tuple(summary),
            body_words=tuple(body),
        )

    def to_json(self) -> str:
        """Compact stored form: one string per row (FerretDB decodes strings cheaply)."""
        return json.dumps(
            [
                self.rev,
                self.status,
                self.space_id,
                self.author_id,
                self.type,
                self.language,
                self.estimated_minutes,
                self.theme_scope,
                self.skill_ids,
                self.popularity,
                self.sort_time,
                " ".join(self.title_words),
                " ".join(self.summary_words),
                " ".join(self.body_words),
            ],
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, item_id: str, text: str) -> SearchRow:
        """Inverse of :meth:`to_json`."""
        (rev, status, space, author, kind, language, minutes, themes, skills, popularity,
         sort_time, title, summary, body) = json.loads(text)  # fmt: skip
        return cls(
            item_id=item_id,
            rev=rev,
            status=status,
            space_id=space,
            author_id=author,
            type=kind,
            language=language,
            estimated_minutes=minutes,
            theme_scope=tuple(themes),
            skill_ids=tuple(skills),
            popularity=popularity,
            sort_time=sort_time,
            # Interned: the same words recur across thousands of rows held in memory.
            title_words=tuple(map(sys.intern, title.split())),
            summary_words=tuple(map(sys.intern, summary.split())),
            body_words=tuple(map(sys.intern, body.split())),
        )


@dataclass
class RowSet:
    """Rows with an inverted index of their words (one shard of a tenant's rows)."""

    rows: dict[str, SearchRow] = field(default_factory=dict)
    _words: dict[str, dict[str, float]] = field(default_factory=dict)
    _vocabulary: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, rows: Iterable[SearchRow]) -> RowSet:
        """Index ``rows``: per word, the best field weight of each item holding it."""
        built = cls()
        for row in rows:
            # The words live on in the index only: a row keeps what filters and sorts read.
            built.rows[row.item_id] = replace(row, title_words=(), summary_words=(), body_words=())
            for words, weight in (
                (row.body_words, BODY_WEIGHT),
                (row.summary_words, SUMMARY_WEIGHT),
                (row.title_words, TITLE_WEIGHT),
            ):
                for word in words:
                    built._words.setdefault(word, {})[row.item_id] = weight
        built._vocabulary = sorted(built._words)
        return built

    def scores(self, term: str) -> dict[str, float]:
        """Item → best score of ``term`` (its word, or a word it starts from 3 letters)."""
        found: dict[str, float] = {}
        if len(term) < MIN_PREFIX:
            return dict(self._words.get(term, {}))
        start = bisect_left(self._vocabulary, term)
        for word in self._vocabulary[start:]:
            if not word.startswith(term):
                break
            factor = 1.0 if word == term else PREFIX_FACTOR
            for item_id, weight in self._words[word].items():
                score = weight * factor
                if score > found.get(item_id, 0.0):
                    found[item_id] = score
        return found


@dataclass(frozen=True)
class SearchFilter:
    """Who may see what (visibility) and the caller's filters."""

    status: str
    space_id: str | None = None
    """Published items: tenant-wide ones, plus this community space's."""
    author_id: str | None = None
    """Unpublished items: only this author's (None: everyone's, for admins)."""
    types: frozenset[str] = frozenset()
    theme_id: str | None = None
    skill_id: str | None = None
    language: str | None = None
    """``fr`` matches ``fr`` and ``fr-CA``; ``fr-CA`` only itself."""
    max_minutes: int = 0

    def admits(self, row: SearchRow) -> bool:
        """Whether ``row`` passes visibility and every filter."""
        if row.status != self.status:
            return False
        if self.status == "published":
            if row.space_id and row.space_id != self.space_id:
                return False
        elif self.author_id is not None and row.author_id != self.author_id:
            return False
        if self.types and row.type not in self.types:
            return False
        if self.theme_id and self.theme_id not in row.theme_scope:
            return False
        if self.skill_id and self.skill_id not in row.skill_ids:
            return False
        if self.language:
            language = row.language if "-" in self.language else row.language.split("-")[0]
            if language != self.language:
                return False
        return not (self.max_minutes and row.estimated_minutes > self.max_minutes)


def matching(
    row_sets: Sequence[RowSet], where: SearchFilter, terms: Sequence[str]
) -> list[tuple[SearchRow, float]]:
    """Rows admitted by ``where`` that match every term, with their relevance."""
    found: list[tuple[SearchRow, float]] = []
    for row_set in row_sets:
        if not terms:
            found.extend((row, 0.0) for row in row_set.rows.values() if where.admits(row))
            continue
        per_term = [row_set.scores(term) for term in terms]
        per_term.sort(key=len)  # intersect from the rarest term
        for item_id, first in per_term[0].items():
            total = first
            for scores in per_term[1:]:
                score = scores.get(item_id)
                if score is None:
                    break
                total += score
            else:
                row = row_set.rows[item_id]
                if where.admits(row):
                    found.append((row, total))
    return found


def relevance_order(match: tuple[SearchRow, float]) -> tuple[float, int, str]:
    """Best score first, then newest, then by id (a total, stable order)."""
    row, score = match
    return (-score, -row.sort_time, row.item_id)
