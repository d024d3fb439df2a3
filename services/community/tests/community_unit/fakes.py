"""In-memory fakes of the service layer's ports (``service_layer.ports``), part one:
the tables of one tenant and the space, membership, target and comment repositories
(``fakes_engagement`` has the rest and the unit of work)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from agora_community.domain.model import (
    Answer,
    CatalogTarget,
    Comment,
    CommentRevision,
    Like,
    Membership,
    MembershipState,
    Question,
    Report,
    Space,
    SpaceRole,
    TargetKind,
    Visibility,
)
from agora_community.domain.people import Person
from agora_community.domain.rules import PopularityState
from agora_core.text import fold

TimeKey = tuple[datetime, str]


@dataclass
class Tables:
    """One tenant's rows."""

    spaces: dict[str, Space] = field(default_factory=dict)
    memberships: dict[tuple[str, str], Membership] = field(default_factory=dict)
    targets: dict[tuple[TargetKind, str], CatalogTarget] = field(default_factory=dict)
    comments: dict[str, Comment] = field(default_factory=dict)
    likes: dict[tuple[TargetKind, str, str], Like] = field(default_factory=dict)
    popularity: dict[tuple[str, str], tuple[PopularityState, float | None]] = field(
        default_factory=dict
    )
    participants: set[tuple[str, str, str]] = field(default_factory=set)
    questions: dict[str, Question] = field(default_factory=dict)
    answers: dict[str, Answer] = field(default_factory=dict)
    votes: set[tuple[str, str]] = field(default_factory=set)
    experts: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)
    evidence: set[tuple[str, str, str]] = field(default_factory=set)
    reports: dict[str, Report] = field(default_factory=dict)
    rate_windows: dict[tuple[str, str], tuple[datetime, datetime, int]] = field(
        default_factory=dict
    )
    erasures: dict[str, tuple[str, str, datetime]] = field(default_factory=dict)
    request_ids: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    erased_people: set[str] = field(default_factory=set)


class _Repo:
    def __init__(self, tables: Tables) -> None:
        self.t = tables


class FakeSpaces(_Repo):
    async def add(self, space: Space) -> bool:
        if any(s.name_folded == space.name_folded for s in self.t.spaces.values()):
            return False
        self.t.spaces[space.space_id] = space
        return True

    async def get(self, space_id: str) -> Space | None:
        return self.t.spaces.get(space_id)

    async def with_membership(
        self, space_id: str, user_id: str
    ) -> tuple[Space | None, Membership | None]:
        return self.t.spaces.get(space_id), self.t.memberships.get((space_id, user_id))

    async def get_many(self, space_ids: Sequence[str]) -> list[Space]:
        return [self.t.spaces[i] for i in space_ids if i in self.t.spaces]

    async def rename(
        self, space_id: str, *, name: str | None, description: str | None, visibility: str | None
    ) -> bool:
        space = self.t.spaces[space_id]
        if name and any(
            s.name_folded == fold(name) and s.space_id != space_id for s in self.t.spaces.values()
        ):
            return False
        self.t.spaces[space_id] = replace(
            space,
            name=name or space.name,
            name_folded=fold(name) if name else space.name_folded,
            description=space.description if description is None else description,
            visibility=Visibility(visibility) if visibility else space.visibility,
        )
        return True

    async def count_members(self, space_id: str, delta: int) -> None:
        space = self.t.spaces[space_id]
        self.t.spaces[space_id] = replace(space, member_count=max(0, space.member_count + delta))

    async def discover(
        self, user_id: str, name_prefix: str, after: tuple[str, str] | None, limit: int
    ) -> list[Space]:
        mine = {s for (s, u), m in self.t.memberships.items() if u == user_id and m.active}
        found = sorted(
            (
                s
                for s in self.t.spaces.values()
                if s.space_id not in mine
                and s.name_folded.startswith(name_prefix)
                and (after is None or (s.name_folded, s.space_id) > after)
            ),
            key=lambda s: (s.name_folded, s.space_id),
        )
        return found[:limit]


