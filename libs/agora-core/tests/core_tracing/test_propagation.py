"""Trace context through events and calls: what comes in is continued, what goes out
carries it (pure: spans recorded in memory, no I/O)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import SpanKind
from pydantic import ValidationError

from agora_contracts.events import CloudEventEnvelope, new_envelope
from agora_contracts.events.dataschema import DEFAULT_SCHEMA_BASE_URL
from agora_contracts.events.domains.learning import KnowledgeCompletedV1
from agora_contracts.events.registry import REGISTRY
from agora_core.logging import add_trace_ids
from agora_core.messaging.events import OutgoingEvent, ReceivedEvent, schema_base_url
from agora_core.tracing import current_trace_headers, tracer
from agora_core.tracing.propagation import (
    context_from_metadata,
    metadata_with_context,
    sampled_traceparent,
)
from agora_core.tracing.spans import consumed_event_span, continued_trace, event_set_span

from .recording import recording

pytestmark = pytest.mark.unit

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_ID = "b7ad6b7169203331"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"


def _payload() -> KnowledgeCompletedV1:
    example: dict[str, Any] = {
        name: field.examples[0]
        for name, field in KnowledgeCompletedV1.model_fields.items()
        if field.examples
    }
    return KnowledgeCompletedV1.model_validate(example)


def _outgoing(**extra: Any) -> OutgoingEvent:
    return OutgoingEvent.create(
        _payload(), source="/agora/catalog", subject="k-1", tenant_id="acme", **extra
    )


def _received(traceparent: str | None, tracestate: str | None = None) -> ReceivedEvent[Any]:
    spec = REGISTRY.spec_for(KnowledgeCompletedV1)
    envelope = new_envelope(
        type=spec.event_type,
        source="/agora/catalog",
        subject="k-1",
        tenant_id="acme",
        traceparent=traceparent,
        tracestate=tracestate,
        event_id=uuid.uuid4(),
    )
    return ReceivedEvent(envelope, _payload(), spec.topic, 0, 7, "u-1")


def _envelope(event: OutgoingEvent) -> CloudEventEnvelope:
    return CloudEventEnvelope.from_headers(event.headers)


def test_an_event_created_in_a_span_carries_its_context() -> None:
    with recording(), tracer().start_as_current_span("call") as span:
        event = _outgoing()
        context = span.get_span_context()
    envelope = _envelope(event)
    flags = f"{int(context.trace_flags):02x}"  # sampled, and the level-2 "random" bit
    assert envelope.traceparent == f"00-{context.trace_id:032x}-{context.span_id:016x}-{flags}"


def test_an_explicit_traceparent_wins_over_the_current_context() -> None:
    with recording(), tracer().start_as_current_span("call"):
        event = _outgoing(traceparent=TRACEPARENT, tracestate="vendor=1")
    envelope = _envelope(event)
    assert (envelope.traceparent, envelope.tracestate) == (TRACEPARENT, "vendor=1")


def test_tracing_off_still_gives_events_a_trace_id_not_sampled() -> None:
    with recording(ALWAYS_OFF) as spans, tracer().start_as_current_span("call"):
        traceparent, _ = current_trace_headers()
        event = _outgoing()
    assert traceparent is not None
    assert not int(traceparent[-2:], 16) & 1
    assert _envelope(event).traceparent == traceparent
    assert spans.get_finished_spans() == ()


def test_outside_any_trace_an_event_starts_its_own_unsampled_one_and_names_its_schema() -> None:
    first, second = _envelope(_outgoing()), _envelope(_outgoing())
    assert first.traceparent is not None
    assert second.traceparent is not None
    assert first.traceparent.endswith("-00")  # not sampled: nothing was recorded
    assert first.traceparent.split("-")[1] != second.traceparent.split("-")[1]
    assert first.dataschema == (
        f"{DEFAULT_SCHEMA_BASE_URL}/org.agora.learning.knowledge.completed.v1.json"
    )


def test_a_consumer_continues_the_trace_of_the_event_and_passes_it_on() -> None:
    with recording() as spans, consumed_event_span(_received(TRACEPARENT, "vendor=1")):
        published = _outgoing()
    (span,) = spans.get_finished_spans()
    assert span.kind is SpanKind.CONSUMER
    assert f"{span.context.trace_id:032x}" == TRACE_ID
    assert span.parent is not None
    assert f"{span.parent.span_id:016x}" == PARENT_ID
    assert span.attributes is not None
    assert span.attributes["cloudevents.event_type"] == published.headers["ce_type"]
    envelope = _envelope(published)
    assert envelope.traceparent == f"00-{TRACE_ID}-{span.context.span_id:016x}-01"  # parent's flags
    assert envelope.tracestate == "vendor=1"


def test_a_consumer_starts_a_trace_for_an_event_without_one() -> None:
    with recording() as spans, consumed_event_span(_received(None)):
        pass
    (span,) = spans.get_finished_spans()
    assert span.parent is None


def test_a_failing_handler_marks_its_span_failed() -> None:
    with (
        recording() as spans,
        pytest.raises(ValueError, match="bad event"),
        consumed_event_span(_received(None)),
    ):
        raise ValueError("bad event")
    (span,) = spans.get_finished_spans()
    assert not span.status.is_ok
    assert span.events[0].name == "exception"


def test_a_set_run_of_one_trace_continues_it_and_continued_trace_marks_each_event() -> None:
    events = [_received(TRACEPARENT), _received(TRACEPARENT)]
    with recording() as spans:
        with event_set_span(events):
            pass
        other = f"00-{'1' * 32}-{'2' * 16}-01"
        with (
            event_set_span([_received(TRACEPARENT), _received(other)]),
            continued_trace(_received(other)),
        ):
            published = _outgoing()
    shared, mixed = spans.get_finished_spans()
    assert f"{shared.context.trace_id:032x}" == TRACE_ID
    assert f"{mixed.context.trace_id:032x}" not in (TRACE_ID, "1" * 32)
    assert {f"{link.context.trace_id:032x}" for link in mixed.links} == {TRACE_ID, "1" * 32}
    assert _envelope(published).traceparent == other


def test_grpc_metadata_in_and_out_keeps_the_trace_id() -> None:
    context = context_from_metadata([("authorization", "x"), ("traceparent", TRACEPARENT)])
    with recording(), tracer().start_as_current_span("server", context=context) as span:
        assert f"{span.get_span_context().trace_id:032x}" == TRACE_ID
        outgoing = dict(metadata_with_context([("traceparent", "stale"), ("x-a", "1")]))
    assert outgoing["x-a"] == "1"
    assert outgoing["traceparent"].split("-")[1] == TRACE_ID
    assert outgoing["traceparent"] != TRACEPARENT  # the new span is the parent now


def test_malformed_traceparent_starts_a_new_trace() -> None:
    context = context_from_metadata([("traceparent", "00-zz-yy-01")])
    assert not trace.get_current_span(context).get_span_context().is_valid


@pytest.mark.parametrize(
    ("value", "sampled"),
    [(TRACEPARENT, True), (TRACEPARENT[:-2] + "00", False), (None, False), ("01", False)],
)
def test_the_sampled_flag_is_read_from_the_traceparent(value: str | None, sampled: bool) -> None:
    assert sampled_traceparent(value) is sampled


def test_log_lines_carry_the_trace_and_span_ids() -> None:
    with recording(), tracer().start_as_current_span("call") as span:
        line = dict(add_trace_ids(None, "info", {"event": "x"}))
    context = span.get_span_context()
    assert line["trace_id"] == f"{context.trace_id:032x}"
    assert line["span_id"] == f"{context.span_id:016x}"
    assert "trace_id" not in add_trace_ids(None, "info", {"event": "outside"})


def test_the_schema_base_url_is_a_platform_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGORA_EVENTS_SCHEMA_BASE_URL", "https://docs.acme.example/agora/")
    schema_base_url.cache_clear()
    try:
        assert _envelope(_outgoing()).dataschema == (
            "https://docs.acme.example/agora/org.agora.learning.knowledge.completed.v1.json"
        )
        monkeypatch.setenv("AGORA_EVENTS_SCHEMA_BASE_URL", "docs/events")
        schema_base_url.cache_clear()
        with pytest.raises(ValidationError, match="schema_base_url"):
            schema_base_url()
    finally:
        schema_base_url.cache_clear()
