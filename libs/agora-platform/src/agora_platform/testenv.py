"""The test environment: the platform's infrastructure in its own state directory and
on its own ports, so that ``make test`` never touches the developer's platform.

This is the Python mirror of ``tools/test-env.sh`` (which ``tools/test.sh``,
``tools/bench.sh`` and ``make infra-up`` source): pytest's defaults come from here, so
``make infra-up && .venv/bin/pytest …`` finds the infrastructure ``make infra-up``
started. ``tests/deploy/test_local_environments.py`` checks that the two agree and that
neither shares a port or a state directory with the platform (``agora_platform.config``).

Like the shell file, it reads only ``AGORA_TEST_*`` overrides, never the platform's
``AGORA_LOCAL_DIR`` / ``AGORA_KAFKA_PORT`` …: a developer's exported platform settings
must not pull the test suite onto the platform.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

TEST_STATE_DIR_NAME = ".agora-test"
# deploy/local/postgres.sh's default superuser password: loopback development only.
TEST_POSTGRES_PASSWORD = "agora-local-postgres"  # noqa: S105

# AGORA_TEST_<name> overrides each; the defaults are tools/test-env.sh's.
TEST_PORT_DEFAULTS: dict[str, int] = {
    "KAFKA_PORT": 29092,
    "KAFKA_CONTROLLER_PORT": 29093,
    "KAFKA_SASL_PORT": 29094,
    "POSTGRES_PORT": 25432,
}


@dataclass(frozen=True)
class SuiteEnvironment:
    """Where the test suite's infrastructure lives and listens."""

    state_dir: Path
    kafka_port: int
    kafka_controller_port: int
    kafka_sasl_port: int
    postgres_port: int
    postgres_password: str

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def kafka_sasl(self) -> str:
        return f"127.0.0.1:{self.kafka_sasl_port}"

    @property
    def postgres_dsn(self) -> str:
        """The superuser's DSN (the tests create what they need with it)."""
        return (
            f"postgresql://postgres:{self.postgres_password}@127.0.0.1:{self.postgres_port}"
            "/postgres"
        )

    @property
    def ports(self) -> frozenset[int]:
        return frozenset(
            (
                self.kafka_port,
                self.kafka_controller_port,
                self.kafka_sasl_port,
                self.postgres_port,
            )
        )

    def script_environ(self) -> dict[str, str]:
        """What ``deploy/local/*.sh`` read: run them with this to act on the test
        environment (never on the platform's state directory)."""
        return {
            "AGORA_LOCAL_DIR": str(self.state_dir),
            "AGORA_KAFKA_PORT": str(self.kafka_port),
            "AGORA_KAFKA_CONTROLLER_PORT": str(self.kafka_controller_port),
            "AGORA_KAFKA_SASL_PORT": str(self.kafka_sasl_port),
            "AGORA_POSTGRES_PORT": str(self.postgres_port),
            "AGORA_POSTGRES_PASSWORD": self.postgres_password,
        }

    def pytest_environ(self) -> dict[str, str]:
        """The addresses pytest's fixtures read (root ``conftest.py``)."""
        return {
            "AGORA_TEST_KAFKA": self.kafka_bootstrap,
            "AGORA_TEST_KAFKA_SASL": self.kafka_sasl,
            "AGORA_TEST_POSTGRES_DSN": self.postgres_dsn,
        }


def _port(environ: Mapping[str, str], name: str) -> int:
    raw = environ.get(f"AGORA_TEST_{name}", "").strip()
    if not raw:
        return TEST_PORT_DEFAULTS[name]
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"AGORA_TEST_{name}={raw!r}: expected a port number") from None


def suite_environment(root: Path, environ: Mapping[str, str]) -> SuiteEnvironment:
    """The test environment of the checkout at ``root``, with ``AGORA_TEST_*`` overrides."""
    return SuiteEnvironment(
        state_dir=Path(environ.get("AGORA_TEST_LOCAL_DIR") or root / TEST_STATE_DIR_NAME),
        kafka_port=_port(environ, "KAFKA_PORT"),
        kafka_controller_port=_port(environ, "KAFKA_CONTROLLER_PORT"),
        kafka_sasl_port=_port(environ, "KAFKA_SASL_PORT"),
        postgres_port=_port(environ, "POSTGRES_PORT"),
        postgres_password=environ.get("AGORA_TEST_POSTGRES_PASSWORD") or TEST_POSTGRES_PASSWORD,
    )
