"""OpenTelemetry tracing of Agora services: gRPC calls, events through Kafka, outbox,
database calls; the context travels in the CloudEvents ``traceparent``/``tracestate``.

Configured by the standard ``OTEL_*`` variables (:mod:`agora_core.tracing.setup`), off
by default. The spans themselves are in :mod:`agora_core.tracing.spans` (imported by
the messaging code), the propagation helpers in :mod:`agora_core.tracing.propagation`.
"""

from agora_core.tracing.propagation import current_trace_headers
from agora_core.tracing.provider import install, installed, tracer
from agora_core.tracing.setup import TracingConfigError, TracingSetup, configure_tracing

__all__ = [
    "TracingConfigError",
    "TracingSetup",
    "configure_tracing",
    "current_trace_headers",
    "install",
    "installed",
    "tracer",
]
