"""Search rows, their word index, filters and ranking, without a database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from agora_catalog.domain.search import (
    MAX_BODY_WORDS,
    RowSet,
    SearchFilter,
    SearchRow,
    matching,
    query_terms,
    relevance_order,
    tokens,
)

pytestmark = pytest.mark.unit


def _item(item_id: str, **fields: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "_id": item_id,
        "search_rev": 1,
        "status": "published",
        "space_id": "",
        "author_id": "u-grace",
        "type": "wiki",
        "language": "fr",
        "estimated_minutes": 10,
        "theme_scope": ["tech"],
        "skill_ids": ["sql"],
        "popularity": 0,
        "sort_time": datetime(2026, 11, 23, tzinfo=UTC),
        "title": "",
        "summary": "",
        "content": {"markdown": ""},
    }
    document.update(fields)
    return document


def _row(item_id: str, **fields: Any) -> SearchRow:
    return SearchRow.of(_item(item_id, **fields))


def test_words_are_folded_and_split_by_field() -> None:
    row = _row(
        "a",
        title="Éducation Financière",
        summary="L'ÉPARGNE, éducation",
        content={"markdown": "body words épargne"},
    )
    assert row.title_words == ("education", "financiere")
    assert row.summary_words == ("epargne",)  # one-letter tokens and title words dropped
    assert row.body_words == ("body", "words")
    assert SearchRow.from_json("a", row.to_json()) == row
    assert query_terms("  ÉDUC  l'Épargne ") == ["educ", "epargne"]
    assert len(query_terms(" ".join(f"w{n}" for n in range(30)))) == 10


def test_quiz_questions_and_choices_are_its_body() -> None:
    quiz = _row(
        "q",
        type="quiz",
        content={"questions": [{"text": "Quelle jointure ?", "choices": [{"text": "Gauche"}]}]},
    )
    assert quiz.body_words == ("quelle", "jointure", "gauche")


def test_body_words_are_bounded() -> None:
    body = " ".join(f"word{n:05d}" for n in range(5000))
    assert len(_row("a", content={"markdown": body}).body_words) == MAX_BODY_WORDS


def test_title_beats_summary_beats_body_and_words_beat_prefixes() -> None:
    rows = RowSet.of(
        [
            _row("title", title="Kube"),
            _row("summary", summary="kube"),
            _row("body", content={"markdown": "kube"}),
            _row("prefix", title="Kubernetes"),
            _row("other", title="Docker"),
        ]
    )
    scores = rows.scores("kube")
    assert scores["title"] > scores["summary"] > scores["body"]
    assert scores["title"] > scores["prefix"] > scores["body"]  # a prefix counts 0.6
    assert "other" not in scores
    assert rows.scores("ku") == {}  # two letters: whole words only
    assert set(RowSet.of([_row("ai", title="AI ethics")]).scores("ai")) == {"ai"}


def test_every_term_must_match_and_rank_is_total() -> None:
    older = datetime(2026, 1, 1, tzinfo=UTC)
    rows = RowSet.of(
        [
            _row("both", title="Éducation financière"),
            _row("both-old", title="Éducation financière", sort_time=older),
            _row("one", title="Éducation"),
        ]
    )
    where = SearchFilter(status="published")
    found = matching([rows], where, query_terms("education financ"))
    assert [row.item_id for row, _ in sorted(found, key=relevance_order)] == ["both", "both-old"]


def test_filters_and_visibility() -> None:
    rows = [
        _row("fr-ca", language="fr-CA", estimated_minutes=5),
        _row("en", language="en", type="quiz", theme_scope=["soft"], skill_ids=["git"]),
        _row("space", space_id="s-1"),
        _row("draft", status="draft", author_id="u-ada"),
    ]
    sets = [RowSet.of(rows[:2]), RowSet.of(rows[2:])]

    def ids(where: SearchFilter) -> set[str]:
        return {row.item_id for row, _ in matching(sets, where, [])}

    published = SearchFilter(status="published")
    assert ids(published) == {"fr-ca", "en"}  # a community space's items need its id
    assert ids(SearchFilter(status="published", space_id="s-1")) == {"fr-ca", "en", "space"}
    assert ids(SearchFilter(status="published", language="fr")) == {"fr-ca"}
    assert ids(SearchFilter(status="published", language="fr-CA")) == {"fr-ca"}
    assert ids(SearchFilter(status="published", types=frozenset({"quiz"}))) == {"en"}
    assert ids(SearchFilter(status="published", theme_id="soft")) == {"en"}
    assert ids(SearchFilter(status="published", skill_id="git")) == {"en"}
    assert ids(SearchFilter(status="published", max_minutes=5)) == {"fr-ca"}
    assert ids(SearchFilter(status="draft", author_id="u-ada")) == {"draft"}
    assert ids(SearchFilter(status="draft", author_id="u-grace")) == set()
    assert ids(SearchFilter(status="draft")) == {"draft"}  # admins: every author


def test_tokens_keep_digits_and_drop_overlong_words() -> None:
    assert tokens("RGPD 2026 " + "x" * 41) == ["rgpd", "2026"]
