"""A badge award as stored and read back (its credential is built by ``open_badges``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Award:
    """A learner's award of a badge, and its revocation if any."""

    award_id: str
    badge_id: str
    badge_name: str
    learner_id: str
    image_url: str
    skill_ids: tuple[str, ...]
    awarded_at: dt.datetime
    revoked: bool = False
    revocation_reason: str = ""
    revoked_at: dt.datetime | None = None
