"""The spans agora-core opens: consumed events, outbox writes, publishes, queries.

A span that only describes work inside a trace (an outbox write, a publish, a
query) is opened only when its parent is recorded: when tracing is off, or the trace
was not sampled, it costs one check. A span that carries a trace on (a consumed
event) is always opened, so what the handler publishes continues the event's trace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Link, SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue

from agora_core.messaging.events import OutgoingEvent, ReceivedEvent
from agora_core.tracing.propagation import (
    context_from_carrier,
    context_from_envelope,
    sampled_traceparent,
    span_context_of,
)
from agora_core.tracing.provider import tracer, unsampled_parent_is_final

_EMPTY = otel_context.Context()

Attributes = dict[str, AttributeValue]

MAX_LINKS = 128
"""Links a set handler's span keeps (one per event of its run, at most)."""


def _event_attributes(event: ReceivedEvent[Any], group: str) -> Attributes:
    return {
        "messaging.consumer.group.name": group,
        "messaging.system": "kafka",
        "messaging.operation.type": "process",
        "messaging.destination.name": event.topic,
        "messaging.destination.partition.id": str(event.partition),
        "messaging.kafka.offset": event.offset,
        "messaging.message.id": event.event_id,
        "cloudevents.event_id": event.event_id,
        "cloudevents.event_type": event.envelope.type,
        "cloudevents.event_source": event.envelope.source,
        "cloudevents.event_subject": event.envelope.subject,
        "agora.tenant_id": event.tenant_id,
    }


def record_failure(span: trace.Span, error: BaseException) -> None:
    """Mark ``span`` failed by ``error`` (when it is recorded)."""
    if span.is_recording():
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, repr(error)[:200]))


@contextmanager
def consumed_event_span(event: ReceivedEvent[Any], group: str = "") -> Iterator[trace.Span]:
    """The span of handling ``event``, continuing the trace it was created in; events
    the handler publishes carry this span's context.

    An event whose trace is not sampled, under a sampler that follows parents (the
    default, and tracing off), gets no span of its own: its context is simply made
    current, so what the handler publishes stays in the same (unrecorded) trace.
    """
    parent = span_context_of(event.envelope)
    if parent is not None and not parent.trace_flags.sampled and unsampled_parent_is_final():
        carried = trace.NonRecordingSpan(parent)
        token = otel_context.attach(trace.set_span_in_context(carried, _EMPTY))
        try:
            yield carried
        finally:
            otel_context.detach(token)
        return
    with tracer().start_as_current_span(
        f"process {event.envelope.type}",
        context=_EMPTY
        if parent is None
        else trace.set_span_in_context(trace.NonRecordingSpan(parent), _EMPTY),
        kind=SpanKind.CONSUMER,
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        if span.is_recording():
            span.set_attributes(_event_attributes(event, group))
        try:
            yield span
        except Exception as error:
            record_failure(span, error)
            raise


@contextmanager
def event_set_span(events: Sequence[ReceivedEvent[Any]]) -> Iterator[trace.Span]:
    """The span of a set handler's run: the child of the events' trace when they all
    share one, else a new trace linked to each event's (up to :data:`MAX_LINKS`)."""
    contexts = [context_from_envelope(event.envelope) for event in events]
    span_contexts = [trace.get_current_span(c).get_span_context() for c in contexts]
    trace_ids = {sc.trace_id for sc in span_contexts if sc.is_valid}
    shared = len(trace_ids) == 1 and all(sc.is_valid for sc in span_contexts)
    links = (
        []
        if shared
        else [Link(sc) for sc in span_contexts if sc.is_valid and sc.trace_flags.sampled]
    )
    with tracer().start_as_current_span(
        f"process {events[0].envelope.type} x{len(events)}",
        context=contexts[0] if shared else None,
        kind=SpanKind.CONSUMER,
        links=links[:MAX_LINKS],
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        if span.is_recording():
            span.set_attributes(
                {
                    "messaging.system": "kafka",
                    "messaging.operation.type": "process",
                    "messaging.destination.name": events[0].topic,
                    "messaging.batch.message_count": len(events),
                    "cloudevents.event_type": events[0].envelope.type,
                }
            )
        try:
            yield span
        except Exception as error:
            record_failure(span, error)
            raise


@contextmanager
def continued_trace(event: ReceivedEvent[Any]) -> Iterator[None]:
    """Inside a set handler: make what is published for ``event`` continue its trace
    (``with continued_trace(event): uow.add_events([...])``)."""
    token_span = trace.NonRecordingSpan(
        trace.get_current_span(context_from_envelope(event.envelope)).get_span_context()
    )
    with trace.use_span(token_span, end_on_exit=False):
        yield


@contextmanager
def child_span(
    name: str, kind: SpanKind, attributes: Callable[[], Attributes] | None = None
) -> Iterator[trace.Span | None]:
    """A span under the current one if that one is recorded; else nothing (None)."""
    if not trace.get_current_span().is_recording():
        yield None
        return
    with tracer().start_as_current_span(
        name, kind=kind, attributes=attributes() if attributes is not None else None
    ) as span:
        yield span


@contextmanager
def publish_spans(events: Sequence[OutgoingEvent]) -> Iterator[None]:
    """One producer span per published event whose trace is recorded, child of the
    context the event was created in, open until the broker acknowledged the batch."""
    sampled = [e for e in events if sampled_traceparent(e.headers.get("ce_traceparent"))]
    if not sampled:
        yield
        return
    spans = []
    for event in sampled:
        carrier = {"traceparent": event.headers["ce_traceparent"]}
        if "ce_tracestate" in event.headers:
            carrier["tracestate"] = event.headers["ce_tracestate"]
        spans.append(
            tracer().start_span(
                f"publish {event.topic}",
                context=context_from_carrier(carrier),
                kind=SpanKind.PRODUCER,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.operation.type": "send",
                    "messaging.destination.name": event.topic,
                    "messaging.message.id": event.event_id,
                    "cloudevents.event_id": event.event_id,
                    "cloudevents.event_type": event.headers.get("ce_type", ""),
                },
            )
        )
    try:
        yield
    except BaseException as error:
        for span in spans:
            record_failure(span, error)
        raise
    finally:
        for span in spans:
            span.end()


@contextmanager
def span_in_event_trace(
    name: str,
    ce_headers: Mapping[str, str],
    attributes: Attributes,
    kind: SpanKind = SpanKind.CLIENT,
) -> Iterator[trace.Span | None]:
    """A span in the trace of the event whose ``ce_*`` headers are given (work done
    later for it, e.g. a webhook delivery from a queue), when that trace is recorded."""
    if not sampled_traceparent(ce_headers.get("ce_traceparent")):
        yield None
        return
    carrier = {"traceparent": ce_headers["ce_traceparent"]}
    if "ce_tracestate" in ce_headers:
        carrier["tracestate"] = ce_headers["ce_tracestate"]
    with tracer().start_as_current_span(
        name, context=context_from_carrier(carrier), kind=kind, attributes=attributes
    ) as span:
        yield span
