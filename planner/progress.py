"""Progress of long steps: a tiny protocol the engine's features call and a front end renders.

Code that may take more than a few seconds (phasing, team design, costing
options, batches, backtests) reports its steps through a :class:`Progress`
it is given; it never prints. The command line renders the steps as bars
(:mod:`planner.progress_bar`); tests record them (:class:`RecordedProgress`);
the default, :data:`SILENT`, does nothing. This module imports nothing
heavy, so every layer may use it.

>>> from planner.progress import RecordedProgress, step
>>> rec = RecordedProgress()
>>> with step(rec, "Solving options", total=2) as s:
...     s.advance()
...     s.advance()
>>> [kind for kind, _, _ in rec.events]
['start', 'advance', 'advance', 'finish']
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol, TypeVar, runtime_checkable

T = TypeVar("T")


@runtime_checkable
class Progress(Protocol):
    """Receives the steps of a long task.

    A step is started, advanced zero or more times, and finished; steps may
    nest (a step started inside another is its sub-step). ``total`` is the
    number of units a step has (None: unknown, shown as a spinner with the
    time taken).
    """

    def start(self, label: str, total: int | None = None) -> None:
        """A step begins (``label`` is plain words, e.g. "Solving quarter by quarter")."""

    def advance(self, amount: int = 1) -> None:
        """The innermost open step did ``amount`` more units."""

    def finish(self) -> None:
        """The innermost open step is done."""


class _Silent:
    """A :class:`Progress` that does nothing (the default everywhere)."""

    def start(self, label: str, total: int | None = None) -> None:
        return None

    def advance(self, amount: int = 1) -> None:
        return None

    def finish(self) -> None:
        return None


SILENT: Progress = _Silent()
"""The progress that shows nothing."""


@dataclass
class RecordedProgress:
    """A :class:`Progress` that keeps every event, for tests: ``(kind, label, count)``."""

    events: list[tuple[str, str, int | None]] = field(default_factory=list)
    _open: list[tuple[str, int]] = field(default_factory=list, repr=False)

    def start(self, label: str, total: int | None = None) -> None:
        """Record the start of a step."""
        self._open.append((label, 0))
        self.events.append(("start", label, total))

    def advance(self, amount: int = 1) -> None:
        """Record progress in the innermost open step."""
        label, done = self._open[-1]
        self._open[-1] = (label, done + amount)
        self.events.append(("advance", label, done + amount))

    def finish(self) -> None:
        """Record the end of the innermost open step."""
        label, done = self._open.pop()
        self.events.append(("finish", label, done))

    def labels(self) -> list[str]:
        """Labels of the steps started, in order."""
        return [label for kind, label, _ in self.events if kind == "start"]


class Step:
    """An open step (from :func:`step`): call :meth:`advance` as units are done."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress

    def advance(self, amount: int = 1) -> None:
        """``amount`` more units done."""
        self._progress.advance(amount)


@contextmanager
def step(progress: Progress | None, label: str, total: int | None = None) -> Iterator[Step]:
    """A step as a context manager: started on entry, finished on exit (also on an error)."""
    p = progress if progress is not None else SILENT
    p.start(label, total)
    try:
        yield Step(p)
    finally:
        p.finish()


def track(items: Iterable[T], progress: Progress | None, label: str, total: int | None = None) -> Iterator[T]:
    """Iterate ``items`` as one step, one unit per item (``total`` defaults to ``len(items)`` when known)."""
    if total is None:
        try:
            total = len(items)  # type: ignore[arg-type]
        except TypeError:
            total = None
    with step(progress, label, total) as s:
        for item in items:
            yield item
            s.advance()
