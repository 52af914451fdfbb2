"""``planner batch --dry-run``: what a batch would do, how long it would take and how much it would store.

It lists the runs, loads the base data once and solves a few runs (spread
over the sweep) on this machine, timing both, then writes those outcomes
:data:`SIZE_COPIES` times into a scratch store in a temporary folder to
measure the bytes one run takes (run row plus ward results). The estimate:

    time  = data load + runs x mean run time / slots
    store = runs x measured bytes per run

Nothing is written to the real store (it is not even opened for writing).
The timed runs use this machine: on a cluster with other CPUs the run time
differs, which the message says.
"""

from __future__ import annotations

import math
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

from planner.batch.labels import describe_params
from planner.batch.local import plan_threads
from planner.batch.progress import clock
from planner.batch.sweep import RunSpec, Sweep
from planner.batch.work import DONE, RunResult, RunTask, WorkerContext, cached_inputs, run_one
from planner.errors import InputError, PlannerError

SAMPLE_RUNS = 3
SIZE_COPIES = 250
LIST_RUNS = 50
"""Runs listed in full; beyond this the list is cut (the count is always given)."""


@dataclass(frozen=True)
class Estimate:
    """What :func:`estimate` measured and concluded."""

    runs: int
    slots: int
    load_seconds: float
    run_seconds: tuple[float, ...]
    statuses: tuple[str, ...]
    bytes_per_run: float

    @property
    def mean_run(self) -> float:
        """Mean seconds of the timed runs."""
        return sum(self.run_seconds) / len(self.run_seconds) if self.run_seconds else 0.0

    @property
    def seconds(self) -> float:
        """Estimated wall-clock time of the whole batch."""
        return self.load_seconds + self.runs * self.mean_run / max(1, self.slots)

    @property
    def store_bytes(self) -> float:
        """Estimated size of the stored results."""
        return self.runs * self.bytes_per_run


def _sample(runs: list[RunSpec], k: int) -> list[RunSpec]:
    if len(runs) <= k:
        return runs
    picks = sorted({round(i * (len(runs) - 1) / (k - 1)) for i in range(k)})
    return [runs[i] for i in picks]


def estimate(
    sweep: Sweep,
    runs: list[RunSpec],
    slots: int,
    *,
    data_dir: str | Path | None = None,
    solve: Any = None,
    load: Any = None,
    sample: int = SAMPLE_RUNS,
) -> Estimate:
    """Time the data load and a few runs here; measure the bytes a run takes in a scratch store."""
    _, threads = plan_threads(slots)
    ctx = WorkerContext("dry-run", sweep.base, None if data_dir is None else str(data_dir), threads, solve=solve,
                        load=load, scenario_dir=str(sweep.base_path.parent))  # fmt: skip
    t0 = time.perf_counter()
    try:
        cached_inputs(ctx, sweep.base)
    except PlannerError as exc:
        raise InputError(f"cannot load the data of the base scenario: {exc}") from None
    load_seconds = time.perf_counter() - t0
    results = [run_one(ctx, RunTask(r.run_id, r.params)) for r in _sample(runs, sample)]
    for r in results:
        if r.fatal:
            raise InputError(f"cannot load the data of a run: {r.error}")
    return Estimate(
        runs=len(runs),
        slots=slots,
        load_seconds=load_seconds,
        run_seconds=tuple(r.run_seconds or 0.0 for r in results),
        statuses=tuple(r.status for r in results),
        bytes_per_run=bytes_per_run(results),
    )


def bytes_per_run(results: list[RunResult]) -> float:
    """Bytes one run takes in a SQLite + Parquet store, from ``SIZE_COPIES`` copies of ``results``."""
    from planner.batch.detail import write_outcomes
    from planner.batch.store import Store

    done = [r for r in results if r.status in DONE] or results
    if not done:
        return 0.0
    with tempfile.TemporaryDirectory(prefix="planner-dry-run-") as tmp:
        path = Path(tmp) / "scratch.sqlite"
        with Store(path) as store:
            store.add_batch("scratch", {"name": "scratch", "sweep": {}, "base_scenario": {}, "n_runs": SIZE_COPIES})
            empty = _size(Path(tmp))
            copies = [replace(done[k % len(done)], run_id=f"copy{k:06d}") for k in range(SIZE_COPIES)]
            write_outcomes(store, "scratch", copies)
            store.close()
            full = _size(Path(tmp))
    return max(0.0, (full - empty) / SIZE_COPIES)


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _bytes(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n:,.1f} TB"  # pragma: no cover


def list_runs(runs: list[RunSpec], out: TextIO, limit: int = LIST_RUNS) -> None:
    """One line per run: its id and parameters in words."""
    for spec in runs[:limit]:
        out.write(f"  {spec.run_id}  {describe_params(spec.params)}\n")
    if len(runs) > limit:
        out.write(f"  ... and {len(runs) - limit:,} more runs\n")


def report(sweep: Sweep, runs: list[RunSpec], est: Estimate, where: str, store: str, out: TextIO) -> None:
    """Print the dry run's account."""
    out.write(f"dry run of batch {sweep.batch_id()}: {len(runs):,} runs on {where}; nothing was written\n")
    list_runs(runs, out)
    timed = ", ".join(f"{s:.2f} s ({st})" for s, st in zip(est.run_seconds, est.statuses))
    out.write(f"timed here: data load {est.load_seconds:.1f} s; {len(est.run_seconds)} runs took {timed}\n")
    hours = est.seconds / 3600
    out.write(
        f"estimated time: {clock(est.seconds)} ({hours:,.1f} h) = load {est.load_seconds:.0f} s + {len(runs):,} runs "
        f"x {est.mean_run:.2f} s / {est.slots} slot(s) (measured on this machine; other CPUs differ)\n"
    )
    size = f"estimated store size: {_bytes(est.store_bytes)} ({_bytes(est.bytes_per_run)} per run: run row and "
    size += "ward and borough results, measured in a scratch SQLite + Parquet store)"
    if "://" in store and not store.startswith("sqlite"):
        size += "; PostgreSQL keeps ward rows as table rows, several times larger"
    out.write(size + "\n")


def slots_for(workers: int | None, scheduler: Any) -> tuple[int, str]:
    """Runs at once and a description of where they would run (connects to a Dask scheduler to count)."""
    if scheduler is None or scheduler == "local":
        n, _ = plan_threads(workers)
        return n, f"{n} local {'Dask ' if scheduler else ''}worker(s)"
    from planner.batch.dask_executor import _connect

    client, owned, _ = _connect(scheduler, workers)
    try:
        n = sum(client.nthreads().values())
    finally:
        if owned:
            client.close()
    if n < 1:
        raise InputError(f"the Dask cluster at {scheduler} has no workers")
    return n, f"the Dask cluster at {scheduler} ({n} worker threads)"


def plural_hours(seconds: float) -> str:
    """``"about 3.2 hours"`` / ``"about 12 minutes"``."""
    if seconds >= 3600:
        return f"about {seconds / 3600:,.1f} hours"
    return f"about {max(1, math.ceil(seconds / 60))} minutes"
