"""Rules, ledger, balances and levels through real events and the real gRPC server."""

from __future__ import annotations

import json
import uuid
from typing import Any

import grpc
import pytest
from prometheus_client import REGISTRY

from agora.gamification.v1 import gamification_pb2 as pb
from agora_contracts.events.domains import gamification, learning
from agora_core.runtime import ServiceRuntime
from agora_core.testing import eventually
from agora_core.testing.event_tap import EventTap, publish_events, publish_raw, tapping
from agora_core.testing.grpc_assertions import assert_status, caller, rpc_error

from .storage import ledger_sum, rows
from .streams import T0, WAIT, Stub, completed, liked, quiz, reviewed

pytestmark = pytest.mark.integration

POINTS = "org.agora.gamification.points.awarded.v1"
LEVEL = "org.agora.gamification.level.reached.v1"
ADMIN = ("admin",)
LEARNER = ("learner",)


async def profile(stub: Stub, tenant: str, learner: str) -> pb.Profile:
    response = await stub.GetProfile(
        pb.GetProfileRequest(learner_id=learner), metadata=caller(LEARNER, tenant=tenant)
    )
    return response.profile


async def balance_is(stub: Stub, tenant: str, learner: str, points: int) -> None:
    async def reached() -> bool:
        try:
            return (await profile(stub, tenant, learner)).points == points
        except grpc.aio.AioRpcError:
            return False

    await eventually(reached, timeout=WAIT)


