"""The badges every fault tenant defines before its stream, so that gamification
publishes ``badge.awarded`` in every pass and the audit compares them with the clean
pass's (each under one event id): without a definition no badge event ever occurs and
the comparison would hold vacuously.

Criteria the stream meets for some learners and not others (count thresholds, one
badge needing two kinds of events), through ``PutBadge`` as the tenant's admin would.
"""

from __future__ import annotations

import json
from typing import Final

import grpc

from agora.gamification.v1 import gamification_pb2 as gam
from agora.gamification.v1.gamification_pb2_grpc import GamificationServiceStub
from agora_contracts.events import REGISTRY
from agora_contracts.events.domains import community, learning
from agora_contracts.events.payload import EventPayload
from agora_core.testing.grpc_assertions import caller


def _type(payload: type[EventPayload]) -> str:
    return REGISTRY.spec_for(payload).event_type


def _requirement(
    payload: type[EventPayload], count: int, person_field: str = "", **equal: str
) -> gam.Requirement:
    return gam.Requirement(
        event_type=_type(payload),
        count=count,
        person_field=person_field,
        conditions=[
            gam.Condition(field=name, op="eq", value_json=json.dumps(value))
            for name, value in equal.items()
        ],
    )


BADGES: Final = (
    # Five completions: most learners of the stream, not all.
    ("finisher", ((_requirement(learning.KnowledgeCompletedV1, 5),),)),
    # Two quiz passes.
    ("quiz-ace", ((_requirement(learning.QuizPassedV1, 2),),)),
    # Liked three times on one's own content AND a video completed (AND across groups).
    (
        "well-liked",
        (
            (_requirement(community.LikeAddedV1, 3, "target_owner_id"),),
            (_requirement(learning.KnowledgeCompletedV1, 1, item_type="video"),),
        ),
    ),
)
BADGE_IDS: Final = frozenset(badge_id for badge_id, _ in BADGES)


async def define_badges(address: str, tenant: str) -> None:
    """Put the badges in ``tenant`` over gRPC, as its admin."""
    metadata = caller(("admin",), tenant=tenant, subject="u-faults-admin")
    async with grpc.aio.insecure_channel(address) as channel:
        stub = GamificationServiceStub(channel)
        for badge_id, groups in BADGES:
            await stub.PutBadge(
                gam.PutBadgeRequest(
                    badge=gam.Badge(
                        badge_id=badge_id,
                        name=badge_id.replace("-", " ").title(),
                        description="Fault-suite badge.",
                        criteria_narrative="See tests/faults/badges.py.",
                        groups=[gam.RequirementGroup(requirements=group) for group in groups],
                    )
                ),
                metadata=metadata,
            )
