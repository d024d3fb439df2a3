"""Trace context in and out of CloudEvents envelopes and gRPC metadata (W3C).

An event carries the context of what caused it in its ``traceparent`` and
``tracestate`` extensions (the CloudEvents distributed-tracing extension); a consumer
continues that trace. gRPC calls carry the same two keys in their metadata.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import TraceFlags, TraceState
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from agora_contracts.events import CloudEventEnvelope

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"

_PROPAGATOR = TraceContextTextMapPropagator()
_EMPTY = Context()


def format_traceparent(span_context: trace.SpanContext) -> str:
    """The W3C ``traceparent`` of ``span_context`` (version 00)."""
    return (
        f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}-"
        f"{int(span_context.trace_flags):02x}"
    )


def current_trace_headers() -> tuple[str | None, str | None]:
    """(traceparent, tracestate) of the current span; (None, None) outside any trace."""
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None, None
    state = span_context.trace_state.to_header() if span_context.trace_state else None
    return format_traceparent(span_context), state or None


def new_unsampled_traceparent() -> str:
    """A ``traceparent`` starting a trace of its own, not sampled: what an event created
    outside any call or consumed event (a scheduled job) carries, so every event has
    one and its consumers' logs still share an id."""
    trace_id = random.getrandbits(128) or 1
    span_id = random.getrandbits(64) or 1
    return f"00-{trace_id:032x}-{span_id:016x}-00"


def context_from_carrier(carrier: Mapping[str, str]) -> Context:
    """The context of a ``traceparent``/``tracestate`` mapping (empty when absent or
    malformed: the caller's span then starts a new trace)."""
    if TRACEPARENT not in carrier:
        return _EMPTY
    return _PROPAGATOR.extract(carrier)


def span_context_of(envelope: CloudEventEnvelope) -> trace.SpanContext | None:
    """The remote span context an event names, or None (absent or invalid).

    The envelope already checked the ``traceparent`` pattern, so this reads the fields
    directly instead of running the generic propagator (consumers call it per event).
    """
    traceparent = envelope.traceparent
    if traceparent is None:
        return None
    version, trace_hex, span_hex, flags = traceparent.split("-")
    trace_id, span_id = int(trace_hex, 16), int(span_hex, 16)
    if version == "ff" or not trace_id or not span_id:
        return None
    state = TraceState.from_header([envelope.tracestate]) if envelope.tracestate else None
    return trace.SpanContext(
        trace_id, span_id, is_remote=True, trace_flags=TraceFlags(int(flags, 16)), trace_state=state
    )


def context_from_envelope(envelope: CloudEventEnvelope) -> Context:
    """The context an event was created in (its ``traceparent`` and ``tracestate``)."""
    span_context = span_context_of(envelope)
    if span_context is None:
        return _EMPTY
    return trace.set_span_in_context(trace.NonRecordingSpan(span_context), _EMPTY)


def context_from_metadata(metadata: Iterable[Any] | None) -> Context:
    """The context of a gRPC call from its invocation metadata (key/value pairs)."""
    carrier: dict[str, str] = {}
    for key, value in metadata or ():
        if key in (TRACEPARENT, TRACESTATE) and isinstance(value, str):
            carrier[key] = value
    return context_from_carrier(carrier)


def sampled_traceparent(traceparent: str | None) -> bool:
    """Whether a ``traceparent`` says its trace is recorded (the sampled flag), read
    without parsing the whole header (the relay asks for every row it publishes)."""
    return traceparent is not None and len(traceparent) == 55 and traceparent[-1] in "13579bdf"


def metadata_with_context(metadata: Iterable[tuple[str, Any]] | None) -> list[tuple[str, Any]]:
    """``metadata`` plus the current trace context (for an outgoing gRPC call)."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    pairs = [(key, value) for key, value in metadata or () if key not in (TRACEPARENT, TRACESTATE)]
    return [*pairs, *carrier.items()]
