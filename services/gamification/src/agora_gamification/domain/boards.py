"""Leaderboards: the one definition of a board's key, and what a board holds (pure).

A board is the tenant's, a space's or a team's; it has one entry per (period, learner)
with the learner's points in that period. Order and tie rule: more points first; equal
points → whoever reached them first; then learner id. Opted-out learners keep their
entries (team totals count them) but are not public, so no people board shows them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

from agora_gamification.domain.settings import TenantSettings

TENANT_BOARD: Final = "tenant"
SPACE_PREFIX: Final = "space:"
TEAM_PREFIX: Final = "team:"

BoardScope = Literal["tenant", "space", "team"]


def board_key(scope: BoardScope, scope_id: str = "") -> str:
    """The key of a board: ``tenant``, ``space:<id>`` or ``team:<id>``."""
    if scope == "tenant":
        return TENANT_BOARD
    if not scope_id:
        raise ValueError(f"a {scope} board needs its id")
    return (SPACE_PREFIX if scope == "space" else TEAM_PREFIX) + scope_id


def boards_of(spaces: Iterable[str], teams: Iterable[str]) -> list[str]:
    """Every board a learner appears on: the tenant's, their spaces' and teams'."""
    return [
        TENANT_BOARD,
        *(board_key("space", s) for s in sorted(spaces)),
        *(board_key("team", t) for t in sorted(teams)),
    ]


@dataclass(frozen=True)
class BoardScore:
    """One learner's points on one board and period (``public``: shown to others)."""

    board: str
    period: str
    learner_id: str
    points: int
    reached_at: dt.datetime
    public: bool


@dataclass(frozen=True)
class Placement:
    """Where a public entry sits in board order (the tie rule's keys)."""

    learner_id: str
    points: int
    reached_at: dt.datetime


@dataclass(frozen=True)
class BoardRead:
    """What a leaderboard call reads: the board's size, its top ``top_n`` (none when 0),
    the caller's entry and rank, and up to ``neighbours`` entries on each side of it;
    ``team_id`` (team boards) asks whether the team exists."""

    board: str
    period: str
    learner_id: str
    top_n: int
    neighbours: int
    team_id: str = ""


@dataclass(frozen=True)
class BoardSnapshot:
    """A board as one read found it, with the tenant's settings of that moment.

    ``team_exists`` is false only for a team board whose team is missing; ``rank`` is 0
    and ``above``/``below`` are empty unless the caller has a public entry; neighbours
    are listed nearest first."""

    settings: TenantSettings
    team_exists: bool
    ranked_count: int
    top: list[Placement]
    mine: BoardScore | None
    rank: int
    above: list[Placement]
    below: list[Placement]


@dataclass(frozen=True)
class Team:
    """An admin-defined team (its members' points add up on the teams board)."""

    team_id: str
    name: str
    member_ids: tuple[str, ...]
