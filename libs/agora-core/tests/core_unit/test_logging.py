"""Structured logs carry context and never secrets."""

from __future__ import annotations

import json

import pytest
import structlog

from agora_core.logging import configure_logging, redact_text

pytestmark = pytest.mark.unit


def test_tokens_and_uri_passwords_are_redacted_from_text() -> None:
    text = (
        "auth Bearer abc.def.ghi failed for mongodb://admin:hunter2@db:27017/ "
        "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJl"
    )
    cleaned = redact_text(text)
    assert "abc.def.ghi" not in cleaned
    assert "hunter2" not in cleaned
    assert "eyJzdWIiOiJ1MSJ9" not in cleaned
    assert "mongodb://[redacted]@db:27017/" in cleaned


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
