"""The topology table behind the AsyncAPI operations matches what each service subscribes."""

from __future__ import annotations

import pytest

from agora_catalog.entrypoints import events as catalog_events
from agora_community.entrypoints import events as community_events
from agora_contracts.events.domains.privacy import ERASURES_TOPIC
from agora_contracts.events.schemas import load_platform_events
from agora_contracts.events.topology import SERVICES, producer_of
from agora_gamification.entrypoints import events as gamification_events

pytestmark = pytest.mark.unit

REGISTRY = load_platform_events()
TOPOLOGY = {service.name: service for service in SERVICES}


def test_the_four_services_are_described() -> None:
    assert set(TOPOLOGY) == {"catalog", "community", "gamification", "notifications"}


@pytest.mark.parametrize(
    ("service", "subscribed"),
    [
        # Each bootstrap wraps its subscription in ``with_erasure``, which adds the
        # erasures topic (agora_core.privacy.wiring).
        ("catalog", sorted([*catalog_events.TOPICS, ERASURES_TOPIC])),
        ("community", sorted([*community_events.TOPICS, ERASURES_TOPIC])),
        ("gamification", sorted([*gamification_events.consumed_topics(), ERASURES_TOPIC])),
        # notifications subscribes to registry.topics() (see its bootstrap)
        ("notifications", REGISTRY.topics()),
    ],
)
def test_consumed_topics_are_the_services_subscriptions(
    service: str, subscribed: list[str]
) -> None:
    assert TOPOLOGY[service].consumed_topics(REGISTRY) == subscribed


def test_every_topic_has_exactly_one_declared_producer() -> None:
    for topic in REGISTRY.topics():
        assert producer_of(topic).name in TOPOLOGY
