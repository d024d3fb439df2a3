"""Time arithmetic of the scheduler and the delivery worker (pure, time-zone aware)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agora_notifications.domain.model import DigestMode, NudgeCadence
from agora_notifications.domain.preferences import QuietHours


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; UTC when unknown (profiles are validated on input)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def is_valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def quiet_hours_end(now: datetime, quiet: QuietHours | None, time_zone: str) -> datetime | None:
    """When the quiet window containing ``now`` ends (UTC), or None outside quiet hours."""
    if quiet is None:
        return None
    tz = zone(time_zone)
    local = now.astimezone(tz)
    if not quiet.contains(local.time()):
        return None
    end_day = local.date()
    if quiet.start > quiet.end and local.time() >= quiet.start:
        end_day += timedelta(days=1)  # a window wrapping midnight ends tomorrow
    return _at(end_day, quiet.end, tz)


def next_digest_time(now: datetime, mode: DigestMode, time_zone: str, hour: int) -> datetime:
    """When the digest holding something created at ``now`` goes out.

    Daily: the next ``hour``:00 local time. Weekly: the next Monday at ``hour``:00.
    """
    tz = zone(time_zone)
    local = now.astimezone(tz)
    candidate = _at(local.date(), time(hour), tz)
    if candidate <= now:
        candidate = _at(local.date() + timedelta(days=1), time(hour), tz)
    if mode is DigestMode.WEEKLY:
        while candidate.astimezone(tz).isoweekday() != 1:
            candidate = _at(candidate.astimezone(tz).date() + timedelta(days=1), time(hour), tz)
    return candidate


def digest_period_key(send_at: datetime, mode: DigestMode) -> str:
    """Names one digest: every held email due at the same send time goes in it."""
    return f"{mode.value}:{send_at.strftime('%Y%m%dT%H%M')}"


def next_nudge_time(
    after: datetime, cadence: NudgeCadence, time_zone: str, hour: int, weekday: int
) -> datetime | None:
    """The next nudge strictly after ``after`` at the person's local hour (and weekday)."""
    if cadence is NudgeCadence.OFF:
        return None
    tz = zone(time_zone)
    day = after.astimezone(tz).date()
    for offset in range(15):
        candidate = _at(day + timedelta(days=offset), time(hour), tz)
        if candidate <= after:
            continue
        if cadence is NudgeCadence.WEEKLY and candidate.astimezone(tz).isoweekday() != weekday:
            continue
        return candidate
    raise AssertionError("a weekday recurs within 15 days")  # pragma: no cover


def reminder_delay(base: timedelta, reminders_sent: int, factor: float) -> timedelta:
    """Escalating spacing: base, base*factor, base*factor², … after the last activity."""
    return base * (factor**reminders_sent)


def retry_delay(attempt: int, base_seconds: float, max_seconds: float) -> timedelta:
    """Exponential backoff with jitter for the attempt after ``attempt`` failures."""
    ceiling = min(max_seconds, base_seconds * 2 ** max(0, attempt - 1))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311 - jitter


def _at(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)
