"""A one-line progress display for batches, on stderr.

``batch demo-uplift-1a2b3c4d: 37/120 done, 2 running, 2 failed, 4.2 runs/s, 0:00:19 left``

The rate and the time left count from the moment the first run starts, so
the start-up (starting workers, loading the data) does not inflate the first
estimate. With several drivers on one batch, "done" and the rate are the
whole batch's (the runner refreshes them from the store).

On a terminal the line is redrawn in place at most every ``interval`` seconds;
otherwise (CI logs, files) a full line is printed every ``log_interval``
seconds, so logs stay short.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


def clock(seconds: float) -> str:
    """``3725`` -> ``"1:02:05"``."""
    seconds = max(0, round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}"


class Progress:
    """Counts runs and shows rate and time left.

    Parameters
    ----------
    label : str
        Shown first (e.g. ``batch NAME``).
    total : int
        Runs in the batch.
    already : int
        Runs finished before this driver started (resume, or other drivers).
    stream : TextIO, optional
        Where to write (default ``sys.stderr``); None for silence.
    interval, log_interval : float
        Seconds between redraws on a terminal / lines in a log.
    """

    def __init__(
        self,
        label: str,
        total: int,
        *,
        already: int = 0,
        stream: TextIO | None = sys.stderr,
        interval: float = 0.2,
        log_interval: float = 10.0,
    ) -> None:
        self.label, self.total, self.already = label, total, already
        self.stream = stream
        self.done = 0
        """Runs finished by this driver (ok, infeasible, failed or lost)."""
        self.failed = 0
        self.running = 0
        self.retried = 0
        self.others = 0
        """Runs finished by other drivers since this one started."""
        self.first_start: float | None = None
        tty = bool(stream is not None and getattr(stream, "isatty", lambda: False)())
        self.tty = tty
        self.interval = interval if tty else log_interval
        self._last = -1e9

    def started(self) -> None:
        """A run started on a worker (the clock of the rate starts with the first)."""
        if self.first_start is None:
            self.first_start = time.monotonic()
        self.running += 1

    def update(self, *, failed: bool = False, retried: bool = False, was_running: bool = True) -> None:
        """Count one finished run (or failed), or one run that will be tried again."""
        if retried:
            self.retried += 1
            return
        self.done += 1
        self.failed += int(failed)
        if was_running:
            self.running = max(0, self.running - 1)
        self._maybe_show()

    def sync(self, finished_elsewhere: int) -> None:
        """Runs finished by other drivers since this one started (from the store)."""
        self.others = max(self.others, finished_elsewhere)
        self._maybe_show()

    def _maybe_show(self) -> None:
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            self._show(final=False)

    @property
    def rate(self) -> float:
        """Runs finished per second since the first run started (start-up excluded)."""
        if self.first_start is None:
            return 0.0
        elapsed = time.monotonic() - self.first_start
        return (self.done + self.others) / elapsed if elapsed > 0 else 0.0

    @property
    def left(self) -> int:
        """Runs of the batch not finished yet."""
        return max(0, self.total - self.already - self.done - self.others)

    def line(self) -> str:
        """The current progress line."""
        rate, left = self.rate, self.left
        eta = clock(left / rate) if rate > 0 and left > 0 else ("0:00:00" if left <= 0 else "?")
        text = f"{self.label}: {self.total - left:,}/{self.total:,} done"
        if self.others:
            text += f" ({self.others:,} by other drivers)"
        text += f", {self.running} running, {self.failed} failed"
        if self.retried:
            text += f", {self.retried} retried"
        return text + f", {rate:.1f} runs/s, {eta} left"

    def _show(self, *, final: bool) -> None:
        if self.stream is None:
            return
        if self.tty:
            end = "\n" if final else ""
            self.stream.write("\r\x1b[K" + self.line() + end)
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()

    def finish(self) -> None:
        """Show the final line."""
        self.running = 0
        self._show(final=True)

    def note(self, message: str) -> None:
        """Print a message on its own line (e.g. a worker died)."""
        if self.stream is None:
            return
        prefix = "\r\x1b[K" if self.tty else ""
        self.stream.write(f"{prefix}{self.label}: {message}\n")
        self.stream.flush()
