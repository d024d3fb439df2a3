"""CreateChallenge with a request_id (AIP-155) through the real gRPC server and
database: retries create one challenge; the id reused with another request is refused."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import grpc
import pytest

from agora.gamification.v1 import gamification_pb2 as pb
from agora_core.testing.grpc_assertions import assert_status, caller, rpc_error

from .streams import T0, Stub
from .test_engagement import COMPLETED, new_tenant, ts

pytestmark = pytest.mark.integration


def _create(title: str, request_id: str) -> pb.CreateChallengeRequest:
    return pb.CreateChallengeRequest(
        challenge=pb.Challenge(
            title=title,
            scope=pb.CHALLENGE_SCOPE_PERSON,
            event_type=COMPLETED,
            target=3,
            starts_at=ts(T0 - dt.timedelta(hours=1)),
            ends_at=ts(T0 + dt.timedelta(days=7)),
        ),
        request_id=request_id,
    )


async def test_a_retried_create_opens_one_challenge(stub: Stub) -> None:
    tenant = new_tenant()
    me = caller(tenant=tenant, subject="ann")
    request = _create("5 items", str(uuid.uuid4()))
    created = await asyncio.gather(*(stub.CreateChallenge(request, metadata=me) for _ in range(4)))
    assert len({c.challenge.challenge_id for c in created}) == 1
    listed = await stub.ListChallenges(pb.ListChallengesRequest(), metadata=me)
    assert [c.challenge_id for c in listed.challenges] == [created[0].challenge.challenge_id]

    reused = await rpc_error(
        stub.CreateChallenge(_create("6 items", request.request_id), metadata=me)
    )
    assert_status(
        reused, grpc.StatusCode.INVALID_ARGUMENT, field="request_id", reason="REQUEST_ID_REUSED"
    )
    # Without a request id every call is a new challenge.
    plain = [await stub.CreateChallenge(_create("5 items", ""), metadata=me) for _ in range(2)]
    assert plain[0].challenge.challenge_id != plain[1].challenge.challenge_id
