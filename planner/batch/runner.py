"""Running a sweep: claim runs from the store, run them on an executor, store outcomes in bulk.

:func:`run_batch` is the entry point. It checks the batch against the store
(without writing), starts the executor (so a bad data folder or an
unreachable scheduler fails before anything is written), creates the batch
and a ``pending`` row per run, then drives:

* **claims**: a few seconds of work at a time, under a lease that a heartbeat
  renews (:mod:`planner.batch.leases`); any number of drivers, on any
  machines, can share one batch, and no run is solved by two live drivers;
* **events** from the executor (:mod:`planner.batch.executor`): a run started
  (an attempt), a run finished, a worker died;
* a **watchdog**: a run that outlives its wall-clock limit is stopped (its
  worker replaced) and stored as ``failed`` with the reason;
* **bulk writes**: outcomes are buffered and stored a few hundred at a time
  (:func:`planner.batch.detail.write_outcomes`).

When no run is left to claim but other drivers still hold some, the driver
waits and takes over any whose lease expires (a driver that died). After
Ctrl-C, the buffered outcomes are stored and unfinished claims given back.
"""

from __future__ import annotations

import math
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from planner.batch import leases
from planner.batch.detail import write_outcomes
from planner.batch.executor import Executor, Finished, Note, Started
from planner.batch.progress import Progress
from planner.batch.store import Store
from planner.batch.sweep import Sweep
from planner.batch.work import (
    DONE,
    FAILED,
    INFEASIBLE,
    LOST,
    OK,
    RunResult,
    RunTask,
    WorkerContext,
    software_version,
)
from planner.errors import InputError

LEASE_SECONDS = 60.0
"""How long a claim lasts without a heartbeat; a dead driver's runs wait this long."""
FLUSH_RUNS = 250
FLUSH_SECONDS = 2.0
"""Outcomes are stored when this many are buffered, or the oldest is this old."""
CLAIM_SECONDS = 2.0
CLAIM_MAX = 500
"""A claim covers about this many seconds of work (at least two runs per slot), at most CLAIM_MAX runs."""
SYNC_SECONDS = 5.0
"""How often the progress line is refreshed from the store (other drivers' work)."""
WAIT_SECONDS = 1.0
"""Poll interval while other drivers hold the last runs."""


def watchdog_seconds(time_limit: float) -> float:
    """The default wall-clock limit of one run: 3 x its solver time limit + 2 minutes (loading, checks)."""
    return 3 * time_limit + 120


@dataclass
class BatchSummary:
    """What a call of :func:`run_batch` did."""

    batch_id: str
    store: str
    planned: int
    skipped: int = 0
    """Runs already finished in the store before this call."""
    ok: int = 0
    infeasible: int = 0
    failed: int = 0
    lost: int = 0
    stopped: int = 0
    """Runs the watchdog stopped (counted in ``failed`` too)."""
    retried: int = 0
    """Extra attempts after worker deaths."""
    by_others: int = 0
    """Runs another driver finished first while this one held them (their outcome kept)."""
    pool_restarts: int = 0
    workers: int = 1
    solver_threads: int = 1
    wall_seconds: float = 0.0
    startup_seconds: float = 0.0
    """From the call to the first run starting (workers, data loading)."""
    run_seconds: float = 0.0
    """Sum of the runs' own times (in the workers)."""
    interrupted: bool = False
    driver: str = ""
    loads_by_worker: dict[str, int] = field(default_factory=dict)

    @property
    def finished(self) -> int:
        """Runs finished in this call (ok or infeasible)."""
        return self.ok + self.infeasible

    @property
    def complete(self) -> bool:
        """True when this call ended with no failed or lost run and was not interrupted."""
        return not self.interrupted and self.failed == 0 and self.lost == 0

    def text(self) -> str:
        """A one-line account for the terminal."""
        text = f"batch {self.batch_id}: {self.finished} runs finished"
        text += f" ({self.ok} ok, {self.infeasible} infeasible)"
        if self.skipped:
            text += f", {self.skipped} already stored"
        text += f", {self.failed} failed, {self.lost} lost"
        if self.stopped:
            text += f" ({self.stopped} stopped by the watchdog)"
        if self.retried:
            text += f", {self.retried} retried after a worker died"
        return text + f"; {self.wall_seconds:.1f} s on {self.workers} worker(s); store {self.store}"


# ------------------------------------------------------------------ preparing


