"""Structured logs carry context and never secrets."""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest
import structlog

from agora_core.logging import configure_logging, redact_text

pytestmark = pytest.mark.unit


def test_tokens_and_uri_passwords_are_redacted_from_text() -> None:
    text = (
        "auth Bearer abc.def.ghi failed for postgresql://admin:hunter2@db:5432/agora "
        "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJl"
    )
    cleaned = redact_text(text)
    assert "abc.def.ghi" not in cleaned
    assert "hunter2" not in cleaned
    assert "eyJzdWIiOiJ1MSJ9" not in cleaned
    assert "postgresql://[redacted]@db:5432/agora" in cleaned


def test_log_lines_are_json_with_context_and_without_secrets(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("catalog", "INFO")
    log = structlog.get_logger("test")
    with structlog.contextvars.bound_contextvars(trace="t-123", tenant="acme"):
        log.info("called", authorization="Bearer abc.def.ghi", password="pw", detail="ok")
    line = capsys.readouterr().out.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["service"] == "catalog"
    assert record["trace"] == "t-123"
    assert record["tenant"] == "acme"
    assert record["event"] == "called"
    assert record["authorization"] == "[redacted]"
    assert record["password"] == "[redacted]"
    assert "abc.def.ghi" not in line


def test_logging_follows_a_replaced_stdout(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", first)
    configure_logging("catalog", "INFO")
    # a test's captured stream is replaced and closed after the test; later lines must
    # go to the current stdout instead of failing on the closed one
    monkeypatch.setattr(sys, "stdout", second)
    first.close()
    structlog.get_logger("test").info("after the swap")
    logging.getLogger("aiokafka").warning("library line")
    lines = [json.loads(line) for line in second.getvalue().splitlines()]
    assert [line["event"] for line in lines] == ["after the swap", "library line"]
