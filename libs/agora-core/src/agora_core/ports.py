"""Free loopback ports for processes started apart (private platforms, test servers).

A port the kernel picks with ``bind(0)`` comes from the ephemeral range, the same range
every outgoing connection's local port is drawn from: between picking it and the process
binding it (a build and two servers later), a Kafka or PostgreSQL client may take it,
and the process fails with "address in use". Ports below the ephemeral range are never
given to outgoing connections, so we pick there, at random, skip the fixed ports of the
platform and of the test environment, never hand out a port twice in one process, and
keep only a port nothing listens on now.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

_LOWEST = 20000
# The test environment's broker (plain, controller, SASL) and database
# (tools/test-env.sh): they may be down when a port is picked and up when it is used.
_RESERVED = frozenset({25432, 29092, 29093, 29094})
_handed_out: set[int] = set()


def _ephemeral_low() -> int:
    """The first port of the kernel's ephemeral range (Linux; 32768 elsewhere)."""
    try:
        text = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text(encoding="ascii")
        return int(text.split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now and no outgoing connection
    can take before a server binds it."""
    candidates = [
        port
        for port in range(_LOWEST, max(_LOWEST, _ephemeral_low()))
        if port not in _RESERVED and port not in _handed_out
    ]
    random.shuffle(candidates)
    for port in candidates[:200]:
        if _bindable(port):
            _handed_out.add(port)
            return port
    # A kernel without room below its ephemeral range: its pick is the best left.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
