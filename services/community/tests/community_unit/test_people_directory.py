"""The people directory's rules without I/O: name keys, who sees roles, one row per
person even when two words of a name match, erased people never stored again."""

from __future__ import annotations

import pytest

from agora_community.domain.people import Person, name_keys, search_key
from agora_community.service_layer import people
from agora_core.errors import InvalidArgument
from agora_core.identity import Principal, Role

from .fakes_engagement import FakeUnitsOfWork

TENANT = "t-1"
LEARNER = Principal("u-emma", TENANT, frozenset({Role.LEARNER}))
MANAGER = Principal("u-marc", TENANT, frozenset({Role.MANAGER}))
ADMIN = Principal("u-ines", TENANT, frozenset({Role.ADMIN}))


def test_a_name_is_found_from_each_of_its_words_folded() -> None:
    assert name_keys("Chloé  PETIT") == ["chloe petit", "petit"]
    assert name_keys("Anna Anna") == ["anna anna", "anna"]
    assert search_key("  Élo ") == "elo"


async def test_learners_see_names_managers_see_roles_and_each_person_once() -> None:
    uows = FakeUnitsOfWork()
    stored = await people.put_people(
        uows,
        ADMIN,
        [
            Person("chloe", "Chloé Petit", ("learner",)),
            Person("annabel", "Anna Annabel", ("learner", "expert")),
            Person("hugo", "Hugo Martin", ("learner",)),
        ],
    )
    assert stored == (3, 0)
    learner_view = await people.search_people(uows, LEARNER, "ann", size=10, token="")
    assert learner_view.items == [Person("annabel", "Anna Annabel")]
    manager_view = await people.search_people(uows, MANAGER, "CHLO", size=10, token="")
    assert manager_view.items == [Person("chloe", "Chloé Petit", ("learner",))]
    by_last_name = await people.search_people(uows, LEARNER, "mart", size=10, token="")
    assert [p.person_id for p in by_last_name.items] == ["hugo"]


async def test_pages_follow_the_name_keys_and_erased_people_are_skipped() -> None:
    uows = FakeUnitsOfWork()
    uows.of(TENANT).erased_people.add("gone")
    stored = await people.put_people(
        uows,
        ADMIN,
        [Person(f"p{n}", f"Paul {n}") for n in range(3)] + [Person("gone", "Paula Gone")],
    )
    assert stored == (3, 1)
    first = await people.search_people(uows, LEARNER, "pau", size=2, token="")
    rest = await people.search_people(uows, LEARNER, "pau", size=2, token=first.next_page_token)
    assert [p.person_id for p in (*first.items, *rest.items)] == ["p0", "p1", "p2"]
    assert rest.next_page_token == ""
    with pytest.raises(InvalidArgument):
        await people.search_people(uows, LEARNER, "   ", size=2, token="")
