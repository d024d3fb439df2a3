"""What a search asks, in the catalog's words (no SQL): the words to match, the
filters and the order. The query text never reaches the database as query syntax:
it is cut into folded words (letters and digits only), and the repository builds its
full-text query from those words alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from agora_core.text import fold

_WORD: Final = re.compile(r"[0-9a-z]+")
MIN_WORD: Final = 2
MAX_WORD: Final = 40
MAX_QUERY_WORDS: Final = 10

Sort = Literal["relevance", "recency", "popularity"]


def query_words(query: str) -> tuple[str, ...]:
    """Distinct case- and accent-free words of ``query`` (operators and quotes dropped)."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(fold(query)):
        if MIN_WORD <= len(word) <= MAX_WORD:
            seen.setdefault(word, None)
    return tuple(seen)[:MAX_QUERY_WORDS]


def search_config(language: str) -> str:
    """The text search configuration of an item's language (see migration 0002)."""
    base = language.split("-")[0].lower()
    return {"fr": "agora_fr", "en": "agora_en"}.get(base, "agora_simple")


def searchable_text(*parts: str) -> str:
    """Folded text the trigram fallback compares query words with."""
    return " ".join(fold(part) for part in parts if part)


@dataclass(frozen=True, slots=True)
class SearchFilter:
    """Which items a search may return (visibility already decided by the use case)."""

    status: str
    space_id: str | None = None
    author_id: str | None = None
    types: tuple[str, ...] = ()
    theme_id: str | None = None
    skill_id: str | None = None
    language: str | None = None
    max_minutes: int = 0

    @property
    def language_is_base(self) -> bool:
        """``fr`` finds ``fr`` and ``fr-CA``; ``fr-CA`` finds only ``fr-CA``."""
        return self.language is not None and "-" not in self.language


@dataclass(frozen=True, slots=True)
class SearchQuery:
    words: tuple[str, ...]
    where: SearchFilter
    sort: Sort
