"""Numbers, dates and times written the way a reader of a locale expects (Babel CLDR data).

Times are shown in the reader's time zone: a due date of 23:30 UTC is a Tuesday in Paris
and still a Monday in New York, and each reader is told their own day.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_decimal


def parse_moment(value: str) -> datetime | None:
    """An ISO-8601 date or date-time; a value without offset is UTC; None if unreadable."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return _aware(moment)


def _aware(moment: datetime) -> datetime:
    # Stored times without an offset (a database returning naive datetimes) are UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def format_day(moment: datetime, zone: ZoneInfo, locale: str) -> str:
    """The reader's calendar day of ``moment``, in full (``Tuesday, November 24, 2026``)."""
    return format_date(_aware(moment).astimezone(zone).date(), "full", locale=locale)


def format_clock(moment: datetime, zone: ZoneInfo, locale: str) -> str:
    """The reader's wall-clock time of ``moment`` (``5:00 PM``, ``17:00``)."""
    return format_time(_aware(moment), "short", tzinfo=zone, locale=locale)


def format_count(count: int, locale: str) -> str:
    """A count with the locale's digit grouping (``1,250``, ``1 250``)."""
    return format_decimal(count, locale=locale)
