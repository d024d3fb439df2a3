"""A tracer provider recording every span in memory, installed for one test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, Sampler

from agora_core.tracing import installed


@contextmanager
def recording(sampler: Sampler = ALWAYS_ON) -> Iterator[InMemorySpanExporter]:
    """Spans of agora-core's instrumentation inside the block go to the exporter."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=sampler)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with installed(provider):
        yield exporter
    provider.shutdown()
