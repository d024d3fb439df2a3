"""The cursors of community's lists (inside their opaque page tokens)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from agora_core.pagination import PageCursor, decode_page_token


class TimeCursor(PageCursor):
    """After this (time, id) in the list's order."""

    after_time: dt.datetime
    after_id: str = Field(min_length=1, max_length=256)


class NameCursor(PageCursor):
    after_name: str = Field(max_length=400)
    after_id: str = Field(min_length=1, max_length=256)


class ScoreCursor(PageCursor):
    after_score: float
    after_id: str = Field(min_length=1, max_length=256)


def after_time(token: str) -> tuple[dt.datetime, str] | None:
    """The (time, id) position of a :class:`TimeCursor` token; None for the first page."""
    cursor = decode_page_token(token, TimeCursor)
    return (cursor.after_time, cursor.after_id) if cursor else None


def time_cursor(moment: dt.datetime | None, row_id: str) -> TimeCursor:
    """The cursor after a row (rows of time-ordered lists always have their time)."""
    assert moment is not None, "a time-ordered row without its time"
    return TimeCursor(after_time=moment, after_id=row_id)
