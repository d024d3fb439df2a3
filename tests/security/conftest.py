"""The security suite's shared fixtures: the four services, started once, with their
logs captured; and the count of generated cases, printed at the end of the run."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from .case_count import GENERATED_CASES, MINIMUM_TOTAL, SCALE
from .log_capture import LogSink, captured_logs
from .platform_stack import Platform, running_platform


@pytest.fixture(scope="package")
def log_sink() -> Iterator[LogSink]:
    """Every line the services log while the suite runs (production format)."""
    with captured_logs() as sink:
        yield sink


@pytest.fixture(scope="package")
async def platform(
    log_sink: LogSink, kafka_bootstrap: str, postgres_admin_dsn: str
) -> AsyncIterator[Platform]:
    """Catalog, community, gamification and notifications, in-process on free ports."""
    async with running_platform(kafka_bootstrap, postgres_admin_dsn) as running:
        yield running


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not GENERATED_CASES:
        return
    total = sum(GENERATED_CASES.values())
    terminalreporter.section("security suite: generated cases")
    for part, count in sorted(GENERATED_CASES.items()):
        terminalreporter.write_line(f"{part:<40} {count:>8}")
    verdict = "" if total >= MINIMUM_TOTAL else f"  (below {MINIMUM_TOTAL}: scale {SCALE})"
    terminalreporter.write_line(f"{'total':<40} {total:>8}{verdict}")
