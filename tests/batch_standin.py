"""A fast deterministic stand-in for ``planner.load_inputs`` and ``planner.solve`` (tests only).

Used by the batch tests and benchmarks to exercise the runners, the store and
the fault handling without the real solver, at thousands of runs per minute.
It lives with the tests, not in the shipped package: ``run_batch(..., solve=,
load=)`` takes any module-level pair of functions with the same signatures.
It is *not* an optimiser: it spreads each rank over the wards in proportion to
need above the ward floors (largest remainder), then sizes sergeants and
inspectors per borough from the spans of control.

Faults can be injected through the free ``teams`` block of the scenario, so
that a sweep axis ``description: ["standin_fault:raise", ...]`` can make chosen runs misbehave:

``raise``            the solve raises ``RuntimeError``;
``infeasible``       the solve raises :class:`~planner.errors.InfeasibleError`;
``exit``             the worker process dies (``os._exit``);
``exit_once:PATH``   the worker dies unless the file PATH exists (and creates it
                     first), so the run dies once and succeeds when run again;
``time_limit``       the plan comes back with status ``TIME_LIMIT`` and a gap;
``sleep:SECONDS``    the solve sleeps first;
``hang``             the solve sleeps for an hour (for the per-run watchdog).

Two environment variables help the tests and the benchmark watch it:
``PLANNER_STANDIN_LOG=FILE`` appends one line per solve (scenario digest and
process id), so a test can count how often each run was solved, whichever
process or driver solved it; ``PLANNER_STANDIN_LOAD_SLEEP=SECONDS`` makes each
data load that slow (a stand-in for reading London's files).
"""

from __future__ import annotations

import enum
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from planner.errors import InfeasibleError
from planner.inputs.data import WardData
from planner.inputs.equity import synthetic_equity
from planner.problem import Deployment
from planner.scenario import Scenario

LOADS: list[int] = [0]
"""How many times :func:`load_inputs` ran in this process (the tests read it)."""


