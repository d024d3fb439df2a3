"""``agora topics``: the CLI front of ``python -m agora_core.topics`` on the real broker."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from agora_cli.app import app
from agora_contracts.events.schemas import load_platform_events
from agora_core.testing import free_port

pytestmark = pytest.mark.integration


def test_topics_plan_reports_the_provisioned_platform_in_sync(kafka_bootstrap: str) -> None:
    result = CliRunner().invoke(app, ["topics", "plan", "--bootstrap-servers", kafka_bootstrap])
    assert result.exit_code == 0, result.output
    count = 2 * len(load_platform_events().topics())  # each topic and its .dlq
    assert result.output.splitlines()[-1] == (
        f"{count} topics: {count} in sync, 0 changes to apply, 0 differences apply never changes"
    )


def test_topics_apply_on_an_unreachable_broker_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGORA_TOPICS_WAIT_SECONDS", "0")
    address = f"127.0.0.1:{free_port()}"
    result = CliRunner().invoke(app, ["topics", "apply", "--bootstrap-servers", address])
    assert result.exit_code == 1
    assert f"agora topics: Kafka at {address} (PLAINTEXT)" in result.output
