"""Tracing configured by the standard ``OTEL_*`` variables, off by default.

:func:`configure_tracing` runs once per process, in ``agora_core.runtime.serve`` (the
entry point of every service), so services need no code of their own:

* ``OTEL_SDK_DISABLED=true``: nothing is installed; spans are OpenTelemetry's no-op
  ones (an event carries its cause's ``traceparent``, or a new one not sampled).
* ``OTEL_TRACES_EXPORTER`` unset or ``none`` (the default): **off**. The SDK runs with
  the ``always_off`` sampler: every call and event still gets a trace id (so logs and
  envelopes can be correlated, flag "not sampled"), nothing is recorded or exported.
* ``OTEL_TRACES_EXPORTER=otlp`` (OTLP over HTTP/protobuf, to
  ``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``, headers
  from ``OTEL_EXPORTER_OTLP_HEADERS``) and/or ``console``: spans are recorded as
  ``OTEL_TRACES_SAMPLER`` / ``OTEL_TRACES_SAMPLER_ARG`` decide (default
  ``parentbased_always_on``; ``parentbased_traceidratio`` with ``0.1`` keeps one trace
  in ten) and exported in batches (``OTEL_BSP_*``).
* ``OTEL_SERVICE_NAME`` defaults to ``agora-<service>``; ``OTEL_RESOURCE_ATTRIBUTES``
  adds resource attributes (a deployment's ``deployment.environment``, …).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import structlog
from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    DEFAULT_OFF,
    DEFAULT_ON,
    ParentBasedTraceIdRatio,
    Sampler,
    TraceIdRatioBased,
)

from agora_core.tracing.provider import install

log = structlog.get_logger(__name__)

KNOWN_EXPORTERS: Final = ("otlp", "console", "none")
OTEL_VARIABLES: Final = frozenset(
    {
        "OTEL_SDK_DISABLED",
        "OTEL_SERVICE_NAME",
        "OTEL_RESOURCE_ATTRIBUTES",
        "OTEL_TRACES_EXPORTER",
        "OTEL_TRACES_SAMPLER",
        "OTEL_TRACES_SAMPLER_ARG",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_EXPORTER_OTLP_HEADERS",
        "OTEL_EXPORTER_OTLP_TIMEOUT",
        "OTEL_EXPORTER_OTLP_COMPRESSION",
        "OTEL_EXPORTER_OTLP_CERTIFICATE",
        "OTEL_BSP_SCHEDULE_DELAY",
        "OTEL_BSP_MAX_QUEUE_SIZE",
        "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
        "OTEL_BSP_EXPORT_TIMEOUT",
    }
)
"""The standard variables a service reads (besides its own ``AGORA_<SERVICE>_*``)."""
SUPPORTED_OTLP_PROTOCOL: Final = "http/protobuf"


class TracingConfigError(ValueError):
    """An ``OTEL_*`` variable names something this runtime cannot do."""


@dataclass(frozen=True)
class TracingSetup:
    """What :func:`configure_tracing` installed."""

    provider: TracerProvider | None
    """None when ``OTEL_SDK_DISABLED=true``."""
    exporters: tuple[str, ...]
    """Exporter names; empty when tracing is off."""

    @property
    def exporting(self) -> bool:
        return bool(self.exporters)

    def shutdown(self) -> None:
        """Export what is pending and stop (the process is ending)."""
        if self.provider is not None:
            self.provider.shutdown()


_current: TracingSetup | None = None


def exporter_names(environ: Mapping[str, str]) -> tuple[str, ...]:
    """The exporters ``OTEL_TRACES_EXPORTER`` asks for (none by default)."""
    raw = environ.get("OTEL_TRACES_EXPORTER", "none")
    names = tuple(dict.fromkeys(n.strip().lower() for n in raw.split(",") if n.strip()))
    unknown = [n for n in names if n not in KNOWN_EXPORTERS]
    if unknown:
        raise TracingConfigError(
            f"OTEL_TRACES_EXPORTER: unknown exporter(s) {unknown} (known: {KNOWN_EXPORTERS})"
        )
    return tuple(n for n in names if n != "none")


def sampler_from(environ: Mapping[str, str]) -> Sampler:
    """The sampler ``OTEL_TRACES_SAMPLER`` and ``OTEL_TRACES_SAMPLER_ARG`` name (the
    specification's names; default ``parentbased_always_on``)."""
    name = environ.get("OTEL_TRACES_SAMPLER", "parentbased_always_on").strip().lower()
    fixed = {
        "always_on": ALWAYS_ON,
        "always_off": ALWAYS_OFF,
        "parentbased_always_on": DEFAULT_ON,
        "parentbased_always_off": DEFAULT_OFF,
    }
    if name in fixed:
        return fixed[name]
    if name not in ("traceidratio", "parentbased_traceidratio"):
        raise TracingConfigError(f"OTEL_TRACES_SAMPLER: unknown sampler {name!r}")
    raw = environ.get("OTEL_TRACES_SAMPLER_ARG", "1.0")
    try:
        ratio = float(raw)
    except ValueError:
        ratio = -1.0
    if not 0.0 <= ratio <= 1.0:
        raise TracingConfigError(f"OTEL_TRACES_SAMPLER_ARG: {raw!r} is not a ratio in [0, 1]")
    return TraceIdRatioBased(ratio) if name == "traceidratio" else ParentBasedTraceIdRatio(ratio)


def _exporter(name: str, environ: Mapping[str, str]) -> SpanExporter:
    if name == "console":
        return ConsoleSpanExporter()
    protocol = environ.get(
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", SUPPORTED_OTLP_PROTOCOL),
    )
    if protocol != SUPPORTED_OTLP_PROTOCOL:
        raise TracingConfigError(
            f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol!r}: this runtime exports OTLP over "
            f"{SUPPORTED_OTLP_PROTOCOL} (collector port 4318)"
        )
    # Imported only when used: the exporter pulls in an HTTP client.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    endpoint = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    if not endpoint and environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        endpoint = environ["OTEL_EXPORTER_OTLP_ENDPOINT"].rstrip("/") + "/v1/traces"
    # Headers, timeout, compression and certificate: the SDK reads OTEL_EXPORTER_OTLP_*.
    return OTLPSpanExporter(endpoint=endpoint or None)


