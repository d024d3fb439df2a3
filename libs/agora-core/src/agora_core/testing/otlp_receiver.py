"""A real OTLP/HTTP trace receiver on loopback: what a collector is to a service.

Services export with the OTLP/HTTP protobuf exporter (``OTEL_TRACES_EXPORTER=otlp``,
``OTEL_EXPORTER_OTLP_ENDPOINT=<receiver.endpoint>``); the receiver decodes each
``ExportTraceServiceRequest`` and keeps the spans, so tests (and bench/tracing.py)
assert on what a collector would have received.
"""

from __future__ import annotations

import asyncio
import gzip
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

TRACES_PATH = "/v1/traces"
PROTOBUF = "application/x-protobuf"


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    return getattr(value, kind) if kind else None


@dataclass(frozen=True)
class CollectedSpan:
    """One exported span, ids in hex (as trace backends show them)."""

    service: str
    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_span_id: str
    attributes: dict[str, Any]
    links: tuple[str, ...]
    """Trace ids of the span's links."""


@dataclass
class OtlpReceiver:
    """Accepts ``POST /v1/traces`` (protobuf, optionally gzip) and records the spans."""

    port: int = 0
    spans: list[CollectedSpan] = field(default_factory=list)
    requests: int = 0
    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post(TRACES_PATH, self._handle)
        app.router.add_get("/stats", self._stats)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def endpoint(self) -> str:
        """The value of ``OTEL_EXPORTER_OTLP_ENDPOINT`` (the exporter adds /v1/traces)."""
        return f"http://127.0.0.1:{self.port}"

    def traces(self) -> dict[str, list[CollectedSpan]]:
        """Trace id → its spans, in arrival order."""
        grouped: dict[str, list[CollectedSpan]] = defaultdict(list)
        for span in self.spans:
            grouped[span.trace_id].append(span)
        return dict(grouped)

    async def _stats(self, _request: web.Request) -> web.Response:
        return web.json_response({"spans": len(self.spans), "requests": self.requests})

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if request.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        if request.content_type != PROTOBUF:
            return web.Response(status=415, text=f"expected {PROTOBUF}")
        message = ExportTraceServiceRequest()
        message.ParseFromString(body)
        self.requests += 1
        for resource_spans in message.resource_spans:
            resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
            service = str(resource.get("service.name", ""))
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.spans.append(
                        CollectedSpan(
                            service=service,
                            name=span.name,
                            kind=span.kind,
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex(),
                            attributes={a.key: _value(a.value) for a in span.attributes},
                            links=tuple(link.trace_id.hex() for link in span.links),
                        )
                    )
        reply = ExportTraceServiceResponse().SerializeToString()
        return web.Response(body=reply, content_type=PROTOBUF)


async def serve_forever() -> None:
    """``python -m agora_core.testing.otlp_receiver``: listen on a free port, print the
    endpoint, count spans (GET /stats) until killed (bench/tracing.py's collector)."""
    receiver = OtlpReceiver()
    await receiver.start()
    print(receiver.endpoint, flush=True)
    await asyncio.Event().wait()


def connected(spans: list[CollectedSpan], root_parent: str = "") -> bool:
    """True when ``spans`` form one tree: one trace id, one root (whose parent is
    ``root_parent``: empty, or the span of a caller that exported elsewhere), every
    other span's parent among them."""
    if not spans or len({s.trace_id for s in spans}) != 1:
        return False
    ids = {s.span_id for s in spans}
    roots = [s for s in spans if s.parent_span_id not in ids]
    return len(roots) == 1 and roots[0].parent_span_id == root_parent


if __name__ == "__main__":
    asyncio.run(serve_forever())
