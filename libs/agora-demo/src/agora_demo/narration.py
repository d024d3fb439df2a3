"""How the demo tells its story: a rule per scene, one line per action and per
outcome observed, each stamped with the time since the demo began."""

from __future__ import annotations

import time

from rich.console import Console
from rich.markup import escape

from agora_demo.cast import Person


class Narrator:
    def __init__(self, console: Console) -> None:
        self.console = console
        self._started = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._started

    def _stamp(self) -> str:
        return f"[dim]{self.elapsed:6.1f}s[/]"

    def scene(self, number: int, title: str) -> None:
        self.console.print()
        self.console.rule(f"[bold]{number}. {escape(title)}", align="left")

    def act(self, who: Person, action: str) -> None:
        """Someone does something (an RPC)."""
        self.console.print(
            f"{self._stamp()} [cyan]→[/] [bold]{escape(who.name)}[/] {escape(action)}"
        )

    def saw(self, outcome: str) -> None:
        """An outcome, usually asynchronous, observed over gRPC."""
        self.console.print(f"{self._stamp()} [green]✓[/] {escape(outcome)}")

    def wait(self, what: str) -> None:
        self.console.print(f"{self._stamp()} [yellow]…[/] waiting for {escape(what)}")
