"""A one-line progress display for batches, on stderr.

``batch demo-uplift-1a2b3c4d: 37/120 done, 2 failed, 4.2 runs/s, 0:00:19 left``

On a terminal the line is redrawn in place at most every ``interval`` seconds;
otherwise (CI logs, files) a full line is printed every ``log_interval``
seconds, so logs stay short.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    seconds = max(0, round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}"


class Progress:
    """Counts finished and failed runs and shows rate and time left.

    Parameters
    ----------
    label : str
        Shown first (e.g. ``batch NAME``).
    total : int
        Runs to do in this session (excluding those already stored).
    already : int
        Runs finished earlier (resume), shown for context.
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
        self.failed = 0
        self.retried = 0
        self.start = time.monotonic()
        tty = bool(stream is not None and getattr(stream, "isatty", lambda: False)())
        self.tty = tty
        self.interval = interval if tty else log_interval
        self._last = -1e9

    def update(self, *, failed: bool = False, retried: bool = False) -> None:
        """Count one run (finished, or failed), or one lost run that will be retried."""
        if retried:
            self.retried += 1
        else:
            self.done += 1
            self.failed += int(failed)
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            self._show(final=False)

    @property
    def rate(self) -> float:
        """Runs finished per second so far."""
        elapsed = time.monotonic() - self.start
        return self.done / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        """The current progress line."""
        rate = self.rate
        left = self.total - self.done
        eta = _clock(left / rate) if rate > 0 and left > 0 else ("0:00:00" if left <= 0 else "?")
        text = f"{self.label}: {self.done}/{self.total} done"
        if self.already:
            text += f" (+{self.already} earlier)"
        text += f", {self.failed} failed"
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
        self._show(final=True)

    def note(self, message: str) -> None:
        """Print a message on its own line (e.g. a worker died)."""
        if self.stream is None:
            return
        prefix = "\r\x1b[K" if self.tty else ""
        self.stream.write(f"{prefix}{self.label}: {message}\n")
        self.stream.flush()
