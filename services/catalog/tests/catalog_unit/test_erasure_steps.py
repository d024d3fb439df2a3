"""The catalog's erasure steps name every table the catalog's migrations create."""

from __future__ import annotations

import pytest

from agora_catalog.adapters.postgres.erasure import NOT_PERSONAL, STEPS
from agora_catalog.migrations.versions.v0002_catalog_tables import TABLES

pytestmark = pytest.mark.unit


def test_every_table_is_erased_or_declared_not_personal() -> None:
    covered = {name for name, _ in STEPS} | set(NOT_PERSONAL)
    assert sorted(set(TABLES) - covered) == []
    assert sorted(covered - set(TABLES)) == []  # no step for a table that does not exist
