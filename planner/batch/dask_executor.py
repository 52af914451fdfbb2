"""Running a batch on a Dask cluster (``--scheduler tcp://host:8786``, or ``--scheduler local``).

* ``--scheduler local`` starts a throw-away :class:`~distributed.LocalCluster`
  (one single-threaded worker process per ``--workers``) and stops it at the end.
* A worker plugin loads the base data once on every worker, present and
  future, **in a thread** (its ``setup`` is a coroutine that awaits the load),
  so the worker's event loop keeps answering the scheduler. The plugin is
  removed at the end of the batch.
* Before any run is sent, every worker reports whether it could load the
  data. If some could not and the files the scenario names are small
  (:data:`SHIP_LIMIT`), the driver sends them with the plugin and each worker
  loads its own copy from a temporary folder (removed with the plugin);
  otherwise the batch stops with the workers and their messages.
* Each run announces itself on a Dask event topic when it starts, and the
  driver watches the cluster's workers: a worker that disappears is reported
  with the runs it took down, and every start counts as an attempt (Dask
  runs a run again elsewhere by itself; after
  ``distributed.scheduler.allowed-failures`` deaths it gives up with
  ``KilledWorker``, and the run is stored as ``lost``).
* Solver threads per run: host cores // Dask threads on that host, the
  smallest over the hosts.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import shutil
import socket
import tempfile
import time
import uuid
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from distributed import Client, get_worker
from distributed.diagnostics.plugin import WorkerPlugin
from distributed.utils import sync

from planner.batch.executor import Event, Finished, Note, Started
from planner.batch.local import lost_result, plan_threads
from planner.batch.work import FAILED, RunResult, RunTask, WorkerContext, cached_inputs, limit_native_threads, run_one
from planner.errors import InputError
from planner.scenario import Scenario

CONNECT_TIMEOUT = "15s"
POLL_SECONDS = 0.02
WATCH_SECONDS = 1.0
"""How often the driver looks for workers that left the cluster."""
SHIP_LIMIT = 64 * 2**20
"""Data files up to this size in all are sent to workers that do not have them."""

_PLUGINS: dict[str, tuple[str | None, WorkerContext]] = {}
"""In a worker process: plugin name -> (load error or None, the context its runs use)."""


# ------------------------------------------------------------------ on the workers


class BatchWorkerPlugin(WorkerPlugin):
    """Loads the batch's base data on a worker, off its event loop (see the module docstring)."""

    def __init__(self, name: str, ctx: WorkerContext, files: Mapping[str, bytes] | None = None) -> None:
        self.name, self.ctx, self.files = name, ctx, dict(files or {})
        self.folder: str | None = None

    async def setup(self, worker: Any) -> None:
        """Load the base data on the worker (in a thread, off the worker's event loop)."""
        loop = asyncio.get_running_loop()
        _PLUGINS[self.name] = await loop.run_in_executor(None, self._load)

    def _load(self) -> tuple[str | None, WorkerContext]:
        ctx = self.ctx
        if self.files:
            self.folder = tempfile.mkdtemp(prefix="planner-data-")
            for name, data in self.files.items():
                path = Path(self.folder) / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            ctx = replace(ctx, data_dir=self.folder, scenario_dir=self.folder)
        limit_native_threads()
        try:
            cached_inputs(ctx, ctx.base)
        except Exception as exc:
            return f"{exc}", ctx
        return None, ctx

    def teardown(self, worker: Any) -> None:
        """Forget the worker's loaded data and remove the data files copied to it."""
        _PLUGINS.pop(self.name, None)
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)


def _plugin_state(name: str) -> str | None:
    """On a worker: the plugin's load error, None when the data is loaded (``client.run``)."""
    if name not in _PLUGINS:
        return "the data-loading plugin did not run on this worker"
    return _PLUGINS[name][0]


def _host_info() -> tuple[str, int]:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return socket.gethostname(), cores


def dask_run(ctx: WorkerContext, task: RunTask, plugin: str, topic: str) -> RunResult:
    """A run on a Dask worker: announce the start, then :func:`run_one` with the worker's own data folder."""
    worker = get_worker()
    # a direct call to the scheduler, answered before the run starts (the worker's own event stream is
    # batched, and a run that kills its worker at once would take the message with it)
    msg = {"run": task.run_id, "worker": worker.address, "at": time.time()}
    try:
        sync(worker.loop, worker.scheduler.log_event, topic=topic, msg=msg, callback_timeout=10)
    except Exception:  # the scheduler is busy or the call failed: the batched stream still carries it
        worker.log_event(topic, msg)
    state = _PLUGINS.get(plugin)
    if state is not None:
        ctx = replace(ctx, data_dir=state[1].data_dir, scenario_dir=state[1].scenario_dir)
    return run_one(ctx, task)


