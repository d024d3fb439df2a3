"""xAPI settings → tenant profiles, and which handlers the projection joins (no I/O)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from agora_contracts.events.schemas import load_platform_events
from agora_contracts.xapi import projects
from agora_notifications.adapters.email_rendering import EmailRenderer
from agora_notifications.domain.xapi_profiles import XapiProfiles
from agora_notifications.entrypoints.events import event_handlers
from agora_notifications.service_layer.event_intake import Intake, IntakePolicy
from agora_notifications.service_layer.notify import EmailLinks
from agora_notifications.service_layer.ports import SystemClock
from agora_notifications.service_layer.webhook_routing import SubscriptionCache
from agora_notifications.service_layer.xapi_projection import XapiProjection
from agora_notifications.settings import NotificationsSettings

from .fakes import FakeStore

pytestmark = pytest.mark.unit


class SystemWaker:
    def notify(self) -> None:
        """No worker in a unit test."""


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


def test_only_projected_types_get_the_projecting_handler() -> None:
    registry = load_platform_events()
    clock = SystemClock()
    intake = Intake(
        renderer=EmailRenderer(),
        links=EmailLinks("http://127.0.0.1:9/", "k" * 32),
        subscriptions=SubscriptionCache(FakeStore(), ttl=1),
        clock=clock,
        worker=SystemWaker(),
        policy=IntakePolicy(
            reminder_inactivity=timedelta(days=3), due_soon=timedelta(days=2), digest_hour=8
        ),
    )
    projection = XapiProjection(profiles=profiles(), registry=registry, clock=clock)
    with_xapi = event_handlers(registry, intake, projection)
    without = event_handlers(registry, intake, None)
    assert set(with_xapi) == set(without) == {spec.event_type for spec in registry}
    assert len(set(without.values())) == 1, "without xAPI every type only notifies"
    projected = {spec.event_type for spec in registry if projects(spec.payload)}
    assert len(projected) == 8
    one_projecting = {with_xapi[t] for t in projected}
    one_plain = {with_xapi[t] for t in set(with_xapi) - projected}
    assert len(one_projecting) == len(one_plain) == 1
    assert one_projecting != one_plain
