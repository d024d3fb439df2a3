"""Leaderboards, badges (Open Badges 3.0), streaks and challenges through the real
gRPC server and events on the real broker."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import aiohttp
import grpc
import jwt
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from joserfc import jwt as jose_jwt
from joserfc.jwk import JWKRegistry, KeySet
from joserfc.jwt import JWTClaimsRegistry

from agora.gamification.v1 import gamification_pb2 as pb
from agora_core.runtime import ServiceRuntime
from agora_core.testing import eventually
from agora_core.testing.event_tap import EventTap, publish_events
from agora_core.testing.grpc_assertions import assert_status, caller, rpc_error

from .conftest import PUBLIC_KEY_PEM, MovableClock
from .streams import T0, WAIT, Stub, completed, joined, quiz

pytestmark = pytest.mark.integration

ADMIN = ("admin",)
LEARNER = ("learner",)
COMPLETED = "org.agora.learning.knowledge.completed.v1"


def new_tenant() -> str:
    return f"t-{uuid.uuid4().hex[:8]}"


async def wait_points(stub: Stub, tenant: str, learner: str, points: int) -> None:
    async def reached() -> bool:
        try:
            response = await stub.GetProfile(
                pb.GetProfileRequest(learner_id=learner), metadata=caller(tenant=tenant)
            )
        except grpc.aio.AioRpcError:
            return False
        return response.profile.points == points

    await eventually(reached, timeout=WAIT)


async def board(
    stub: Stub,
    tenant: str,
    me: str,
    *,
    scope: pb.BoardScope.ValueType = pb.BOARD_SCOPE_TENANT,
    scope_id: str = "",
    period: pb.Period.ValueType = pb.PERIOD_ALL_TIME,
    around: bool = True,
) -> pb.GetLeaderboardResponse:
    response: pb.GetLeaderboardResponse = await stub.GetLeaderboard(
        pb.GetLeaderboardRequest(
            scope=scope, scope_id=scope_id, period=period, top_n=10, around_me=around, neighbours=1
        ),
        metadata=caller(tenant=tenant, subject=me),
    )
    return response


async def seed_board(stub: Stub, kafka: str, tenant: str) -> None:
    """ann 35, bea 25 (two events), cal 25 (reached later than bea), dov 15."""
    events = [
        completed(tenant, "ann", "k-1", item_type="session", at=T0),
        completed(tenant, "ann", "k-2", at=T0 + dt.timedelta(minutes=1)),
        completed(tenant, "bea", "k-1", at=T0 + dt.timedelta(minutes=2)),
        completed(tenant, "bea", "k-2", at=T0 + dt.timedelta(minutes=3)),
        completed(tenant, "cal", "k-1", at=T0 + dt.timedelta(minutes=4)),
        completed(tenant, "cal", "k-2", at=T0 + dt.timedelta(minutes=5)),
        completed(tenant, "dov", "k-1", at=T0 + dt.timedelta(minutes=6)),
    ]
    await publish_events(kafka, events)
    for learner, points in (("ann", 35), ("bea", 25), ("cal", 25), ("dov", 15)):
        await wait_points(stub, tenant, learner, points)

    async def on_the_board() -> bool:
        # Scores follow the profile write (eventually consistent): wait for them too.
        result = await board(stub, tenant, "ann", around=False)
        return sorted(e.points for e in result.top) == [15, 25, 25, 35]

    await eventually(on_the_board, timeout=WAIT)


async def test_leaderboard_top_around_me_ties_and_periods(stub: Stub, kafka_bootstrap: str) -> None:
    tenant = new_tenant()
    await seed_board(stub, kafka_bootstrap, tenant)
    result = await board(stub, tenant, "cal")
    assert [(e.rank, e.learner_id, e.points) for e in result.top] == [
        (1, "ann", 35),
        (2, "bea", 25),  # same points as cal, reached first
        (3, "cal", 25),
        (4, "dov", 15),
    ]
    assert (result.me.rank, result.me.points, result.me.is_me) == (3, 25, True)
    assert [(e.rank, e.learner_id) for e in result.around_me] == [
        (2, "bea"),
        (3, "cal"),
        (4, "dov"),
    ]
    assert result.ranked_count == 4
    weekly = await board(stub, tenant, "ann", period=pb.PERIOD_WEEK)
    assert weekly.period_key == "2026-W48"
    assert [e.learner_id for e in weekly.top] == ["ann", "bea", "cal", "dov"]
    past = await stub.GetLeaderboard(
        pb.GetLeaderboardRequest(
            scope=pb.BOARD_SCOPE_TENANT, period=pb.PERIOD_WEEK, period_key="2026-W40"
        ),
        metadata=caller(tenant=tenant),
    )
    assert list(past.top) == []


async def test_leaderboard_privacy_opt_out_and_tenant_modes(
    stub: Stub, kafka_bootstrap: str
) -> None:
    tenant = new_tenant()
    await seed_board(stub, kafka_bootstrap, tenant)
    bea = caller(tenant=tenant, subject="bea")
    never_put = await stub.GetPersonSettings(pb.GetPersonSettingsRequest(), metadata=bea)
    assert never_put.settings == pb.PersonSettings(time_zone="", leaderboard_opt_out=False)
    await stub.PutPersonSettings(
        pb.PutPersonSettingsRequest(time_zone="Europe/Paris", leaderboard_opt_out=True),
        metadata=bea,
    )
    read_back = await stub.GetPersonSettings(pb.GetPersonSettingsRequest(), metadata=bea)
    assert read_back.settings == pb.PersonSettings(
        time_zone="Europe/Paris", leaderboard_opt_out=True
    )
    # Each person reads only their own, in their own tenant.
    others = (caller(tenant=tenant, subject="cal"), caller(tenant=new_tenant(), subject="bea"))
    for other in others:
        theirs = await stub.GetPersonSettings(pb.GetPersonSettingsRequest(), metadata=other)
        assert theirs.settings.leaderboard_opt_out is False
    result = await board(stub, tenant, "cal")
    assert [e.learner_id for e in result.top] == ["ann", "cal", "dov"]
    assert result.me.rank == 2
    hidden = await board(stub, tenant, "bea")
    assert hidden.me.rank == 0  # not ranked while opted out

    admin = caller(ADMIN, tenant=tenant)
    await stub.PutTenantSettings(
        pb.PutTenantSettingsRequest(settings=pb.TenantSettings(privacy_mode="anonymous")),
        metadata=admin,
    )
    anonymous = await board(stub, tenant, "cal")
    assert [e.learner_id for e in anonymous.top] == ["", "cal", ""]
    await stub.PutTenantSettings(
        pb.PutTenantSettingsRequest(settings=pb.TenantSettings(privacy_mode="neighbours_only")),
        metadata=admin,
    )
    neighbours = await board(stub, tenant, "dov")
    assert list(neighbours.top) == []
    assert [e.learner_id for e in neighbours.around_me] == ["cal", "dov"]
    await stub.PutPersonSettings(
        pb.PutPersonSettingsRequest(leaderboard_opt_out=False), metadata=bea
    )
    back = await board(stub, tenant, "bea")
    assert back.me.rank == 2
    shown = await stub.GetPersonSettings(pb.GetPersonSettingsRequest(), metadata=bea)
    assert shown.settings.leaderboard_opt_out is False

    error = await rpc_error(
        stub.PutTenantSettings(
            pb.PutTenantSettingsRequest(settings=pb.TenantSettings(time_zone="Mars/Base")),
            metadata=admin,
        )
    )
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field="settings.time_zone")
    error = await rpc_error(
        stub.PutTenantSettings(pb.PutTenantSettingsRequest(), metadata=caller(tenant=tenant))
    )
    assert_status(error, grpc.StatusCode.PERMISSION_DENIED)


async def test_team_and_space_boards(stub: Stub, kafka_bootstrap: str) -> None:
    tenant = new_tenant()
    admin = caller(ADMIN, tenant=tenant)
    await seed_board(stub, kafka_bootstrap, tenant)
    await stub.PutTeam(
        pb.PutTeamRequest(team_id="red", name="Red", member_ids=["ann", "dov"]), metadata=admin
    )
    await stub.PutTeam(
        pb.PutTeamRequest(team_id="blue", name="Blue", member_ids=["bea", "cal"]), metadata=admin
    )
    red = await board(stub, tenant, "dov", scope=pb.BOARD_SCOPE_TEAM, scope_id="red")
    assert [(e.learner_id, e.points) for e in red.top] == [("ann", 35), ("dov", 15)]
    teams = await board(stub, tenant, "dov", scope=pb.BOARD_SCOPE_TEAMS)
    assert [(e.team_id, e.points, e.is_me) for e in teams.top] == [
        ("blue", 50, False),
        ("red", 50, True),
    ]
    error = await rpc_error(board(stub, tenant, "dov", scope=pb.BOARD_SCOPE_TEAM, scope_id="nope"))
    assert_status(error, grpc.StatusCode.NOT_FOUND)
    error = await rpc_error(board(stub, tenant, "dov", scope=pb.BOARD_SCOPE_SPACE))
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field="scope_id")

    await publish_events(
        kafka_bootstrap, [joined(tenant, "cal", "s-data"), joined(tenant, "dov", "s-data")]
    )

    async def space_filled() -> bool:
        result = await board(stub, tenant, "dov", scope=pb.BOARD_SCOPE_SPACE, scope_id="s-data")
        return [e.learner_id for e in result.top] == ["cal", "dov"]

    await eventually(space_filled, timeout=WAIT)


async def public_get(service: ServiceRuntime, url: str) -> tuple[int, dict[str, Any]]:
    """GET a credential URL from the service's public endpoint (the ingress's job in
    production: the URL's base is AGORA_GAMIFICATION_PUBLIC_BASE_URL)."""
    public = service.public_http  # type: ignore[attr-defined]
    path = url.removeprefix(service.settings.public_base_url)  # type: ignore[attr-defined]
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{public.port}{path}") as response,
    ):
        return response.status, json.loads(await response.text())