# ------------------------------------------------------------------ on the driver


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


FILE_FIELDS = ("path", "weights", "mapping", "boroughs", "scenario")
"""The fields of the ``data`` block's parts that name a file (a ward file, a harm table, a scenario...)."""


def _file_fields(spec: Any) -> list[str]:
    """Every file named in ``spec`` and the parts it holds (e.g. ``data.deprivation.population.path``)."""
    out: list[str] = []
    for name in type(spec).model_fields:
        value = getattr(spec, name)
        if isinstance(value, str) and name in FILE_FIELDS:
            out.append(value)
        elif hasattr(type(value), "model_fields"):
            out.extend(_file_fields(value))
    return out


def referenced_files(scenario: Scenario, data_dir: str | None, scenario_dir: str | None) -> dict[str, Path] | None:
    """The data files a scenario names, found as the loader finds them; None if one is absolute or missing.

    Keys are the paths as written in the scenario (relative), values where they are here.
    """
    names = [*_file_fields(scenario.data), scenario.workforce.per_borough]
    roots = [Path(r) for r in (data_dir, scenario_dir) if r]
    out: dict[str, Path] = {}
    for name in filter(None, names):
        if Path(name).is_absolute():
            return None
        found = next((r / name for r in roots if (r / name).is_file()), None)
        if found is None:
            return None
        out[name] = found
        if found.suffix.lower() == ".shp":  # a shapefile's sidecars
            for side in found.parent.glob(found.stem + ".*"):
                out[str(Path(name).with_name(side.name))] = side
    return out


def _connect(scheduler: str | Client, workers: int | None) -> tuple[Client, bool, Any]:
    """A client (and whether we own it) plus the LocalCluster we started, if any."""
    if isinstance(scheduler, Client):
        return scheduler, False, None
    if scheduler == "local":
        from distributed import LocalCluster

        n, _ = plan_threads(workers)
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None)
        return Client(cluster), True, cluster
    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT), True, None
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}") from None


