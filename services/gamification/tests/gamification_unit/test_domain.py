"""Pure domain: rules, profile application, streaks, periods, badges, challenges, OB3."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from joserfc import jwt as jose_jwt
from joserfc.jwk import JWKRegistry
from pydantic import ValidationError

from agora_gamification.domain.awards import Award
from agora_gamification.domain.badges import BadgeDefinition, Requirement
from agora_gamification.domain.challenges import (
    Challenge,
    ChallengeScope,
    DuelAttempt,
    NewChallenge,
    duel_winners,
    goal_winners,
)
from agora_gamification.domain.open_badges import CredentialSigner, build_credential
from agora_gamification.domain.profile import (
    APPLIED_WINDOW,
    EventFacts,
    ProfileState,
    Streak,
    apply_event,
    ledger_entry_id,
)
from agora_gamification.domain.rules import Condition, Rule, credits_for, default_rules
from agora_gamification.domain.settings import TenantSettings, local_day, period_keys

pytestmark = pytest.mark.unit

COMPLETED = "org.agora.learning.knowledge.completed.v1"
LIKED = "org.agora.community.like.added.v1"
QUIZ = "org.agora.learning.quiz.passed.v1"
NOON = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def completion(learner: str = "ada", **extra: Any) -> dict[str, Any]:
    return {
        "learner_id": learner,
        "item_id": "k-1",
        "item_type": "video",
        "item_title": "SQL",
        "author_id": "grace",
        "skills": [{"skill_id": "sql", "level": 2}],
        **extra,
    }


def facts(
    payload: dict[str, Any],
    *,
    event_id: str = "e-1",
    event_type: str = COMPLETED,
    at: dt.datetime = NOON,
) -> EventFacts:
    return EventFacts("acme", event_id, event_type, None, payload, at)


def test_conditions_cover_lists_and_operators() -> None:
    payload = completion()
    assert Condition(field="skills.skill_id", op="eq", value="sql").matches(payload)
    assert not Condition(field="skills.skill_id", op="ne", value="sql").matches(payload)
    assert Condition(field="item_type", op="in", value=["video", "quiz"]).matches(payload)
    assert Condition(field="skills.level", op="gte", value=2).matches(payload)
    assert not Condition(field="skills.level", op="gt", value=2).matches(payload)
    assert Condition(field="author_id", op="exists", value=True).matches(payload)
    assert not Condition(field="item_type", op="gt", value=3).matches(payload)


def test_rule_validation_names_the_problem() -> None:
    with pytest.raises(ValidationError, match="not an event type"):
        Rule(rule_id="r", event_type="org.agora.nope.v1", points=1)
    with pytest.raises(ValidationError, match="colour"):
        Rule(
            rule_id="r",
            event_type=COMPLETED,
            points=1,
            conditions=(Condition(field="colour", op="eq", value="red"),),
        )
    with pytest.raises(ValidationError, match="beneficiary_field"):
        Rule(rule_id="r", event_type=COMPLETED, points=1, beneficiary_field="item_id")
    with pytest.raises(ValidationError):
        Condition(field="item_type", op="in", value="video")


def test_no_credit_for_own_content_and_weights_apply() -> None:
    rules = default_rules()
    session = completion(item_type="session")
    assert [(c.rule.rule_id, c.points) for c in credits_for(rules, COMPLETED, session, "ada")] == [
        ("completion", 20)
    ]
    own = completion(author_id="ada")
    assert credits_for(rules, COMPLETED, own, "ada") == []
    like = {
        "like_id": "l",
        "target_type": "knowledge",
        "target_id": "k",
        "liker_id": "bob",
        "target_owner_id": "bob",
    }
    assert credits_for(rules, LIKED, like, "bob") == []
    like["target_owner_id"] = "ada"
    assert [(c.learner_id, c.points) for c in credits_for(rules, LIKED, like, "bob")] == [
        ("ada", 5)
    ]


def apply(state: ProfileState, f: EventFacts, tenant: TenantSettings | None = None) -> Any:
    rules = default_rules()
    return apply_event(
        state,
        f,
        credits=credits_for(rules, f.event_type, f.payload, f.actor_id),
        rules=rules,
        badges=[],
        tenant=tenant or TenantSettings(),
    )


def test_apply_event_credits_once_and_reports_levels() -> None:
    state = ProfileState("ada", points=95)
    change = apply(state, facts(completion()))
    assert change.state.points == 95 + 10 + 5  # completion + first streak day
    assert [lv.level for lv in change.levels_reached] == [2]
    assert {e.entry_id for e in change.entries} == {
        ledger_entry_id("acme", "e-1", "completion"),
        ledger_entry_id("acme", "e-1", "streak-day"),
    }
    assert apply(change.state, facts(completion())) is None  # the same event again


def test_daily_cap_is_per_local_day() -> None:
    tenant = TenantSettings(time_zone="Europe/Paris")
    state = ProfileState("ada", time_zone="Europe/Paris")
    quiz = {
        "learner_id": "ada",
        "item_id": "q",
        "attempt_id": "a",
        "attempt_number": 1,
        "score_percent": 90.0,
        "pass_mark_percent": 70.0,
    }
    late = dt.datetime(2026, 11, 23, 22, 30, tzinfo=dt.UTC)  # 23:30 in Paris
    for n in range(12):
        change = apply(state, facts(quiz, event_id=f"q{n}", event_type=QUIZ, at=late), tenant)
        state = change.state
    assert state.points == 10 * 15 + 5
    # 23:10 UTC is already the next day in Paris: the cap starts again.
    change = apply(
        state,
        facts(
            quiz,
            event_id="next",
            event_type=QUIZ,
            at=dt.datetime(2026, 11, 23, 23, 10, tzinfo=dt.UTC),
        ),
        tenant,
    )
    assert [e.rule_id for e in change.entries] == ["quiz-passed", "streak-day"]


def test_applied_window_is_bounded() -> None:
    state = ProfileState("ada")
    for n in range(APPLIED_WINDOW + 5):
        state = apply(state, facts(completion(item_id=f"k{n}"), event_id=f"e{n}")).state
    assert len(state.applied) == APPLIED_WINDOW
    assert state.applied[-1]["event_id"] == f"e{APPLIED_WINDOW + 4}"


def test_streak_across_midnight_time_zones_and_grace() -> None:
    streak = Streak()
    day = dt.date(2026, 11, 23)
    streak = streak.after_activity(day, grace=1)
    streak = streak.after_activity(day, grace=1)
    assert (streak.current, streak.longest) == (1, 1)
    streak = streak.after_activity(day + dt.timedelta(days=1), grace=1)
    streak = streak.after_activity(day + dt.timedelta(days=3), grace=1)  # one day missed: grace
    assert streak.current == 3
    assert streak.as_of(day + dt.timedelta(days=5), grace=1).current == 3
    assert streak.as_of(day + dt.timedelta(days=6), grace=1).current == 0
    broken = streak.after_activity(day + dt.timedelta(days=6), grace=1)
    assert (broken.current, broken.longest) == (1, 3)
    # 23:30 UTC on the 23rd is the 24th in Tokyo and still the 23rd in New York.
    late = dt.datetime(2026, 11, 23, 23, 30, tzinfo=dt.UTC)
    assert local_day(late, "Asia/Tokyo") == dt.date(2026, 11, 24)
    assert local_day(late, "America/New_York") == dt.date(2026, 11, 23)


def test_streak_uses_the_learners_time_zone() -> None:
    tenant = TenantSettings()
    state = ProfileState("ada", time_zone="Asia/Tokyo")
    evening = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)  # 23:00 in Tokyo
    after_midnight = dt.datetime(2026, 11, 23, 15, 30, tzinfo=dt.UTC)  # 00:30 next day
    state = apply(state, facts(completion(), event_id="a", at=evening), tenant).state
    state = apply(
        state, facts(completion(item_id="k2"), event_id="b", at=after_midnight), tenant
    ).state
    assert state.streak.current == 2
    assert state.points == 2 * 10 + 2 * 5


def test_periods_close_in_the_tenant_time_zone() -> None:
    sunday_night = dt.datetime(2026, 11, 29, 23, 30, tzinfo=dt.UTC)
    assert period_keys(sunday_night, "UTC") == ("all", "2026-W48", "2026-11")
    assert period_keys(sunday_night, "Europe/Paris") == ("all", "2026-W49", "2026-11")
    month_end = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)
    assert period_keys(month_end, "Asia/Tokyo")[2] == "2026-12"


def test_tenant_settings_validate_levels_and_zone() -> None:
    with pytest.raises(ValidationError, match="time zone"):
        TenantSettings(time_zone="Mars/Olympus")
    with pytest.raises(ValidationError, match="levels"):
        TenantSettings(levels=({"level": 1, "name": "a", "min_points": 5},))


def test_badge_groups_and_within_or_across() -> None:
    badge = BadgeDefinition(
        badge_id="sql-explorer",
        name="SQL explorer",
        groups=(
            (
                Requirement(
                    event_type=COMPLETED,
                    count=2,
                    conditions=(Condition(field="skills.skill_id", op="eq", value="sql"),),
                ),
                Requirement(event_type=QUIZ, count=1),
            ),
            (Requirement(event_type="org.agora.learning.path.completed.v1"),),
        ),
    )
    progress: dict[str, int] = {}
    for key in badge.progress_keys(COMPLETED, completion(), "ada"):
        progress[key] = progress.get(key, 0) + 2
    assert not badge.satisfied(progress)
    progress["sql-explorer|1|0"] = 1
    assert badge.satisfied(progress)
    assert badge.progress_keys(COMPLETED, completion(skills=[]), "ada") == []


def test_challenge_winners() -> None:
    def challenge(scope: ChallengeScope, target: int, people: tuple[str, ...]) -> Challenge:
        return Challenge(
            challenge_id="c",
            title="t",
            scope=scope,
            scope_id="",
            participant_ids=people,
            event_type=COMPLETED,
            conditions=(),
            target=target,
            quiz_item_id="",
            starts_at=NOON,
            ends_at=NOON + dt.timedelta(days=1),
            created_by="ada",
            created_at=NOON,
        )

    person = challenge("person", 3, ("ada",))
    assert goal_winners(person, {"ada": 2}) is None
    assert goal_winners(person, {"ada": 3}) == ["ada"]
    team = challenge("team", 5, ("a", "b", "c"))
    assert goal_winners(team, {"a": 3, "b": 2}) == ["a", "b"]
    early, late = NOON, NOON + dt.timedelta(minutes=5)
    attempts = {
        "ada": DuelAttempt("ada", QUIZ, 80.0, late),
        "bob": DuelAttempt("bob", QUIZ, 80.0, early),
    }
    assert duel_winners(attempts) == ["bob"]  # same score: earlier graded attempt
    attempts["ada"] = DuelAttempt("ada", QUIZ, 95.0, late)
    assert duel_winners(attempts) == ["ada"]
    with pytest.raises(ValidationError, match="two colleagues"):
        NewChallenge(
            title="d",
            scope="duel",
            participant_ids=("ada",),
            quiz_item_id="q",
            starts_at=NOON,
            ends_at=late,
        )


@pytest.mark.parametrize("algorithm", ["RS256", "ES256", "EdDSA"])
def test_open_badges_credential_is_signed_and_verifiable(algorithm: str) -> None:
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
    if algorithm == "RS256":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif algorithm == "ES256":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    award = Award("ab" * 16, "sql", "SQL", "ada", "https://x/b.png", ("sql",), NOON)
    badge = BadgeDefinition(
        badge_id="sql",
        name="SQL",
        description="d",
        image_url="https://x/b.png",
        skill_ids=("sql",),
        criteria_narrative="Complete 5 SQL items.",
        groups=((Requirement(event_type=COMPLETED),),),
    )
    credential = build_credential(
        base_url="https://agora.test",
        issuer_name="Acme",
        tenant_id="acme",
        award=award,
        badge=badge,
    )
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["alignment"][0]["targetName"] == "sql"
    assert achievement["alignment"][0]["targetType"] == "ceasn:Competency"
    assert credential["credentialStatus"] == {
        "id": "https://agora.test/tenants/acme/credentials/" + "ab" * 16 + "/status",
        "type": "1EdTechRevocationList",
    }
    signer = CredentialSigner(pem, "k1")
    assert signer.algorithm == algorithm
    kid = "https://agora.test/tenants/acme/issuer/keys/k1"
    token = signer.sign(credential, kid)
    # Verified by a third-party JOSE library from the published JWK alone.
    verified = jose_jwt.decode(
        token, JWKRegistry.import_key(signer.public_jwk(kid)), algorithms=[algorithm]
    )
    assert verified.header == {"alg": algorithm, "kid": kid, "typ": "JWT"}
    assert verified.claims["credentialSubject"] == credential["credentialSubject"]
    assert verified.claims["nbf"] == int(NOON.timestamp())
    assert verified.claims["sub"] == credential["credentialSubject"]["id"]


def test_weak_or_unknown_signing_keys_are_refused() -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - refused
    pem = weak.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    with pytest.raises(ValueError, match="RSA of 2048 bits or more"):
        CredentialSigner(pem, "k1")
