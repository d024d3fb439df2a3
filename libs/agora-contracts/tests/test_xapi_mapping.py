"""The event → xAPI statement projection, and the statement schema it is checked against."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from agora_contracts.events import EventPayload, new_envelope
from agora_contracts.events.domains import catalog, community, learning
from agora_contracts.events.domains.xapi import StatementProjectedV1
from agora_contracts.events.schemas import load_platform_events
from agora_contracts.xapi import (
    TenantXapiProfile,
    projects,
    statement_id,
    statement_schema,
    to_statement,
)
from agora_contracts.xapi.mapping import MAPPERS, registration
from agora_contracts.xapi.statement import Statement

pytestmark = pytest.mark.unit

REGISTRY = load_platform_events()
VALIDATOR = Draft202012Validator(statement_schema())
WHEN = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
EXT = "https://agora.example/xapi/extensions"
PROJECTED: list[type[EventPayload]] = list(MAPPERS)


def profile(tenant: str = "acme") -> TenantXapiProfile:
    return TenantXapiProfile(
        tenant_id=tenant,
        home_page=f"https://{tenant}.example",
        activity_base=f"https://{tenant}.example/xapi/activities",
        extension_base=EXT,
    )


def example(model: type[EventPayload], **overrides: Any) -> EventPayload:
    """A real payload built from the examples every contract field carries."""
    values = {name: (field.examples or [None])[0] for name, field in model.model_fields.items()}
    values.update(overrides)
    return model.model_validate(values)


def project(
    payload: EventPayload, *, tenant: str = "acme", event_id: uuid.UUID | None = None
) -> dict[str, Any]:
    """Map ``payload`` and return the statement as it travels on Kafka (JSON)."""
    envelope = new_envelope(
        type=REGISTRY.spec_for(type(payload)).event_type,
        source="/agora/catalog",
        subject="s-1",
        tenant_id=tenant,
        event_id=event_id,
    )
    statement = to_statement(envelope, payload, profile(tenant))
    assert statement is not None
    wire: dict[str, Any] = json.loads(StatementProjectedV1.of(statement).model_dump_json())
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(wire)]
    assert errors == [], errors
    return wire


def test_the_statement_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(statement_schema())


@pytest.mark.parametrize("model", PROJECTED, ids=[m.__name__ for m in PROJECTED])
def test_every_projected_event_gives_a_valid_statement_with_an_account_actor(
    model: type[EventPayload],
) -> None:
    wire = project(example(model))
    assert wire["version"] == "1.0.3"
    assert wire["actor"] == {
        "objectType": "Agent",
        "account": {"homePage": "https://acme.example", "name": "u-ada"},
    }
    text = json.dumps(wire)
    assert "mbox" not in text
    assert "null" not in text
    assert wire["context"]["extensions"][f"{EXT}/tenant"] == "acme"
    assert wire["context"]["platform"] == "Agora"


def test_started_is_launched_with_its_path_as_parent_and_the_path_registration() -> None:
    payload = example(learning.KnowledgeStartedV1, path_id="p-7")
    wire = project(payload)
    assert wire["verb"] == {
        "id": "http://adlnet.gov/expapi/verbs/launched",
        "display": {"en-US": "launched"},
    }
    assert wire["object"] == {
        "objectType": "Activity",
        "id": "https://acme.example/xapi/activities/knowledge/k-42",
        "definition": {
            "name": {"und": "Intro to SQL"},
            "type": "http://adlnet.gov/expapi/activities/media",
            "extensions": {f"{EXT}/item-type": "video"},
        },
    }
    assert wire["context"]["contextActivities"]["parent"] == [
        {
            "objectType": "Activity",
            "id": "https://acme.example/xapi/activities/path/p-7",
            "definition": {"type": "http://adlnet.gov/expapi/activities/module"},
        }
    ]
    assert wire["context"]["registration"] == str(registration("acme", "u-ada", "path", "p-7"))
    assert wire["timestamp"] == "2026-11-23T09:00:00Z"


def test_started_outside_a_path_has_the_item_registration_and_no_parent() -> None:
    wire = project(example(learning.KnowledgeStartedV1, path_id=None))
    assert "contextActivities" not in wire["context"]
    assert wire["context"]["registration"] == str(
        registration("acme", "u-ada", "knowledge", "k-42")
    )


def test_progressed_carries_the_cmi5_progress_extension() -> None:
    wire = project(example(learning.KnowledgeProgressedV1, percent=60))
    assert wire["verb"]["id"] == "http://adlnet.gov/expapi/verbs/progressed"
    assert wire["result"] == {
        "extensions": {"https://w3id.org/xapi/cmi5/result/extensions/progress": 60}
    }


def test_item_and_path_completions_are_completed_with_completion_true() -> None:
    item = project(example(learning.KnowledgeCompletedV1))
    path = project(example(learning.PathCompletedV1))
    for wire in (item, path):
        assert wire["verb"]["id"] == "http://adlnet.gov/expapi/verbs/completed"
        assert wire["result"] == {"completion": True}
    assert item["object"]["id"].endswith("/knowledge/k-42")
    assert item["object"]["definition"]["extensions"][f"{EXT}/skills"] == [
        {"skill_id": "sql", "level": 2}
    ]
    assert path["object"]["id"] == "https://acme.example/xapi/activities/path/p-7"
    assert path["object"]["definition"]["name"] == {"und": "Onboarding"}
    assert path["context"]["registration"] == str(registration("acme", "u-ada", "path", "p-7"))


def test_quiz_passed_and_failed_carry_score_scaled_and_success() -> None:
    passed = project(example(learning.QuizPassedV1, score_percent=85.0))
    failed = project(example(learning.QuizFailedV1, score_percent=40.0, attempt_number=2))
    assert passed["verb"]["id"] == "http://adlnet.gov/expapi/verbs/passed"
    assert passed["result"] == {
        "score": {"scaled": 0.85, "raw": 85.0, "min": 0.0, "max": 100.0},
        "success": True,
    }
    assert failed["verb"]["id"] == "http://adlnet.gov/expapi/verbs/failed"
    assert failed["result"] == {
        "score": {"scaled": 0.4, "raw": 40.0, "min": 0.0, "max": 100.0},
        "success": False,
    }
    assert (
        failed["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/assessment"
    )
    assert failed["context"]["extensions"][f"{EXT}/attempt-number"] == 2
    assert failed["context"]["extensions"][f"{EXT}/pass-mark-percent"] == 70.0


def test_a_comment_is_commented_on_its_target_with_the_excerpt_as_response() -> None:
    wire = project(example(community.CommentPostedV1, parent_comment_id="c-1", space_id="s-data"))
    assert wire["verb"]["id"] == "http://adlnet.gov/expapi/verbs/commented"
    assert wire["object"]["id"] == "https://acme.example/xapi/activities/knowledge/k-42"
    assert wire["result"] == {"response": "Nice!"}
    parents = [a["id"] for a in wire["context"]["contextActivities"]["parent"]]
    assert parents == [
        "https://acme.example/xapi/activities/comment/c-1",
        "https://acme.example/xapi/activities/space/s-data",
    ]
    assert wire["context"]["extensions"][f"{EXT}/comment-id"] == "c-9"


def test_a_like_is_liked_by_the_liker() -> None:
    wire = project(example(community.LikeAddedV1, target_type="question", target_id="q/3 x"))
    assert wire["verb"] == {
        "id": "http://activitystrea.ms/schema/1.0/like",
        "display": {"en-US": "liked"},
    }
    # ids are percent-encoded into one path segment
    assert wire["object"]["id"] == "https://acme.example/xapi/activities/question/q%2F3%20x"
    assert wire["object"]["definition"] == {"type": "http://adlnet.gov/expapi/activities/question"}


def test_the_statement_id_is_derived_from_the_event_id() -> None:
    event_id = uuid.uuid4()
    payload = example(learning.KnowledgeCompletedV1)
    first = project(payload, event_id=event_id)
    again = project(payload, event_id=event_id)
    other = project(payload)
    assert first == again
    assert first["id"] == str(statement_id(event_id))
    assert other["id"] != first["id"]


def test_each_tenant_gets_its_own_home_page_and_activity_iris() -> None:
    wire = project(example(learning.KnowledgeCompletedV1), tenant="globex")
    assert wire["actor"]["account"]["homePage"] == "https://globex.example"
    assert wire["object"]["id"].startswith("https://globex.example/xapi/activities/")
    assert "acme" not in json.dumps(wire)


def test_a_profile_of_another_tenant_is_refused() -> None:
    envelope = new_envelope(
        type="org.agora.learning.knowledge.completed.v1",
        source="/agora/catalog",
        subject="k-42",
        tenant_id="acme",
    )
    with pytest.raises(ValueError, match="profile of tenant 'globex'"):
        to_statement(envelope, example(learning.KnowledgeCompletedV1), profile("globex"))


@pytest.mark.parametrize(
    "model",
    [
        learning.PathEnrolledV1,
        learning.AssignmentCreatedV1,
        community.LikeRemovedV1,
        catalog.KnowledgeArchivedV1,
    ],
)
def test_events_without_an_xapi_meaning_give_no_statement(model: type[EventPayload]) -> None:
    envelope = new_envelope(
        type=REGISTRY.spec_for(model).event_type, source="/agora/x", subject="s", tenant_id="acme"
    )
    assert not projects(model)
    assert to_statement(envelope, example(model), profile()) is None


def test_the_event_payload_is_the_statement_itself() -> None:
    statement = Statement.model_validate(project(example(learning.QuizPassedV1)))
    payload = StatementProjectedV1.of(statement)
    assert json.loads(payload.model_dump_json()) == json.loads(statement.model_dump_json())
    assert payload.statement() == statement
    # readers built on this contract ignore properties added later in the major version
    assert (
        StatementProjectedV1.model_validate(
            {**json.loads(payload.model_dump_json()), "stored": "2026-11-23T10:00:00Z"}
        )
        == payload
    )


def _valid() -> dict[str, Any]:
    return project(example(learning.QuizPassedV1))


@pytest.mark.parametrize(
    ("break_it", "why"),
    [
        (lambda s: s.update(result=None), "null instead of an object"),
        (lambda s: s["actor"].update(mbox="mailto:ada@example.com"), "two identifiers"),
        (lambda s: s["actor"].pop("account"), "no identifier"),
        (lambda s: s["result"]["score"].update(scaled=1.5), "scaled above 1"),
        (lambda s: s["verb"].pop("id"), "verb without id"),
        (lambda s: s["object"].update(id="not an iri"), "activity id not an IRI"),
        (lambda s: s.update(timestamp="2026-11-23T09:30:00"), "timestamp without a zone"),
        (lambda s: s.update(score=1), "unknown property"),
        (lambda s: s.update(id="not-a-uuid"), "id not a UUID"),
    ],
)
def test_the_schema_rejects_what_an_lrs_rejects(break_it: Any, why: str) -> None:
    statement = _valid()
    break_it(statement)
    assert list(VALIDATOR.iter_errors(statement)), why


def test_readers_ignore_properties_added_inside_the_statement_later() -> None:
    wire = project(example(learning.QuizPassedV1))
    wire["result"]["duration"] = "PT5M"
    wire["actor"]["name"] = "Ada"
    assert StatementProjectedV1.model_validate(wire).result is not None