async def test_completion_credits_points_with_weights_and_publishes_them(
    service: ServiceRuntime, stub: Stub, tap: EventTap, kafka_bootstrap: str
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    video = completed(tenant, "ada", "k-1", item_type="video", author="grace")
    session = completed(tenant, "ada", "k-2", item_type="session", author="grace")
    await publish_events(kafka_bootstrap, [video, session])

    events = await tap.wait_for(
        timeout=WAIT,
        event_type=POINTS,
        tenant=tenant,
        subject="ada",
        where=lambda d: d["rule_id"] == "completion",
        count=2,
    )
    by_source = {e.data["source_event_id"]: e.data for e in events}
    assert by_source[video.event_id]["points"] == 10
    assert by_source[session.event_id]["points"] == 20  # session weight 2.0
    assert {e.data["rule_id"] for e in events} == {"completion"}
    await balance_is(stub, tenant, "ada", 30 + 5)  # + one streak day
    assert await ledger_sum(service, tenant, "ada") == 35

    entries = await stub.ListLedgerEntries(
        pb.ListLedgerEntriesRequest(), metadata=caller(LEARNER, tenant=tenant, subject="ada")
    )
    assert sorted((e.rule_id, e.points) for e in entries.entries) == [
        ("completion", 10),
        ("completion", 20),
        ("streak-day", 5),
    ]
    assert {e.source_event_id for e in entries.entries} == {video.event_id, session.event_id}


async def test_redelivery_changes_nothing(
    service: ServiceRuntime, stub: Stub, tap: EventTap, kafka_bootstrap: str
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    first = completed(tenant, "bob", "k-1")
    await publish_events(kafka_bootstrap, [first])
    await balance_is(stub, tenant, "bob", 15)
    await publish_events(kafka_bootstrap, [first, first])
    marker = completed(tenant, "bob", "k-2", at=T0)
    await publish_events(kafka_bootstrap, [marker])  # same partition (key = learner): after them
    await balance_is(stub, tenant, "bob", 25)
    assert await ledger_sum(service, tenant, "bob") == 25

    def completion(data: dict[str, Any]) -> bool:
        return bool(data["rule_id"] == "completion")

    # The relay publishes after the profile write: wait for both, then none more.
    await tap.wait_for(POINTS, tenant=tenant, where=completion, count=2, timeout=WAIT)
    assert len(tap.matching(POINTS, tenant=tenant, where=completion)) == 2


async def test_no_credit_for_own_content_and_like_credits_the_owner(
    stub: Stub, tap: EventTap, kafka_bootstrap: str
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    await publish_events(
        kafka_bootstrap,
        [
            liked(tenant, "cy", "cy", "k-own"),  # liking one's own item
            completed(tenant, "cy", "k-own", author="cy"),  # completing one's own item
            liked(tenant, "dan", "cy", "k-own"),  # a colleague's like
        ],
    )
    events = await tap.wait_for(
        timeout=WAIT,
        event_type=POINTS,
        tenant=tenant,
        where=lambda d: d["rule_id"] == "like-received",
    )
    assert [(e.data["learner_id"], e.data["points"]) for e in events] == [("cy", 5)]
    await balance_is(stub, tenant, "cy", 5 + 5)  # the like + the streak day of learning
    assert not tap.matching(POINTS, tenant=tenant, where=lambda d: d["rule_id"] == "completion")
    assert not tap.matching(POINTS, tenant=tenant, subject="dan")


async def test_daily_cap_limits_credits_per_local_day(stub: Stub, kafka_bootstrap: str) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    rule = pb.Rule(
        rule_id="quiz-passed",
        event_type=learning.QuizPassedV1.__name__ and "org.agora.learning.quiz.passed.v1",
        points=15,
        daily_cap=2,
        enabled=True,
    )
    await stub.PutRule(pb.PutRuleRequest(rule=rule), metadata=caller(ADMIN, tenant=tenant))
    await publish_events(kafka_bootstrap, [quiz(tenant, "eve", f"q-{i}") for i in range(4)])
    await publish_events(kafka_bootstrap, [completed(tenant, "eve", "k-last")])
    await balance_is(stub, tenant, "eve", 2 * 15 + 10 + 5)


async def test_validated_contribution_and_level_up(
    stub: Stub, tap: EventTap, kafka_bootstrap: str
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    await publish_events(
        kafka_bootstrap,
        [
            reviewed(tenant, "fay", "linus", "k-1", "rejected"),
            *(reviewed(tenant, "fay", "linus", f"k-{i}", "approved") for i in range(2, 5)),
        ],
    )
    levels = await tap.wait_for(timeout=WAIT, event_type=LEVEL, tenant=tenant, subject="fay")
    assert levels[0].data["level"] == 2
    assert levels[0].data["level_name"] == "Explorer"
    await balance_is(stub, tenant, "fay", 120)
    fay = await profile(stub, tenant, "fay")
    assert fay.level.level == 2
    assert fay.points_to_next_level == 300 - 120


async def test_rule_change_applies_to_later_events_only(
    service: ServiceRuntime, stub: Stub, kafka_bootstrap: str
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    await publish_events(kafka_bootstrap, [completed(tenant, "gus", "k-1")])
    await balance_is(stub, tenant, "gus", 15)
    changed = pb.Rule(
        rule_id="completion",
        event_type="org.agora.learning.knowledge.completed.v1",
        points=100,
        conditions=[pb.Condition(field="item_type", op="in", value_json='["video", "quiz"]')],
        enabled=True,
    )
    put = await stub.PutRule(pb.PutRuleRequest(rule=changed), metadata=caller(ADMIN, tenant=tenant))
    assert put.rule.version == 1
    await publish_events(
        kafka_bootstrap,
        [completed(tenant, "gus", "k-2"), completed(tenant, "gus", "k-3", item_type="wiki")],
    )
    await balance_is(stub, tenant, "gus", 115)
    rules = await stub.ListRules(pb.ListRulesRequest(), metadata=caller(LEARNER, tenant=tenant))
    completion = next(r for r in rules.rules if r.rule_id == "completion")
    assert completion.points == 100
    assert completion.version == 1
    versions = await rows(
        service,
        tenant,
        "SELECT rule_version, points FROM ledger WHERE tenant_id = %s AND rule_id = 'completion'",
        (tenant,),
    )
    assert sorted(v for v, _ in versions) == [1, 1]
    assert sorted(p for _, p in versions) == [10, 100]


async def test_invalid_rules_are_refused_with_the_field_and_change_nothing(
    stub: Stub,
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    admin = caller(ADMIN, tenant=tenant)
    cases = {
        "rule.event_type": pb.Rule(rule_id="r", event_type="org.agora.nope.v1", points=1),
        "rule.points": pb.Rule(
            rule_id="r", event_type="org.agora.learning.quiz.passed.v1", points=0
        ),
        "rule.conditions.0.field": pb.Rule(
            rule_id="r",
            event_type="org.agora.learning.quiz.passed.v1",
            points=5,
            conditions=[pb.Condition(field="colour", op="eq", value_json='"red"')],
        ),
        "rule.conditions.0.value": pb.Rule(
            rule_id="r",
            event_type="org.agora.learning.quiz.passed.v1",
            points=5,
            conditions=[pb.Condition(field="score_percent", op="in", value_json="5")],
        ),
        "rule.conditions.0.value_json": pb.Rule(
            rule_id="r",
            event_type="org.agora.learning.quiz.passed.v1",
            points=5,
            conditions=[pb.Condition(field="score_percent", op="gt", value_json="{oops")],
        ),
        "rule.beneficiary_field": pb.Rule(
            rule_id="r",
            event_type="org.agora.learning.quiz.passed.v1",
            points=5,
            beneficiary_field="item_id",
        ),
    }
    for field, rule in cases.items():
        error = await rpc_error(stub.PutRule(pb.PutRuleRequest(rule=rule), metadata=admin))
        assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field=field)
    rules = await stub.ListRules(pb.ListRulesRequest(), metadata=admin)
    assert "r" not in {r.rule_id for r in rules.rules}
    assert all(r.version == 1 for r in rules.rules)


async def test_rule_management_needs_the_admin_role(stub: Stub) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    rule = pb.Rule(rule_id="x", event_type="org.agora.learning.quiz.passed.v1", points=5)
    for roles in (LEARNER, ("manager",), ("contributor", "expert")):
        error = await rpc_error(
            stub.PutRule(pb.PutRuleRequest(rule=rule), metadata=caller(roles, tenant=tenant))
        )
        assert_status(error, grpc.StatusCode.PERMISSION_DENIED)


async def test_other_tenants_events_never_credit_this_tenant(
    stub: Stub, kafka_bootstrap: str
) -> None:
    mine, theirs = f"t-{uuid.uuid4().hex[:8]}", f"t-{uuid.uuid4().hex[:8]}"
    await publish_events(kafka_bootstrap, [completed(theirs, "hal", "k-1")])
    await balance_is(stub, theirs, "hal", 15)
    error = await rpc_error(
        stub.GetProfile(pb.GetProfileRequest(learner_id="hal"), metadata=caller(tenant=mine))
    )
    assert_status(error, grpc.StatusCode.NOT_FOUND)
    entries = await stub.ListLedgerEntries(
        pb.ListLedgerEntriesRequest(learner_id="hal"), metadata=caller(ADMIN, tenant=mine)
    )
    assert list(entries.entries) == []


async def test_ledger_of_someone_else_needs_manager(stub: Stub) -> None:
    error = await rpc_error(
        stub.ListLedgerEntries(
            pb.ListLedgerEntriesRequest(learner_id="someone"), metadata=caller(LEARNER)
        )
    )
    assert_status(error, grpc.StatusCode.PERMISSION_DENIED)


def _ignored_count() -> float:
    value = 0.0
    for metric in REGISTRY.collect():
        if metric.name == "agora_events_consumed":
            for sample in metric.samples:
                if (
                    sample.name.endswith("_total")
                    and sample.labels.get("service") == "gamification"
                    and sample.labels.get("outcome") == "ignored"
                ):
                    value += sample.value
    return value


async def test_unknown_type_is_ignored_and_counted_and_malformed_payload_goes_to_dlq(
    stub: Stub, kafka_bootstrap: str
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    before = _ignored_count()
    template = completed(tenant, "ivy", "k-1")
    unknown = dict(template.headers)
    unknown["ce_type"] = "org.agora.learning.knowledge.bookmarked.v1"
    unknown["ce_id"] = str(uuid.uuid4())
    await publish_raw(
        kafka_bootstrap, template.topic, template.value, unknown, key=template.key.encode()
    )
    malformed = dict(template.headers)
    malformed["ce_id"] = str(uuid.uuid4())
    body = json.loads(template.value)
    del body["item_id"]
    async with tapping(kafka_bootstrap, [f"{template.topic}.dlq"]) as dlq:
        await publish_raw(
            kafka_bootstrap,
            template.topic,
            json.dumps(body).encode(),
            malformed,
            key=template.key.encode(),
        )
        await publish_events(kafka_bootstrap, [template])
        dead = await dlq.wait_for(
            timeout=WAIT, event_type=template.headers["ce_type"], tenant=tenant
        )
    assert dead[0].envelope.id == uuid.UUID(malformed["ce_id"])
    await balance_is(stub, tenant, "ivy", 15)
    assert _ignored_count() >= before + 1
    assert gamification.POINTS_TOPIC  # the published topic the tap follows


async def test_nul_characters_are_refused_naming_the_field(stub: Stub) -> None:
    # PostgreSQL text cannot hold NUL: a clear INVALID_ARGUMENT, never a failed statement.
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    error = await rpc_error(
        stub.GetProfile(pb.GetProfileRequest(learner_id="a\x00b"), metadata=caller(tenant=tenant))
    )
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field="learner_id")
    error = await rpc_error(
        stub.PutTeam(
            pb.PutTeamRequest(team_id="red", name="Red", member_ids=["ada", "b\x00"]),
            metadata=caller(ADMIN, tenant=tenant),
        )
    )
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field="member_ids.1")
    rule = pb.Rule(
        rule_id="completion",
        event_type="org.agora.learning.knowledge.completed.v1",
        points=5,
        conditions=[pb.Condition(field="item_type", op="eq", value_json='"\\u0000"')],
    )
    error = await rpc_error(
        stub.PutRule(pb.PutRuleRequest(rule=rule), metadata=caller(ADMIN, tenant=tenant))
    )
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field="rule.conditions.0.value_json")
