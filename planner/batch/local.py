"""Worker processes on this machine (the default executor of ``planner batch``).

Each worker is a process with a pipe to the driver. It loads the base data
once (with the ``fork`` start method it inherits the driver's copy and loads
nothing), then takes runs one after another: it says when it starts a run and
sends the outcome back. The driver keeps at most :data:`DEPTH` runs queued per
worker and knows which one each worker is running, so:

* a worker that dies (killed, out of memory, a crash in native code) takes
  down only the run it was running: that run is tried again on a fresh worker
  up to ``max_attempts`` times in all, then stored as ``lost``; runs queued
  behind it go back to the queue untouched;
* the watchdog can stop one overrunning run by killing its worker, and a new
  worker takes its place.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection, wait
from typing import Any

from planner.batch.executor import Event, Finished, Note, Started
from planner.batch.work import LOST, RunResult, RunTask, WorkerContext, cached_inputs, limit_native_threads, run_one
from planner.errors import InputError, PlannerError

MAX_ATTEMPTS = 2
"""Tries per run whose worker dies (on a fresh worker each time)."""
MAX_EARLY_DEATHS = 5
"""Workers in a row that die before starting any run: the batch stops (something is wrong with the machine)."""
DEPTH = 2
"""Runs sent to a worker ahead of time (one running, one waiting), so it never idles."""
PRELOAD = ["planner", "planner.batch.work"]
"""Modules the fork server imports once, so that each new worker starts without importing them."""


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


def _mp_context() -> multiprocessing.context.BaseContext:
    """``fork`` when safe (one thread: workers inherit the loaded data), else a preloaded fork server.

    Forking a process that runs other threads (a Dask client, a GUI) can
    deadlock the child, so then the workers come from a fork server that has
    imported the planner once (a new worker then starts in well under a second).
    """
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return context
    return multiprocessing.get_context("spawn")  # pragma: no cover - not Linux


def worker_main(conn: Connection, ctx: WorkerContext) -> None:
    """A worker process: load the data, then run tasks until told to stop (or the driver is gone)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle
    limit_native_threads()
    with contextlib.suppress(Exception):  # a load failure is reported by the first run
        cached_inputs(ctx, ctx.base)
    name = f"{socket.gethostname()}:{os.getpid()}"
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        conn.send(("started", task.run_id, name, time.time()))
        conn.send(("done", run_one(ctx, task)))


@dataclass
class _Worker:
    proc: Any
    conn: Connection
    inbox: deque[RunTask] = field(default_factory=deque)
    """Tasks sent to this worker and not finished, oldest (the running one) first."""
    running: str | None = None
    name: str = ""


