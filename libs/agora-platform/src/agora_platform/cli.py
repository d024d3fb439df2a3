"""``python -m agora_platform up|down|status`` (what ``make up/down/status`` run)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from agora_platform import supervisor
from agora_platform.config import ConfigurationError, PlatformConfig, load_config

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Run the Agora platform on this machine: Kafka, PostgreSQL and every service.",
)
# Piped output (CI, tests, `| tee`) gets a wide console so the tables are not truncated.
console = Console(width=None if sys.stdout.isatty() else 160)

REPO_ROOT = Path(__file__).resolve().parents[4]
"""libs/agora-platform/src/agora_platform/cli.py → the repository (editable install)."""


def _config(root: Path | None) -> PlatformConfig:
    try:
        return load_config((root or REPO_ROOT).absolute(), os.environ)
    except ConfigurationError as error:
        console.print(f"[bold red]configuration error:[/] {error}")
        raise typer.Exit(2) from None


def _failures(error: BaseException) -> list[supervisor.StepFailed]:
    if isinstance(error, supervisor.StepFailed):
        return [error]
    if isinstance(error, BaseExceptionGroup):
        found: list[supervisor.StepFailed] = []
        for inner in error.exceptions:
            found += _failures(inner)
        return found
    return []


RootOption = typer.Option(None, "--root", help="Repository root (default: this checkout).")


@app.command()
def up(root: Path | None = RootOption) -> None:
    """Install what is missing, start Kafka, PostgreSQL and the services, wait until SERVING."""
    config = _config(root)
    console.print(f"[bold]Agora[/] platform up · state in {config.state_dir}")
    try:
        result = asyncio.run(supervisor.up(config, console))
    except (supervisor.StepFailed, BaseExceptionGroup) as error:
        failures = _failures(error)
        if not failures:
            raise
        for failure in failures:
            body = failure.message + (f"\n\n{failure.details}" if failure.details else "")
            console.print(Panel(body, title=f"{failure.step} failed", border_style="red"))
        console.print(
            "What did start is left running: `make status` shows it, `make down` stops it."
        )
        raise typer.Exit(1) from None
    console.print(supervisor.endpoints_table(config, result.state))
    console.print(
        f"[bold]web app[/]: {config.web_url} · sign in as one of the demo tenant's people "
        f"(emma, hugo, chloe, leo, sofia, marc, ines; any password) after `make demo` · "
        f"OpenID Connect provider {config.web_issuer}"
    )
    console.print(
        f"[green]platform up in {result.seconds:.1f}s[/] · dev tokens are signed with "
        f"{result.state.dev_secret_file} · `make demo` plays the demo, `make down` stops all"
    )


@app.command()
def down(root: Path | None = RootOption) -> None:
    """Stop every service (SIGTERM, then SIGKILL after the grace), Kafka and PostgreSQL."""
    config = _config(root)
    console.print(f"[bold]Agora[/] platform down · state in {config.state_dir}")
    reports = asyncio.run(supervisor.down(config, console))
    table = Table(title="stopped", title_style="bold")
    table.add_column("component")
    table.add_column("outcome")
    for report in reports:
        style = "" if report.ok else "red"
        table.add_row(report.component, report.outcome, style=style)
    console.print(table)
    if not all(report.ok for report in reports):
        raise typer.Exit(1)


@app.command()
def status(root: Path | None = RootOption) -> None:
    """Show whether Kafka, PostgreSQL and each service run and answer."""
    config = _config(root)
    components = asyncio.run(supervisor.status(config))
    table = Table(title=f"Agora platform · {config.state_dir}", title_style="bold")
    for column in ("component", "address", "state", "detail"):
        table.add_column(column)
    for item in components:
        state = "[green]running[/]" if item.running else "[red]down[/]"
        table.add_row(item.component, item.address, state, item.detail)
    console.print(table)
    if not all(item.running for item in components):
        raise typer.Exit(3)


def main() -> None:
    app()
