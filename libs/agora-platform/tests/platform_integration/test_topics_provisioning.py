"""``make up``'s topics step runs the real command against a running broker."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from rich.console import Console

from agora_contracts.events.schemas import load_platform_events
from agora_platform.display import Display
from agora_platform.supervisor import provision_topics

pytestmark = pytest.mark.integration


async def test_the_topics_step_applies_and_logs_the_outcome(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    log = tmp_path / "topics.log"
    with Display(Console(file=io.StringIO())) as display:
        await provision_topics(display.step("topics"), kafka_bootstrap, os.environ, log)
    lines = log.read_text(encoding="utf-8").splitlines()
    assert lines[0].endswith("-m agora_core.topics apply")
    count = 2 * len(load_platform_events().topics())
    # infra.sh up provisioned the broker: the step finds everything in sync.
    assert f"{count} topics: {count} in sync, 0 changes to apply" in "\n".join(lines)
    assert lines[-1].endswith("nothing to apply")
