"""Running a batch on a Dask distributed cluster (``planner batch --scheduler ADDRESS``).

The driver connects a :class:`dask.distributed.Client` to the scheduler,
registers a worker plugin that loads the base data once on every worker
(present and future), scatters the batch context once, and keeps a window of
runs in flight, storing each result as it lands. Solver threads per run are
chosen so that, on every host, Dask worker threads x solver threads stays
within the host's cores. A worker that dies is Dask's to handle: it reschedules
the run elsewhere, and after ``distributed.scheduler.allowed-failures`` deaths
reports ``KilledWorker``, which is stored as a lost run.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from distributed import Client, as_completed
from distributed.diagnostics.plugin import WorkerPlugin

from planner.batch.runner import Recorder, failed_result, lost_result
from planner.batch.work import RunResult, RunTask, WorkerContext, init_worker, run_one
from planner.errors import InputError

CONNECT_TIMEOUT = "15s"


class BatchWorkerPlugin(WorkerPlugin):
    """Loads the batch's base data once when a worker starts (or joins later)."""

    def __init__(self, ctx: WorkerContext) -> None:
        self.ctx = ctx

    def setup(self, worker: Any) -> None:
        init_worker(self.ctx)


def _host_info() -> tuple[str, int]:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return socket.gethostname(), cores


def solver_threads(client: Client) -> tuple[int, int]:
    """(total worker threads, solver threads per run) for the cluster behind ``client``.

    Per host: threads = max(1, host cores // Dask threads on that host); the
    smallest over hosts is used for every run.
    """
    nthreads: dict[str, int] = client.nthreads()
    if not nthreads:
        raise InputError("the Dask cluster has no workers")
    info: dict[str, tuple[str, int]] = client.run(_host_info)
    per_host: dict[str, list[int]] = {}
    for addr, n in nthreads.items():
        host, cores = info.get(addr, ("?", 1))
        entry = per_host.setdefault(host, [0, cores])
        entry[0] += n
    threads = min(max(1, cores // max(1, used)) for used, cores in per_host.values())
    return sum(nthreads.values()), threads


def connect(scheduler: str | Client) -> tuple[Client, bool]:
    """A client for ``scheduler`` (address or client) and whether we own it."""
    if isinstance(scheduler, Client):
        return scheduler, False
    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT), True
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}") from None


def execute_dask(
    ctx: WorkerContext,
    tasks: Iterable[RunTask],
    record: Recorder,
    scheduler: str | Client,
) -> tuple[int, int]:
    """Run tasks on a Dask cluster, storing each result as it lands.

    Parameters
    ----------
    ctx : WorkerContext
        The batch context (its ``solver_threads`` is replaced by the cluster's).
    tasks : iterable of RunTask
        Runs to do.
    record : Recorder
        Stores each result.
    scheduler : str or Client
        Scheduler address (``tcp://host:8786``) or a connected client.

    Returns
    -------
    (int, int)
        Worker threads in the cluster and solver threads per run.
    """
    client, owned = connect(scheduler)
    try:
        slots, threads = solver_threads(client)
        ctx = replace(ctx, solver_threads=threads)
        client.register_plugin(BatchWorkerPlugin(ctx), name=f"planner-batch-{ctx.key}")
        shared = client.scatter(ctx, broadcast=True, hash=False)
        _pump(client, shared, ctx, list(tasks), record, window=2 * slots)
        return slots, threads
    finally:
        if owned:
            client.close()


def _pump(client: Client, shared: Any, ctx: WorkerContext, tasks: list[RunTask], record: Recorder, window: int) -> None:
    pending = list(reversed(tasks))
    by_future: dict[Any, RunTask] = {}
    ac = as_completed()

    def submit() -> None:
        task = pending.pop()
        key = f"planner-run-{ctx.batch_id}-{task.run_id}-{task.attempt}"
        fut = client.submit(run_one, shared, task, key=key, pure=False)
        by_future[fut] = task
        ac.add(fut)

    while pending and len(by_future) < window:
        submit()
    try:
        for fut in ac:
            task = by_future.pop(fut)
            record(_outcome(fut, task))
            fut.release()
            if pending:
                submit()
    finally:
        for fut in by_future:
            fut.cancel()


def _outcome(fut: Any, task: RunTask) -> RunResult:
    try:
        result: RunResult = fut.result()
        return result
    except Exception as exc:
        name = type(exc).__name__
        if name == "KilledWorker":
            return lost_result(task, f"the Dask workers running this run died repeatedly ({exc})")
        return failed_result(task, f"{name}: {exc}")
