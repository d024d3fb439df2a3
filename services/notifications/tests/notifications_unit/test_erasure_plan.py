"""The erasure plan names every collection notifications stores."""

from __future__ import annotations

import pytest

from agora_notifications.adapters import collections
from agora_notifications.service_layer.erasure import ERASURE_PLAN
from agora_notifications.service_layer.xapi_projector import XAPI_STATEMENTS

pytestmark = pytest.mark.unit


def test_every_collection_is_erased_or_declared_not_personal() -> None:
    stored = {
        value
        for key, value in vars(collections).items()
        if key.isupper() and isinstance(value, str)
    }
    assert ERASURE_PLAN.uncovered({*stored, XAPI_STATEMENTS}) == []
