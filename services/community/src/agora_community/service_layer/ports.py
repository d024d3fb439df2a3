"""What the use cases need from storage: one repository per aggregate, bundled in a
unit of work (one transaction whose events are published if, and only if, it commits).

``adapters.postgres`` implements them on PostgreSQL; the unit tests in memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

from agora_community.domain.model import (
    Answer,
    CatalogTarget,
    Comment,
    Expert,
    Like,
    Membership,
    ModeratedContent,
    Question,
    Report,
    Space,
    SpaceRole,
    TargetKind,
)
from agora_community.domain.people import Person
from agora_community.domain.rules import PopularityState
from agora_core.idempotency import RequestIds
from agora_core.messaging.events import OutgoingEvent

TimeKey = tuple[datetime, str]
"""A keyset position: the last row's time and id."""


class SpaceRepository(Protocol):
    async def add(self, space: Space) -> bool:
        """Store a new space; False when its folded name is taken in the tenant."""
        ...

    async def get(self, space_id: str) -> Space | None: ...

    async def with_membership(
        self, space_id: str, user_id: str
    ) -> tuple[Space | None, Membership | None]:
        """The space and the person's membership of it (any state), in one read."""
        ...

    async def rename(
        self, space_id: str, *, name: str | None, description: str | None, visibility: str | None
    ) -> bool:
        """Change the given fields; False when the new name is taken."""
        ...

    async def count_members(self, space_id: str, delta: int) -> None:
        """Add ``delta`` to the member count (in the transaction that changed members)."""
        ...

    async def discover(
        self, user_id: str, name_prefix: str, after: tuple[str, str] | None, limit: int
    ) -> list[Space]:
        """Spaces ``user_id`` is not an active member of, by folded name."""
        ...

    async def get_many(self, space_ids: Sequence[str]) -> list[Space]: ...


class MembershipRepository(Protocol):
    async def get(self, space_id: str, user_id: str) -> Membership | None: ...

    async def activate(self, membership: Membership) -> bool:
        """Make the membership active; True when this call changed it (not already active)."""
        ...

    async def leave(self, space_id: str, user_id: str, at: datetime) -> bool:
        """Active → left; True when this call changed it."""
        ...

    async def invite(self, space_id: str, user_id: str, invited_by: str) -> None:
        """Invited, unless active or already invited."""
        ...

    async def set_role(self, space_id: str, user_id: str, role: SpaceRole) -> None: ...

    async def count_owners(self, space_id: str) -> int: ...

    async def of_person(self, user_id: str, after: TimeKey | None, limit: int) -> list[Membership]:
        """Active memberships, newest first."""
        ...

    async def of_space(self, space_id: str, after: TimeKey | None, limit: int) -> list[Membership]:
        """Active members, earliest first."""
        ...


class TargetRepository(Protocol):
    async def get(self, kind: TargetKind, target_id: str) -> CatalogTarget | None: ...

    async def put(self, target: CatalogTarget) -> None:
        """Insert or replace the projection of a published catalog target."""
        ...

    async def archive(self, kind: TargetKind, target_id: str) -> None: ...


class CommentRepository(Protocol):
    async def add(self, comment: Comment) -> None: ...

    async def get(self, comment_id: str, *, with_revisions: bool = False) -> Comment | None: ...

    async def replace_body(
        self, comment_id: str, expected_body: str, body: str, at: datetime, *, delete: bool
    ) -> Comment | None:
        """Keep the old text as a revision and set ``body`` (a tombstone when ``delete``);
        None when the comment is no longer live with ``expected_body``."""
        ...

    async def thread(
        self,
        kind: TargetKind,
        target_id: str,
        *,
        with_hidden: bool,
        after: TimeKey | None,
        limit: int,
    ) -> list[Comment]: ...


class LikeRepository(Protocol):
    async def activate(self, like: Like) -> bool:
        """The person likes the target; True when this call changed the state."""
        ...

    async def deactivate(
        self, kind: TargetKind, target_id: str, user_id: str, at: datetime
    ) -> Like | None:
        """Withdraw the like; the like as it was when this call changed it, else None."""
        ...

    async def liked(
        self, user_id: str, targets: Sequence[tuple[TargetKind, str]]
    ) -> set[tuple[TargetKind, str]]: ...


class PopularityRepository(Protocol):
    async def add_participants(
        self, engagements: Sequence[tuple[str, str, str]]
    ) -> set[tuple[str, str, str]]:
        """Record (kind, target, person) engagements; those that were the first ones."""
        ...

    async def lock_many(
        self, targets: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], PopularityState]:
        """The targets' states, locked until the transaction ends (zero when absent)."""
        ...

    async def save_many(
        self, states: Sequence[tuple[str, str, PopularityState, float | None]]
    ) -> None:
        """Write (kind, target, state, rank) of each target."""
        ...

    async def get_many(
        self, targets: Sequence[tuple[TargetKind, str]]
    ) -> dict[tuple[TargetKind, str], tuple[PopularityState, float | None]]: ...

    async def trending(
        self, kind: TargetKind | None, limit: int
    ) -> list[tuple[TargetKind, str, PopularityState, float]]:
        """The highest ranks first (rank: ``domain.rules.trending_rank``)."""
        ...


