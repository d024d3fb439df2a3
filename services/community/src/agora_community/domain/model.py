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


class QuestionStatus(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    RESOLVED = "resolved"
    HIDDEN = "hidden"


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


@dataclass(frozen=True)
class Space:
    """A community of practice; ``member_count`` counts its active members."""

    space_id: str
    name: str
    name_folded: str
    description: str
    visibility: Visibility
    topic: str
    created_by: str
    create_time: datetime
    member_count: int = 0


@dataclass(frozen=True)
class Membership:
    """A person's place in a space (invited, active or left)."""

    space_id: str
    user_id: str
    role: SpaceRole
    state: MembershipState
    invited_by: str | None = None
    joined_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.state is MembershipState.ACTIVE


@dataclass(frozen=True)
class CatalogTarget:
    """A catalog knowledge item or path as community knows it from catalog events."""

    kind: TargetKind
    target_id: str
    owner_id: str | None
    space_id: str | None
    title: str
    skill_ids: tuple[str, ...]
    archived: bool
    published_at: datetime | None


@dataclass(frozen=True)
class CommentRevision:
    """A text a comment had before an edit (or before its deletion)."""

    body: str
    replaced_time: datetime


@dataclass(frozen=True)
class Comment:
    """A comment of a thread; ``revisions`` is only loaded where it is shown."""

    comment_id: str
    kind: TargetKind
    target_id: str
    parent_comment_id: str | None
    space_id: str | None
    author_id: str
    body: str
    mentioned_user_ids: tuple[str, ...]
    create_time: datetime
    update_time: datetime
    deleted: bool = False
    hidden: bool = False
    revision_count: int = 0
    revisions: tuple[CommentRevision, ...] = ()

    @property
    def edit_count(self) -> int:
        """Edits of the text (the deletion keeps the last text as a revision too)."""
        return self.revision_count - (1 if self.deleted else 0)


@dataclass(frozen=True)
class Like:
    """One person's like of one target (``active`` false once withdrawn)."""

    like_id: str
    kind: TargetKind
    target_id: str
    user_id: str
    owner_id: str | None
    space_id: str | None
    active: bool
    changed_at: datetime


@dataclass(frozen=True)
class Popularity:
    """A target's indicators; ``trending_score`` as seen at ``as_of``."""

    kind: TargetKind
    target_id: str
    likes: int
    comments: int
    participants: int
    trending_score: float
    as_of: datetime


@dataclass(frozen=True)
class Question:
    question_id: str
    asker_id: str
    title: str
    body: str
    skill_ids: tuple[str, ...]
    space_id: str | None
    item_id: str | None
    proposed_expert_ids: tuple[str, ...]
    create_time: datetime
    answer_count: int = 0
    accepted_answer_id: str | None = None
    hidden: bool = False

    @property
    def status(self) -> QuestionStatus:
        """Where the question stands for its asker (hidden first: it outranks the rest)."""
        if self.hidden:
            return QuestionStatus.HIDDEN
        if self.accepted_answer_id:
            return QuestionStatus.RESOLVED
        return QuestionStatus.ANSWERED if self.answer_count else QuestionStatus.OPEN


@dataclass(frozen=True)
class Answer:
    answer_id: str
    question_id: str
    space_id: str | None
    author_id: str
    body: str
    create_time: datetime
    upvotes: int = 0
    hidden: bool = False


@dataclass(frozen=True)
class Expert:
    """A person's standing in one skill of the expert directory."""

    skill_id: str
    user_id: str
    score: float
    validated_contributions: int
    accepted_answers: int
    completions: int
    quiz_passes: int


@dataclass(frozen=True)
class Report:
    report_id: str
    kind: TargetKind
    content_id: str
    reporter_id: str
    reason: str
    details: str
    space_id: str | None
    status: str
    create_time: datetime


@dataclass(frozen=True)
class ModeratedContent:
    """A comment, question or answer as moderation sees it."""

    kind: TargetKind
    content_id: str
    author_id: str
    space_id: str | None
    hidden: bool
    deleted: bool
