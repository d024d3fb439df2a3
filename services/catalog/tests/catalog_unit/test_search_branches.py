"""The words' query keeps only branches no other one covers (``broadest``)."""

from __future__ import annotations

import pytest

from agora_catalog.adapters.postgres.search_sql import broadest

pytestmark = pytest.mark.unit


def test_a_branch_of_longer_prefixes_is_covered_by_the_shorter_ones() -> None:
    # French stems the word shorter than the plain configuration keeps it.
    french, plain = "'apprentissag':* & 'cloud':*", "'apprentissage':* & 'cloud':*"
    assert broadest([french, plain]) == [french]
    assert broadest([plain, french]) == [french]
    assert broadest(["'cong':*", "'conges':*"]) == ["'cong':*"]


def test_a_branch_with_a_word_another_configuration_dropped_is_covered() -> None:
    # French drops "le" as a stop word: its branch asks less, so matches more.
    assert broadest(["'le':* & 'management':*", "'manag':*"]) == ["'manag':*"]


def test_branches_matching_other_items_are_all_kept() -> None:
    assert broadest(["'cloud':*", "'nuag':*"]) == ["'cloud':*", "'nuag':*"]
    # A shorter prefix of one word does not cover a branch lacking the other word.
    assert broadest(["'data':* & 'cloud':*", "'datas':*"]) == [
        "'data':* & 'cloud':*",
        "'datas':*",
    ]


def test_equivalent_branches_are_kept_once() -> None:
    assert broadest(["'ab':*", "'a':* & 'ab':*"]) == ["'ab':*"]


def test_branches_of_another_shape_are_kept_as_they_are() -> None:
    phrase = "'e' <-> 'mail'"
    assert broadest([phrase, "'e':*"]) == [phrase, "'e':*"]
    assert broadest(["'e':*", "'e'"]) == ["'e':*", "'e'"]
    assert broadest([]) == []
