"""Pure rules of dead-letter replay: which records match, which headers go back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agora_core.messaging.replay import DeadLetterFilter, original_headers, replayer_group

pytestmark = pytest.mark.unit

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
HEADERS = {
    "ce_type": "org.agora.community.like.added.v1",
    "ce_tenantid": "acme",
    "agora-dlq-group": "agora-gamification",
}


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def test_empty_filter_matches_everything_and_is_named_all() -> None:
    assert DeadLetterFilter().matches({}, 0)
    assert (
        replayer_group("agora.x.y.v1", DeadLetterFilter())
        == "agora-ops.dlq-replay.agora.x.y.v1.all"
    )


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        (DeadLetterFilter(event_types=frozenset({"org.agora.community.like.added.v1"})), True),
        (DeadLetterFilter(event_types=frozenset({"org.agora.community.like.removed.v1"})), False),
        (DeadLetterFilter(tenant_id="acme"), True),
        (DeadLetterFilter(tenant_id="globex"), False),
        (DeadLetterFilter(failed_group="agora-gamification"), True),
        (DeadLetterFilter(failed_group="agora-notifications"), False),
        (DeadLetterFilter(after=NOON), True),
        (DeadLetterFilter(after=NOON + timedelta(seconds=1)), False),
        (DeadLetterFilter(before=NOON + timedelta(seconds=1)), True),
        (DeadLetterFilter(before=NOON), False),
    ],
)
def test_filter_criteria(criteria: DeadLetterFilter, expected: bool) -> None:
    assert criteria.matches(HEADERS, ms(NOON)) is expected


def test_each_filter_has_its_own_stable_progress_group() -> None:
    by_tenant = DeadLetterFilter(tenant_id="acme")
    assert replayer_group("t", by_tenant) == replayer_group("t", DeadLetterFilter(tenant_id="acme"))
    assert replayer_group("t", by_tenant) != replayer_group("t", DeadLetterFilter(tenant_id="b"))
    types = DeadLetterFilter(event_types=frozenset({"a", "b"}))
    assert types.fingerprint() == DeadLetterFilter(event_types=frozenset({"b", "a"})).fingerprint()


def test_original_headers_drop_only_the_dead_letter_ones() -> None:
    headers = [
        ("ce_id", b"6f1c"),
        ("content-type", b"application/json"),
        ("agora-dlq-reason", b"retries-exhausted"),
        ("agora-dlq-offset", b"7"),
    ]
    assert original_headers(headers) == {"ce_id": "6f1c", "content-type": "application/json"}
