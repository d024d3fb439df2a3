"""Prometheus metrics of the gRPC server, defined once per process.

Names and labels follow the go-grpc-prometheus conventions so existing dashboards
apply: ``service`` is the full service name, ``method`` the short method name and
``code`` the gRPC status code name (``OK``, ``NOT_FOUND`` …).
"""

from __future__ import annotations

from typing import Final

from prometheus_client import Counter, Histogram

LABELS: Final = ("service", "method", "code")

# Buckets from 1 ms to 10 s: unary calls are expected in the low milliseconds.
HANDLING_SECONDS_BUCKETS: Final = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)

SERVER_HANDLING_SECONDS: Final = Histogram(
    "agora_grpc_server_handling_seconds",
    "Time from the start of a gRPC call's handler to its end (whole stream for streaming).",
    LABELS,
    buckets=HANDLING_SECONDS_BUCKETS,
)

SERVER_HANDLED_TOTAL: Final = Counter(
    "agora_grpc_server_handled_total",
    "gRPC calls completed by the server, by status code.",
    LABELS,
)
