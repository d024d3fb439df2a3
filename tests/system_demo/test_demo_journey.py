"""``make up`` → ``make demo`` → ``make down`` on real processes.

The platform runs with a private state directory and free ports, so it has its own
Kafka and PostgreSQL (from the same cached jars and the machine's server binaries) and
never touches the infrastructure CI or a developer already runs: a second platform
beside the first is exactly what the env overrides are for, and the only way to prove
that ``down`` stops Kafka and PostgreSQL too.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc.aio
import pytest

from agora.catalog.v1 import catalog_pb2 as cat
from agora.catalog.v1 import catalog_pb2_grpc
from agora.gamification.v1 import gamification_pb2 as gam
from agora.gamification.v1 import gamification_pb2_grpc
from agora.notifications.v1 import notifications_pb2 as notif
from agora.notifications.v1 import notifications_pb2_grpc
from agora_core.grpc.client import bearer_metadata
from agora_core.grpc.dev_tokens import mint_dev_token
from agora_platform.private import private_environ
from agora_platform.processes import alive
from agora_platform.state import PlatformState, read_state

pytestmark = [pytest.mark.system, pytest.mark.timeout(1200)]

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("catalog", "community", "gamification", "notifications")


def _platform_env(state_dir: Path) -> dict[str, str]:
    return private_environ(state_dir, os.environ, SERVICES)


def _platform(
    command: str, env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  # our own script
        [str(ROOT / "deploy" / "local" / "platform.sh"), command],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
        return json.loads(response.read())


def _infra_pids(state_dir: Path) -> dict[str, int]:
    pids = {}
    for name, pid_file in (
        ("kafka", state_dir / "kafka" / "kafka.pid"),
        ("postgres", state_dir / "postgres" / "postgres.pid"),
    ):
        pids[name] = int(pid_file.read_text(encoding="utf-8").strip())
    return pids


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, str], str]]:
    """A platform of its own, up; always stopped afterwards."""
    state_dir = tmp_path_factory.mktemp("platform")
    env = _platform_env(state_dir)
    up = _platform("up", env, timeout=600)
    try:
        assert up.returncode == 0, f"make up failed:\n{up.stdout}\n{up.stderr}"
        yield env, up.stdout
    finally:
        _platform("down", env, timeout=300)


def _metadata(
    state: PlatformState, tenant: str, subject: str, roles: list[str]
) -> tuple[tuple[str, str]]:
    return bearer_metadata(mint_dev_token(state.dev_secret(), subject, tenant, roles))


async def _outcomes(state: PlatformState, tenant: str) -> None:
    """What the demo claims, checked independently over gRPC."""
    async with (
        grpc.aio.insecure_channel(state.address("catalog")) as catalog_channel,
        grpc.aio.insecure_channel(state.address("gamification")) as gamification_channel,
        grpc.aio.insecure_channel(state.address("notifications")) as notifications_channel,
    ):
        catalog = catalog_pb2_grpc.CatalogServiceStub(catalog_channel)
        found = await catalog.SearchItems(
            cat.SearchItemsRequest(query="pseudonymiser"),
            metadata=_metadata(state, tenant, "emma", ["learner"]),
        )
        # Léo's article first: its title holds the word; stemming also finds Sofia's
        # quiz, whose question speaks of "données pseudonymisées".
        assert found.items[0].author_id == "leo", [i.title for i in found.items]
        shared = found.items[0]
        assert shared.status == cat.ITEM_STATUS_PUBLISHED
        assert shared.validated

        gamification = gamification_pb2_grpc.GamificationServiceStub(gamification_channel)
        profile = await gamification.GetProfile(
            gam.GetProfileRequest(learner_id="emma"),
            metadata=_metadata(state, tenant, "emma", ["learner"]),
        )
        assert "champion-rgpd" in [b.badge_id for b in profile.profile.badges]
        assert profile.profile.points > 0
        board = await gamification.GetLeaderboard(
            gam.GetLeaderboardRequest(scope=gam.BOARD_SCOPE_TENANT, period=gam.PERIOD_ALL_TIME),
            metadata=_metadata(state, tenant, "marc", ["manager"]),
        )
        assert {"emma", "hugo", "leo", "sofia"} <= {e.learner_id for e in board.top}

        notifications = notifications_pb2_grpc.NotificationsServiceStub(notifications_channel)
        inbox = await notifications.ListInbox(
            notif.ListInboxRequest(page_size=50),
            metadata=_metadata(state, tenant, "chloe", ["learner"]),
        )
        reminder = [n for n in inbox.notifications if n.category == "relaunch_reminder"]
        assert reminder, [n.category for n in inbox.notifications]
        assert reminder[0].title.startswith("Reprenez")  # Chloé reads French


def test_up_demo_down(platform: tuple[dict[str, str], str]) -> None:
    env, up_output = platform
    state_dir = Path(env["AGORA_LOCAL_DIR"])

    # up: every service SERVING, the endpoints table, the state file
    for service in SERVICES:
        assert re.search(rf"✓ {service}\s+SERVING · ready \(pid \d+\)", up_output), up_output
    assert "platform up in" in up_output
    state = read_state(state_dir)
    assert {s.name for s in state.services} == set(SERVICES)
    for entry in state.services:
        assert entry.grpc_address == f"127.0.0.1:{env[f'AGORA_{entry.name.upper()}_GRPC_PORT']}"
        assert entry.log_file.parent == state_dir / "logs"
        assert entry.log_file.stat().st_size > 0
    pids = {s.name: s.pid for s in state.services} | _infra_pids(state_dir)
    assert all(alive(pid) for pid in pids.values()), pids

    # status agrees
    status = _platform("status", env, timeout=60)
    assert status.returncode == 0, status.stdout
    assert "web app" in status.stdout, status.stdout

    # the web app is served with its configuration and its OpenID Connect provider
    web_url = f"http://127.0.0.1:{env['AGORA_WEB_PORT']}"
    issuer = f"http://127.0.0.1:{env['AGORA_WEB_OIDC_PORT']}"
    assert f"web app: {web_url}" in up_output, up_output
    web_config = _get_json(f"{web_url}/config.json")
    assert web_config["issuer"] == issuer
    assert web_config["endpoints"]["catalog"] == (
        f"http://127.0.0.1:{env['AGORA_CATALOG_CONNECT_PORT']}"
    )
    assert _get_json(f"{issuer}/.well-known/openid-configuration")["issuer"] == issuer
    with urllib.request.urlopen(f"{web_url}/", timeout=10) as page:  # noqa: S310 - loopback
        assert b'<div id="app">' in page.read()

    # the demo journey, as `make demo` runs it
    tenant = f"demo-test-{os.getpid()}"
    demo = subprocess.run(  # noqa: S603  # our own module
        [sys.executable, "-m", "agora_demo", "--tenant", tenant],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert demo.returncode == 0, f"demo failed:\n{demo.stdout}\n{demo.stderr}"
    for line in (
        "Léo Martin submits it for review",
        "Sofia Rossi claims and approves it",
        "Hugo Bernard takes the quiz (attempt 1): 33 % — failed",
        "Emma Clarke earned the badge “Champion RGPD · GDPR champion”",
        "Chloé Petit's inbox: “Reprenez",
        "Leaderboard (all time) as Emma Clarke",
        f"demo complete: tenant {tenant}",
    ):
        assert line in demo.stdout, f"missing {line!r} in:\n{demo.stdout}"
    asyncio.run(_outcomes(state, tenant))
    # the demo's people may now sign in to the web app
    people = json.loads((state_dir / "web-people.json").read_text())
    assert people["tenant"] == tenant
    assert {"emma", "marc", "sofia"} <= {p["id"] for p in people["people"]}
    web_pid = int((state_dir / "web.pid").read_text())

    # down: every process gone, the state file removed
    down = _platform("down", env, timeout=300)
    assert down.returncode == 0, f"make down failed:\n{down.stdout}\n{down.stderr}"
    assert [pid for pid in [*pids.values(), web_pid] if alive(pid)] == []
    assert not (state_dir / "platform.json").exists()
    for service in SERVICES:
        assert re.search(rf"✓ {service}\s+pid \d+ exited after SIGTERM", down.stdout), down.stdout
        assert not (state_dir / f"{service}.pid").exists()
