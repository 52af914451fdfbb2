"""Running a sweep: prepare the batch, run what is missing, store each run as it lands.

:func:`run_batch` is the entry point. It resolves the batch id, refuses to mix
two different sweeps under one id, skips the runs already finished in the
store (``resume``), then runs the rest on a local process pool
(:func:`execute_local`) or on a Dask cluster
(:func:`planner.batch.dask_runner.execute_dask`). Only the driver writes to the
store, one transaction per run.

Faults: a run that raises is stored as ``failed`` with its message; an
infeasible run as ``infeasible`` with the reasons; a run that hits its time
limit as ``ok`` with its solver status. If a worker process dies, the pool is
replaced and every run it took down is run again, alone, so that one run that
kills its worker cannot take innocent runs with it; a run that kills its
worker again is stored as ``lost``.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from planner.batch.progress import Progress
from planner.batch.store import Store
from planner.batch.sweep import RunSpec, Sweep
from planner.batch.work import (
    DONE_STATUSES,
    FAILED,
    INFEASIBLE,
    LOST,
    OK,
    RunResult,
    RunTask,
    WorkerContext,
    cached_inputs,
    init_worker,
    run_one,
    software_version,
)
from planner.errors import InputError

MAX_ATTEMPTS = 2
"""A run whose worker dies is tried this many times in all (the retry runs alone)."""


def available_cores() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def plan_threads(workers: int | None, cores: int | None = None) -> tuple[int, int]:
    """Workers and solver threads per run such that workers x threads <= cores.

    Parameters
    ----------
    workers : int or None
        Requested worker processes; None means one per core. More than the
        cores is reduced to the cores.
    cores : int, optional
        Cores available (default: this machine's).

    Returns
    -------
    (int, int)
        Worker processes and solver threads per run.
    """
    cores = cores or available_cores()
    n = cores if workers is None else max(1, min(int(workers), cores))
    return n, max(1, cores // n)


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
    retried: int = 0
    pool_restarts: int = 0
    workers: int = 1
    solver_threads: int = 1
    wall_seconds: float = 0.0
    run_seconds: float = 0.0
    """Sum of the runs' own times (in the workers)."""
    interrupted: bool = False
    loads_by_worker: dict[str, int] = field(default_factory=dict)

    @property
    def finished(self) -> int:
        """Runs finished in this call (ok or infeasible)."""
        return self.ok + self.infeasible

    @property
    def complete(self) -> bool:
        """True when every run of the sweep is now finished in the store."""
        return not self.interrupted and self.failed == 0 and self.lost == 0

    def text(self) -> str:
        """A one-line account for the terminal."""
        text = f"batch {self.batch_id}: {self.finished} runs finished"
        text += f" ({self.ok} ok, {self.infeasible} infeasible)"
        if self.skipped:
            text += f", {self.skipped} already stored"
        text += f", {self.failed} failed, {self.lost} lost"
        if self.retried:
            text += f", {self.retried} retried after a worker died"
        return text + f"; {self.wall_seconds:.1f} s on {self.workers} worker(s); store {self.store}"


class Recorder:
    """Stores each result as it arrives, and counts it."""

    def __init__(self, store: Store, batch_id: str, summary: BatchSummary, progress: Progress) -> None:
        self.store, self.batch_id = store, batch_id
        self.summary, self.progress = summary, progress

    def __call__(self, result: RunResult) -> None:
        if result.fatal:
            raise InputError(f"cannot load the data of the base scenario: {result.error}")
        self.store.record(self.batch_id, result)
        s = self.summary
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
        self.progress.update(failed=result.status not in DONE_STATUSES)

    def retry(self, task: RunTask, message: str) -> None:
        """Count a run that a dead worker took down and that will run again."""
        self.summary.retried += 1
        self.progress.update(retried=True)
        self.progress.note(f"{message}; run {task.run_id} will run again alone")


def lost_result(task: RunTask, message: str) -> RunResult:
    """The stored outcome of a run whose worker died and was not retried."""
    now = time.time()
    return RunResult(task.run_id, task.params, task.attempt, LOST, error=message, started_at=now, finished_at=now)


def failed_result(task: RunTask, message: str) -> RunResult:
    """The stored outcome of a run that could not even be sent to a worker."""
    now = time.time()
    return RunResult(task.run_id, task.params, task.attempt, FAILED, error=message, started_at=now, finished_at=now)


# ------------------------------------------------------------------ preparing


def prepare_batch(
    sweep: Sweep,
    store: Store,
    *,
    batch_id: str | None = None,
    resume: bool = False,
    data_dir: str | Path | None = None,
) -> tuple[str, list[RunSpec], int]:
    """Create or reopen the batch and list the runs still to do.

    Returns
    -------
    (str, list of RunSpec, int)
        The batch id, the runs to do, and how many are already finished.

    Raises
    ------
    InputError
        If the batch exists and ``resume`` is False, or it was made from a
        different sweep (or base scenario).
    """
    batch_id = batch_id or sweep.batch_id()
    existing = store.batch(batch_id)
    canonical = sweep.canonical()
    if existing is not None:
        if existing["sweep"] != canonical:
            raise InputError(
                f"batch {batch_id!r} in {store} was made from a different sweep or base scenario; "
                "give another --batch-id"
            )
        if not resume and store.count("runs", batch_id):
            raise InputError(
                f"batch {batch_id!r} already exists in {store}; add --resume to finish it, "
                "or give --batch-id NEW to run it again"
            )
    store.add_batch(
        batch_id,
        {
            "name": sweep.name,
            "description": sweep.description,
            "sweep_path": str(sweep.path),
            "sweep": canonical,
            "base_scenario": sweep.base.to_dict(),
            "n_runs": sweep.n_runs,
            "data_dir": None if data_dir is None else str(data_dir),
            "software_version": software_version(),
        },
    )
    done = store.done_ids(batch_id)
    todo = [r for r in sweep.iter_runs() if r.run_id not in done]
    return batch_id, todo, sweep.n_runs - len(todo)


# ------------------------------------------------------------------- running


def run_batch(
    sweep: Sweep,
    store: Store,
    *,
    data_dir: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | Any = None,
    resume: bool = False,
    batch_id: str | None = None,
    solve: Callable[..., Any] | None = None,
    load: Callable[..., Any] | None = None,
    progress: TextIO | None = sys.stderr,
    max_attempts: int = MAX_ATTEMPTS,
) -> BatchSummary:
    """Run a sweep (or what is missing of it) and store every run.

    Parameters
    ----------
    sweep : Sweep
        From :func:`planner.batch.load_sweep`.
    store : Store
        Where the runs go.
    data_dir : str or Path, optional
        Data folder for the scenario's files (as seen by the workers).
    workers : int, optional
        Local worker processes (default: one per core; never more than the cores).
        Ignored with ``scheduler``.
    scheduler : str or dask.distributed.Client, optional
        A Dask scheduler address (or a connected client): run on that cluster.
    resume : bool
        Finish a stored batch: run only what is not finished yet.
    batch_id : str, optional
        Batch id (default: the sweep name and a hash of its content).
    solve, load : callable, optional
        Module-level stand-ins for ``planner.solve`` / ``planner.load_inputs``
        (tests and benchmarks); default the real ones.
    progress : TextIO or None
        Progress line stream (default stderr).
    max_attempts : int
        Tries per run whose worker dies (default 2; the retry runs alone).

    Returns
    -------
    BatchSummary
        Counts and timings; ``interrupted`` is set after Ctrl-C (what finished
        is stored; resume later).

    Raises
    ------
    InputError
        Bad batch id / resume mismatch, unreachable scheduler, or base data
        that cannot be loaded.
    """
    t0 = time.perf_counter()
    new = store.batch(batch_id or sweep.batch_id()) is None
    batch_id, todo, skipped = prepare_batch(sweep, store, batch_id=batch_id, resume=resume, data_dir=data_dir)
    try:
        return _run_prepared(sweep, store, batch_id, todo, skipped, t0, data_dir, workers, scheduler, solve, load,
                             progress, max_attempts)  # fmt: skip
    except InputError:
        if new:  # an unreachable scheduler or unusable data: no empty batch is left behind
            store.drop_empty_batch(batch_id)
        raise


def _run_prepared(
    sweep: Sweep,
    store: Store,
    batch_id: str,
    todo: list[RunSpec],
    skipped: int,
    t0: float,
    data_dir: str | Path | None,
    workers: int | None,
    scheduler: str | Any,
    solve: Callable[..., Any] | None,
    load: Callable[..., Any] | None,
    progress: TextIO | None,
    max_attempts: int,
) -> BatchSummary:
    n_workers, threads = plan_threads(workers)
    ctx = WorkerContext(
        batch_id=batch_id,
        base=sweep.base,
        data_dir=None if data_dir is None else str(data_dir),
        solver_threads=threads,
        solve=solve,
        load=load,
        scenario_dir=str(sweep.base_path.parent),
    )
    summary = BatchSummary(batch_id, str(store), sweep.n_runs, skipped=skipped)
    bar = Progress(f"batch {batch_id}", len(todo), already=skipped, stream=progress)
    record = Recorder(store, batch_id, summary, bar)
    tasks = [RunTask(r.run_id, r.params) for r in todo]
    try:
        if not tasks:
            pass
        elif scheduler is not None:
            from planner.batch.dask_runner import execute_dask

            summary.workers, summary.solver_threads = execute_dask(ctx, tasks, record, scheduler)
        else:
            summary.workers, summary.solver_threads = n_workers, threads
            summary.pool_restarts = execute_local(ctx, tasks, record, n_workers, max_attempts)
    except KeyboardInterrupt:
        summary.interrupted = True
        bar.note("interrupted: finished runs are stored; run again with --resume to finish")
    summary.wall_seconds = time.perf_counter() - t0
    if tasks:
        bar.finish()
    return summary


PRELOAD = ["planner", "planner.batch.work"]
"""Modules the fork server imports once, so that each new worker starts without importing them."""


def _mp_context() -> multiprocessing.context.BaseContext:
    """``fork`` when safe (one thread: workers inherit the loaded data), else a preloaded fork server.

    Forking a process that runs other threads (a Dask client, a GUI) can
    deadlock the child, so then the workers come from a fork server that has
    imported the planner once (a new pool then starts in well under a second).
    """
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return context
    return multiprocessing.get_context("spawn")  # pragma: no cover - not Linux


def execute_local(
    ctx: WorkerContext,
    tasks: Iterable[RunTask],
    record: Recorder,
    workers: int,
    max_attempts: int = MAX_ATTEMPTS,
) -> int:
    """Run tasks on a local process pool; replace the pool whenever a worker dies.

    The base data is loaded once here first (a bad data folder fails fast with
    its own message) and then once per worker process, by the pool's
    initializer (with ``fork`` the workers inherit it and load nothing).

    Returns
    -------
    int
        How many times the pool was replaced after a worker died.
    """
    try:
        cached_inputs(ctx, ctx.base)
    except InputError as exc:
        raise InputError(f"cannot load the data of the base scenario: {exc}") from None
    queue: deque[RunTask] = deque(tasks)
    suspects: deque[RunTask] = deque()
    restarts = 0
    context = _mp_context()
    while queue or suspects:
        pool = ProcessPoolExecutor(workers, mp_context=context, initializer=init_worker, initargs=(ctx,))
        broken = clean = False
        try:
            broken = _drive(pool, ctx, queue, suspects, record, workers, max_attempts)
            clean = True
        finally:  # after Ctrl-C or a fatal error, stop the workers rather than wait for them
            _close(pool, force=broken or not clean)
        restarts += int(broken)
    return restarts


def _close(pool: ProcessPoolExecutor, *, force: bool) -> None:
    if force:
        for proc in list(getattr(pool, "_processes", {}).values()):
            if proc.is_alive():
                proc.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


def _drive(
    pool: ProcessPoolExecutor,
    ctx: WorkerContext,
    queue: deque[RunTask],
    suspects: deque[RunTask],
    record: Recorder,
    workers: int,
    max_attempts: int,
) -> bool:
    """Feed the pool until the queue is empty or a worker dies; True if one died."""
    in_flight: dict[Future[RunResult], RunTask] = {}
    alone = False
    window = 2 * workers
    while queue or suspects or in_flight:
        broken = False
        if suspects:
            if not in_flight:
                alone = True
                broken = not _submit(pool, ctx, suspects, in_flight)
        else:
            alone = False
            while queue and len(in_flight) < window and not broken:
                broken = not _submit(pool, ctx, queue, in_flight)
        lost: list[RunTask] = []
        if in_flight and not broken:
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            lost = _collect(done, in_flight, record)
        if lost or broken:
            wait(in_flight)  # the pool is broken: every other future ends at once
            lost += _collect(set(in_flight), in_flight, record)
            _requeue(lost, alone, suspects, record, max_attempts)
            return True
    return False


def _submit(
    pool: ProcessPoolExecutor, ctx: WorkerContext, source: deque[RunTask], in_flight: dict[Any, RunTask]
) -> bool:
    """Send the next task of ``source``; False (task put back) if the pool has broken meanwhile."""
    task = source.popleft()
    try:
        in_flight[pool.submit(run_one, ctx, task)] = task
    except BrokenProcessPool:
        source.appendleft(task)
        return False
    return True


def _collect(
    done: set[Future[RunResult]], in_flight: dict[Future[RunResult], RunTask], record: Recorder
) -> list[RunTask]:
    lost = []
    for fut in done:
        task = in_flight.pop(fut)
        try:
            result = fut.result()
        except BrokenProcessPool:
            lost.append(task)
            continue
        except Exception as exc:  # e.g. a parameter that cannot be pickled
            result = failed_result(task, f"could not run: {type(exc).__name__}: {exc}")
        record(result)
    return lost


def _requeue(lost: list[RunTask], alone: bool, suspects: deque[RunTask], record: Recorder, max_attempts: int) -> None:
    for task in lost:
        if alone or task.attempt >= max_attempts:
            how = "when run alone" if alone else f"on attempt {task.attempt} of {max_attempts}"
            record(lost_result(task, f"the worker process died while running this run ({how})"))
        else:
            suspects.append(replace(task, attempt=task.attempt + 1))
            record.retry(task, "a worker process died")
