"""CloudEvents envelope in Kafka headers (binary mode)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest

from agora_contracts.events import CloudEventEnvelope, EnvelopeError, new_envelope

pytestmark = pytest.mark.unit


def _envelope() -> CloudEventEnvelope:
    return new_envelope(
        type="org.agora.learning.completion.recorded.v1",
        source="/agora/catalog",
        subject="item-1",
        tenant_id="acme",
        actor_id="user-7",
        traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    )


def test_headers_round_trip_every_attribute() -> None:
    envelope = _envelope()
    headers = envelope.to_headers()
    assert headers["ce_specversion"] == "1.0"
    assert headers["content-type"] == "application/json"
    assert headers["ce_time"].endswith("Z")
    encoded = [(k, v.encode()) for k, v in headers.items()]
    assert CloudEventEnvelope.from_headers(encoded) == envelope
    assert envelope.major_version == 1


def test_optional_attributes_are_omitted_when_unset() -> None:
    envelope = new_envelope(
        type="org.agora.community.like.added.v1",
        source="/agora/community",
        subject="comment-1",
        tenant_id="acme",
    )
    headers = envelope.to_headers()
    assert "ce_traceparent" not in headers
    assert CloudEventEnvelope.from_headers(headers) == envelope
    # Another producer's event may lack an actor: parsed all the same.
    del headers["ce_actorid"]
    assert CloudEventEnvelope.from_headers(headers).actorid is None


def test_an_event_without_a_person_names_the_service_as_its_actor() -> None:
    caused = new_envelope(
        type="org.agora.community.popularity.changed.v1",
        source="/agora/community",
        subject="comment-1",
        tenant_id="acme",
    )
    assert caused.to_headers()["ce_actorid"] == "system:community"
    assert _envelope().to_headers()["ce_actorid"] == "user-7"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"ce_id": None}, "missing header(s): ce_id"),
        ({"ce_tenantid": None, "ce_subject": None}, "ce_subject, ce_tenantid"),
        ({"ce_id": "not-a-uuid"}, "ce_id"),
        ({"ce_type": "com.example.thing"}, "ce_type"),
        ({"ce_source": "catalog"}, "ce_source"),
        ({"ce_time": "yesterday"}, "ce_time"),
        ({"ce_time": "2026-11-23T10:00:00"}, "timezone"),
        ({"ce_specversion": "0.3"}, "ce_specversion"),
        ({"ce_traceparent": "abc"}, "traceparent"),
        # A tenant no token can name: never a namespace of its own in any database.
        ({"ce_tenantid": "acme corp"}, "ce_tenantid"),
        ({"ce_tenantid": '{"$ne": null}'}, "ce_tenantid"),
        ({"ce_tenantid": "t" * 65}, "ce_tenantid"),
        ({"ce_tenantid": "-acme"}, "ce_tenantid"),
    ],
)
def test_invalid_headers_are_refused_with_the_reason(
    change: dict[str, str | None], expected: str
) -> None:
    headers: dict[str, str] = dict(_envelope().to_headers())
    for name, value in change.items():
        if value is None:
            headers.pop(name)
        else:
            headers[name] = value
    with pytest.raises(EnvelopeError, match=re.escape(expected)):
        CloudEventEnvelope.from_headers(headers)


def test_non_utf8_header_is_refused() -> None:
    headers: list[tuple[str, bytes]] = [
        (k, v.encode()) for k, v in _envelope().to_headers().items()
    ]
    headers.append(("ce_subject", b"\xff\xfe"))
    with pytest.raises(EnvelopeError, match="not UTF-8"):
        CloudEventEnvelope.from_headers(headers)


def test_time_is_normalised_to_utc() -> None:
    envelope = CloudEventEnvelope(
        id=uuid.uuid4(),
        source="/agora/catalog",
        type="org.agora.learning.completion.recorded.v1",
        time=datetime.fromisoformat("2026-11-23T12:00:00+02:00"),
        subject="x",
        tenantid="acme",
    )
    assert envelope.time == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