async def test_badge_award_export_signature_and_revocation(
    stub: Stub, tap: EventTap, kafka_bootstrap: str, service: ServiceRuntime
) -> None:
    tenant = new_tenant()
    admin = caller(ADMIN, tenant=tenant)
    badge = pb.Badge(
        badge_id="sql-explorer",
        name="SQL explorer",
        description="Two SQL items completed.",
        image_url="https://img.example/sql.png",
        skill_ids=["sql"],
        criteria_narrative="Complete 2 items teaching SQL.",
        groups=[
            pb.RequirementGroup(
                requirements=[
                    pb.Requirement(
                        event_type=COMPLETED,
                        count=2,
                        conditions=[
                            pb.Condition(field="skills.skill_id", op="eq", value_json='"sql"')
                        ],
                    )
                ]
            )
        ],
    )
    error = await rpc_error(
        stub.PutBadge(pb.PutBadgeRequest(badge=badge), metadata=caller(tenant=tenant))
    )
    assert_status(error, grpc.StatusCode.PERMISSION_DENIED)
    bad = pb.Badge(badge_id="b", name="B", groups=[pb.RequirementGroup()])
    error = await rpc_error(stub.PutBadge(pb.PutBadgeRequest(badge=bad), metadata=admin))
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field="badge.groups.0")
    await stub.PutBadge(pb.PutBadgeRequest(badge=badge), metadata=admin)

    await publish_events(
        kafka_bootstrap,
        [
            completed(tenant, "ann", "k-1", skills=("sql",)),
            completed(tenant, "ann", "k-2", skills=("python",)),
            completed(tenant, "ann", "k-3", skills=("sql", "data")),
        ],
    )
    awarded = await tap.wait_for(
        timeout=WAIT,
        event_type="org.agora.gamification.badge.awarded.v1",
        tenant=tenant,
        subject="ann",
    )
    assert awarded[0].data["badge_id"] == "sql-explorer"
    assert awarded[0].data["skill_ids"] == ["sql"]
    award_id = awarded[0].data["award_id"]

    async def listed() -> bool:
        awards = await stub.ListAwards(pb.ListAwardsRequest(learner_id="ann"), metadata=admin)
        return [a.award_id for a in awards.awards] == [award_id]

    await eventually(listed, timeout=WAIT)
    exported = await stub.ExportCredential(
        pb.ExportCredentialRequest(award_id=award_id), metadata=admin
    )
    credential = json.loads(exported.credential_json)
    assert credential["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
    ]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["name"] == "SQL explorer"
    assert achievement["criteria"]["narrative"] == "Complete 2 items teaching SQL."
    assert achievement["image"]["id"] == "https://img.example/sql.png"
    assert [a["targetName"] for a in achievement["alignment"]] == ["sql"]
    assert [a["targetType"] for a in achievement["alignment"]] == ["ceasn:Competency"]
    assert set(credential["credentialStatus"]) == {"id", "type"}
    assert credential["credentialStatus"]["type"] == "1EdTechRevocationList"
    # The token checked as an outside verifier would, with a third-party JOSE library
    # (joserfc), from nothing but the token and the URLs it names: its kid is a URL that
    # serves the key; the issuer profile names the same key and a JWKS.
    header = jwt.get_unverified_header(exported.jwt)
    assert header["typ"] == "JWT"
    assert "cty" not in header
    code, jwk = await public_get(service, header["kid"])
    assert code == 200
    token = jose_jwt.decode(exported.jwt, JWKRegistry.import_key(jwk), algorithms=["ES256"])
    assert token.claims["credentialSubject"] == credential["credentialSubject"]
    valid_from = dt.datetime.fromisoformat(credential["validFrom"])
    assert token.claims["nbf"] == int(valid_from.timestamp())
    assert (token.claims["iss"], token.claims["jti"]) == (
        credential["issuer"]["id"],
        credential["id"],
    )
    JWTClaimsRegistry(nbf={"essential": True}, iss={"essential": True}).validate(token.claims)
    # Our own test key agrees (the PEM the service was given).
    assert jwt.decode(exported.jwt, PUBLIC_KEY_PEM, algorithms=["ES256"])["id"] == credential["id"]
    # A verifier needs no token: the issuer profile gives the key and the JWKS, the
    # status URL the revocation list (empty until revoked).
    code, issuer = await public_get(service, credential["issuer"]["id"])
    assert code == 200
    assert issuer["id"] == credential["issuer"]["id"]
    assert issuer["publicKeyJwk"] == jwk
    code, jwks = await public_get(service, issuer["jwks_uri"])
    assert code == 200
    key_set = KeySet([JWKRegistry.import_key(k) for k in jwks["keys"]])
    by_set = jose_jwt.decode(exported.jwt, key_set, algorithms=["ES256"])
    assert by_set.claims["id"] == credential["id"]
    code, body = await public_get(service, header["kid"].replace("/keys/", "/keys/other-"))
    assert (code, body["error"]) == (404, "not_found")
    status_url = credential["credentialStatus"]["id"]
    code, listed_status = await public_get(service, status_url)
    assert code == 200
    assert listed_status["type"] == "1EdTechRevocationList"
    assert (listed_status["id"], listed_status["revokedCredentials"]) == (status_url, [])

    await stub.RevokeAward(
        pb.RevokeAwardRequest(award_id=award_id, reason="shared answers"), metadata=admin
    )
    revoked = await tap.wait_for(
        timeout=WAIT, event_type="org.agora.gamification.badge.revoked.v1", tenant=tenant
    )
    assert revoked[0].data["reason"] == "shared answers"
    status = await stub.GetCredentialStatus(
        pb.GetCredentialStatusRequest(award_id=award_id), metadata=caller(tenant=tenant)
    )
    assert (status.revoked, status.reason) == (True, "shared answers")
    again = await stub.ExportCredential(
        pb.ExportCredentialRequest(award_id=award_id), metadata=admin
    )
    # The credential is the same; the list it names says it is revoked.
    assert json.loads(again.credential_json)["credentialStatus"] == credential["credentialStatus"]
    code, listed_status = await public_get(service, status_url)
    assert (code, listed_status["revokedCredentials"]) == (
        200,
        [{"id": credential["id"], "revocationReason": "shared answers"}],
    )
    # Another tenant's URL for the same award, an unknown award, a malformed id.
    code, body = await public_get(service, status_url.replace(tenant, new_tenant()))
    assert (code, body["error"]) == (404, "not_found")
    code, body = await public_get(service, status_url.replace(award_id, "0" * 32))
    assert (code, body["error"]) == (404, "not_found")
    code, body = await public_get(service, status_url.replace(award_id, "Z" * 32))
    assert (code, body["error"]) == (400, "invalid_argument")
    error = await rpc_error(
        stub.RevokeAward(pb.RevokeAwardRequest(award_id=award_id), metadata=admin)
    )
    assert_status(error, grpc.StatusCode.FAILED_PRECONDITION)
    error = await rpc_error(
        stub.ExportCredential(pb.ExportCredentialRequest(award_id="nope"), metadata=admin)
    )
    assert_status(error, grpc.StatusCode.NOT_FOUND)
    other = await rpc_error(
        stub.GetCredentialStatus(
            pb.GetCredentialStatusRequest(award_id=award_id), metadata=caller(tenant=new_tenant())
        )
    )
    assert_status(other, grpc.StatusCode.NOT_FOUND)


