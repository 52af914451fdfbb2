"""The command line's rendering of :class:`planner.progress.Progress`: bars on a terminal, lines in a log.

On a terminal each step is a live ``rich`` bar (a spinner when its length
is unknown) with the time taken and, for counted steps, the time left;
finished steps stay on screen with their time. When stderr is not a
terminal (CI logs, pipes, files) each step prints one plain line when it
ends, so logs stay short. ``PLANNER_PROGRESS=off`` silences both.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any, TextIO

from planner.report.plain import duration


class BarProgress:
    """A :class:`planner.progress.Progress` drawn on ``stream`` (stderr by default).

    Parameters
    ----------
    stream : TextIO, optional
        Where to draw (default ``sys.stderr``).
    live : bool, optional
        Live bars (default: when ``stream`` is a terminal).
    """

    def __init__(self, stream: TextIO | None = None, *, live: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.live = tty if live is None else live
        self.enabled = os.environ.get("PLANNER_PROGRESS", "on").strip().lower() not in ("0", "off", "no", "false")
        self._open: list[tuple[str, int | None, float, Any, int]] = []
        self._bars: Any = None

    # ------------------------------------------------------------------ protocol
    def start(self, label: str, total: int | None = None) -> None:
        """A step begins."""
        task = None
        if self.enabled and self.live:
            bars = self._ensure_bars()
            task = bars.add_task(("  " * len(self._open)) + label, total=total)
        self._open.append((label, total, time.perf_counter(), task, 0))

    def advance(self, amount: int = 1) -> None:
        """The innermost step did ``amount`` more units."""
        if not self._open:
            return
        label, total, t0, task, done = self._open[-1]
        self._open[-1] = (label, total, t0, task, done + amount)
        if task is not None and self._bars is not None:
            self._bars.advance(task, amount)

    def finish(self) -> None:
        """The innermost step is done: its bar is completed (terminal) or one line printed (log)."""
        if not self._open:
            return
        label, total, t0, task, done = self._open.pop()
        seconds = time.perf_counter() - t0
        if not self.enabled:
            return
        if task is not None and self._bars is not None:
            self._bars.update(task, total=total if total is not None else 1, completed=total if total else 1)
            if not self._open:
                self._bars.stop()
                self._bars = None
        elif not self.live:
            counted = f" ({done:,}/{total:,})" if total else ""
            indent = "  " * len(self._open)
            print(f"{indent}{label}{counted}: {duration(seconds)}", file=self.stream, flush=True)

    def close(self) -> None:
        """Stop drawing (after an error, with steps still open)."""
        self._open.clear()
        if self._bars is not None:
            self._bars.stop()
            self._bars = None

    # ------------------------------------------------------------------ drawing
    def _ensure_bars(self) -> Any:
        if self._bars is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            console = Console(file=self.stream)
            self._bars = Progress(
                SpinnerColumn(finished_text="[green]✓"),
                TextColumn("{task.description}"),
                BarColumn(bar_width=30),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("left"),
                TimeRemainingColumn(),
                console=console,
                transient=False,
            )
            self._bars.start()
        return self._bars
