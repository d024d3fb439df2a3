"""Commands and rules that need no service: tokens, times, enum choices, exit codes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

import grpc
import jwt
import pytest
import typer
from typer.testing import CliRunner

from agora_cli.app import app
from agora_cli.enums import PROTO_CHOICES, proto_names, to_proto
from agora_cli.errors import ExitCode, exit_code_for
from agora_cli.times import parse_moment

pytestmark = pytest.mark.unit

SECRET = "a-dev-secret-for-the-cli-unit-tests-0123456789"
RUNNER = CliRunner()


@pytest.fixture(autouse=True)
def no_local_secret(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Run from an empty directory with no secret in the environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AGORA_JWT_HS256_SECRET", raising=False)
    monkeypatch.delenv("AGORA_LOCAL_DIR", raising=False)
    monkeypatch.delenv("AGORA_TOKEN", raising=False)
    return tmp_path


def test_mint_prints_a_bare_token_signed_with_the_env_secret() -> None:
    result = RUNNER.invoke(
        app,
        ["token", "mint", "--sub", "u-ada", "--tenant", "acme", "--roles", "learner, expert"],
        env={"AGORA_JWT_HS256_SECRET": SECRET},
    )
    assert result.exit_code == 0, result.output
    claims = jwt.decode(result.stdout.strip(), SECRET, algorithms=["HS256"])
    assert (claims["sub"], claims["tenant"], claims["roles"]) == (
        "u-ada",
        "acme",
        ["learner", "expert"],
    )


def test_mint_reads_the_local_platform_secret_and_global_defaults(no_local_secret: Path) -> None:
    state = no_local_secret / ".agora-local"
    state.mkdir()
    (state / "dev-jwt-secret").write_text(SECRET + "\n")
    result = RUNNER.invoke(
        app,
        [
            "--json",
            "--user",
            "u-bob",
            "--tenant",
            "globex",
            "--roles",
            "admin",
            "token",
            "mint",
            "--ttl-minutes",
            "5",
        ],
    )
    assert result.exit_code == 0, result.output
    minted = json.loads(result.stdout)
    claims = jwt.decode(minted["token"], SECRET, algorithms=["HS256"])
    assert (claims["sub"], claims["tenant"], claims["roles"]) == ("u-bob", "globex", ["admin"])
    expires = datetime.fromisoformat(minted["expires_at"])
    assert timedelta(minutes=4) < expires - datetime.now(UTC) <= timedelta(minutes=5)


def test_mint_without_any_secret_is_a_usage_error() -> None:
    result = RUNNER.invoke(app, ["token", "mint"])
    assert result.exit_code == ExitCode.USAGE
    assert "AGORA_JWT_HS256_SECRET" in result.stderr


def test_an_unknown_choice_is_a_usage_error() -> None:
    result = RUNNER.invoke(app, ["catalog", "search", "--type", "hologram"])
    assert result.exit_code == ExitCode.USAGE


@pytest.mark.parametrize("choice_type", list(PROTO_CHOICES))
def test_choices_mirror_their_proto_enum(choice_type: type[StrEnum]) -> None:
    assert {c.value for c in choice_type} == proto_names(choice_type)
    assert all(to_proto(c) != 0 for c in choice_type)


def test_moments_are_iso_times_or_durations_ago() -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert parse_moment("2h", now=now) == now - timedelta(hours=2)
    assert parse_moment("15m", now=now) == now - timedelta(minutes=15)
    assert parse_moment("2026-11-23T10:00:00Z") == datetime(2026, 11, 23, 10, tzinfo=UTC)
    assert parse_moment("2026-11-23T10:00:00") == datetime(2026, 11, 23, 10, tzinfo=UTC)
    assert parse_moment("2026-11-23T11:00:00+01:00") == datetime(2026, 11, 23, 10, tzinfo=UTC)
    with pytest.raises(typer.BadParameter):
        parse_moment("last tuesday")


def test_exit_codes_group_status_codes() -> None:
    assert exit_code_for(grpc.StatusCode.NOT_FOUND) == ExitCode.NOT_FOUND
    assert exit_code_for(grpc.StatusCode.UNAUTHENTICATED) == ExitCode.PERMISSION
    assert exit_code_for(grpc.StatusCode.PERMISSION_DENIED) == ExitCode.PERMISSION
    assert exit_code_for(grpc.StatusCode.FAILED_PRECONDITION) == ExitCode.CONFLICT
    assert exit_code_for(grpc.StatusCode.DEADLINE_EXCEEDED) == ExitCode.UNAVAILABLE
    assert exit_code_for(grpc.StatusCode.INTERNAL) == ExitCode.FAILURE
    assert len({code.value for code in ExitCode}) == len(ExitCode)