async def test_streak_days_in_the_learners_time_zone(stub: Stub, kafka_bootstrap: str) -> None:
    tenant = new_tenant()
    await stub.PutPersonSettings(
        pb.PutPersonSettingsRequest(time_zone="Asia/Tokyo"),
        metadata=caller(tenant=tenant, subject="kai"),
    )
    day_before = T0 - dt.timedelta(days=1)
    await publish_events(
        kafka_bootstrap,
        [
            # 23:30 and 00:30 Tokyo time: two local days, hence a two-day streak.
            completed(tenant, "kai", "k-1", at=day_before.replace(hour=14, minute=30)),
            completed(tenant, "kai", "k-2", at=day_before.replace(hour=15, minute=30)),
        ],
    )
    await wait_points(stub, tenant, "kai", 2 * 10 + 2 * 5)
    profile = (
        await stub.GetProfile(pb.GetProfileRequest(), metadata=caller(tenant=tenant, subject="kai"))
    ).profile
    assert (profile.streak.current_days, profile.streak.longest_days) == (2, 2)
    error = await rpc_error(
        stub.PutPersonSettings(
            pb.PutPersonSettingsRequest(time_zone="Nowhere/City"), metadata=caller()
        )
    )
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field="time_zone")


def ts(moment: dt.datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


async def test_person_challenge_reaches_its_goal(
    stub: Stub, tap: EventTap, kafka_bootstrap: str
) -> None:
    tenant = new_tenant()
    me = caller(tenant=tenant, subject="ann")
    created = await stub.CreateChallenge(
        pb.CreateChallengeRequest(
            challenge=pb.Challenge(
                title="3 items today",
                scope=pb.CHALLENGE_SCOPE_PERSON,
                event_type=COMPLETED,
                target=3,
                starts_at=ts(T0 - dt.timedelta(hours=1)),
                ends_at=ts(T0 + dt.timedelta(days=7)),
            )
        ),
        metadata=me,
    )
    challenge_id = created.challenge.challenge_id
    started = await tap.wait_for(
        timeout=WAIT, event_type="org.agora.gamification.challenge.started.v1", subject=challenge_id
    )
    assert started[0].data["participant_ids"] == ["ann"]
    await publish_events(
        kafka_bootstrap,
        [completed(tenant, "ann", f"k-{n}", at=T0 + dt.timedelta(minutes=n)) for n in range(3)],
    )
    done = await tap.wait_for(
        timeout=WAIT,
        event_type="org.agora.gamification.challenge.completed.v1",
        subject=challenge_id,
    )
    assert (done[0].data["outcome"], done[0].data["winner_ids"]) == ("goal_reached", ["ann"])
    fetched = await stub.GetChallenge(
        pb.GetChallengeRequest(challenge_id=challenge_id), metadata=me
    )
    assert (fetched.challenge.state, fetched.challenge.progress["ann"]) == ("completed", 3)
    listed = await stub.ListChallenges(pb.ListChallengesRequest(), metadata=me)
    assert [c.challenge_id for c in listed.challenges] == [challenge_id]
    error = await rpc_error(
        stub.GetChallenge(pb.GetChallengeRequest(challenge_id="nope"), metadata=me)
    )
    assert_status(error, grpc.StatusCode.NOT_FOUND)
    error = await rpc_error(
        stub.CreateChallenge(
            pb.CreateChallengeRequest(
                challenge=pb.Challenge(
                    title="team",
                    scope=pb.CHALLENGE_SCOPE_TEAM,
                    scope_id="red",
                    event_type=COMPLETED,
                    target=3,
                    starts_at=ts(T0),
                    ends_at=ts(T0 + dt.timedelta(days=1)),
                )
            ),
            metadata=me,
        )
    )
    assert_status(error, grpc.StatusCode.PERMISSION_DENIED)
    error = await rpc_error(
        stub.CreateChallenge(
            pb.CreateChallengeRequest(
                challenge=pb.Challenge(
                    title="backwards",
                    scope=pb.CHALLENGE_SCOPE_PERSON,
                    event_type=COMPLETED,
                    target=3,
                    starts_at=ts(T0),
                    ends_at=ts(T0 - dt.timedelta(days=1)),
                )
            ),
            metadata=me,
        )
    )
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field="challenge.ends_at")


