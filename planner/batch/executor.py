"""The one small interface the batch runner talks to: an executor runs tasks and reports events.

Two executors implement it: :class:`planner.batch.local.LocalExecutor` (worker
processes on this machine) and :class:`planner.batch.dask_executor.DaskExecutor`
(a Dask cluster, or a throw-away local one). The runner claims runs from the
store, submits them, and reacts to what comes back:

* :class:`Started`: a worker began a run (attempt ``n`` of this driver's tries);
  the runner starts the run's watchdog clock and counts an attempt;
* :class:`Finished`: a run ended with an outcome (ok, infeasible, failed, or
  lost after its workers died too often);
* :class:`Note`: something a user should read, e.g. that a worker died and
  which run it took down (the executor runs that run again itself).

``stop(run_id)`` is the watchdog's hand: it stops the worker running that
run (replacing it) and the executor reports nothing more about the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from planner.batch.work import RunResult, RunTask, WorkerContext


@dataclass(frozen=True)
class Started:
    """A worker began ``run_id``."""

    run_id: str
    worker: str
    at: float
    """Epoch seconds (this machine's clock)."""


@dataclass(frozen=True)
class Finished:
    """A run ended; its outcome."""

    result: RunResult


@dataclass(frozen=True)
class Note:
    """A message for the user (a worker died, a worker joined without the data...)."""

    text: str


Event = Started | Finished | Note


class Executor(Protocol):
    """Runs tasks on some workers (see the module docstring)."""

    slots: int
    """Runs it can run at once."""
    solver_threads: int
    """``solver.workers`` given to each run, so that slots x threads fits the cores."""

    def start(self, ctx: WorkerContext) -> WorkerContext:
        """Start the workers and load the base data on each; return the context runs use.

        Raises :class:`~planner.errors.InputError` with a clear message when
        the data cannot be loaded or the workers cannot be reached.
        """
        ...

    def submit(self, task: RunTask) -> None:
        """Queue a run."""
        ...

    def events(self, timeout: float) -> list[Event]:
        """What happened since the last call, waiting up to ``timeout`` seconds for something."""
        ...

    def stop(self, run_id: str) -> None:
        """Stop a run that overran (its worker is replaced); no further event for it."""
        ...

    def close(self) -> None:
        """Stop the workers and release everything (idempotent)."""
        ...