def build_provider(service: str, environ: Mapping[str, str]) -> TracingSetup:
    """The provider the ``OTEL_*`` variables describe (not installed)."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return TracingSetup(None, ())
    names = exporter_names(environ)
    name = environ.get("OTEL_SERVICE_NAME", "").strip() or f"agora-{service}"
    resource = Resource.create({SERVICE_NAME: name})  # + OTEL_RESOURCE_ATTRIBUTES
    if not names:
        # Off: ids for correlation, nothing recorded (no processor, no exporter).
        return TracingSetup(TracerProvider(sampler=ALWAYS_OFF, resource=resource), ())
    provider = TracerProvider(sampler=sampler_from(environ), resource=resource)
    for name in names:
        provider.add_span_processor(BatchSpanProcessor(_exporter(name, environ)))
    return TracingSetup(provider, names)


def configure_tracing(service: str, environ: Mapping[str, str] | None = None) -> TracingSetup:
    """Install tracing for this process from ``OTEL_*`` (once; later calls return the
    first setup). Raises :class:`TracingConfigError` on an unusable variable."""
    global _current
    if _current is not None:
        return _current
    setup = build_provider(service, os.environ if environ is None else environ)
    if setup.provider is not None:
        # Global too, so any other OpenTelemetry instrumentation joins the same traces.
        trace.set_tracer_provider(setup.provider)
        install(setup.provider)
    _current = setup
    log.info(
        "tracing configured",
        exporters=list(setup.exporters) or "none",
        sdk="disabled" if setup.provider is None else "enabled",
    )
    return setup