def check_batch(sweep: Sweep, store: Store, batch_id: str, resume: bool) -> dict[str, Any] | None:
    """The stored batch row (None if new), after checking that this sweep may run it; writes nothing.

    Raises
    ------
    InputError
        If the batch exists and ``resume`` is False, or it was made from a
        different sweep (or base scenario).
    """
    existing = store.batch(batch_id)
    if existing is None:
        return None
    if existing["sweep"] != sweep.canonical():
        raise InputError(
            f"batch {batch_id!r} in {store} was made from a different sweep or base scenario; give another --batch-id"
        )
    if not resume:
        raise InputError(
            f"batch {batch_id!r} already exists in {store}; add --resume to finish it (or to join the drivers "
            "running it), or give --batch-id NEW to run it again"
        )
    return existing


def create_batch(sweep: Sweep, store: Store, batch_id: str, data_dir: str | Path | None) -> None:
    """The batch row and a ``pending`` row per run (what is already there is kept)."""
    store.add_batch(
        batch_id,
        {
            "name": sweep.name,
            "description": sweep.description,
            "sweep_path": str(sweep.path),
            "sweep": sweep.canonical(),
            "base_scenario": sweep.base.to_dict(),
            "n_runs": sweep.n_runs,
            "data_dir": None if data_dir is None else str(data_dir),
            "software_version": software_version(),
        },
    )
    status = leases.batch_status(store, batch_id)
    stored = status.ok + status.infeasible + status.failed + status.lost + status.running + status.expired
    if stored + status.pending < sweep.n_runs:
        leases.add_runs(store, batch_id, sweep.iter_runs())


def make_executor(workers: int | None, scheduler: Any, max_attempts: int) -> Executor:
    """The local process pool, or a Dask cluster when ``scheduler`` is given (``"local"``: a throw-away one)."""
    if scheduler is None:
        from planner.batch.local import LocalExecutor

        return LocalExecutor(workers, max_attempts)
    from planner.batch.dask_executor import DaskExecutor

    return DaskExecutor(scheduler, workers)


# ------------------------------------------------------------------- running


def run_batch(
    sweep: Sweep,
    store: Store,
    *,
    data_dir: str | Path | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    resume: bool = False,
    batch_id: str | None = None,
    solve: Any = None,
    load: Any = None,
    progress: TextIO | None = sys.stderr,
    max_attempts: int = 2,
    executor: Executor | None = None,
    lease: float = LEASE_SECONDS,
    run_timeout: float | None = None,
    flush_runs: int = FLUSH_RUNS,
    flush_seconds: float = FLUSH_SECONDS,
) -> BatchSummary:
    """Run a sweep (or what is left of it) and store every run.

    Parameters
    ----------
    sweep : Sweep
        From :func:`planner.batch.load_sweep`.
    store : Store
        Where the runs go.
    data_dir : str or Path, optional
        Data folder for the scenario's files (as seen by the workers).
    workers : int, optional
        Local worker processes (default: one per core; never more than the
        cores); with ``scheduler="local"``, the local Dask workers.
    scheduler : str or dask.distributed.Client, optional
        ``"local"`` (a throw-away Dask LocalCluster), a scheduler address, or a client.
    resume : bool
        Finish a stored batch, or join the drivers running it; failed and lost
        runs are run again.
    batch_id : str, optional
        Batch id (default: the sweep name and a hash of its content).
    solve, load : callable, optional
        Module-level stand-ins for ``planner.solve`` / ``planner.load_inputs``
        (tests and benchmarks); default the real ones.
    progress : TextIO or None
        Progress line stream (default stderr).
    max_attempts : int
        Tries per run whose worker process dies (local executor).
    executor : Executor, optional
        Run on this executor instead of the one ``workers`` / ``scheduler`` ask for.
    lease : float
        Seconds a claim lasts without a heartbeat.
    run_timeout : float, optional
        Wall-clock limit of one run, seconds (0: no watchdog; default
        :func:`watchdog_seconds` of the run's solver time limit).
    flush_runs, flush_seconds : int, float
        Outcomes are stored in groups of this many, or this old.

    Returns
    -------
    BatchSummary
        Counts and timings; ``interrupted`` is set after Ctrl-C (what finished
        is stored; run again with ``resume`` to finish).

    Raises
    ------
    InputError
        Bad batch id / resume mismatch, unreachable scheduler, or base data
        that cannot be loaded (then nothing is written to the store).
    """
    t0 = time.perf_counter()
    batch_id = batch_id or sweep.batch_id()
    existing = check_batch(sweep, store, batch_id, resume)
    summary = BatchSummary(batch_id, str(store), sweep.n_runs)
    if existing is not None:
        status = leases.batch_status(store, batch_id)
        summary.skipped = status.done
        if status.left + status.running + status.failed + status.lost == 0 and status.done >= sweep.n_runs:
            summary.wall_seconds = time.perf_counter() - t0
            return summary
    ctx = WorkerContext(
        batch_id=batch_id,
        base=sweep.base,
        data_dir=None if data_dir is None else str(data_dir),
        solver_threads=1,
        solve=solve,
        load=load,
        scenario_dir=str(sweep.base_path.parent),
    )
    executor = executor or make_executor(workers, scheduler, max_attempts)
    try:
        ctx = executor.start(ctx)  # fails before anything is written
        summary.workers, summary.solver_threads = executor.slots, executor.solver_threads
        create_batch(sweep, store, batch_id, data_dir)
        if resume:
            leases.reset_failed(store, batch_id)
        start = leases.batch_status(store, batch_id)
        summary.skipped = start.done
        bar = Progress(f"batch {batch_id}", sweep.n_runs, already=start.done, stream=progress)
        driver = _Driver(store, batch_id, executor, ctx, summary, bar, lease=lease, run_timeout=run_timeout)
        driver.flush_runs, driver.flush_seconds = flush_runs, flush_seconds
        driver.t0 = t0
        driver.run()
    finally:
        executor.close()
    summary.pool_restarts = int(getattr(executor, "restarts", 0))
    summary.wall_seconds = time.perf_counter() - t0
    return summary


