"""``agora topics plan|apply``: the platform's Kafka topics, provisioned from the registry.

A thin front of ``python -m agora_core.topics`` (the same code, settings and exit
codes: 0 done, 1 Kafka refused or unreachable, 2 bad settings); see the "Topics"
section of docs/messaging.md.
"""

from __future__ import annotations

import logging
from typing import Annotated, Literal

import typer

app = typer.Typer(
    help="Kafka topics from the event registry: report drift (plan), fix it (apply).",
    no_args_is_help=True,
)

BootstrapServers = Annotated[
    str | None,
    typer.Option(
        "--bootstrap-servers",
        envvar="AGORA_KAFKA_BOOTSTRAP_SERVERS",
        help="Kafka bootstrap servers (default: AGORA_KAFKA_BOOTSTRAP_SERVERS, else "
        "127.0.0.1:19092). Security and topic shape: AGORA_KAFKA_*, AGORA_TOPICS_*.",
        show_default=False,
    ),
]


def _run(command: Literal["plan", "apply"], bootstrap_servers: str | None) -> None:
    from agora_core.topics.command import run_command  # heavy: imported on use

    # aiokafka logs each refused connection; the command reports the outcome itself.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    raise typer.Exit(run_command(command, bootstrap_servers=bootstrap_servers))


@app.command("plan")
def plan(bootstrap_servers: BootstrapServers = None) -> None:
    """Report missing topics, too few partitions and differing configs; change nothing."""
    _run("plan", bootstrap_servers)


@app.command("apply")
def apply(bootstrap_servers: BootstrapServers = None) -> None:
    """Create missing topics, raise partitions (never lowers), align configs; idempotent."""
    _run("apply", bootstrap_servers)
