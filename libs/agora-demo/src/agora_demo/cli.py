"""``python -m agora_demo`` (``make demo``): the demo journey against the running platform."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated

import grpc
import typer
from rich.console import Console
from rich.panel import Panel

from agora_demo.cast import EVERYONE
from agora_demo.narration import Narrator
from agora_demo.platform import Platform
from agora_demo.story import Demo
from agora_demo.views import show_everything
from agora_demo.waiting import OutcomeMissing
from agora_demo.world import Timeouts
from agora_platform.config import WEB_PEOPLE_FILE
from agora_platform.state import PlatformNotRunning, default_state_dir, read_state
from agora_platform.web_identity import LocalPerson, people_json

REPO_ROOT = Path(__file__).resolve().parents[4]
console = Console(width=None if sys.stdout.isatty() else 160)
app = typer.Typer(add_completion=False)


def web_sign_in(state_dir: Path, tenant: str) -> None:
    """Let the demo's people sign in to the web app (its provider reads this file)."""
    people = [LocalPerson(p.person_id, p.name, p.roles) for p in EVERYONE]
    target = state_dir / WEB_PEOPLE_FILE
    target.with_suffix(".partial").write_text(json.dumps(people_json(tenant, people)))
    target.with_suffix(".partial").replace(target)


async def _run(state_dir: Path, tenant: str, timeouts: Timeouts) -> float:
    state = read_state(state_dir)
    narrator = Narrator(console)
    async with Platform(state, tenant) as platform:
        demo = Demo(platform, narrator, timeouts)
        await demo.seed()
        web_sign_in(state_dir, tenant)
        await demo.play()
        await show_everything(platform, console)
    return narrator.elapsed


@app.command()
def main_command(
    state_dir: Annotated[
        Path | None,
        typer.Option(help="The platform's state dir (default: $AGORA_LOCAL_DIR or .agora-local)."),
    ] = None,
    tenant: Annotated[
        str | None,
        typer.Option(help="Tenant to seed (default: demo-<UTC timestamp>, new each run)."),
    ] = None,
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for each asynchronous outcome.")
    ] = 90.0,
    reminder_timeout: Annotated[
        float, typer.Option(help="Seconds to wait for the relaunch reminder.")
    ] = 240.0,
) -> None:
    """Seed a bilingual demo tenant and play the story across the four services."""
    directory = state_dir or default_state_dir(REPO_ROOT)
    name = tenant or f"demo-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}"
    console.print(f"[bold]Agora demo[/] · tenant [bold]{name}[/] · platform {directory}")
    try:
        seconds = asyncio.run(
            _run(directory, name, Timeouts(outcome=timeout, reminder=reminder_timeout))
        )
    except PlatformNotRunning as error:
        console.print(f"[bold red]{error}[/]")
        raise typer.Exit(2) from None
    except OutcomeMissing as error:
        console.print(Panel(str(error), title="demo failed", border_style="red"))
        raise typer.Exit(1) from None
    except grpc.aio.AioRpcError as error:
        console.print(
            Panel(
                f"{error.code().name}: {error.details()}"
                + (
                    "\nIs the platform up? `make status` tells, `make up` starts it."
                    if error.code() == grpc.StatusCode.UNAVAILABLE
                    else ""
                ),
                title="demo failed: a call was refused",
                border_style="red",
            )
        )
        raise typer.Exit(1) from None
    console.print(f"[bold green]demo complete[/]: tenant {name} in {seconds:.1f}s")


def main() -> None:
    app()