class FakeMemberships(_Repo):
    async def get(self, space_id: str, user_id: str) -> Membership | None:
        return self.t.memberships.get((space_id, user_id))

    async def activate(self, membership: Membership) -> bool:
        current = self.t.memberships.get((membership.space_id, membership.user_id))
        if current is not None and current.active:
            return False
        self.t.memberships[(membership.space_id, membership.user_id)] = membership
        return True

    async def leave(self, space_id: str, user_id: str, at: datetime) -> bool:
        current = self.t.memberships.get((space_id, user_id))
        if current is None or not current.active:
            return False
        self.t.memberships[(space_id, user_id)] = replace(current, state=MembershipState.LEFT)
        return True

    async def invite(self, space_id: str, user_id: str, invited_by: str) -> None:
        current = self.t.memberships.get((space_id, user_id))
        if current is None or current.state is MembershipState.LEFT:
            self.t.memberships[(space_id, user_id)] = Membership(
                space_id, user_id, SpaceRole.MEMBER, MembershipState.INVITED, invited_by
            )

    async def set_role(self, space_id: str, user_id: str, role: SpaceRole) -> None:
        current = self.t.memberships[(space_id, user_id)]
        self.t.memberships[(space_id, user_id)] = replace(current, role=role)

    async def count_owners(self, space_id: str) -> int:
        return sum(
            1
            for (s, _), m in self.t.memberships.items()
            if s == space_id and m.active and m.role is SpaceRole.OWNER
        )

    async def of_person(self, user_id: str, after: TimeKey | None, limit: int) -> list[Membership]:
        found = [m for (_, u), m in self.t.memberships.items() if u == user_id and m.active]
        found.sort(key=lambda m: (-(m.joined_at or datetime.min).timestamp(), m.space_id))
        return found[:limit]

    async def of_space(self, space_id: str, after: TimeKey | None, limit: int) -> list[Membership]:
        found = [m for (s, _), m in self.t.memberships.items() if s == space_id and m.active]
        found.sort(key=lambda m: (m.joined_at, m.user_id))
        return [m for m in found if after is None or (m.joined_at, m.user_id) > after][:limit]


class FakeTargets(_Repo):
    async def get(self, kind: TargetKind, target_id: str) -> CatalogTarget | None:
        return self.t.targets.get((kind, target_id))

    async def put(self, target: CatalogTarget) -> None:
        self.t.targets[(target.kind, target.target_id)] = target

    async def archive(self, kind: TargetKind, target_id: str) -> None:
        known = self.t.targets.get((kind, target_id))
        blank = CatalogTarget(kind, target_id, None, None, "", (), False, None)
        self.t.targets[(kind, target_id)] = replace(known or blank, archived=True)


class FakeComments(_Repo):
    async def add(self, comment: Comment) -> None:
        self.t.comments[comment.comment_id] = comment

    async def get(self, comment_id: str, *, with_revisions: bool = False) -> Comment | None:
        return self.t.comments.get(comment_id)

    async def replace_body(
        self, comment_id: str, expected_body: str, body: str, at: datetime, *, delete: bool
    ) -> Comment | None:
        current = self.t.comments.get(comment_id)
        if current is None or current.body != expected_body or current.deleted or current.hidden:
            return None
        updated = replace(
            current,
            body=body,
            update_time=at,
            deleted=delete,
            mentioned_user_ids=() if delete else current.mentioned_user_ids,
            revision_count=current.revision_count + 1,
            revisions=(*current.revisions, CommentRevision(expected_body, at)),
        )
        self.t.comments[comment_id] = updated
        return updated

    async def thread(
        self,
        kind: TargetKind,
        target_id: str,
        *,
        with_hidden: bool,
        after: TimeKey | None,
        limit: int,
    ) -> list[Comment]:
        found = sorted(
            (
                c
                for c in self.t.comments.values()
                if c.kind is kind
                and c.target_id == target_id
                and (with_hidden or not c.hidden)
                and (after is None or (c.create_time, c.comment_id) > after)
            ),
            key=lambda c: (c.create_time, c.comment_id),
        )
        return [replace(c, revisions=()) for c in found[:limit]]