class StandInStatus(enum.Enum):
    """Mirror of ``planner.report.result.Status`` for the stand-in plans."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    TIME_LIMIT = "time_limit"


@dataclass(frozen=True)
class StandInInputs:
    """What :func:`load_inputs` returns: the wards, no layer, no baseline."""

    wards: WardData
    layer: Any = None
    baseline: Any = None


@dataclass(frozen=True)
class StandInPlan:
    """The attributes of ``planner.Plan`` that the batch runner reads."""

    status: Any
    objective: float
    bound: float
    gap: float
    solve_seconds: float
    seed: int
    scenario: Scenario
    wards: WardData
    deployment: Deployment
    cost_annual: float
    cost_by_rank: dict[str, float]
    input_hash: str
    available: dict[str, int] = field(default_factory=dict)
    budget: float | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def totals(self) -> dict[str, int]:
        """Headcount deployed per rank."""
        return dict(zip(("constable", "pcso", "sergeant", "inspector"), map(int, self.deployment.totals)))

    def summary(self) -> dict[str, Any]:
        """The keys of ``Plan.summary()`` that the batch worker reads."""
        return {"totals": self.totals, "available": dict(self.available), "budget": self.budget}


def synthetic_wards(scenario: Scenario) -> WardData:
    """A small deterministic city from ``scenario.data.synthetic`` (no geometry)."""
    spec = scenario.data.synthetic
    rng = np.random.default_rng(spec.seed)
    n, nb = spec.wards, spec.boroughs
    borough = np.sort(np.arange(n) % nb)
    demand = rng.gamma(2.0, 50.0, n)
    harm = demand * rng.lognormal(0.0, 0.5, n)
    population = rng.normal(12000, 2000, n).clip(3000)
    w = scenario.need.weights
    parts = [w.demand * demand / demand.mean(), w.harm * harm / harm.mean()]
    parts.append(w.population * population / population.mean())
    need = sum(parts) / (w.demand + w.harm + w.population)
    codes = np.array([f"W{i:05d}" for i in range(n)])
    equity = synthetic_equity(codes, borough, demand / population, population, spec.seed) if spec.equity else None
    return WardData(
        codes=codes,
        names=np.array([f"Ward {i}" for i in range(n)]),
        borough=borough,
        borough_codes=np.array([f"B{b:03d}" for b in range(nb)]),
        borough_names=np.array([f"Borough {b}" for b in range(nb)]),
        borough_bcu=np.array([f"BCU {b % spec.bcus}" for b in range(nb)]),
        demand=demand,
        harm=harm,
        population=population,
        need=need,
        edges=np.array([(i, i + 1) for i in range(n - 1)]),
        area_km2=np.full(n, 2.0),
        x=np.arange(n, dtype=float),
        y=np.zeros(n),
        equity=equity,
    )


def load_inputs(
    scenario: Scenario,
    data_dir: str | Path | None = None,
    *,
    scenario_dir: str | Path | None = None,
    reuse: Any = None,
) -> StandInInputs:
    """Stand-in for ``planner.load_inputs``: the synthetic wards of ``scenario``."""
    LOADS[0] += 1
    delay = float(os.environ.get("PLANNER_STANDIN_LOAD_SLEEP", "0") or 0)
    if delay > 0:
        time.sleep(delay)
    return StandInInputs(wards=synthetic_wards(scenario))


def _spread(total: int, floor: int, need: np.ndarray) -> np.ndarray:
    """``floor`` each plus the rest in proportion to need (largest remainder)."""
    n = len(need)
    rest = total - floor * n
    if rest < 0:
        raise InfeasibleError(f"ward floors need {floor * n:,} but only {total:,} are available")
    share = need / need.sum() * rest
    out = np.floor(share).astype(np.int64)
    left = rest - int(out.sum())
    if left:
        out[np.argsort(-(share - out), kind="stable")[:left]] += 1
    return out + floor


def _supervisors(
    scenario: Scenario, wards: WardData, constables: np.ndarray, pcsos: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sergeants and inspectors per borough that the spans of control need."""
    sup = scenario.rules.supervision
    supervisees = np.bincount(wards.borough, weights=constables + pcsos, minlength=wards.n_boroughs)
    sergeants = np.maximum(sup.min_sergeants_per_borough, np.ceil(supervisees / sup.sergeant_span - 1e-9))
    inspectors = np.maximum(sup.min_inspectors_per_borough, np.ceil(sergeants / sup.inspector_span - 1e-9))
    return sergeants.astype(np.int64), inspectors.astype(np.int64)


def _fits(scenario: Scenario, wards: WardData, n_pcso: int, n_constable: int) -> bool:
    wf, rules = scenario.workforce, scenario.rules
    c = _spread(n_constable, rules.ward_floor.constable, wards.need)
    p = _spread(n_pcso, rules.ward_floor.pcso, wards.need)
    s, i = _supervisors(scenario, wards, c, p)
    if s.sum() > wf.sergeant.headcount or i.sum() > wf.inspector.headcount:
        return False
    if rules.budget is None:
        return True
    cost = sum(
        int(n.sum()) * wf.rank(r).annual_cost
        for r, n in zip(("constable", "pcso", "sergeant", "inspector"), (c, p, s, i))
    )
    return cost <= rules.budget


def _largest(lo: int, hi: int, ok: Any) -> int | None:
    """The largest ``k`` in ``[lo, hi]`` with ``ok(k)`` (monotone), or None."""
    if not ok(lo):
        return None
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if ok(mid) else (lo, mid - 1)
    return lo


