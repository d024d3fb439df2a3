"""The people directory: admins put display names (from the identity provider or HR),
anyone in the tenant finds people by a prefix of any word of their name. Learners see
ids and names; managers and admins also the roles. Erased people are never stored
again (their tombstones) and their rows went with the erasure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Final

from agora_community.domain.model import now_ms
from agora_community.domain.people import Person, search_key
from agora_community.service_layer.paging import NameCursor
from agora_community.service_layer.ports import UnitOfWorkFactory
from agora_core.errors import InvalidArgument
from agora_core.identity import Principal, Role
from agora_core.pagination import Page, decode_page_token, keyset_page

ROLE_READERS: Final = frozenset({Role.MANAGER, Role.ADMIN})


async def put_people(
    uows: UnitOfWorkFactory, principal: Principal, people: Sequence[Person]
) -> tuple[int, int]:
    """Store each person (name keys replaced); (stored, skipped because erased)."""
    async with uows(principal.tenant_id) as uow:
        erased = await uow.people.erased([p.person_id for p in people])
        at = now_ms()
        for person in people:
            if person.person_id not in erased:
                await uow.people.put(person, at)
    skipped = sum(p.person_id in erased for p in people)
    return len(people) - skipped, skipped


async def search_people(
    uows: UnitOfWorkFactory, principal: Principal, query: str, *, size: int, token: str
) -> Page[Person]:
    """People with a word of their name starting with ``query`` (folded), by that word."""
    prefix = search_key(query)
    if not prefix:
        raise InvalidArgument.single("query", "must not be blank")
    cursor = decode_page_token(token, NameCursor)
    after = (cursor.after_name, cursor.after_id) if cursor else None
    async with uows(principal.tenant_id) as uow:
        rows = await uow.people.search(prefix, after=after, limit=size + 1)
    page = keyset_page(
        rows, size, lambda row: NameCursor(after_name=row[0], after_id=row[1].person_id)
    )
    with_roles = principal.has_any_role(ROLE_READERS)
    shown: dict[str, Person] = {}
    for _, person in page.items:  # two words of one name may both match: once is enough
        shown.setdefault(person.person_id, person if with_roles else replace(person, roles=()))
    return Page(list(shown.values()), page.next_page_token)