class DaskExecutor:
    """A Dask cluster as a batch executor (see the module docstring).

    Parameters
    ----------
    scheduler : str or Client
        ``"local"`` (a throw-away LocalCluster), a scheduler address, or a connected client.
    workers : int, optional
        Worker processes of a ``"local"`` cluster (default one per core).
    """

    def __init__(self, scheduler: str | Client, workers: int | None = None) -> None:
        self.scheduler, self.workers = scheduler, workers
        self.slots, self.solver_threads = 1, 1
        self.client: Client | None = None
        self._owned, self._cluster = False, None
        self._futures: dict[Any, RunTask] = {}
        self._running: dict[str, str] = {}
        """run id -> address of the worker that last started it."""
        self._inbox: queue.Queue[Event] = queue.Queue()
        tag = uuid.uuid4().hex[:10]
        self.plugin = f"planner-batch-{tag}"
        self.topic = f"planner-runs-{tag}"
        self.shipped = False
        self._workers_seen: set[str] = set()
        self._looked = 0.0
        self._ctx: Any = None

    def start(self, ctx: WorkerContext) -> WorkerContext:
        """Connect to the scheduler (or start a local cluster) and load the base data on every worker."""
        self.client, self._owned, self._cluster = _connect(self.scheduler, self.workers)
        try:
            return self._start(ctx)
        except BaseException:
            self.close()
            raise

    def _start(self, ctx: WorkerContext) -> WorkerContext:
        client = self.client
        assert client is not None
        self.slots, self.solver_threads = solver_threads(client)
        ctx = replace(ctx, solver_threads=self.solver_threads)
        client.register_plugin(BatchWorkerPlugin(self.plugin, ctx), name=self.plugin)
        missing = self._missing_data()
        if missing:
            files = self._shippable(ctx)
            if files is None:
                raise InputError(_data_error(missing, ctx))
            client.register_plugin(BatchWorkerPlugin(self.plugin, ctx, files), name=self.plugin)
            self.shipped = True
            missing = self._missing_data()
            if missing:
                raise InputError(_data_error(missing, ctx))
        client.subscribe_topic(self.topic, self._on_start)
        self._workers_seen = set(client.nthreads())
        self._ctx = ctx  # small (a scenario): sent with each run, so a replacement worker needs nothing else
        return ctx

    def _missing_data(self) -> dict[str, str]:
        assert self.client is not None
        states: dict[str, str | None] = self.client.run(_plugin_state, self.plugin)
        return {addr: err for addr, err in states.items() if err}

    def _shippable(self, ctx: WorkerContext) -> dict[str, bytes] | None:
        if ctx.base.data.source != "files":
            return None
        found = referenced_files(ctx.base, ctx.data_dir, ctx.scenario_dir)
        if not found or sum(p.stat().st_size for p in found.values()) > SHIP_LIMIT:
            return None
        return {name: path.read_bytes() for name, path in found.items()}

    # ------------------------------------------------------------ events from the scheduler
    def _on_start(self, event: tuple[float, Any]) -> None:
        msg = event[1]
        self._inbox.put(Started(str(msg["run"]), str(msg["worker"]), float(msg["at"])))

    def _watch_workers(self) -> list[Event]:
        """Workers that left since the last look, with the runs they were running."""
        now = time.monotonic()
        if self.client is None or now - self._looked < WATCH_SECONDS:
            return []
        self._looked = now
        with contextlib.suppress(Exception):
            current = set(self.client.nthreads())
            gone, self._workers_seen = self._workers_seen - current, current
            out: list[Event] = []
            for worker in sorted(gone):
                mine = [run for run, addr in list(self._running.items()) if addr == worker]
                text = f"Dask worker {worker} left the cluster"
                if mine:
                    text = f"Dask worker {worker} died while running run(s) {', '.join(mine)}; Dask will run them again"
                out.append(Note(text))
            return out
        return []

    # ------------------------------------------------------------ tasks
    def submit(self, task: RunTask) -> None:
        """Send a run to the cluster."""
        assert self.client is not None
        key = f"planner-run-{self.topic}-{task.run_id}-{task.attempt}"
        fut = self.client.submit(dask_run, self._ctx, task, self.plugin, self.topic, key=key, pure=False)
        self._futures[fut] = task

    def events(self, timeout: float) -> list[Event]:
        """Finished runs and worker changes since the last call, waiting up to ``timeout`` seconds."""
        # poll the futures' own state: distributed.wait would use the process's default client,
        # which need not be ours (and its loop would then claim our futures)
        deadline = time.monotonic() + timeout
        done = [f for f in self._futures if f.done()]
        while not done and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            done = [f for f in self._futures if f.done()]
        out: list[Event] = self._watch_workers()
        while True:
            try:
                event = self._inbox.get_nowait()
            except queue.Empty:
                break
            if isinstance(event, Started):
                self._running[event.run_id] = event.worker
            out.append(event)
        for fut in done:
            task = self._futures.pop(fut)
            self._running.pop(task.run_id, None)
            out.append(Finished(_outcome(fut, task)))
            fut.release()
        return out

    def stop(self, run_id: str) -> None:
        """Cancel a run that overran and restart the worker that runs it (when a nanny can)."""
        assert self.client is not None
        for fut, task in list(self._futures.items()):
            if task.run_id == run_id:
                fut.cancel()
                del self._futures[fut]
        worker = self._running.pop(run_id, None)
        if worker is not None:  # only a nanny can restart a worker; a thread cannot be stopped
            with contextlib.suppress(Exception):
                self.client.restart_workers([worker], raise_for_error=False)

    def close(self) -> None:
        """Cancel what is left, unregister from the cluster and close what this executor started."""
        client, self.client = self.client, None
        if client is None:
            return
        for fut in self._futures:
            fut.cancel()
        self._futures.clear()
        with contextlib.suppress(Exception):
            client.unsubscribe_topic(self.topic)
        with contextlib.suppress(Exception):
            client.unregister_worker_plugin(self.plugin)
        if self._owned:
            client.close()
        if self._cluster is not None:
            self._cluster.close()


def _data_error(missing: Mapping[str, str], ctx: WorkerContext) -> str:
    where = f"--data-dir {ctx.data_dir}" if ctx.data_dir else "the scenario's folder"
    shown = "; ".join(f"{addr}: {err}" for addr, err in sorted(missing.items())[:5])
    more = f" (and {len(missing) - 5} more)" if len(missing) > 5 else ""
    return (
        f"{len(missing)} Dask worker(s) cannot load the base scenario's data ({where} is the path as the workers "
        f"see it; the files are too large to send, or absent here too): {shown}{more}"
    )


def _outcome(fut: Any, task: RunTask) -> RunResult:
    try:
        result: RunResult = fut.result()
        return result
    except Exception as exc:
        name = type(exc).__name__
        if name == "KilledWorker":
            return lost_result(task, f"the Dask workers running this run died repeatedly ({exc})")
        now = time.time()
        return RunResult(task.run_id, task.params, task.attempt, FAILED, error=f"{name}: {exc}", started_at=now,
                         finished_at=now)  # fmt: skip