async def test_quiz_duel_and_space_challenge_closed_at_the_deadline(
    stub: Stub, tap: EventTap, kafka_bootstrap: str, clock: MovableClock
) -> None:
    tenant = new_tenant()
    duel = await stub.CreateChallenge(
        pb.CreateChallengeRequest(
            challenge=pb.Challenge(
                title="SQL duel",
                scope=pb.CHALLENGE_SCOPE_DUEL,
                participant_ids=["ann", "bob"],
                quiz_item_id="q-sql",
                starts_at=ts(T0 - dt.timedelta(hours=1)),
                ends_at=ts(T0 + dt.timedelta(days=1)),
            )
        ),
        metadata=caller(tenant=tenant, subject="ann"),
    )
    duel_id = duel.challenge.challenge_id
    await publish_events(
        kafka_bootstrap,
        [
            quiz(tenant, "ann", "q-sql", score=75.0, challenge_id=duel_id),
            quiz(tenant, "bob", "q-sql", score=92.0, challenge_id=duel_id),
        ],
    )
    done = await tap.wait_for(
        timeout=WAIT, event_type="org.agora.gamification.challenge.completed.v1", subject=duel_id
    )
    assert done[0].data["winner_ids"] == ["bob"]

    await publish_events(
        kafka_bootstrap, [joined(tenant, "cy", "s-data"), joined(tenant, "ann", "s-data")]
    )

    async def members_known() -> bool:
        # Space members come from member.joined events (one partition per space, so cy
        # joined before ann shows up on the space's board with her duel points).
        response = await stub.GetLeaderboard(
            pb.GetLeaderboardRequest(
                scope=pb.BOARD_SCOPE_SPACE, scope_id="s-data", period=pb.PERIOD_ALL_TIME
            ),
            metadata=caller(tenant=tenant, subject="ann"),
        )
        return response.me.rank == 1

    await eventually(members_known, timeout=WAIT)
    space = await stub.CreateChallenge(
        pb.CreateChallengeRequest(
            challenge=pb.Challenge(
                title="Space: 50 items this week",
                scope=pb.CHALLENGE_SCOPE_SPACE,
                scope_id="s-data",
                event_type=COMPLETED,
                target=50,
                starts_at=ts(clock.now),
                ends_at=ts(clock.now + dt.timedelta(hours=1)),
            )
        ),
        metadata=caller(("manager",), tenant=tenant, subject="boss"),
    )
    space_id = space.challenge.challenge_id
    assert list(space.challenge.participant_ids) == ["ann", "cy"]
    clock.now += dt.timedelta(hours=2)
    closed = await tap.wait_for(
        timeout=WAIT, event_type="org.agora.gamification.challenge.completed.v1", subject=space_id
    )
    assert (closed[0].data["outcome"], closed[0].data["winner_ids"]) == ("deadline_passed", [])