def _fitting_headcounts(scenario: Scenario, wards: WardData) -> tuple[int, int]:
    """PCSOs and constables to deploy: all of them, or fewer (PCSOs first) when sergeants,
    inspectors or the budget run short, like a planner would."""
    wf, floor, n = scenario.workforce, scenario.rules.ward_floor, wards.n_wards
    low_c, low_p = floor.constable * n, floor.pcso * n
    if low_c > wf.constable.headcount or low_p > wf.pcso.headcount:
        short = "constable" if low_c > wf.constable.headcount else "pcso"
        raise InfeasibleError(
            f"ward floors need {max(low_c, low_p):,} {short}s but only {wf.rank(short).headcount:,} are available"
        )
    if _fits(scenario, wards, wf.pcso.headcount, wf.constable.headcount):  # the usual case: everyone
        return wf.pcso.headcount, wf.constable.headcount
    n_p = _largest(low_p, wf.pcso.headcount, lambda k: _fits(scenario, wards, k, wf.constable.headcount))
    if n_p is not None:
        return n_p, wf.constable.headcount
    n_c = _largest(low_c, wf.constable.headcount, lambda k: _fits(scenario, wards, low_p, k))
    if n_c is None:
        raise InfeasibleError("the ward floors alone need more sergeants, inspectors or budget than there are")
    return low_p, n_c


def _fault(scenario: Scenario) -> str:
    prefix = "standin_fault:"
    text = scenario.description
    return text[len(prefix) :] if text.startswith(prefix) else ""


def _inject(fault: str) -> None:
    if fault == "raise":
        raise RuntimeError("stand-in fault: the solve raised on purpose")
    if fault == "infeasible":
        raise InfeasibleError("stand-in fault: infeasible on purpose")
    if fault == "exit":
        os._exit(3)
    if fault.startswith("exit_once:"):
        marker = Path(fault.split(":", 1)[1])
        if not marker.exists():
            marker.touch()
            os._exit(3)
    if fault.startswith("sleep:"):
        time.sleep(float(fault.split(":", 1)[1]))
    if fault == "hang":
        time.sleep(3600)


def _log_solve(scenario: Scenario) -> None:
    log = os.environ.get("PLANNER_STANDIN_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as handle:  # one short line: appends do not interleave
            handle.write(f"{scenario.digest()} {os.getpid()}\n")


def solve(
    scenario: Scenario,
    data_dir: str | Path | None = None,
    *,
    inputs: Any = None,
    time_limit: float | None = None,
    seed: int | None = None,
    scenario_dir: str | Path | None = None,
) -> StandInPlan:
    """Stand-in for ``planner.solve`` (same signature, see the module docstring)."""
    start = time.perf_counter()
    fault = _fault(scenario)
    _inject(fault)
    _log_solve(scenario)
    wards: WardData = (inputs or load_inputs(scenario, data_dir)).wards
    wf, rules = scenario.workforce, scenario.rules
    n_pcso, n_constable = _fitting_headcounts(scenario, wards)
    constables = _spread(n_constable, rules.ward_floor.constable, wards.need)
    pcsos = _spread(n_pcso, rules.ward_floor.pcso, wards.need)
    sergeants, inspectors = _supervisors(scenario, wards, constables, pcsos)
    counts = {
        "constable": int(constables.sum()),
        "pcso": int(pcsos.sum()),
        "sergeant": int(sergeants.sum()),
        "inspector": int(inspectors.sum()),
    }
    cost_by_rank = {r: c * wf.rank(r).annual_cost for r, c in counts.items()}
    cost = float(sum(cost_by_rank.values()))
    eff = constables * wf.constable.availability + pcsos * wf.pcso.availability * 0.6
    objective = float(np.sum(wards.need * np.log1p(eff / np.maximum(wards.need, 1e-9))))
    timed_out = fault == "time_limit"
    return StandInPlan(
        status=StandInStatus.TIME_LIMIT if timed_out else StandInStatus.OPTIMAL,
        objective=objective,
        bound=objective * (1.05 if timed_out else 1.0),
        gap=0.05 if timed_out else 0.0,
        solve_seconds=time.perf_counter() - start,
        seed=scenario.solver.seed if seed is None else seed,
        scenario=scenario,
        wards=wards,
        deployment=Deployment(constables, pcsos, sergeants, inspectors),
        cost_annual=cost,
        cost_by_rank=cost_by_rank,
        input_hash=f"standin-{scenario.data.synthetic.seed}-{wards.n_wards}",
        available={r: int(wf.rank(r).headcount) for r in counts},
        budget=rules.budget,
    )
