"""Erasure ids and the directory's refusal of the erased-person placeholder."""

from __future__ import annotations

import pytest

from agora_community.service_layer.erasure import erasure_id_of
from agora_community.service_layer.experts import record_evidence
from agora_contracts.events.domains.privacy import ERASED_PERSON_PLACEHOLDER

from .fakes_engagement import FakeUnitsOfWork

pytestmark = pytest.mark.unit


def test_the_erasure_id_is_stable_per_tenant_and_person_and_hides_the_id() -> None:
    assert erasure_id_of("t1", "u-ada") == erasure_id_of("t1", "u-ada")
    assert erasure_id_of("t1", "u-ada") != erasure_id_of("t2", "u-ada")
    assert "u-ada" not in erasure_id_of("t1", "u-ada")


async def test_no_expert_evidence_is_recorded_for_the_erased_person_placeholder() -> None:
    uows = FakeUnitsOfWork()
    kind = "validated_contributions"
    async with uows("t1") as uow:
        await record_evidence(uow, ERASED_PERSON_PLACEHOLDER, ["git"], kind, "contribution:k1")
        await record_evidence(uow, "u-ada", ["git"], kind, "contribution:k1")
    assert [user for _, user in uows.of("t1").experts] == ["u-ada"]
