"""xAPI settings → tenant profiles, and which handlers the projection joins (no I/O)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from agora_contracts.events.schemas import load_platform_events
from agora_contracts.xapi import projects
from agora_core.messaging.events import ReceivedEvent
from agora_notifications.domain.xapi_profiles import XapiProfiles
from agora_notifications.entrypoints.xapi_events import with_xapi_projection
from agora_notifications.settings import NotificationsSettings

pytestmark = pytest.mark.unit

DEV: dict[str, Any] = {"dev_mode": True, "jwt_hs256_secret": "x" * 40}


def profiles(**overrides: Any) -> XapiProfiles:
    values: dict[str, Any] = {
        "home_page": "https://{tenant}.learn.test",
        "home_pages": {"acme": "https://learn.acme.com/"},
        "activity_base": "{home_page}/xapi/activities",
        "extension_base": "https://agora.test/xapi/extensions",
    }
    values.update(overrides)
    return XapiProfiles(**values)


def test_a_tenant_gets_its_override_or_the_template() -> None:
    acme = profiles().for_tenant("acme")
    assert acme.home_page == "https://learn.acme.com/"
    assert (
        acme.activity_id("knowledge", "k-1")
        == "https://learn.acme.com/xapi/activities/knowledge/k-1"
    )
    other = profiles().for_tenant("big co")
    assert other.home_page == "https://big%20co.learn.test"
    assert other.extension("tenant") == "https://agora.test/xapi/extensions/tenant"


@pytest.mark.parametrize(
    "bad",
    [
        {"xapi_home_page": "learn.example.com/{tenant}"},
        {"xapi_home_page": "https://x.test/{tenat}"},
        {"xapi_home_pages": {"acme": "not a url"}},
        {"xapi_activity_base": "activities"},
    ],
)
def test_settings_refuse_templates_that_give_no_iri(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="xapi_"):
        NotificationsSettings(**DEV, **bad)


def test_the_defaults_are_usable() -> None:
    settings = NotificationsSettings(**DEV)
    assert settings.xapi_enabled
    assert settings.xapi_profiles().for_tenant("acme").home_page.startswith("https://")


async def test_only_projected_types_get_the_projection_after_the_existing_handler() -> None:
    registry = load_platform_events()
    calls: list[str] = []

    async def existing(event: ReceivedEvent[Any]) -> None:
        calls.append("notify")

    class Recorder:
        async def handle(self, event: ReceivedEvent[Any]) -> bool:
            calls.append("xapi")
            return True

    handlers = {spec.event_type: existing for spec in registry}
    combined = with_xapi_projection(handlers, registry, Recorder())
    assert set(combined) == set(handlers)
    for spec in registry:
        calls.clear()
        await combined[spec.event_type](None)  # type: ignore[arg-type]
        assert calls == (["notify", "xapi"] if projects(spec.payload) else ["notify"]), spec
    projected = {spec.event_type for spec in registry if projects(spec.payload)}
    assert len(projected) == 8