class _Driver:
    """The claim / run / store loop of one driver (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        batch_id: str,
        executor: Executor,
        ctx: WorkerContext,
        summary: BatchSummary,
        bar: Progress,
        *,
        lease: float,
        run_timeout: float | None,
    ) -> None:
        self.store, self.batch_id, self.executor, self.ctx = store, batch_id, executor, ctx
        self.summary, self.bar = summary, bar
        self.lease, self.run_timeout = lease, run_timeout
        self.me = leases.driver_name()
        summary.driver = self.me
        self.held: dict[str, leases.Claim] = {}
        self.started: dict[str, float] = {}
        self.starts: Counter[str] = Counter()
        self.buffer: list[RunResult] = []
        self.buffer_since = 0.0
        self.flush_runs, self.flush_seconds = FLUSH_RUNS, FLUSH_SECONDS
        self.t0 = time.perf_counter()
        self.finished_here = 0
        self._beat = self._sync = time.monotonic()
        self._claimed_empty_at = -1e9
        self._done_at_start = bar.already

    # ------------------------------------------------------------ the loop
    def run(self) -> None:
        try:
            while self._more_work():
                for event in self.executor.events(0.2):
                    self._handle(event)
                self._watchdog()
                self._housekeeping()
            self._flush()
            self.bar.finish()
        except KeyboardInterrupt:
            self.summary.interrupted = True
            self._give_back()
            self.bar.note("interrupted: finished runs are stored; run again with --resume to finish")
        except BaseException:
            self._give_back()
            raise

    def _more_work(self) -> bool:
        """Claim runs while there is room; False when this driver has nothing left to do."""
        target = self._claim_target()
        now = time.monotonic()
        low = max(2 * self.executor.slots, target // 2)  # refill in large claims, not one by one
        if len(self.held) < low and now - self._claimed_empty_at >= WAIT_SECONDS:
            claims = leases.claim(self.store, self.batch_id, self.me, target - len(self.held), self.lease)
            if not claims:
                self._claimed_empty_at = now
            for c in claims:
                self.held[c.run_id] = c
                self.executor.submit(RunTask(c.run_id, c.params))
        if self.held:
            return True
        if self.buffer:
            self._flush()
        status = leases.batch_status(self.store, self.batch_id)
        if status.running == 0 and status.left == 0:
            return False
        # other drivers hold the last runs: wait, and take over any whose lease expires
        time.sleep(WAIT_SECONDS)
        self._housekeeping()
        return True

    def _claim_target(self) -> int:
        slots = max(1, self.executor.slots)
        rate = self.bar.rate
        return int(min(CLAIM_MAX, max(2 * slots, math.ceil(rate * CLAIM_SECONDS) + slots)))

    # ------------------------------------------------------------ events
    def _handle(self, event: Any) -> None:
        if isinstance(event, Started):
            if event.run_id in self.held:
                self.starts[event.run_id] += 1
                if event.run_id not in self.started:
                    self.bar.started()
                    if self.summary.startup_seconds == 0:
                        self.summary.startup_seconds = time.perf_counter() - self.t0
                self.started[event.run_id] = time.monotonic()
        elif isinstance(event, Finished):
            self._finish(event.result)
        elif isinstance(event, Note):
            self.bar.note(event.text)

    def _finish(self, result: RunResult) -> None:
        claim = self.held.pop(result.run_id, None)
        if claim is None:  # stopped by the watchdog, or a late duplicate
            return
        if result.fatal:
            raise InputError(f"cannot load the data of the base scenario on worker {result.worker}: {result.error}")
        tries = max(1, self.starts.pop(result.run_id, 0))
        result.attempt = claim.attempts - 1 + tries
        result.driver = self.me
        was_running = self.started.pop(result.run_id, None) is not None
        if tries > 1:
            self.bar.note(f"run {result.run_id} was started {tries} times: a worker died while running it")
        s = self.summary
        s.retried += tries - 1
        if result.status == OK:
            s.ok += 1
        elif result.status == INFEASIBLE:
            s.infeasible += 1
        elif result.status == LOST:
            s.lost += 1
        else:
            s.failed += 1
        s.run_seconds += result.run_seconds or 0.0
        if result.worker:
            s.loads_by_worker[result.worker] = max(result.loads, s.loads_by_worker.get(result.worker, 0))
        if not self.buffer:
            self.buffer_since = time.monotonic()
        self.buffer.append(result)
        self.finished_here += 1
        self.bar.update(failed=result.status not in DONE, was_running=was_running)
        if len(self.buffer) >= self.flush_runs:
            self._flush()

    def _watchdog(self) -> None:
        if self.run_timeout == 0:
            return
        now = time.monotonic()
        for run_id, since in list(self.started.items()):
            limit = self._limit(run_id)
            if now - since <= limit:
                continue
            self.executor.stop(run_id)
            claim = self.held[run_id]
            message = (
                f"stopped by the watchdog after {now - since:.0f} s (the limit of one run is {limit:.0f} s; "
                "see --run-timeout)"
            )
            self.bar.note(f"run {run_id} {message}")
            end = time.time()
            result = RunResult(run_id, claim.params, 1, FAILED, error=message, started_at=end - (now - since),
                               finished_at=end, run_seconds=now - since)  # fmt: skip
            self.summary.stopped += 1
            self._finish(result)

    def _limit(self, run_id: str) -> float:
        if self.run_timeout is not None:
            return self.run_timeout
        params = self.held[run_id].params
        time_limit = params.get("solver.time_limit", self.ctx.base.solver.time_limit)
        try:
            return watchdog_seconds(float(time_limit))
        except (TypeError, ValueError):
            return watchdog_seconds(self.ctx.base.solver.time_limit)

    # ------------------------------------------------------------ store
    def _housekeeping(self) -> None:
        now = time.monotonic()
        if self.buffer and (len(self.buffer) >= self.flush_runs or now - self.buffer_since >= self.flush_seconds):
            self._flush()
        if now - self._beat >= self.lease / 4:
            self._beat = now
            leases.renew(self.store, self.batch_id, self.me, self.lease)
        if now - self._sync >= SYNC_SECONDS:
            self._sync = now
            status = leases.batch_status(self.store, self.batch_id)
            finished = status.done + status.failed + status.lost
            self.bar.sync(finished - self._done_at_start - self._stored_here())

    def _stored_here(self) -> int:
        return self.finished_here - len(self.buffer)

    def _flush(self) -> None:
        if not self.buffer:
            return
        written = write_outcomes(self.store, self.batch_id, self.buffer, self.me)
        self.summary.by_others += written.count(False)
        self.buffer = []

    def _give_back(self) -> None:
        """After Ctrl-C or a fatal error: store what finished, return the rest, stop the workers."""
        stop = getattr(self.executor, "kill", None)
        if callable(stop):
            stop()
        try:
            self._flush()
            started = [r for r in self.held if self.starts.get(r)]
            unstarted = [r for r in self.held if not self.starts.get(r)]
            leases.release(self.store, self.batch_id, self.me, unstarted, started)
        except Exception as exc:  # the store itself failed: the leases expire on their own
            self.bar.note(f"could not give back this driver's claims ({exc}); they expire in {self.lease:.0f} s")
