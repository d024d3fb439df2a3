"""Time arithmetic: quiet hours end, digests, nudges, reminder spacing, retry backoff."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from agora_notifications.domain.model import DigestMode, NudgeCadence
from agora_notifications.domain.preferences import QuietHours
from agora_notifications.domain.schedule import (
    digest_period_key,
    next_digest_time,
    next_nudge_time,
    quiet_hours_end,
    reminder_delay,
    retry_delay,
)

pytestmark = pytest.mark.unit

PARIS = ZoneInfo("Europe/Paris")
NIGHT = QuietHours(time(22), time(7))


def paris(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS).astimezone(UTC)


def test_a_notification_during_quiet_hours_waits_for_their_end_in_local_time() -> None:
    assert quiet_hours_end(paris(2026, 11, 23, 23, 0), NIGHT, "Europe/Paris") == paris(
        2026, 11, 24, 7, 0
    )
    assert quiet_hours_end(paris(2026, 11, 24, 3, 0), NIGHT, "Europe/Paris") == paris(
        2026, 11, 24, 7, 0
    )
    assert quiet_hours_end(paris(2026, 11, 24, 8, 0), NIGHT, "Europe/Paris") is None
    assert quiet_hours_end(paris(2026, 11, 24, 3, 0), None, "Europe/Paris") is None


def test_quiet_hours_follow_the_persons_zone_not_utc() -> None:
    # 23:00 UTC is midnight in Paris (quiet) but 18:00 in New York (not quiet).
    at = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)
    assert quiet_hours_end(at, NIGHT, "Europe/Paris") is not None
    assert quiet_hours_end(at, NIGHT, "America/New_York") is None


def test_quiet_hours_across_a_daylight_saving_change() -> None:
    # Night of 28-29 March 2026: Paris moves from UTC+1 to UTC+2.
    end = quiet_hours_end(paris(2026, 3, 28, 23, 0), NIGHT, "Europe/Paris")
    assert end == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)


def test_daily_digest_goes_out_at_the_next_local_hour_and_weekly_on_monday() -> None:
    monday_evening = paris(2026, 11, 23, 20, 0)
    assert next_digest_time(monday_evening, DigestMode.DAILY, "Europe/Paris", 8) == paris(
        2026, 11, 24, 8, 0
    )
    assert next_digest_time(paris(2026, 11, 24, 7, 0), DigestMode.DAILY, "Europe/Paris", 8) == (
        paris(2026, 11, 24, 8, 0)
    )
    assert next_digest_time(monday_evening, DigestMode.WEEKLY, "Europe/Paris", 8) == paris(
        2026, 11, 30, 8, 0
    )


def test_digests_due_at_the_same_time_share_a_key() -> None:
    send_at = paris(2026, 11, 24, 8, 0)
    assert digest_period_key(send_at, DigestMode.DAILY) == digest_period_key(
        send_at, DigestMode.DAILY
    )
    assert digest_period_key(send_at, DigestMode.DAILY) != digest_period_key(
        send_at + timedelta(days=1), DigestMode.DAILY
    )


def test_nudges_daily_weekly_and_off() -> None:
    after = paris(2026, 11, 23, 9, 0)  # a Monday, exactly at the hour: strictly after
    assert next_nudge_time(after, NudgeCadence.DAILY, "Europe/Paris", 9, 1) == paris(
        2026, 11, 24, 9, 0
    )
    assert next_nudge_time(after, NudgeCadence.WEEKLY, "Europe/Paris", 9, 3) == paris(
        2026, 11, 25, 9, 0
    )
    assert next_nudge_time(after, NudgeCadence.WEEKLY, "Europe/Paris", 9, 1) == paris(
        2026, 11, 30, 9, 0
    )
    assert next_nudge_time(after, NudgeCadence.OFF, "Europe/Paris", 9, 1) is None


def test_reminders_are_spaced_further_each_time() -> None:
    base = timedelta(hours=72)
    assert [reminder_delay(base, n, 2.0) for n in range(3)] == [base, base * 2, base * 4]


def test_retry_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    for attempt, ceiling in ((1, 30), (2, 60), (3, 120), (10, 600)):
        delay = retry_delay(attempt, 30, 600).total_seconds()
        assert ceiling / 2 <= delay <= ceiling
