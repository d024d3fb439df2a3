"""The people directory through gRPC: admins put names, anyone finds people by a
prefix of any word (case and accents ignored), learners without roles, managers with
them, another tenant's people never, erased people never again."""

from __future__ import annotations

import grpc
import pytest

from agora.community.v1 import community_pb2 as pb
from agora_core.testing.grpc_assertions import assert_status, rpc_error

from .support import Community

pytestmark = pytest.mark.integration

CAST = [
    pb.Person(person_id="chloe", display_name="Chloé Petit", roles=["learner"]),
    pb.Person(person_id="hugo", display_name="Hugo Martin", roles=["learner"]),
    pb.Person(person_id="marc", display_name="Marc Lefèvre", roles=["manager", "learner"]),
    pb.Person(person_id="emma", display_name="Emma Leroy", roles=["learner"]),
]


async def test_people_are_found_by_any_word_and_roles_go_to_managers_only(
    community: Community, tenant: str
) -> None:
    stub = community.stub
    admin = community.as_user(tenant, "ines", "admin")
    stored = await stub.PutPeople(pb.PutPeopleRequest(people=CAST), metadata=admin)
    assert (stored.stored, stored.skipped_erased) == (4, 0)

    learner = community.as_user(tenant, "emma")
    found = await stub.SearchPeople(pb.SearchPeopleRequest(query="LE"), metadata=learner)
    assert [(p.person_id, p.display_name, list(p.roles)) for p in found.people] == [
        ("marc", "Marc Lefèvre", []),
        ("emma", "Emma Leroy", []),
    ]
    manager = community.as_user(tenant, "marc", "manager")
    first = await stub.SearchPeople(
        pb.SearchPeopleRequest(query="lé", page_size=1), metadata=manager
    )
    rest = await stub.SearchPeople(
        pb.SearchPeopleRequest(query="lé", page_size=1, page_token=first.next_page_token),
        metadata=manager,
    )
    assert [(p.person_id, list(p.roles)) for p in (*first.people, *rest.people)] == [
        ("marc", ["manager", "learner"]),
        ("emma", ["learner"]),
    ]
    by_first_name = await stub.SearchPeople(pb.SearchPeopleRequest(query="chlo"), metadata=learner)
    assert [p.person_id for p in by_first_name.people] == ["chloe"]
    elsewhere = await stub.SearchPeople(
        pb.SearchPeopleRequest(query="chlo"), metadata=community.as_user(f"{tenant}-x", "emma")
    )
    assert list(elsewhere.people) == []


async def test_only_admins_put_people_and_bad_input_names_its_field(
    community: Community, tenant: str
) -> None:
    stub = community.stub
    error = await rpc_error(
        stub.PutPeople(
            pb.PutPeopleRequest(people=CAST), metadata=community.as_user(tenant, "u", "manager")
        )
    )
    assert_status(error, grpc.StatusCode.PERMISSION_DENIED)
    admin = community.as_user(tenant, "ines", "admin")
    bad = pb.PutPeopleRequest(people=[pb.Person(person_id="x", display_name="X", roles=["boss"])])
    error = await rpc_error(stub.PutPeople(bad, metadata=admin))
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field="people.0.roles.0")
    error = await rpc_error(stub.SearchPeople(pb.SearchPeopleRequest(query=""), metadata=admin))
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field="query")
