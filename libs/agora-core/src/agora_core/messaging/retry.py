"""How a failed handler attempt is classified and how long to wait before the next."""

from __future__ import annotations

import random
from enum import StrEnum

import psycopg
from aiokafka.errors import KafkaError
from psycopg_pool import PoolTimeout
from pydantic import ValidationError

from agora_core.errors import AgoraError


class PermanentError(Exception):
    """Raised by a handler when retrying cannot help: the event goes to the DLQ now."""


class FailureKind(StrEnum):
    TRANSIENT = "transient"  # retried a bounded number of times, then dead-lettered
    PERMANENT = "permanent"  # dead-lettered at once
    INFRASTRUCTURE = "infrastructure"  # our own database/broker is down: wait, never DLQ


def classify(error: BaseException) -> FailureKind:
    """Infrastructure outages must not dead-letter good events, so they retry forever."""
    if isinstance(error, BaseExceptionGroup):
        # A handler's asyncio.TaskGroup wraps its children's errors. An outage any child
        # saw explains the failure (wait it out); otherwise a refusal that will repeat
        # decides; found by tests/faults: the database stopped under load.
        kinds = {classify(inner) for inner in error.exceptions}
        for kind in (FailureKind.INFRASTRUCTURE, FailureKind.PERMANENT):
            if kind in kinds:
                return kind
        return FailureKind.TRANSIENT
    if isinstance(error, psycopg.errors.QueryCanceled):
        return FailureKind.TRANSIENT  # a statement timeout: this event may always hit it
    if is_database_outage(error) or isinstance(error, KafkaError):
        return FailureKind.INFRASTRUCTURE
    if isinstance(error, PermanentError | ValidationError | AgoraError):
        return FailureKind.PERMANENT
    # A value the database cannot encode (an int beyond 64 bits, a value its column
    # refuses) fails the same way on every attempt.
    if isinstance(error, OverflowError | psycopg.DataError):
        return FailureKind.PERMANENT
    return FailureKind.TRANSIENT


def backoff_seconds(attempt: int, base_ms: int, max_ms: int) -> float:
    """Exponential backoff with full jitter (attempt counts from 1)."""
    ceiling = min(max_ms, base_ms * (2 ** max(0, attempt - 1)))
    return random.uniform(ceiling / 2, ceiling) / 1000.0  # noqa: S311 - jitter, not crypto


def is_database_outage(error: BaseException) -> bool:
    """The database cannot be reached or dropped the connection (not the query's fault).

    A pool with no free connection in time counts too: the caller should back off.
    """
    if isinstance(error, psycopg.errors.QueryCanceled):
        return False
    return isinstance(error, psycopg.OperationalError | psycopg.InterfaceError | PoolTimeout)
