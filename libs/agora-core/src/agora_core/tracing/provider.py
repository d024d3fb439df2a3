"""The tracer agora-core's instrumentation uses, and the provider behind it.

The instrumentation (gRPC interceptors, consumers, outbox, database cursor) asks
:func:`tracer` on every span; the answer is cached here, not looked up in the OTel
global provider each time (``get_tracer`` allocates). :func:`install` swaps it: the
process entry point installs the provider built from ``OTEL_*`` (see
:mod:`agora_core.tracing.setup`), tests install one with an in-memory exporter and put
the previous one back.

Until something is installed the tracer is OpenTelemetry's proxy: no-op spans that
only carry an incoming context along.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased

INSTRUMENTATION_NAME = "agora_core"


def _version() -> str:
    try:
        return version("agora-core")
    except PackageNotFoundError:  # a source checkout without metadata
        return "0"


_VERSION = _version()
_tracer: trace.Tracer = trace.get_tracer(INSTRUMENTATION_NAME, _VERSION)
_provider: trace.TracerProvider | None = None
_unsampled_parent_is_final = True


def unsampled_parent_is_final() -> bool:
    """True when a child of a remote parent that is not sampled is never recorded (the
    sampler follows the parent, or records nothing): the consumer then carries the
    parent's context on without starting a span, its cheapest path."""
    return _unsampled_parent_is_final


def _follows_parents(provider: trace.TracerProvider | None) -> bool:
    if not isinstance(provider, SdkTracerProvider):
        return True  # OpenTelemetry's no-op (or proxy) spans record nothing
    sampler = provider.sampler
    return sampler is ALWAYS_OFF or isinstance(sampler, ParentBased)


def tracer() -> trace.Tracer:
    """The tracer of agora-core's spans."""
    return _tracer


def installed_provider() -> trace.TracerProvider | None:
    """The provider installed with :func:`install` (None: OTel's proxy)."""
    return _provider


def install(provider: trace.TracerProvider | None) -> None:
    """Make ``provider`` the source of agora-core's spans (None: back to the proxy)."""
    global _tracer, _provider, _unsampled_parent_is_final
    _provider = provider
    _unsampled_parent_is_final = _follows_parents(provider)
    source = provider if provider is not None else trace.get_tracer_provider()
    _tracer = source.get_tracer(INSTRUMENTATION_NAME, _VERSION)


@contextmanager
def installed(provider: trace.TracerProvider) -> Iterator[trace.TracerProvider]:
    """Use ``provider`` inside the block, then the one before (tests)."""
    previous = _provider
    install(provider)
    try:
        yield provider
    finally:
        install(previous)
