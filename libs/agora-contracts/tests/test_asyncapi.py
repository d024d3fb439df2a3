"""The events catalogue: fresh, complete, and valid for the real AsyncAPI tooling."""

from __future__ import annotations

import copy
import fcntl
import json
import os
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from agora_contracts.events import CloudEventEnvelope
from agora_contracts.events.asyncapi import (
    DOCS_DIR,
    DOCUMENT_NAME,
    PAGE_NAME,
    build_document,
    generated_files,
    render_yaml,
)
from agora_contracts.events.header_schemas import DLQ_HEADERS
from agora_contracts.events.schemas import load_platform_events
from agora_contracts.events.topology import SERVICES

REGISTRY = load_platform_events()
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
CLI_VERSION = "6.2.0"
CLI_HOME = (
    Path(os.environ.get("AGORA_CACHE_DIR", Path.home() / ".cache" / "agora")) / "asyncapi-cli"
)


@cache
def _committed_text() -> str:
    return (DOCS_DIR / DOCUMENT_NAME).read_text("utf-8")


def committed() -> dict[str, Any]:
    """The committed document, parsed (a fresh copy per call; parsing is the slow part)."""
    loaded: dict[str, Any] = yaml.load(_committed_text(), Loader=_LOADER)  # noqa: S506
    return loaded


@pytest.mark.unit
def test_the_committed_catalogue_is_what_the_registry_generates() -> None:
    for name, content in generated_files(REGISTRY).items():
        path = DOCS_DIR / name
        assert path.exists(), f"{path} missing: python -m agora_contracts.events.asyncapi --write"
        assert path.read_text("utf-8") == content, (
            f"{path} is stale: python -m agora_contracts.events.asyncapi --write"
        )


@pytest.mark.unit
def test_every_registered_type_is_a_message_of_its_topic_channel_with_a_real_example() -> None:
    document = committed()
    messages = document["components"]["messages"]
    assert set(messages) == {spec.event_type for spec in REGISTRY} | {"DeadLetter"}
    for spec in REGISTRY:
        channel = document["channels"][spec.topic]
        assert channel["address"] == spec.topic
        assert spec.event_type in channel["messages"]
        message = messages[spec.event_type]
        assert spec.key_description in message["bindings"]["kafka"]["key"]["description"]
        [example] = message["examples"]
        envelope = CloudEventEnvelope.from_headers(example["headers"])
        assert envelope.type == spec.event_type
        # the example payload is what the model writes, and reads back to the same value
        payload = spec.payload.model_validate(example["payload"])
        assert json.loads(payload.model_dump_json()) == example["payload"]
        properties = document["components"]["schemas"][spec.payload.__name__]["properties"]
        assert set(properties) == {(f.alias or n) for n, f in spec.payload.model_fields.items()}, (
            spec.event_type
        )


@pytest.mark.unit
def test_every_topic_has_a_dead_letter_channel_with_the_dlq_headers() -> None:
    document = committed()
    dead_letter = document["components"]["schemas"]["DeadLetterHeaders"]
    assert set(dead_letter["required"]) == set(DLQ_HEADERS)
    for topic in REGISTRY.topics():
        dlq = document["channels"][f"{topic}.dlq"]
        assert dlq["address"] == f"{topic}.dlq"
        assert list(dlq["messages"]) == ["DeadLetter"]


@pytest.mark.unit
def test_dlq_headers_match_what_the_consumer_writes() -> None:
    """The contracts cannot import the runtime; compare with its source instead."""
    messaging = Path(__file__).resolve().parents[2] / "agora-core/src/agora_core/messaging"
    # The headers are written in dead_letters.py, the reasons given in group_member.py
    # and records.py (a record that is not a CloudEvent).
    source = "\n".join(
        (messaging / name).read_text("utf-8")
        for name in ("dead_letters.py", "group_member.py", "records.py")
    )
    written = {
        "agora-dlq-" + line.split("}", 1)[1].split('"', 1)[0]
        for line in source.splitlines()
        if 'f"{DLQ_HEADER_PREFIX}' in line and '": ' in line
    }
    assert written == set(DLQ_HEADERS)
    reasons = DLQ_HEADERS["agora-dlq-reason"][1]["enum"]
    for reason in reasons:
        assert f'"{reason}"' in source, reason


