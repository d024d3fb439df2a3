"""The erasure plan names every collection gamification stores."""

from __future__ import annotations

import pytest

from agora_gamification.adapters import board_index, mongo
from agora_gamification.service_layer.erasure import ERASURE_PLAN

pytestmark = pytest.mark.unit


def test_every_collection_is_erased_or_declared_not_personal() -> None:
    stored = {
        value
        for module in (mongo, board_index)
        for key, value in vars(module).items()
        if key.isupper() and isinstance(value, str) and key not in ("SCORE_ORDER",)
    }
    assert ERASURE_PLAN.uncovered(stored) == []
