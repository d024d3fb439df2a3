"""The developer's platform (``make up``) and the test environment (``make test``,
``make infra-up``, ``make bench``) are disjoint: no shared port, no shared state
directory, so the test suite's events and rows never land on the platform (issue 14,
part 8).

What is checked here: the resolution both sides really use (``tools/test-env.sh`` run
by ``/bin/sh`` as make runs it, ``agora_platform.config.load_config`` as the supervisor
runs it, and ``agora_platform.testenv`` as pytest's conftest runs it), that every entry
point sources the test environment before it starts anything, and -- on real
PostgreSQL servers -- that the scripts keep the two apart: stopping the test
environment leaves the platform's server running with its data, and no row crosses.
Not checked: a full ``make up; make test; make demo`` round (about ten minutes on the
2-core machine), nor Kafka started twice for real (``kafka.sh`` takes the same
``AGORA_LOCAL_DIR`` and port variables as ``postgres.sh``).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

import psycopg
import pytest

from agora_platform.config import PlatformConfig, load_config
from agora_platform.private import free_port
from agora_platform.testenv import suite_environment

from .layout import ROOT

pytestmark = pytest.mark.deploy

POSTGRES_SCRIPT = ROOT / "deploy" / "local" / "postgres.sh"


def shell_test_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """What ``. tools/test-env.sh`` exports, under the POSIX shell make uses."""
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **(extra or {})}
    out = subprocess.run(
        ["/bin/sh", "-c", ". tools/test-env.sh && env"],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if line.startswith("AGORA_"))


def platform_ports(config: PlatformConfig) -> set[int]:
    ports = {
        config.kafka_port,
        config.kafka_controller_port,
        config.postgres_port,
    }
    for service in config.services:
        ports |= {service.grpc_port, service.http_port}
        if service.public_port is not None:
            ports.add(service.public_port)
    return ports


def test_the_shell_and_python_resolutions_of_the_test_environment_agree() -> None:
    overrides = {
        "AGORA_TEST_LOCAL_DIR": "/srv/elsewhere",
        "AGORA_TEST_KAFKA_PORT": "39092",
        "AGORA_TEST_POSTGRES_PORT": "35432",
    }
    for environ in ({}, overrides):
        suite = suite_environment(ROOT, environ)
        shell = shell_test_env(environ)
        expected = {**suite.script_environ(), **suite.pytest_environ()}
        assert {k: shell.get(k) for k in expected} == expected
    assert suite_environment(ROOT, {}).state_dir == ROOT / ".agora-test"


def test_the_platform_and_the_test_environment_share_no_port_and_no_state_dir() -> None:
    platform = load_config(ROOT, {})
    suite = suite_environment(ROOT, {})
    assert platform.state_dir == ROOT / ".agora-local"
    assert suite.state_dir == ROOT / ".agora-test"
    assert not suite.state_dir.is_relative_to(platform.state_dir)
    assert not platform.state_dir.is_relative_to(suite.state_dir)
    assert platform_ports(platform).isdisjoint(suite.ports), (platform_ports(platform), suite.ports)
    assert len(suite.ports) == 4  # Kafka, its controller and SASL, PostgreSQL
    # The services' defaults (what a service started by hand connects to) are the platform's.
    assert platform.kafka_bootstrap == "127.0.0.1:19092"
    assert platform.postgres_address == "127.0.0.1:15432"


def test_a_developers_exported_platform_settings_do_not_pull_the_tests_onto_the_platform() -> None:
    platform = load_config(ROOT, {})
    developer = {
        **{k: v for k, v in platform.script_env({}).items() if k.startswith("AGORA_")},
        "AGORA_KAFKA_SASL_PORT": "19094",
    }
    shell = shell_test_env(developer)
    suite = suite_environment(ROOT, developer)
    assert shell["AGORA_LOCAL_DIR"] == str(ROOT / ".agora-test")
    assert {k: shell[k] for k in suite.script_environ()} == suite.script_environ()
    assert suite.ports == suite_environment(ROOT, {}).ports


@pytest.mark.parametrize(
    "target", ["infra-up", "infra-down", "infra-status", "test", "bench", "bench-core"]
)
def test_every_entry_point_of_the_test_environment_sources_it_first(target: str) -> None:
    recipe = subprocess.run(  # noqa: S603
        ["make", "-n", "-s", target],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "infra.sh" in recipe:
        assert recipe.strip().startswith(". tools/test-env.sh && deploy/local/infra.sh"), recipe
        return
    # tools/test.sh, tools/bench.sh (bench-core passes it options)
    script = ROOT / next(word for word in recipe.split() if word.startswith("tools/"))
    text = script.read_text(encoding="utf-8")
    assert text.index(". tools/test-env.sh") < text.index("deploy/local/infra.sh up")


def _sequence_ports() -> tuple[int, int]:
    # Free ports by default; AGORA_TEST_SEQUENCE_PORTS="a,b" pins them (shared machines).
    pinned = os.environ.get("AGORA_TEST_SEQUENCE_PORTS", "").strip()
    if pinned:
        first, second = (int(p) for p in pinned.split(","))
        return first, second
    return free_port(), free_port()


def _postgres(command: str, env: Mapping[str, str]) -> None:
    subprocess.run(  # noqa: S603
        ["bash", str(POSTGRES_SCRIPT), command],  # noqa: S607
        env=dict(env),
        check=True,
        capture_output=True,
    )


def _catalog(port: int) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(
        host="127.0.0.1",
        port=port,
        user="agora_catalog",
        password="agora-local-catalog",  # provisioned dev password
        dbname="agora_catalog",
        autocommit=True,
        connect_timeout=5,
    )


@pytest.mark.integration
def test_stopping_the_test_environment_leaves_the_platforms_database_running_and_apart(
    tmp_path: Path,
) -> None:
    platform_port, test_port = _sequence_ports()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    platform = load_config(
        ROOT,
        {"AGORA_LOCAL_DIR": str(tmp_path / "platform"), "AGORA_POSTGRES_PORT": str(platform_port)},
    ).script_env(clean)
    suite = suite_environment(
        ROOT,
        {
            "AGORA_TEST_LOCAL_DIR": str(tmp_path / "test"),
            "AGORA_TEST_POSTGRES_PORT": str(test_port),
        },
    )
    test_env = {**clean, **suite.script_environ()}
    try:
        _postgres("start", platform)  # make up
        with _catalog(platform_port) as conn:
            conn.execute("CREATE TABLE courses (title text)")
            conn.execute("INSERT INTO courses VALUES ('the platform''s course')")
        _postgres("start", test_env)  # make test: infra up
        with _catalog(test_port) as conn:  # the suite writes its fuzz
            conn.execute("CREATE TABLE courses (title text)")
            conn.execute("INSERT INTO courses VALUES ('fuzz from the suite')")
        _postgres("stop", test_env)  # make test: infra down at the end

        with _catalog(platform_port) as conn:  # make demo again: all there, nothing else
            rows = conn.execute("SELECT title FROM courses").fetchall()
        assert rows == [("the platform's course",)]
        with pytest.raises(psycopg.OperationalError):
            _catalog(test_port).close()
        _postgres("status", platform)
    finally:
        _postgres("stop", test_env)
        _postgres("stop", platform)
