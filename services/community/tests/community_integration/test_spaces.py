"""Spaces and memberships through the real gRPC server, events on the real broker."""

from __future__ import annotations

import grpc
import pytest

from agora.community.v1 import community_pb2 as pb
from agora_contracts.events.domains.community import SPACES_TOPIC
from agora_core.testing.event_tap import tapping
from agora_core.testing.grpc_assertions import assert_status, rpc_error

from .support import EVENT_WAIT, Community

pytestmark = pytest.mark.integration

JOINED = "org.agora.community.member.joined.v1"
LEFT = "org.agora.community.member.left.v1"


async def test_a_space_is_created_joined_listed_and_left(community: Community, tenant: str) -> None:
    stub = community.stub
    async with tapping(community.kafka, [SPACES_TOPIC]) as tap:
        space = await community.space(tenant, "u-owner", name="Data Guild")
        assert space.my_role == pb.SPACE_ROLE_OWNER
        assert space.member_count == 1
        owner_joined = await tap.wait_for(
            JOINED, tenant=tenant, subject=space.space_id, timeout=EVENT_WAIT
        )
        assert owner_joined[0].data["member_id"] == "u-owner"
        assert owner_joined[0].data["role"] == "owner"
        assert owner_joined[0].data["space_name"] == "Data Guild"

        ada = community.as_user(tenant, "u-ada")
        found = await stub.DiscoverSpaces(
            pb.DiscoverSpacesRequest(name_prefix="data"), metadata=ada
        )
        assert [s.space_id for s in found.spaces] == [space.space_id]
        await stub.JoinSpace(pb.JoinSpaceRequest(space_id=space.space_id), metadata=ada)
        # Joining twice changes nothing and announces nothing more.
        await stub.JoinSpace(pb.JoinSpaceRequest(space_id=space.space_id), metadata=ada)
        joined = await tap.wait_for(
            JOINED, tenant=tenant, where=lambda d: d["member_id"] == "u-ada", timeout=EVENT_WAIT
        )
        assert joined[0].data["role"] == "member"

        mine = await stub.ListMySpaces(pb.ListMySpacesRequest(), metadata=ada)
        assert [(s.space_id, s.my_role) for s in mine.spaces] == [
            (space.space_id, pb.SPACE_ROLE_MEMBER)
        ]
        again = await stub.DiscoverSpaces(pb.DiscoverSpacesRequest(), metadata=ada)
        assert space.space_id not in [s.space_id for s in again.spaces]
        members = await stub.ListMembers(
            pb.ListMembersRequest(space_id=space.space_id, page_size=1), metadata=ada
        )
        assert [m.user_id for m in members.members] == ["u-owner"]
        rest = await stub.ListMembers(
            pb.ListMembersRequest(space_id=space.space_id, page_token=members.next_page_token),
            metadata=ada,
        )
        assert [m.user_id for m in rest.members] == ["u-ada"]
        assert rest.next_page_token == ""
        got = await stub.GetSpace(pb.GetSpaceRequest(space_id=space.space_id), metadata=ada)
        assert got.space.member_count == 2

        await stub.LeaveSpace(pb.LeaveSpaceRequest(space_id=space.space_id), metadata=ada)
        left = await tap.wait_for(LEFT, tenant=tenant, subject=space.space_id, timeout=EVENT_WAIT)
        assert left[0].data["member_id"] == "u-ada"
        assert len(tap.matching(JOINED, tenant=tenant)) == 2

    owner = community.as_user(tenant, "u-owner")
    error = await rpc_error(
        stub.LeaveSpace(pb.LeaveSpaceRequest(space_id=space.space_id), metadata=owner)
    )
    assert_status(error, grpc.StatusCode.FAILED_PRECONDITION)
    assert "last_owner" in (error.details() or "")


