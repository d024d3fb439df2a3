"""Points in time on the command line: RFC 3339 / ISO 8601, or a duration ago."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import typer
from google.protobuf.timestamp_pb2 import Timestamp

_AGO = re.compile(r"^(\d{1,6})([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_moment(text: str, *, now: datetime | None = None) -> datetime:
    """``2026-11-23T10:00:00Z`` (no offset means UTC) or ``90m`` / ``2h`` / ``1d`` ago."""
    value = text.strip()
    ago = _AGO.match(value)
    if ago:
        amount, unit = ago.groups()
        return (now or datetime.now(UTC)) - timedelta(**{_UNITS[unit]: int(amount)})
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is neither an ISO 8601 time (2026-11-23T10:00:00Z) nor a duration ago "
            "(30s, 15m, 2h, 1d)"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def timestamp(moment: datetime) -> Timestamp:
    result = Timestamp()
    result.FromDatetime(moment.astimezone(UTC))
    return result