class LocalExecutor:
    """Worker processes on this machine (see the module docstring).

    Parameters
    ----------
    workers : int, optional
        Worker processes (default one per core, never more than the cores).
    max_attempts : int
        Tries per run whose worker dies.
    """

    def __init__(self, workers: int | None = None, max_attempts: int = MAX_ATTEMPTS) -> None:
        self.slots, self.solver_threads = plan_threads(workers)
        self.max_attempts = max_attempts
        self.restarts = 0
        self._early_deaths = 0
        self._workers: list[_Worker] = []
        self._queue: deque[RunTask] = deque()
        self._ctx: WorkerContext | None = None
        self._mp: Any = None

    def start(self, ctx: WorkerContext) -> WorkerContext:
        """Load the base data once (a bad data folder fails here) and start the worker processes."""
        ctx = replace(ctx, solver_threads=self.solver_threads)
        try:
            cached_inputs(ctx, ctx.base)  # a bad data folder fails here, before any worker starts
        except PlannerError as exc:
            raise InputError(f"cannot load the data of the base scenario: {exc}") from None
        self._ctx, self._mp = ctx, _mp_context()
        for _ in range(self.slots):
            self._workers.append(self._spawn())
        return ctx

    def _spawn(self) -> _Worker:
        parent, child = self._mp.Pipe(duplex=True)
        proc = self._mp.Process(target=worker_main, args=(child, self._ctx), daemon=True)
        proc.start()
        child.close()
        return _Worker(proc, parent)

    # ------------------------------------------------------------ tasks
    def submit(self, task: RunTask) -> None:
        """Queue a run and hand it to a free worker."""
        self._queue.append(task)
        self._dispatch()

    def _dispatch(self) -> None:
        for w in sorted(self._workers, key=lambda w: len(w.inbox)):
            while self._queue and len(w.inbox) < DEPTH:
                task = self._queue.popleft()
                try:
                    w.conn.send(task)
                except (BrokenPipeError, OSError):  # it died: noticed by events()
                    self._queue.appendleft(task)
                    break
                w.inbox.append(task)

    def events(self, timeout: float) -> list[Event]:
        """Results and worker exits since the last call, waiting up to ``timeout`` seconds."""
        out: list[Event] = []
        if not self._workers:
            return out
        handles: list[Any] = [w.conn for w in self._workers] + [w.proc.sentinel for w in self._workers]
        ready = set(wait(handles, timeout))
        for w in list(self._workers):
            if w.conn in ready or w.proc.sentinel in ready:
                alive = self._drain(w, out)
                if not alive or not w.proc.is_alive():
                    self._replace(w, out)
        self._dispatch()
        return out

    def _drain(self, w: _Worker, out: list[Event]) -> bool:
        """Read every message a worker sent; False if its pipe is closed."""
        try:
            while w.conn.poll():
                msg = w.conn.recv()
                if msg[0] == "started":
                    w.running, w.name = msg[1], msg[2]
                    self._early_deaths = 0
                    out.append(Started(msg[1], msg[2], msg[3]))
                else:
                    result: RunResult = msg[1]
                    if w.inbox and w.inbox[0].run_id == result.run_id:
                        w.inbox.popleft()
                    w.running = None
                    out.append(Finished(result))
        except (EOFError, OSError):
            return False
        return True

    def _replace(self, w: _Worker, out: list[Event]) -> None:
        """A worker died: try its run again (or store it as lost) and start a new worker."""
        w.proc.join(timeout=5)
        code = w.proc.exitcode
        self._workers.remove(w)
        w.conn.close()
        self.restarts += 1
        if w.running is None:
            self._early_deaths += 1
            if self._early_deaths >= MAX_EARLY_DEATHS:
                raise InputError(
                    f"{self._early_deaths} worker processes in a row died before starting a run "
                    f"(last exit code {code}); is the machine out of memory?"
                )
        waiting = list(w.inbox)
        if w.running is not None and waiting and waiting[0].run_id == w.running:
            task = waiting.pop(0)
            how = f"exit code {code}" if code is not None else "no exit code"
            who = w.name or f"pid {w.proc.pid}"
            if task.attempt < self.max_attempts:
                out.append(Note(f"worker {who} died ({how}) while running run {task.run_id}; it will run again"))
                self._queue.appendleft(replace(task, attempt=task.attempt + 1))
            else:
                message = f"the worker process died while running this run ({how}), {task.attempt} time(s)"
                out.append(Note(f"worker {who} died ({how}) running run {task.run_id}: stored as lost"))
                out.append(Finished(lost_result(task, message)))
        self._queue.extendleft(reversed(waiting))  # not started: back to the front, same attempt
        self._workers.append(self._spawn())

    def stop(self, run_id: str) -> None:
        """Kill the worker running ``run_id`` and start another; its other queued runs go back in the queue."""
        for w in list(self._workers):
            if w.running == run_id:
                w.proc.kill()
                w.proc.join(timeout=10)
                self._workers.remove(w)
                w.conn.close()
                self.restarts += 1
                self._queue.extendleft(reversed([t for t in w.inbox if t.run_id != run_id]))
                self._workers.append(self._spawn())
                self._dispatch()
                return
        self._queue = deque(t for t in self._queue if t.run_id != run_id)

    def close(self) -> None:
        """Ask the workers to stop, then kill those still busy after a few seconds."""
        for w in self._workers:
            with contextlib.suppress(Exception):
                w.conn.send(None)
        deadline = time.monotonic() + 5
        for w in self._workers:
            w.proc.join(timeout=max(0.0, deadline - time.monotonic()))
            if w.proc.is_alive():  # busy with a run (Ctrl-C): stop it
                w.proc.kill()
                w.proc.join(timeout=5)
            w.conn.close()
        self._workers = []
        self._queue.clear()

    def kill(self) -> None:
        """Stop every worker at once (after Ctrl-C or a fatal error)."""
        for w in self._workers:
            if w.proc.is_alive():
                w.proc.kill()
        self.close()


def lost_result(task: RunTask, message: str) -> RunResult:
    """The stored outcome of a run whose workers died."""
    now = time.time()
    return RunResult(task.run_id, task.params, task.attempt, LOST, error=message, started_at=now, finished_at=now)
