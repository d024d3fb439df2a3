"""docs/integrator-guide.md against the code: what it names exists, its example is real."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic_settings import BaseSettings

from agora_catalog.settings import CatalogSettings
from agora_community.settings import CommunitySettings
from agora_contracts.events.examples import example_envelope, example_payload
from agora_contracts.events.schemas import load_platform_events
from agora_contracts.xapi import TenantXapiProfile, projects, to_statement
from agora_core.messaging.events import EventSchemaSettings
from agora_core.settings import ServiceSettings
from agora_gamification.settings import GamificationSettings
from agora_notifications.settings import NotificationsSettings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "integrator-guide.md").read_text("utf-8")
REGISTRY = load_platform_events()
PROFILE = TenantXapiProfile(
    tenant_id="acme",
    home_page="https://learn.acme.example",
    activity_base="https://learn.acme.example/xapi/activities",
    extension_base="https://agora.example/xapi/extensions",
)
SETTINGS: dict[str, type[BaseSettings]] = {
    "AGORA_CATALOG_": CatalogSettings,
    "AGORA_COMMUNITY_": CommunitySettings,
    "AGORA_GAMIFICATION_": GamificationSettings,
    "AGORA_NOTIFICATIONS_": NotificationsSettings,
    "AGORA_<SERVICE>_": ServiceSettings,  # a setting every service has
    "AGORA_EVENTS_": EventSchemaSettings,  # platform-wide: the published event schemas
}


def test_every_topic_named_exists() -> None:
    # Not preceded by "org.": that is an event type (e.g. the webhook ping's), not a topic.
    named = set(re.findall(r"(?<!org\.)\bagora\.[a-z_]+\.[a-z_]+\.v[0-9]+(?:\.dlq)?\b", GUIDE))
    assert named, "the guide names no topic?"
    topics = set(REGISTRY.topics())
    unknown = {t for t in named if t.removesuffix(".dlq") not in topics}
    assert unknown == set()


def test_every_event_type_named_exists() -> None:
    named = set(re.findall(r"\borg\.agora\.[a-z_]+\.[a-z_]+\.[a-z_]+\.v[0-9]+\b", GUIDE))
    assert len(named) >= 9
    assert {t for t in named if not REGISTRY.knows(t)} == set()


def test_every_environment_variable_named_is_a_setting() -> None:
    named = set(re.findall(r"\bAGORA_(?:<SERVICE>|[A-Z]+)_[A-Z0-9_]+", GUIDE))
    assert named, "the guide names no setting?"
    unknown = []
    for variable in sorted(named):
        prefix = next((p for p in SETTINGS if variable.startswith(p)), None)
        if prefix is None:
            unknown.append(variable)
            continue
        field = variable.removeprefix(prefix).lower()
        if field not in SETTINGS[prefix].model_fields:
            unknown.append(variable)
    assert unknown == []


def test_every_service_prefix_is_the_settings_env_prefix() -> None:
    for prefix, settings in SETTINGS.items():
        if "<" not in prefix:
            assert settings.model_config.get("env_prefix") == prefix


def test_the_xapi_mapping_table_covers_exactly_the_projected_types() -> None:
    rows = re.findall(r"^\| `(org\.agora\.[^`]+)` \| `([^`]+)` \|", GUIDE, flags=re.MULTILINE)
    projected = {spec.event_type for spec in REGISTRY if projects(spec.payload)}
    assert {event_type for event_type, _ in rows} == projected
    for event_type, verb in rows:
        spec = REGISTRY.spec(event_type)
        statement = to_statement(example_envelope(spec), example_payload(spec.payload), PROFILE)
        assert statement is not None
        assert statement.verb.id == verb, event_type


def test_the_xapi_example_is_the_catalogues_generated_example() -> None:
    block = GUIDE.split("<!-- xapi-example", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    document = yaml.safe_load((ROOT / "docs" / "events" / "asyncapi.yaml").read_text("utf-8"))
    message = document["components"]["messages"]["org.agora.xapi.statement.projected.v1"]
    assert json.loads(block) == message["examples"][0]["payload"]


def test_the_webhook_verification_snippet_accepts_what_the_service_signs() -> None:
    from textwrap import dedent

    from agora_notifications.domain.webhook_signing import new_secret, signed_headers

    snippet = next(
        block.split("```", 1)[0] for block in GUIDE.split("```python")[1:] if "def verify(" in block
    )
    namespace: dict[str, Any] = {}
    exec(dedent(snippet), namespace)  # noqa: S102 - our own documentation
    body, now = b'{"learner_id":"u-ada"}', int(time.time())
    old, new, other = new_secret(), new_secret(), new_secret()
    headers = signed_headers([old, new], "evt-1", now, body)
    assert namespace["verify"](old, headers, body) is True
    assert namespace["verify"](new, headers, body) is True
    assert namespace["verify"](other, headers, body) is False
    assert namespace["verify"](old, headers, body + b" ") is False
    assert namespace["verify"](old, {**headers, "webhook-id": "evt-2"}, body) is False
    stale = signed_headers([old], "evt-1", now - 600, body)
    assert namespace["verify"](old, stale, body) is False
