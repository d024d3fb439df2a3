"""Which handler failures are retried (pure)."""

from __future__ import annotations

import bson
import pytest
from bson.errors import InvalidDocument
from pymongo.errors import AutoReconnect, ServerSelectionTimeoutError

from agora_core.messaging.retry import FailureKind, PermanentError, classify

pytestmark = pytest.mark.unit


def _encode_error(document: dict[str, object]) -> Exception:
    try:
        bson.encode(document)
    except Exception as error:  # the exact error the driver raises for this document
        return error
    raise AssertionError("the document was encodable")


def test_values_the_database_cannot_encode_are_permanent() -> None:
    """Found by the security suite: a valid event with a huge int was retried 4 times."""
    too_big = _encode_error({"n": 2**70})
    assert isinstance(too_big, OverflowError)
    assert classify(too_big) is FailureKind.PERMANENT
    assert classify(InvalidDocument("key '$x' must not start with '$'")) is FailureKind.PERMANENT


def test_unknown_errors_stay_transient() -> None:
    assert classify(RuntimeError("flaky")) is FailureKind.TRANSIENT


def test_an_exception_group_is_classified_by_what_it_holds() -> None:
    """A TaskGroup in a handler wraps its children's errors (found by tests/faults)."""
    outage = ExceptionGroup("tg", [ExceptionGroup("tg", [AutoReconnect("connection closed")])])
    assert classify(outage) is FailureKind.INFRASTRUCTURE
    mixed = ExceptionGroup("tg", [RuntimeError("flaky"), ServerSelectionTimeoutError("down")])
    assert classify(mixed) is FailureKind.INFRASTRUCTURE
    refused = ExceptionGroup("tg", [RuntimeError("flaky"), PermanentError("bad")])
    assert classify(refused) is FailureKind.PERMANENT
    assert classify(ExceptionGroup("tg", [RuntimeError("flaky")])) is FailureKind.TRANSIENT
