"""Search terms and relevance, without a database."""

from __future__ import annotations

import pytest

from agora_catalog.domain.search import MAX_TERMS, index_text, prefixes, query_terms, relevance

pytestmark = pytest.mark.unit


def test_terms_are_folded_with_prefixes() -> None:
    indexed = index_text("Éducation Financière", "L'ÉPARGNE", "body words")
    assert indexed.title_terms == ["education", "financiere"]
    assert indexed.summary_terms == ["epargne"]  # one-letter tokens are dropped
    assert {"edu", "educ", "education", "fin", "epa", "body", "wor"} <= set(indexed.search_terms)
    assert "ed" not in indexed.search_terms
    assert prefixes("sql") == []


def test_query_terms_match_index_terms() -> None:
    assert query_terms("  ÉDUC  l'Épargne ") == ["educ", "epargne"]
    assert len(query_terms(" ".join(f"w{n}" for n in range(30)))) == 10


def test_title_beats_summary_beats_body_and_words_beat_prefixes() -> None:
    title = relevance(["kube"], ["kube"], [])
    summary = relevance(["kube"], [], ["kube"])
    body = relevance(["kube"], [], [])
    assert title > summary > body
    assert relevance(["kube"], ["kubernetes"], []) < title
    assert relevance(["kube"], ["kubernetes"], []) > body


def test_terms_are_bounded() -> None:
    body = " ".join(f"word{n:05d}" for n in range(5000))
    assert len(index_text("t", "", body).search_terms) == MAX_TERMS
