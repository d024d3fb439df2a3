"""Spaces and memberships."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from psycopg import errors

from agora_community.adapters.postgres.tenant_scoped import Row, TenantScoped
from agora_community.domain.model import (
    Membership,
    MembershipState,
    Space,
    SpaceRole,
    Visibility,
)
from agora_core.text import fold

_SPACE: Final = (
    "space_id, name, name_folded, description, visibility, topic, created_by, create_time,"
    " member_count"
)
_MEMBER: Final = "space_id, user_id, role, state, invited_by, joined_at"


DISCOVER: Final = (
    f"SELECT {_SPACE} FROM spaces s WHERE s.tenant_id = %s"
    ' AND s.name_folded COLLATE "C" LIKE %s'
    ' AND (s.name_folded COLLATE "C", s.space_id) > (%s, %s)'
    " AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.tenant_id = s.tenant_id"
    "   AND m.space_id = s.space_id AND m.user_id = %s AND m.state = 'active')"
    ' ORDER BY s.name_folded COLLATE "C", s.space_id LIMIT %s'
)
"""DiscoverSpaces by folded name prefix (index ``spaces_by_name``)."""
MY_SPACES: Final = (
    f"SELECT {_MEMBER} FROM memberships WHERE tenant_id = %s AND user_id = %s"
    " AND state = 'active' ORDER BY joined_at DESC, space_id LIMIT %s"
)
"""ListMySpaces, newest first (index ``memberships_of_person``)."""
MY_SPACES_AFTER: Final = (
    f"SELECT {_MEMBER} FROM memberships WHERE tenant_id = %s AND user_id = %s"
    " AND state = 'active' AND (joined_at < %s OR (joined_at = %s AND space_id > %s))"
    " ORDER BY joined_at DESC, space_id LIMIT %s"
)
MEMBERS: Final = (
    f"SELECT {_MEMBER} FROM memberships WHERE tenant_id = %s AND space_id = %s"
    " AND state = 'active' ORDER BY joined_at, user_id LIMIT %s"
)
"""ListMembers, earliest first (index ``memberships_of_space``)."""
MEMBERS_AFTER: Final = (
    f"SELECT {_MEMBER} FROM memberships WHERE tenant_id = %s AND space_id = %s"
    " AND state = 'active' AND (joined_at, user_id) > (%s, %s)"
    " ORDER BY joined_at, user_id LIMIT %s"
)


def _space(row: Row) -> Space:
    return Space(
        space_id=row[0],
        name=row[1],
        name_folded=row[2],
        description=row[3],
        visibility=Visibility(row[4]),
        topic=row[5],
        created_by=row[6],
        create_time=row[7],
        member_count=row[8],
    )


def _member(row: Row) -> Membership:
    return Membership(
        space_id=row[0],
        user_id=row[1],
        role=SpaceRole(row[2]),
        state=MembershipState(row[3]),
        invited_by=row[4],
        joined_at=row[5],
    )


def _prefixed(alias: str, columns: str) -> str:
    return ", ".join(f"{alias}.{column.strip()}" for column in columns.split(","))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class PostgresSpaceRepository(TenantScoped):
    async def add(self, space: Space) -> bool:
        row = await self._one(
            "INSERT INTO spaces (tenant_id, space_id, name, name_folded, description,"
            " visibility, topic, created_by, create_time)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (tenant_id, name_folded) DO NOTHING RETURNING 1",
            (
                self._tenant,
                space.space_id,
                space.name,
                space.name_folded,
                space.description,
                space.visibility.value,
                space.topic,
                space.created_by,
                space.create_time,
            ),
        )
        return row is not None

    async def get(self, space_id: str) -> Space | None:
        row = await self._one(
            f"SELECT {_SPACE} FROM spaces WHERE tenant_id = %s AND space_id = %s",
            (self._tenant, space_id),
        )
        return _space(row) if row else None

    async def with_membership(
        self, space_id: str, user_id: str
    ) -> tuple[Space | None, Membership | None]:
        # Two primary-key lookups in one round trip; each side may be missing alone.
        row = await self._one(
            f"SELECT {_prefixed('s', _SPACE)}, {_prefixed('m', _MEMBER)} FROM (SELECT 1) AS one"
            " LEFT JOIN spaces s ON s.tenant_id = %s AND s.space_id = %s"
            " LEFT JOIN memberships m"
            " ON m.tenant_id = %s AND m.space_id = %s AND m.user_id = %s",
            (self._tenant, space_id, self._tenant, space_id, user_id),
        )
        assert row is not None  # (SELECT 1) always yields one row
        split = len(_SPACE.split(","))
        space, member = row[:split], row[split:]
        return (
            _space(space) if space[0] is not None else None,
            _member(member) if member[0] is not None else None,
        )

    async def get_many(self, space_ids: Sequence[str]) -> list[Space]:
        rows = await self._all(
            f"SELECT {_SPACE} FROM spaces WHERE tenant_id = %s AND space_id = ANY(%b::text[])",
            (self._tenant, list(space_ids)),
        )
        return [_space(row) for row in rows]

    async def rename(
        self, space_id: str, *, name: str | None, description: str | None, visibility: str | None
    ) -> bool:
        try:
            async with self._connection.transaction():  # a savepoint: a clash leaves the rest
                await self._run(
                    "UPDATE spaces SET name = coalesce(%s, name),"
                    " name_folded = coalesce(%s, name_folded),"
                    " description = coalesce(%s, description),"
                    " visibility = coalesce(%s, visibility)"
                    " WHERE tenant_id = %s AND space_id = %s",
                    (
                        name,
                        fold(name) if name else None,
                        description,
                        visibility,
                        self._tenant,
                        space_id,
                    ),
                )
        except errors.UniqueViolation:
            return False
        return True

    async def count_members(self, space_id: str, delta: int) -> None:
        await self._run(
            "UPDATE spaces SET member_count = greatest(member_count + %s, 0)"
            " WHERE tenant_id = %s AND space_id = %s",
            (delta, self._tenant, space_id),
        )

    async def discover(
        self, user_id: str, name_prefix: str, after: tuple[str, str] | None, limit: int
    ) -> list[Space]:
        after_name, after_id = after if after is not None else ("", "")
        rows = await self._all(
            DISCOVER,
            (self._tenant, _escape_like(name_prefix) + "%", after_name, after_id, user_id, limit),
        )
        return [_space(row) for row in rows]


class PostgresMembershipRepository(TenantScoped):
    async def get(self, space_id: str, user_id: str) -> Membership | None:
        row = await self._one(
            f"SELECT {_MEMBER} FROM memberships"
            " WHERE tenant_id = %s AND space_id = %s AND user_id = %s",
            (self._tenant, space_id, user_id),
        )
        return _member(row) if row else None

    async def activate(self, membership: Membership) -> bool:
        # The conflict update only touches a row that is not active yet, so of two
        # concurrent joins exactly one returns a row.
        row = await self._one(
            "INSERT INTO memberships AS m (tenant_id, space_id, user_id, role, state,"
            " invited_by, joined_at) VALUES (%s, %s, %s, %s, 'active', %s, %s)"
            " ON CONFLICT (tenant_id, space_id, user_id) DO UPDATE SET role = EXCLUDED.role,"
            " state = 'active', invited_by = EXCLUDED.invited_by,"
            " joined_at = EXCLUDED.joined_at, left_at = NULL"
            " WHERE m.state <> 'active' RETURNING 1",
            (
                self._tenant,
                membership.space_id,
                membership.user_id,
                membership.role.value,
                membership.invited_by,
                membership.joined_at,
            ),
        )
        return row is not None

    async def leave(self, space_id: str, user_id: str, at: datetime) -> bool:
        changed = await self._run(
            "UPDATE memberships SET state = 'left', left_at = %s"
            " WHERE tenant_id = %s AND space_id = %s AND user_id = %s AND state = 'active'",
            (at, self._tenant, space_id, user_id),
        )
        return changed > 0

    async def invite(self, space_id: str, user_id: str, invited_by: str) -> None:
        await self._run(
            "INSERT INTO memberships AS m (tenant_id, space_id, user_id, role, state, invited_by)"
            " VALUES (%s, %s, %s, 'member', 'invited', %s)"
            " ON CONFLICT (tenant_id, space_id, user_id) DO UPDATE"
            " SET state = 'invited', invited_by = EXCLUDED.invited_by WHERE m.state = 'left'",
            (self._tenant, space_id, user_id, invited_by),
        )

    async def set_role(self, space_id: str, user_id: str, role: SpaceRole) -> None:
        await self._run(
            "UPDATE memberships SET role = %s"
            " WHERE tenant_id = %s AND space_id = %s AND user_id = %s",
            (role.value, self._tenant, space_id, user_id),
        )

    async def count_owners(self, space_id: str) -> int:
        row = await self._one(
            "SELECT count(*) FROM memberships WHERE tenant_id = %s AND space_id = %s"
            " AND state = 'active' AND role = 'owner'",
            (self._tenant, space_id),
        )
        return int(row[0]) if row else 0

    async def of_person(
        self, user_id: str, after: tuple[datetime, str] | None, limit: int
    ) -> list[Membership]:
        if after is None:
            rows = await self._all(MY_SPACES, (self._tenant, user_id, limit))
        else:
            rows = await self._all(
                MY_SPACES_AFTER, (self._tenant, user_id, after[0], after[0], after[1], limit)
            )
        return [_member(row) for row in rows]

    async def of_space(
        self, space_id: str, after: tuple[datetime, str] | None, limit: int
    ) -> list[Membership]:
        if after is None:
            rows = await self._all(MEMBERS, (self._tenant, space_id, limit))
        else:
            rows = await self._all(
                MEMBERS_AFTER, (self._tenant, space_id, after[0], after[1], limit)
            )
        return [_member(row) for row in rows]
