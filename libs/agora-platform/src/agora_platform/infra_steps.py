"""Steps of ``up`` that run outside Python: the ``deploy/local`` scripts (Kafka,
PostgreSQL) and the topics' provisioning, each shown as a step and failing with the
tail of its log."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from agora_platform.display import Step
from agora_platform.processes import log_tail


class StepFailed(Exception):
    """A step of ``up`` failed; ``details`` says what to look at."""

    def __init__(self, step: str, message: str, details: str = "") -> None:
        super().__init__(f"{step}: {message}")
        self.step = step
        self.message = message
        self.details = details


async def run_script(
    step: Step, argv: Sequence[str], env: Mapping[str, str], log_file: Path, done: str
) -> None:
    """Run a deploy script, streaming its output to ``log_file`` and its last line to
    the display; StepFailed (with the output's tail) if it exits non-zero."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    process = await asyncio.create_subprocess_exec(
        *argv,
        env=dict(env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    try:
        with log_file.open("a", encoding="utf-8") as log:
            log.write(f"=== {time.strftime('%Y-%m-%dT%H:%M:%S')} {' '.join(argv)}\n")
            async for raw in process.stdout:
                line = raw.decode("utf-8", errors="replace").rstrip()
                log.write(line + "\n")
                log.flush()
                if line.strip():
                    step.update(line)
        code = await process.wait()
    except asyncio.CancelledError:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        await process.wait()
        raise
    if code != 0:
        step.fail(f"failed (exit {code}); see {log_file}")
        raise StepFailed(step.title, f"exit {code}", log_tail(log_file, 25))
    step.done(done)


def topics_env(environ: Mapping[str, str], kafka_bootstrap: str) -> dict[str, str]:
    """The environment of ``python -m agora_core.topics`` against the local broker.

    The local broker's client port is PLAINTEXT; ``AGORA_KAFKA_SASL_*`` there name the
    user of kafka.sh's test listener, not a login of this client, so they are dropped.
    """
    env = {k: v for k, v in environ.items() if not k.startswith("AGORA_KAFKA_SASL_")}
    env["AGORA_KAFKA_BOOTSTRAP_SERVERS"] = kafka_bootstrap
    env["AGORA_KAFKA_SECURITY_PROTOCOL"] = "PLAINTEXT"
    return env


async def provision_topics(
    step: Step, kafka_bootstrap: str, environ: Mapping[str, str], log_file: Path
) -> None:
    """``python -m agora_core.topics apply``: clients never create topics, so every
    registry topic and its ``.dlq`` exist before a service starts."""
    await run_script(
        step,
        [sys.executable, "-m", "agora_core.topics", "apply"],
        topics_env(environ, kafka_bootstrap),
        log_file,
        "every topic provisioned",
    )
