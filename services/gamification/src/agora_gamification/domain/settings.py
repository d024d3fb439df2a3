"""Tenant settings (time zone, privacy, levels, streak grace, ledger retention), levels
and periods."""

from __future__ import annotations

import datetime as dt
from typing import Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

PrivacyMode = Literal["public", "neighbours_only", "anonymous"]


class LevelThreshold(BaseModel):
    """Level ``level`` starts at ``min_points``."""

    model_config = ConfigDict(frozen=True)

    level: int = Field(ge=1, le=100)
    name: str = Field(min_length=1, max_length=100)
    min_points: int = Field(ge=0)


DEFAULT_LEVELS: Final = (
    LevelThreshold(level=1, name="Newcomer", min_points=0),
    LevelThreshold(level=2, name="Explorer", min_points=100),
    LevelThreshold(level=3, name="Practitioner", min_points=300),
    LevelThreshold(level=4, name="Expert", min_points=700),
    LevelThreshold(level=5, name="Master", min_points=1500),
)


def valid_time_zone(value: str) -> str:
    """An IANA zone name, or ValueError."""
    if value not in _ZONES:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone") from None
    return value


_ZONES: Final = available_timezones()

KEEP_FOREVER: Final = 0
MIN_RETENTION_DAYS: Final = 30
MAX_RETENTION_DAYS: Final = 3650


def valid_retention_days(days: int) -> int:
    """Ledger retention: 0 (keep every entry) or MIN…MAX days, or ValueError."""
    if days != KEEP_FOREVER and not MIN_RETENTION_DAYS <= days <= MAX_RETENTION_DAYS:
        raise ValueError(
            f"must be {KEEP_FOREVER} (keep forever) or {MIN_RETENTION_DAYS} to "
            f"{MAX_RETENTION_DAYS} days, not {days}"
        )
    return days


class TenantSettings(BaseModel):
    """What an admin may tune for the whole tenant."""

    model_config = ConfigDict(frozen=True)

    time_zone: str = Field(default="UTC", max_length=64)
    privacy_mode: PrivacyMode = "public"
    levels: tuple[LevelThreshold, ...] = Field(default=DEFAULT_LEVELS, min_length=1, max_length=50)
    streak_grace_days: int = Field(default=1, ge=0, le=7)
    ledger_retention_days: int = KEEP_FOREVER
    """Ledger entries older than this many days are carried into one entry per learner
    (``domain/retention.py``); 0 keeps every entry."""

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return valid_time_zone(value)

    @field_validator("ledger_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        return valid_retention_days(value)

    @model_validator(mode="after")
    def _levels_ascending(self) -> TenantSettings:
        if self.levels[0].min_points != 0 or self.levels[0].level != 1:
            raise ValueError("levels: the first level must be level 1 at 0 points")
        for before, after in zip(self.levels, self.levels[1:], strict=False):
            if after.level != before.level + 1 or after.min_points <= before.min_points:
                raise ValueError("levels: numbers must go up by one and thresholds strictly up")
        return self

    def level_for(self, points: int) -> LevelThreshold:
        """The highest level whose threshold ``points`` reach."""
        reached = self.levels[0]
        for level in self.levels:
            if points >= level.min_points:
                reached = level
        return reached

    def next_level(self, points: int) -> LevelThreshold | None:
        """The first level above ``points``, if any."""
        return next((lv for lv in self.levels if lv.min_points > points), None)


def local_day(moment: dt.datetime, zone: str) -> dt.date:
    """The calendar day of ``moment`` in ``zone``."""
    return moment.astimezone(ZoneInfo(zone)).date()


ALL_TIME: Final = "all"


def week_key(day: dt.date) -> str:
    """ISO week of a local day, e.g. ``2026-W48`` (weeks start on Monday)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def month_key(day: dt.date) -> str:
    """Month of a local day, e.g. ``2026-11``."""
    return f"{day.year}-{day.month:02d}"


def period_keys(moment: dt.datetime, zone: str) -> tuple[str, str, str]:
    """All-time, week and month keys of ``moment`` in the tenant's time zone."""
    day = local_day(moment, zone)
    return ALL_TIME, week_key(day), month_key(day)


class PersonSettings(BaseModel):
    """One person's own settings: time zone (empty: the tenant's) and leaderboard opt-out."""

    model_config = ConfigDict(frozen=True)

    time_zone: str = ""
    leaderboard_opt_out: bool = False