async def test_team_challenge_is_won_together(
    stub: Stub, tap: EventTap, kafka_bootstrap: str
) -> None:
    tenant = new_tenant()
    await stub.PutTeam(
        pb.PutTeamRequest(team_id="ops", name="Ops", member_ids=["ann", "bob", "cy"]),
        metadata=caller(ADMIN, tenant=tenant),
    )
    created = await stub.CreateChallenge(
        pb.CreateChallengeRequest(
            challenge=pb.Challenge(
                title="Ops: 3 SQL items",
                scope=pb.CHALLENGE_SCOPE_TEAM,
                scope_id="ops",
                event_type=COMPLETED,
                conditions=[pb.Condition(field="skills.skill_id", op="eq", value_json='"sql"')],
                target=3,
                starts_at=ts(T0 - dt.timedelta(hours=1)),
                ends_at=ts(T0 + dt.timedelta(days=7)),
            )
        ),
        metadata=caller(("manager",), tenant=tenant, subject="boss"),
    )
    challenge_id = created.challenge.challenge_id
    assert list(created.challenge.participant_ids) == ["ann", "bob", "cy"]
    await publish_events(
        kafka_bootstrap,
        [
            completed(tenant, "ann", "k-1", skills=("sql",)),
            completed(tenant, "cy", "k-2", skills=("python",)),  # does not count
            completed(tenant, "zed", "k-3", skills=("sql",)),  # not in the team
            completed(tenant, "bob", "k-4", skills=("sql",)),
            completed(tenant, "ann", "k-5", skills=("sql",)),
        ],
    )
    done = await tap.wait_for(
        timeout=WAIT,
        event_type="org.agora.gamification.challenge.completed.v1",
        subject=challenge_id,
    )
    assert (done[0].data["outcome"], done[0].data["winner_ids"]) == ("goal_reached", ["ann", "bob"])
    error = await rpc_error(
        stub.CreateChallenge(
            pb.CreateChallengeRequest(
                challenge=pb.Challenge(
                    title="ghost team",
                    scope=pb.CHALLENGE_SCOPE_TEAM,
                    scope_id="ghosts",
                    event_type=COMPLETED,
                    target=1,
                    starts_at=ts(T0),
                    ends_at=ts(T0 + dt.timedelta(days=1)),
                )
            ),
            metadata=caller(ADMIN, tenant=tenant),
        )
    )
    assert_status(error, grpc.StatusCode.NOT_FOUND)


async def test_challenge_dates_outside_the_timestamp_range_are_invalid(stub: Stub) -> None:
    """Valid protobuf, impossible dates (found by the security suite's fuzzing)."""
    me = caller(tenant=new_tenant(), subject="ann")
    for field, bad in (("starts_at", 2**62), ("ends_at", -(2**62))):
        challenge = pb.Challenge(
            title="out of range",
            scope=pb.CHALLENGE_SCOPE_PERSON,
            event_type=COMPLETED,
            target=3,
            starts_at=ts(T0),
            ends_at=ts(T0 + dt.timedelta(days=1)),
        )
        getattr(challenge, field).CopyFrom(Timestamp(seconds=bad))
        error = await rpc_error(
            stub.CreateChallenge(pb.CreateChallengeRequest(challenge=challenge), metadata=me)
        )
        assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field=f"challenge.{field}")
