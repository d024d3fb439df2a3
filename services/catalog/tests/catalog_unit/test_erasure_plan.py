"""The catalog's erasure plan names every collection the catalog stores."""

from __future__ import annotations

import pytest

from agora_catalog.adapters import mongo
from agora_catalog.service_layer.erasure import ERASURE_PLAN

pytestmark = pytest.mark.unit


def test_every_collection_is_erased_or_declared_not_personal() -> None:
    assert ERASURE_PLAN.uncovered([*mongo.INDEXES, *mongo.OUTBOX_COLLECTIONS]) == []