async def test_invite_only_spaces_need_an_invitation_from_a_moderator(
    community: Community, tenant: str
) -> None:
    stub = community.stub
    space = await community.space(tenant, "u-owner", invite_only=True)
    ada, bob = community.as_user(tenant, "u-ada"), community.as_user(tenant, "u-bob")
    assert_status(
        await rpc_error(stub.JoinSpace(pb.JoinSpaceRequest(space_id=space.space_id), metadata=ada)),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    async with tapping(community.kafka, [SPACES_TOPIC]) as tap:
        await stub.InviteToSpace(
            pb.InviteToSpaceRequest(space_id=space.space_id, user_id="u-ada"),
            metadata=community.as_user(tenant, "u-owner"),
        )
        await stub.JoinSpace(pb.JoinSpaceRequest(space_id=space.space_id), metadata=ada)
        joined = await tap.wait_for(
            JOINED, tenant=tenant, where=lambda d: d["member_id"] == "u-ada", timeout=EVENT_WAIT
        )
        assert joined[0].data["invited_by"] == "u-owner"
    # A plain member may not invite; the owner may promote them to moderator, who may.
    assert_status(
        await rpc_error(
            stub.InviteToSpace(
                pb.InviteToSpaceRequest(space_id=space.space_id, user_id="u-bob"), metadata=ada
            )
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    promoted = await stub.SetMemberRole(
        pb.SetMemberRoleRequest(
            space_id=space.space_id, user_id="u-ada", role=pb.SPACE_ROLE_MODERATOR
        ),
        metadata=community.as_user(tenant, "u-owner"),
    )
    assert promoted.member.role == pb.SPACE_ROLE_MODERATOR
    await stub.InviteToSpace(
        pb.InviteToSpaceRequest(space_id=space.space_id, user_id="u-bob"), metadata=ada
    )
    await stub.JoinSpace(pb.JoinSpaceRequest(space_id=space.space_id), metadata=bob)
    # Members of an invite-only space are visible to members only.
    assert_status(
        await rpc_error(
            stub.ListMembers(
                pb.ListMembersRequest(space_id=space.space_id),
                metadata=community.as_user(tenant, "u-stranger"),
            )
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )


async def test_space_input_roles_and_tenants_are_checked(community: Community, tenant: str) -> None:
    stub = community.stub
    creator = community.as_user(tenant, "u-owner", "contributor")
    space = await community.space(tenant, "u-owner", name="Kafka Crew")
    assert_status(
        await rpc_error(
            stub.CreateSpace(
                pb.CreateSpaceRequest(name="kafka crew", visibility=pb.SPACE_VISIBILITY_OPEN),
                metadata=creator,
            )
        ),
        grpc.StatusCode.ALREADY_EXISTS,
    )
    assert_status(
        await rpc_error(
            stub.CreateSpace(
                pb.CreateSpaceRequest(name="", visibility=pb.SPACE_VISIBILITY_OPEN),
                metadata=creator,
            )
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="name",
    )
    assert_status(
        await rpc_error(stub.CreateSpace(pb.CreateSpaceRequest(name="x"), metadata=creator)),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="visibility",
    )
    assert_status(
        await rpc_error(
            stub.CreateSpace(
                pb.CreateSpaceRequest(name="x" * 201, visibility=pb.SPACE_VISIBILITY_OPEN),
                metadata=creator,
            )
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="name",
    )
    # Learners join spaces; creating one needs a contributor role or above.
    assert_status(
        await rpc_error(
            stub.CreateSpace(
                pb.CreateSpaceRequest(name="Mine", visibility=pb.SPACE_VISIBILITY_OPEN),
                metadata=community.as_user(tenant, "u-learner", "learner"),
            )
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    assert_status(
        await rpc_error(
            stub.UpdateSpace(
                pb.UpdateSpaceRequest(space_id=space.space_id, name="Taken over"),
                metadata=community.as_user(tenant, "u-ada"),
            )
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    updated = await stub.UpdateSpace(
        pb.UpdateSpaceRequest(
            space_id=space.space_id, description="<script>alert(1)</script>Streams **fast**"
        ),
        metadata=creator,
    )
    assert updated.space.description == "Streams **fast**"
    assert updated.space.name == "Kafka Crew"
    assert_status(
        await rpc_error(stub.JoinSpace(pb.JoinSpaceRequest(space_id="nope"), metadata=creator)),
        grpc.StatusCode.NOT_FOUND,
    )
    # Another tenant sees nothing of it and cannot join it.
    other = community.as_user(f"{tenant}-other", "u-owner", "contributor")
    assert_status(
        await rpc_error(stub.GetSpace(pb.GetSpaceRequest(space_id=space.space_id), metadata=other)),
        grpc.StatusCode.NOT_FOUND,
    )
    assert_status(
        await rpc_error(
            stub.JoinSpace(pb.JoinSpaceRequest(space_id=space.space_id), metadata=other)
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    found = await stub.DiscoverSpaces(pb.DiscoverSpacesRequest(), metadata=other)
    assert list(found.spaces) == []
