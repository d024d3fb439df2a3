"""The people directory: names and roles, and the name keys a prefix search reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from agora_community.adapters.postgres.tenant_scoped import Row, TenantScoped
from agora_community.domain.people import Person, name_keys
from agora_core.privacy.tombstones import person_digest


def search_sql(*, keyset: bool) -> str:
    """People whose name has a word starting with the prefix, by that key then id
    (params: tenant, prefix, its end, [key, id], limit): ``people_by_name_key`` in order,
    each person then read by its key."""
    after = ' AND (k.name_key COLLATE "C", k.person_id) > (%s, %s)' if keyset else ""
    return (
        "SELECT k.name_key, p.person_id, p.display_name, p.roles FROM people_name_keys k"
        " JOIN people p ON p.tenant_id = k.tenant_id AND p.person_id = k.person_id"
        ' WHERE k.tenant_id = %s AND k.name_key COLLATE "C" >= %s'
        f' AND k.name_key COLLATE "C" < %s{after}'
        ' ORDER BY k.name_key COLLATE "C", k.person_id LIMIT %s'
    )


_ERASED: Final = (
    "SELECT digest FROM erased_persons WHERE tenant_id = %s AND digest = ANY(%b::text[])"
)


# A prefix is a range of byte-ordered keys, [prefix, prefix + the last code point):
# comparisons, unlike LIKE, are leakproof, so row-level security lets the index use them.
_LAST_CHARACTER: Final = "\U0010ffff"


class PostgresPeopleDirectory(TenantScoped):
    async def put(self, person: Person, at: datetime) -> None:
        """Create or replace the person and their name keys."""
        await self._run(
            "INSERT INTO people (tenant_id, person_id, display_name, roles, update_time)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (tenant_id, person_id) DO UPDATE SET"
            " display_name = excluded.display_name, roles = excluded.roles,"
            " update_time = excluded.update_time",
            (self._tenant, person.person_id, person.display_name, list(person.roles), at),
        )
        await self._run(
            "DELETE FROM people_name_keys WHERE tenant_id = %s AND person_id = %s",
            (self._tenant, person.person_id),
        )
        await self._run(
            "INSERT INTO people_name_keys (tenant_id, name_key, person_id)"
            " SELECT %s, k, %s FROM unnest(%b::text[]) AS k",
            (self._tenant, person.person_id, name_keys(person.display_name)),
        )

    async def erased(self, person_ids: Sequence[str]) -> set[str]:
        """The ids among these of people erased in the tenant (their tombstones)."""
        digests = {person_digest(self._tenant, p): p for p in person_ids}
        rows = await self._all(_ERASED, (self._tenant, sorted(digests)))
        return {digests[row[0]] for row in rows}

    async def search(
        self, prefix: str, *, after: tuple[str, str] | None, limit: int
    ) -> list[tuple[str, Person]]:
        """(key, person) rows whose key starts with the folded ``prefix``."""
        end = prefix + _LAST_CHARACTER
        params: list[object] = [self._tenant, prefix, end, *(after or ()), limit]
        rows = await self._all(search_sql(keyset=after is not None), params)
        return [(row[0], _person(row)) for row in rows]


def _person(row: Row) -> Person:
    return Person(person_id=row[1], display_name=row[2], roles=tuple(row[3]))
