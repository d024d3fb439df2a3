"""Every log line the services write during the suite, as production formats them.

Services configure logging in ``serve()`` (their process entry point), which in-process
tests never call; the suite calls :func:`agora_core.logging.configure_logging` itself,
so lines go through the same processors (including secret redaction) as in production,
and sends them to a sink it can scan. The previous configuration is restored after.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import TextIO, cast

import structlog

from agora_core.logging import configure_logging


class LogSink:
    """A text stream keeping each complete line written to it."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._partial = ""

    def write(self, text: str) -> int:
        *complete, self._partial = (self._partial + text).split("\n")
        self.lines.extend(line for line in complete if line)
        return len(text)

    def flush(self) -> None:
        """Nothing buffered beyond the current partial line."""


@contextlib.contextmanager
def captured_logs(level: str = "INFO") -> Iterator[LogSink]:
    """Production logging (JSON lines, redaction) into a sink, for the block."""
    saved_structlog = structlog.get_config()
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    sink = LogSink()
    configure_logging("agora", level)
    # LogSink has the two methods of a text stream that printing uses.
    stream = cast(TextIO, sink)
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(stream))
    for handler in root.handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(stream)
    try:
        yield sink
    finally:
        structlog.configure(**saved_structlog)
        root.handlers = saved_handlers
        root.setLevel(saved_level)
