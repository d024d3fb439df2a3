"""The erasure plan names every collection community stores."""

from __future__ import annotations

import pytest

from agora_community.adapters import collections as names
from agora_community.service_layer.erasure import ERASURE_PLAN, ERASURES, erasure_id_of
from agora_community.service_layer.experts import record_evidence
from agora_contracts.events.domains.privacy import ERASED_PERSON_PLACEHOLDER

from .fakes import InMemoryStore

pytestmark = pytest.mark.unit


def test_every_collection_is_erased_or_declared_not_personal() -> None:
    stored = {
        value for key, value in vars(names).items() if key.isupper() and isinstance(value, str)
    }
    assert ERASURE_PLAN.uncovered({*stored, ERASURES}) == []


def test_the_erasure_id_is_stable_per_tenant_and_person_and_hides_the_id() -> None:
    assert erasure_id_of("t1", "u-ada") == erasure_id_of("t1", "u-ada")
    assert erasure_id_of("t1", "u-ada") != erasure_id_of("t2", "u-ada")
    assert "u-ada" not in erasure_id_of("t1", "u-ada")


async def test_no_expert_evidence_is_recorded_for_the_erased_person_placeholder() -> None:
    store = InMemoryStore("t1")
    kind = "validated_contributions"
    await record_evidence(store, ERASED_PERSON_PLACEHOLDER, ["git"], kind, "contribution:k1")
    await record_evidence(store, "u-ada", ["git"], kind, "contribution:k1")
    assert [d["user_id"] for d in await store.experts.find({})] == ["u-ada"]
