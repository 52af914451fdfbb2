"""What a worker does: load the data once, then solve run after run.

The same code serves the local process pool and the Dask workers. A worker
keeps the loaded inputs in a small per-process cache keyed by the parts of
the scenario that change them (data, need, baseline file, per-borough caps),
so a sweep over headcounts, spans or weights loads the city once per worker;
a sweep over need weights loads once per distinct weighting. This in-memory
cache holds whole :class:`~planner.inputs.loader.Inputs` (need built, files
checked) for the life of a worker; beneath it, the real loader reads the
parsed data files through the on-disk cache of :mod:`planner.inputs.cache`
(as ``planner solve`` does), so a worker started on a machine that has
loaded the city before skips parsing the files.

Nothing here writes to the store: a run's outcome comes back to the driver as
a :class:`RunResult`, and the driver stores many at once (one transaction and,
for ward results, one Parquet part or one ``COPY`` per few hundred runs).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from planner.batch.metrics import plan_measures
from planner.errors import InfeasibleError, PlannerError
from planner.problem import Deployment
from planner.scenario import RANKS, Scenario

CACHE_SIZE = 4
"""Distinct input sets kept per worker process."""

PENDING, RUNNING = "pending", "running"
"""A run not claimed yet; a run claimed by a driver (under a lease)."""
OK, INFEASIBLE, FAILED, LOST = "ok", "infeasible", "failed", "lost"
DONE = (OK, INFEASIBLE)
"""Run statuses that count as finished: never run again, never overwritten."""
OUTCOMES = (OK, INFEASIBLE, FAILED, LOST)
"""Run statuses with a stored outcome (what ``planner results`` exports)."""


@dataclass(frozen=True)
class WorkerContext:
    """Everything a worker needs for every run of one batch (sent once per worker).

    Parameters
    ----------
    batch_id : str
        The batch.
    base : Scenario
        The sweep's base scenario.
    data_dir : str or None
        Data folder for ``load_inputs`` (as seen by the worker).
    solver_threads : int
        ``solver.workers`` for each run, so that threads x workers stays within the cores.
    solve, load : callable or None
        The solve and load functions (module-level, so they pickle by name);
        None means the real ``planner.solve`` and ``planner.load_inputs``.
        Both are called with ``scenario_dir=`` and the loader with ``reuse=``.
    scenario_dir : str or None
        The base scenario file's folder (second place for relative paths).
    """

    batch_id: str
    base: Scenario
    data_dir: str | None
    solver_threads: int
    solve: Callable[..., Any] | None = None
    load: Callable[..., Any] | None = None
    scenario_dir: str | None = None

    @property
    def key(self) -> str:
        """Identity of this context in a worker's cache."""
        text = json.dumps(
            [self.batch_id, self.base.digest(), self.data_dir, _qualname(self.solve), _qualname(self.load)]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class RunTask:
    """One run to do: its id, its parameters and which attempt this is."""

    run_id: str
    params: dict[str, Any]
    attempt: int = 1


@dataclass
class RunResult:
    """The outcome of one run, as stored (see :mod:`planner.batch.store`)."""

    run_id: str
    params: dict[str, Any]
    attempt: int
    status: str
    solver_status: str | None = None
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    cost_annual: float | None = None
    need_covered: float | None = None
    worst_load: float | None = None
    wards_below_standard: int | None = None
    worst_wards: str | None = None
    """Names of the worst-served wards (highest need per effective officer), worst first, ``; ``-separated."""
    constables: int | None = None
    pcsos: int | None = None
    sergeants: int | None = None
    inspectors: int | None = None
    available_constables: int | None = None
    available_pcsos: int | None = None
    available_sergeants: int | None = None
    available_inspectors: int | None = None
    budget: float | None = None
    """The annual pay budget of the run, pounds (None: no budget rule)."""
    seed: int | None = None
    solve_seconds: float | None = None
    run_seconds: float | None = None
    cpu_seconds: float | None = None
    """CPU time of the worker process during the run (all its threads)."""
    started_at: float | None = None
    finished_at: float | None = None
    worker: str | None = None
    driver: str | None = None
    input_hash: str | None = None
    scenario_digest: str | None = None
    software_version: str | None = None
    error: str | None = None
    fatal: bool = False
    """True when the base data itself could not be loaded: the batch cannot go on."""
    loads: int = 0
    """How many times this worker process has loaded inputs so far."""
    wards: dict[str, np.ndarray] = field(default_factory=dict)
    """ward_code, constables, pcsos arrays."""
    boroughs: dict[str, np.ndarray] = field(default_factory=dict)
    """borough_code, borough_name, constables, pcsos, sergeants, inspectors, cost arrays."""


def _qualname(fn: Callable[..., Any] | None) -> str | None:
    if fn is None:
        return None
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


# ----------------------------------------------------------- per-process state


class _WorkerState:
    """The per-process cache of loaded inputs (thread-safe for Dask threads)."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.inputs: OrderedDict[tuple[str, str, str], Any] = OrderedDict()
        self.loads = 0


_STATE = _WorkerState()


def _state() -> _WorkerState:
    """The state of the current process.

    A worker forked from a process that loaded inputs starts its own count, and its own lock
    (the parent's may have been held by another thread at the fork).
    """
    global _STATE
    if _STATE.pid != os.getpid():
        _STATE = _WorkerState()
    return _STATE


def inputs_key(scenario: Scenario) -> str:
    """Hash of the scenario parts that change what ``load_inputs`` returns."""
    parts = {
        "data": scenario.data.model_dump(mode="json"),
        "need": scenario.need.model_dump(mode="json"),
        "per_borough": scenario.workforce.per_borough,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def _loader(ctx: WorkerContext) -> Callable[..., Any]:
    if ctx.load is not None:
        return ctx.load
    import planner

    return planner.load_inputs


def _solver(ctx: WorkerContext) -> Callable[..., Any]:
    if ctx.solve is not None:
        return ctx.solve
    import planner

    return planner.solve


def cached_inputs(ctx: WorkerContext, scenario: Scenario) -> Any:
    """The inputs of ``scenario``, loaded at most once per process and input set."""
    loader = _loader(ctx)  # the function itself names the cache entry (not the name it was asked by)
    key = (_qualname(loader) or "?", ctx.data_dir or "", inputs_key(scenario))
    state = _state()
    with state.lock:
        if key in state.inputs:
            state.inputs.move_to_end(key)
            return state.inputs[key]
        # the newest inputs of the same loader and folder: only what changed is re-read
        same = [v for k, v in state.inputs.items() if k[:2] == key[:2]]
        reuse = same[-1] if same else None
        extra = {"cache": True} if ctx.load is None else {}  # the real loader: parsed files from the disk cache
        inputs = loader(scenario, ctx.data_dir, scenario_dir=ctx.scenario_dir, reuse=reuse, **extra)
        state.loads += 1
        state.inputs[key] = inputs
        while len(state.inputs) > CACHE_SIZE:
            state.inputs.popitem(last=False)
        return inputs


def load_count() -> int:
    """How many times this process has loaded inputs."""
    return _state().loads


_LIMITS: list[Any] = []


def limit_native_threads() -> None:
    """Keep BLAS / OpenMP to one thread in a worker (the solver has its own thread setting).

    Measured on London: OpenBLAS's default thread pool makes a solve about twice
    as slow (0.44 s against 0.22 s), and two concurrent workers three times as
    slow, because the small matrix products only pay its synchronisation cost.
    Environment variables only help before numpy loads (not after ``fork``), so
    the limit is also set at run time through threadpoolctl when it is installed.
    """
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    if _LIMITS:
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl missing: env vars only
        return
    _LIMITS.append(threadpool_limits(limits=1))


def init_worker(ctx: WorkerContext) -> None:
    """Process-pool initializer: load the base scenario's data once, up front.

    A load failure is not raised here (it would break the pool); the first
    run reports it with its message instead.
    """
    limit_native_threads()
    with contextlib.suppress(Exception):  # reported by run_one
        cached_inputs(ctx, ctx.base)


_VERSION: list[str] = []


def software_version() -> str:
    """The planner's version and the OR-Tools version, e.g. ``planner 0.1.0; ortools 9.15.0``."""
    if _VERSION:
        return _VERSION[0]
    from importlib import metadata

    parts = []
    for dist, label in (("met-neighbourhood-planner", "planner"), ("ortools", "ortools")):
        try:
            parts.append(f"{label} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            import planner

            fallback = getattr(planner, "__version__", "unknown") if label == "planner" else "unknown"
            parts.append(f"{label} {fallback}")
    _VERSION.append("; ".join(parts))
    return _VERSION[0]


# --------------------------------------------------------------------- one run


def run_one(ctx: WorkerContext, task: RunTask) -> RunResult:
    """Solve one run and return its outcome; never raises for a run's own fault.

    Parameters
    ----------
    ctx : WorkerContext
        The batch context.
    task : RunTask
        The run.

    Returns
    -------
    RunResult
        ``ok`` with the plan's figures, ``infeasible`` with the reasons, or
        ``failed`` with the error message (``fatal`` if the base data itself
        cannot be loaded).
    """
    started, t0, c0 = time.time(), time.perf_counter(), time.process_time()
    result = RunResult(task.run_id, task.params, task.attempt, FAILED, started_at=started)
    result.worker = f"{socket.gethostname()}:{os.getpid()}"
    result.software_version = software_version()
    scenario = None
    try:
        changes = dict(task.params)
        changes.setdefault("solver.workers", ctx.solver_threads)
        scenario = ctx.base.with_changes(changes)
        result.scenario_digest = scenario.digest()
        try:
            inputs = cached_inputs(ctx, scenario)
        except PlannerError:
            result.fatal = inputs_key(scenario) == inputs_key(ctx.base)
            raise
        plan = _solver(ctx)(scenario, ctx.data_dir, inputs=inputs, scenario_dir=ctx.scenario_dir)
        _fill_from_plan(result, scenario, plan, ctx.base)
    except InfeasibleError as exc:
        result.status, result.error = INFEASIBLE, str(exc)
    except PlannerError as exc:
        result.status, result.error = FAILED, str(exc)
    except Exception as exc:
        result.status, result.error = FAILED, _describe(exc)
    result.finished_at = time.time()
    result.run_seconds = time.perf_counter() - t0
    result.cpu_seconds = time.process_time() - c0
    result.loads = load_count()
    return result


def _describe(exc: BaseException) -> str:
    tail = traceback.format_exception(type(exc), exc, exc.__traceback__)
    where = "".join(tail[-3:-1]).strip() if len(tail) > 2 else ""
    text = f"{type(exc).__name__}: {exc}"
    return f"{text}\n{where}"[:4000] if where else text[:4000]


def status_text(status: Any) -> str:
    """``Status.TIME_LIMIT`` -> ``"time_limit"`` (enum value if text, else name)."""
    value = getattr(status, "value", None)
    if isinstance(value, str):
        return value.lower()
    return str(getattr(status, "name", status)).lower()


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    v = float(value)
    return v if np.isfinite(v) else None


def _fill_from_plan(result: RunResult, scenario: Scenario, plan: Any, base: Scenario) -> None:
    wards = plan.wards
    deployment: Deployment = plan.deployment  # the one plan type of the solver, the plan and the batches
    constables, pcsos, sergeants, inspectors = deployment.x, deployment.p, deployment.s, deployment.i
    result.status = OK
    result.solver_status = status_text(plan.status)
    result.objective, result.bound = _finite(plan.objective), _finite(plan.bound)
    result.gap, result.cost_annual = _finite(plan.gap), _finite(plan.cost_annual)
    result.solve_seconds, result.seed = _finite(plan.solve_seconds), plan.seed
    result.input_hash = str(plan.input_hash)
    result.constables, result.pcsos = int(constables.sum()), int(pcsos.sum())
    result.sergeants, result.inspectors = int(sergeants.sum()), int(inspectors.sum())
    measures = plan_measures(scenario, wards.need, constables, pcsos, reference=base)
    result.need_covered = measures["need_covered"]
    result.worst_load = measures["worst_load"]
    result.wards_below_standard = measures["wards_below_standard"]
    result.worst_wards = "; ".join(str(wards.names[k]) for k in measures["worst_wards"])
    summary = plan.summary()  # public: what was available and the budget the solve used
    available = summary.get("available") or {}
    for rank, column in zip(RANKS, ("constables", "pcsos", "sergeants", "inspectors")):
        if rank in available:
            setattr(result, f"available_{column}", int(available[rank]))
    result.budget = _finite(summary.get("budget"))
    result.wards = {"ward_code": np.asarray(wards.codes), "constables": constables, "pcsos": pcsos}
    nb = wards.n_boroughs
    by_c = np.bincount(wards.borough, weights=constables, minlength=nb).astype(np.int64)
    by_p = np.bincount(wards.borough, weights=pcsos, minlength=nb).astype(np.int64)
    counts = dict(zip(RANKS, (by_c, by_p, sergeants, inspectors)))
    workforce = getattr(plan, "workforce", None)
    if workforce is not None:  # the costs the solve used (the finance model may set them)
        pay = [float(c) for c in workforce.annual_cost]
    else:
        pay = [scenario.workforce.rank(r).annual_cost for r in RANKS]
    cost = sum(counts[r] * pay[k] for k, r in enumerate(RANKS))
    result.boroughs = {
        "borough_code": np.asarray(wards.borough_codes),
        "borough_name": np.asarray(wards.borough_names),
        "constables": by_c,
        "pcsos": by_p,
        "sergeants": sergeants,
        "inspectors": inspectors,
        "cost": np.asarray(cost, dtype=float),
    }
