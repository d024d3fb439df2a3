"""The progress display of ``make up`` / ``make down``: one line per step with its
state, its latest news and its elapsed time (a live rich display on a terminal, plain
lines when the output is a file or a pipe, as in CI and tests)."""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import (
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

_MARKS = {"ok": Text("✓", style="green"), "fail": Text("✗", style="bold red")}


class _StateColumn(ProgressColumn):
    """A spinner while the step runs, then ✓ or ✗."""

    def __init__(self) -> None:
        super().__init__()
        self._spinner = SpinnerColumn()

    def render(self, task: Task) -> Text:
        mark = _MARKS.get(str(task.fields.get("state", "")))
        if mark is not None:
            return mark
        rendered = self._spinner.render(task)
        return rendered if isinstance(rendered, Text) else Text("…")


class Step:
    """One line of the display."""

    def __init__(self, display: Display, task: TaskID, title: str) -> None:
        self._display = display
        self._task = task
        self.title = title
        self._started = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._started

    def update(self, status: str) -> None:
        """Show the step's latest news (e.g. the last line a script printed)."""
        self._display.progress.update(self._task, status=self._display.clip(status))

    def done(self, status: str) -> None:
        self._finish("ok", status)

    def fail(self, status: str) -> None:
        self._finish("fail", status)

    def _finish(self, state: str, status: str) -> None:
        self._display.progress.update(
            self._task, status=self._display.clip(status), state=state, completed=1, refresh=True
        )
        self._display.progress.stop_task(self._task)
        if not self._display.live:
            mark = "✓" if state == "ok" else "✗"
            self._display.console.print(
                f"{mark} {self.title:<24} {status}  [{self.elapsed:.1f}s]",
                highlight=False,
                markup=False,
            )


class Display:
    """``with Display(console) as display: step = display.step("Kafka")``."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live = console.is_terminal
        self.progress = Progress(
            _StateColumn(),
            TextColumn("[bold]{task.description:<24}"),
            TimeElapsedColumn(),
            TextColumn("{task.fields[status]}", markup=False),
            console=console,
            disable=not self.live,
        )

    def __enter__(self) -> Display:
        self.progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.progress.stop()

    def step(self, title: str, status: str = "waiting") -> Step:
        task = self.progress.add_task(title, total=1, status=self.clip(status), state="run")
        return Step(self, task, title)

    def clip(self, text: str) -> str:
        """One line that fits beside the mark, the title and the time (no wrapping)."""
        width = max(20, self.console.width - 40)
        text = " ".join(text.split())
        return text if len(text) <= width else text[: width - 1] + "…"
