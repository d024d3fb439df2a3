"""Ports handed to processes started apart are never ones an outgoing connection could
take first (the race that failed the platform benchmark's smoke run in CI)."""

from __future__ import annotations

import socket
from pathlib import Path

from agora_core.ports import free_port


def _ephemeral_range() -> tuple[int, int]:
    low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
    return int(low), int(high)


def test_ports_lie_below_the_ephemeral_range_and_avoid_the_test_environment() -> None:
    low, _ = _ephemeral_range()
    ports = [free_port() for _ in range(50)]
    assert all(20000 <= port < low for port in ports), ports
    assert not {25432, 29092, 29093, 29094} & set(ports)
    assert len(set(ports)) == len(ports), "a port was handed out twice"


def test_a_port_someone_listens_on_is_never_handed_out() -> None:
    low, _ = _ephemeral_range()
    listeners = []
    try:
        # Occupy a block of the range; none of those may come back.
        for port in range(20000, min(low, 20000 + 3000)):
            sock = socket.socket()
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                sock.close()
                continue
            sock.listen()
            listeners.append(sock)
        taken = {sock.getsockname()[1] for sock in listeners}
        for _ in range(100):
            port = free_port()
            assert port not in taken
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", port))
    finally:
        for sock in listeners:
            sock.close()


def test_an_outgoing_connection_never_takes_a_picked_port() -> None:
    low, high = _ephemeral_range()
    with socket.create_server(("127.0.0.1", 0)) as server:
        for _ in range(20):
            with socket.create_connection(server.getsockname()) as client:
                assert low <= client.getsockname()[1] <= high
    assert free_port() < low
