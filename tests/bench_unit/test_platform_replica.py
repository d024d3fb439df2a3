"""The end-to-end benchmark's second replica gets a fresh port for every port the first
process listens on (bench/platform_parts/replica.py): it once failed with "address
already in use" on gamification's public endpoint port, which had been forgotten."""

from __future__ import annotations

import itertools

import pytest

from agora_platform.config import ServiceConfig
from bench.platform_parts.replica import fresh_ports, port_fields

pytestmark = pytest.mark.unit


def test_every_port_of_the_replica_is_new_and_nothing_else_changes() -> None:
    first = ServiceConfig(
        name="gamification", grpc_port=1001, http_port=1002, connect_port=1003, public_port=1004
    )
    picks = itertools.count(2001)
    replica = fresh_ports(first, lambda: next(picks))
    assert set(port_fields(first)) == {"grpc_port", "http_port", "connect_port", "public_port"}
    assert {getattr(replica, f) for f in port_fields(first)} == {2001, 2002, 2003, 2004}
    assert replica.name == first.name
    assert replica.prefix == first.prefix


def test_a_port_the_service_does_not_open_stays_absent() -> None:
    first = ServiceConfig(name="catalog", grpc_port=1001, http_port=1002, connect_port=1003)
    replica = fresh_ports(first, itertools.count(2001).__next__)
    assert replica.public_port is None
    assert (replica.grpc_port, replica.http_port, replica.connect_port) == (2001, 2002, 2003)


def test_every_port_field_of_the_configuration_is_known_as_a_port() -> None:
    # A port added to ServiceConfig under another naming would escape fresh_ports.
    ints = {
        name
        for name, spec in ServiceConfig.model_fields.items()
        if spec.annotation in (int, int | None)
    }
    assert ints == {name for name in ServiceConfig.model_fields if name.endswith("_port")}