class QuestionRepository(Protocol):
    async def add(self, question: Question) -> None: ...

    async def get(self, question_id: str) -> Question | None: ...

    async def count_answer(self, question_id: str) -> None: ...

    async def accept(self, question_id: str, answer_id: str, at: datetime) -> Question | None:
        """Record the accepted answer; None when one was already accepted."""
        ...

    async def unanswered(
        self,
        *,
        skill_id: str | None,
        space_id: str | None,
        after: TimeKey | None,
        limit: int,
    ) -> list[Question]: ...

    async def of_asker(
        self, asker_id: str, *, before: TimeKey | None, limit: int
    ) -> list[Question]:
        """The asker's questions (hidden ones too), newest first, older than ``before``."""
        ...


class PeopleDirectory(Protocol):
    async def put(self, person: Person, at: datetime) -> None: ...

    async def erased(self, person_ids: Sequence[str]) -> set[str]: ...

    async def search(
        self, prefix: str, *, after: tuple[str, str] | None, limit: int
    ) -> list[tuple[str, Person]]:
        """(name key, person) rows whose key starts with ``prefix``, by key then id."""
        ...


class AnswerRepository(Protocol):
    async def add(self, answer: Answer) -> None: ...

    async def get(self, answer_id: str) -> Answer | None: ...

    async def of_question(
        self, question_id: str, *, with_hidden: bool, limit: int
    ) -> list[Answer]: ...

    async def upvote(self, answer_id: str, user_id: str, at: datetime) -> tuple[Answer, bool]:
        """Count the person's vote once; the answer after, and whether this call counted."""
        ...


class ExpertRepository(Protocol):
    async def record(
        self, user_id: str, skill_ids: Sequence[str], counter: str, weight: float, evidence: str
    ) -> int:
        """Count ``evidence`` once per skill; how many skills it was new in."""
        ...

    async def by_skill(
        self, skill_id: str, after: tuple[float, str] | None, limit: int
    ) -> list[Expert]: ...


class ReportRepository(Protocol):
    async def add(self, report: Report) -> bool:
        """False when the reporter already reported this content."""
        ...

    async def open_queue(
        self, space_id: str | None, after: TimeKey | None, limit: int
    ) -> list[Report]: ...

    async def resolve_open(
        self, kind: TargetKind, content_id: str, by: str, at: datetime
    ) -> int: ...


class ContentRepository(Protocol):
    """Comments, questions and answers as moderation sees them."""

    async def get(self, kind: TargetKind, content_id: str) -> ModeratedContent | None: ...

    async def set_hidden(
        self, kind: TargetKind, content_id: str, hidden: bool, by: str, at: datetime
    ) -> bool:
        """True when this call flipped the flag of live content."""
        ...


class RateLimitRepository(Protocol):
    async def spend(
        self, action: str, user_id: str, window_start: datetime, expires_at: datetime
    ) -> int:
        """Count one action in the window starting at ``window_start``; the count after."""
        ...

    async def purge_expired(self, before: datetime) -> int: ...


class ErasureRecords(Protocol):
    async def add(
        self,
        erasure_id: str,
        *,
        person_digest: str,
        requested_by: str,
        reason: str,
        at: datetime,
    ) -> tuple[str, str, datetime] | None:
        """Store a new record, or note a repeat; None when new, else the first request's
        (requested_by, reason, requested_at)."""
        ...


class UnitOfWork(Protocol):
    """One transaction of one tenant and every repository bound to it."""

    @property
    def tenant_id(self) -> str: ...

    @property
    def spaces(self) -> SpaceRepository: ...

    @property
    def memberships(self) -> MembershipRepository: ...

    @property
    def targets(self) -> TargetRepository: ...

    @property
    def comments(self) -> CommentRepository: ...

    @property
    def likes(self) -> LikeRepository: ...

    @property
    def popularity(self) -> PopularityRepository: ...

    @property
    def questions(self) -> QuestionRepository: ...

    @property
    def answers(self) -> AnswerRepository: ...

    @property
    def people(self) -> PeopleDirectory: ...

    @property
    def experts(self) -> ExpertRepository: ...

    @property
    def reports(self) -> ReportRepository: ...

    @property
    def content(self) -> ContentRepository: ...

    @property
    def rate_limits(self) -> RateLimitRepository: ...

    @property
    def erasures(self) -> ErasureRecords: ...

    @property
    def request_ids(self) -> RequestIds: ...

    def add_events(self, events: Sequence[OutgoingEvent]) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(
        self, tenant_id: str, *, pipelined: bool = False
    ) -> AbstractAsyncContextManager[UnitOfWork]:
        """One transaction of ``tenant_id``. ``pipelined``: a short hot path whose every
        statement's result is read (a like): the transaction's opening and its outbox
        rows ride with its statements instead of costing round trips of their own."""
        ...
