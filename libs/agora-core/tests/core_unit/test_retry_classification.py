"""Which handler failures are retried (pure)."""

from __future__ import annotations

import psycopg
import pytest
from psycopg_pool import PoolTimeout

from agora_core.messaging.retry import FailureKind, PermanentError, classify

pytestmark = pytest.mark.unit


def test_values_the_database_cannot_encode_are_permanent() -> None:
    """Found by the security suite: a valid event with a huge int was retried 4 times."""
    assert classify(OverflowError("int too big to convert")) is FailureKind.PERMANENT
    out_of_range = psycopg.errors.NumericValueOutOfRange("bigint out of range")
    assert classify(out_of_range) is FailureKind.PERMANENT


def test_a_statement_timeout_is_transient_not_an_outage() -> None:
    assert classify(psycopg.errors.QueryCanceled("statement timeout")) is FailureKind.TRANSIENT


def test_unknown_errors_stay_transient() -> None:
    assert classify(RuntimeError("flaky")) is FailureKind.TRANSIENT


def test_an_exception_group_is_classified_by_what_it_holds() -> None:
    """A TaskGroup in a handler wraps its children's errors (found by tests/faults)."""
    closed = psycopg.OperationalError("server closed the connection unexpectedly")
    outage = ExceptionGroup("tg", [ExceptionGroup("tg", [closed])])
    assert classify(outage) is FailureKind.INFRASTRUCTURE
    mixed = ExceptionGroup("tg", [RuntimeError("flaky"), PoolTimeout("no connection in 5s")])
    assert classify(mixed) is FailureKind.INFRASTRUCTURE
    refused = ExceptionGroup("tg", [RuntimeError("flaky"), PermanentError("bad")])
    assert classify(refused) is FailureKind.PERMANENT
    assert classify(ExceptionGroup("tg", [RuntimeError("flaky")])) is FailureKind.TRANSIENT
