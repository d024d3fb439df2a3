"""Community vocabulary: targets, spaces, roles. Pure values, no I/O."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

# Namespace of the deterministic ids derived from natural keys (likes, reports).
ID_NAMESPACE: Final = uuid.UUID("6f1d0c61-6a43-4c55-9b8e-7c3f5bb1a9d2")


class TargetKind(enum.StrEnum):
    """What a comment, a like or a report points at (the events' ``TargetType``)."""

    KNOWLEDGE = "knowledge"
    PATH = "path"
    QUESTION = "question"
    ANSWER = "answer"
    COMMENT = "comment"
    SPACE = "space"


CATALOG_KINDS: Final = frozenset({TargetKind.KNOWLEDGE, TargetKind.PATH})
"""Targets the catalog owns; community knows them from its projection of catalog events."""

MODERATED_KINDS: Final = frozenset({TargetKind.COMMENT, TargetKind.QUESTION, TargetKind.ANSWER})
"""Content people write here, which can be reported and hidden."""


class Visibility(enum.StrEnum):
    OPEN = "open"
    INVITE_ONLY = "invite_only"


class SpaceRole(enum.StrEnum):
    OWNER = "owner"
    MODERATOR = "moderator"
    MEMBER = "member"


class MembershipState(enum.StrEnum):
    INVITED = "invited"
    ACTIVE = "active"
    LEFT = "left"


MODERATING_ROLES: Final = frozenset({SpaceRole.OWNER, SpaceRole.MODERATOR})


@dataclass(frozen=True)
class TargetInfo:
    """A target resolved for the caller's tenant: who owns it and which space holds it."""

    kind: TargetKind
    target_id: str
    owner_id: str | None
    space_id: str | None
    hidden: bool = False
    closed_state: str | None = None
    """Why nobody may add to it (``archived``, ``deleted``), or None when it is open."""


def derived_id(*parts: str) -> str:
    """A stable id for a natural key (the same key always gives the same id)."""
    return str(uuid.uuid5(ID_NAMESPACE, "\x1f".join(parts)))


def new_id() -> str:
    """A fresh opaque id."""
    return uuid.uuid4().hex


def now_ms() -> datetime:
    """The current UTC time at millisecond precision (what BSON dates hold)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
