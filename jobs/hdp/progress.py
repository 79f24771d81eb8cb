"""Progress for long work: one line per step as it starts and ends, and the durations for the summary."""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from rich.console import Console


@dataclass
class Step:
    name: str
    started: float = field(default_factory=time.monotonic)
    note: str = ""
    seconds: float = 0.0

    def done(self, note: str) -> None:
        self.note = note


class Progress:
    def __init__(self, console: Console | None = None, quiet: bool = False):
        self.console = console or Console(stderr=True, highlight=False)
        self.quiet = quiet
        self.steps: list[Step] = []

    @contextmanager
    def step(self, name: str):
        step = Step(name)
        if not self.quiet:
            self.console.print(f"[dim]…[/dim] {name}")
        try:
            yield step
        except Exception:
            if not self.quiet:
                self.console.print(f"[red]✗[/red] {name} failed after {time.monotonic() - step.started:.1f}s")
            raise
        step.seconds = time.monotonic() - step.started
        self.steps.append(step)
        if not self.quiet:
            note = f" — {step.note}" if step.note else ""
            self.console.print(f"[green]✓[/green] {name}{note} [dim]({step.seconds:.1f}s)[/dim]")

    def info(self, message: str) -> None:
        if not self.quiet:
            self.console.print(message)
