"""Structured JSON logs (structlog) with trace ids, and no secrets.

Context such as ``trace``, ``event_id``, ``tenant`` and ``subject`` is bound with
``structlog.contextvars`` by the gRPC interceptor and the consumer pipeline, so every
line written while handling a call or an event carries it; ``trace_id`` and ``span_id``
come from the current OpenTelemetry span (:func:`add_trace_ids`).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog
from opentelemetry import trace

_SECRET_KEYS = re.compile(r"(pass(word)?|secret|token|authorization|api[_-]?key|private)", re.I)
_BEARER = re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_URI_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s:]+:[^/@\s]+@", re.I)
REDACTED = "[redacted]"


def redact_text(text: str) -> str:
    """Remove bearer tokens, JWTs and URI passwords from free text."""
    text = _BEARER.sub("Bearer " + REDACTED, text)
    text = _JWT.sub(REDACTED, text)
    return _URI_CREDENTIALS.sub(lambda m: f"{m.group('scheme')}{REDACTED}@", text)


def redact_secrets(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: secret-looking keys are blanked, values scrubbed."""
    for key, value in list(event_dict.items()):
        if _SECRET_KEYS.search(key):
            event_dict[key] = REDACTED
        elif isinstance(value, str):
            event_dict[key] = redact_text(value)
    return event_dict


def add_trace_ids(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: ``trace_id`` and ``span_id`` (hex, as trace backends show
    them) of the span current when the line is written, so a log line leads to its
    trace and back."""
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        event_dict.setdefault("trace_id", f"{span_context.trace_id:032x}")
        event_dict.setdefault("span_id", f"{span_context.span_id:016x}")
    return event_dict


class _CurrentStdout:
    """Writes to whatever ``sys.stdout`` is at the time of the write.

    Loggers keep their stream; one bound to a stdout that is later replaced and closed
    (a test's captured output, a daemon's redirected stream) would fail every write.
    """

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


def configure_logging(service: str, level: str = "INFO") -> None:
    """JSON lines on stdout, stdlib logging (aiokafka, grpc, psycopg) routed through it."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        add_trace_ids,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact_secrets,
    ]
    structlog.configure(
        processors=[
            *shared,
            lambda _l, _m, event: {"service": service, **event},
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(_CurrentStdout()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(_CurrentStdout())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processor=structlog.processors.JSONRenderer(),
            foreign_pre_chain=[*shared, lambda _l, _m, event: {"service": service, **event}],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    # Library chatter at INFO (every rebalance step) drowns the service's own lines.
    for noisy in ("aiokafka",):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