@pytest.mark.unit
def test_each_topic_has_one_producer_and_its_consumers_as_operations() -> None:
    operations = committed()["operations"]
    for topic in REGISTRY.topics():
        senders = [
            op
            for op in operations.values()
            if op["action"] == "send" and op["channel"]["$ref"] == f"#/channels/{topic}"
        ]
        assert len(senders) == 1, topic
        receivers = {
            name.split(".", 1)[0]
            for name, op in operations.items()
            if op["action"] == "receive" and op["channel"]["$ref"] == f"#/channels/{topic}"
        }
        assert receivers == {s.name for s in SERVICES if topic in s.consumed_topics(REGISTRY)}


@pytest.mark.unit
def test_the_page_lists_every_type_and_field() -> None:
    page = (DOCS_DIR / PAGE_NAME).read_text("utf-8")
    for spec in REGISTRY:
        assert f"### {spec.event_type}" in page
        for name, field in spec.payload.model_fields.items():
            assert f"| `{field.alias or name}` |" in page, (spec.event_type, name)


# -- the real AsyncAPI CLI --------------------------------------------------------------


@pytest.fixture(scope="session")
def asyncapi_cli() -> Path:
    """``@asyncapi/cli`` installed once into the cache (npm install --prefix)."""
    npm = shutil.which("npm")
    assert npm is not None, "npm is required to validate the AsyncAPI document"
    binary = CLI_HOME / "node_modules" / ".bin" / "asyncapi"
    manifest = CLI_HOME / "node_modules" / "@asyncapi" / "cli" / "package.json"
    CLI_HOME.mkdir(parents=True, exist_ok=True)
    with (CLI_HOME / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one install even with parallel sessions
        installed = (
            json.loads(manifest.read_text("utf-8")).get("version") if manifest.exists() else None
        )
        if not binary.exists() or installed != CLI_VERSION:
            subprocess.run(  # noqa: S603 - fixed arguments, npm from PATH
                [
                    npm,
                    "install",
                    "--prefix",
                    str(CLI_HOME),
                    "--no-audit",
                    "--no-fund",
                    "--prefer-offline",
                    f"@asyncapi/cli@{CLI_VERSION}",
                ],
                check=True,
                capture_output=True,
                timeout=900,
            )
    return binary


def validate(cli: Path, document: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CI": "true",
        "ASYNCAPI_METRICS": "false",
        "NO_COLOR": "1",
        "SUPPRESS_NO_CONFIG_WARNING": "1",
    }
    return subprocess.run(  # noqa: S603 - our cached CLI, our own file
        [str(cli), "validate", str(document), "--fail-severity", "error"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=document.parent,
    )


# the first run installs the CLI (minutes on a cold npm cache): more than the default timeout
@pytest.mark.integration
@pytest.mark.timeout(1800)
def test_the_committed_document_is_valid_asyncapi(asyncapi_cli: Path) -> None:
    result = validate(asyncapi_cli, DOCS_DIR / DOCUMENT_NAME)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "is valid" in output, output


@pytest.mark.integration
@pytest.mark.timeout(1800)
def test_the_validator_rejects_a_broken_document(asyncapi_cli: Path, tmp_path: Path) -> None:
    """Proves the validation above can fail: a dangling reference and a bad action."""
    document = copy.deepcopy(build_document(REGISTRY, "0.0.0"))
    first = next(iter(document["operations"].values()))
    first["action"] = "publish"  # AsyncAPI 2 vocabulary, invalid in 3.0
    first["channel"] = {"$ref": "#/channels/no.such.topic"}
    broken = tmp_path / "asyncapi.yaml"
    broken.write_text(render_yaml(document), encoding="utf-8")
    result = validate(asyncapi_cli, broken)
    assert result.returncode != 0, result.stdout + result.stderr
