"""Phasing the uplift: who to recruit when, and where to deploy them, quarter by quarter.

A mixed-integer programme (CBC, bundled with OR-Tools) over T periods decides,
per pool (each rank's base establishment and each funding stream) and period,
how many to recruit, and per rank, borough and period how many to deploy. It
maximises the need served over the plan::

    (1/T) * sum_t sum_b need_b * log(1 + E_bt / (n_b * kappa))  -  cost_weight * annual cost in £m

where ``E_bt = a_c * constables + alpha * a_p * PCSOs`` deployed to borough b in
period t and ``n_b`` its number of wards (the value of spreading ``E_bt`` evenly
over its wards, as the single-year planner values a ward). The concave value is
represented by tangent lines; the reported value is the exact logarithm.

Every period obeys: training places per rank; the training lag; attrition in
whole people (see :mod:`planner.finance.flows`); each pool's cap (the
establishment, or a stream's funded posts); each stream's target from its
``by`` quarter onwards; ward floors and caps summed to boroughs; the sergeant
and inspector spans and per-borough minima; the budget per financial year and
each stream's own budget. Three rules make the phasing one a force could run
(see :mod:`planner.finance.phasing_rules`): continuity (few people move between
boroughs from one quarter to the next), additionality (the base pool of a rank
with funded streams keeps its starting strength) and a terminal condition (the
last quarters' recruits keep the workforce steady after the plan).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
from ortools.linear_solver import pywraplp  # type: ignore[attr-defined]

from planner.errors import InfeasibleError
from planner.finance.costing import cost_rates
from planner.finance.deploy import MIP_SOLVER, ContinuityBreak, deploy_quarters, tangent_points
from planner.finance.flows import Flows, PhasingProblem, build_phasing, leavers_of, simulate
from planner.finance.phasing_result import PhasingResult, make_result
from planner.finance.phasing_rules import rank_totals
from planner.inputs.data import WardData
from planner.progress import Progress, step
from planner.scenario import Scenario

_BUDGET_MARGIN = 2e-6
"""Budgets are imposed this much tighter (relative) so that solver tolerance never lets
an exact recomputation exceed them."""

_BUDGET_WEIGHT = 1e-5
"""In the elastic diagnosis, a pound over a budget weighs this much against one person short of
a rule (about one person per £100,000)."""


class _Model:
    """The MIP (or, with ``relax=True``, its LP relaxation with elastic budgets)."""

    def __init__(
        self,
        pb: PhasingProblem,
        *,
        relax: bool = False,
        elastic: bool = False,
        int_deploy: bool = False,
    ) -> None:
        self.pb = pb
        self.relax = relax
        self.int_deploy = int_deploy
        self.elastic = elastic
        name = "GLOP" if relax else MIP_SOLVER
        solver = pywraplp.Solver.CreateSolver(name)
        if solver is None:  # pragma: no cover - ortools always bundles both
            raise RuntimeError(f"OR-Tools has no {name} solver")
        self.s = solver
        self.excess: dict[str, Any] = {}
        self._build()

    # ------------------------------------------------------------ variables
    def _var(self, lo: float, hi: float, name: str) -> Any:
        if self.relax:
            return self.s.NumVar(lo, hi, name)
        return self.s.IntVar(lo, hi, name)

    def _at_most(self, expr: Any, key: str) -> None:
        """``expr <= 0``; in an elastic model ``expr - excess[key] <= 0`` with the excess minimised."""
        if self.elastic:
            over = self.s.NumVar(0, self.s.infinity(), f"over_{key}")
            self.excess[key] = over
            self.s.Add(expr - over <= 0)
        else:
            self.s.Add(expr <= 0)

    def _build(self) -> None:  # noqa: C901
        pb, s = self.pb, self.s
        T, B, inf = pb.n_periods, pb.n_boroughs, self.s.infinity()
        self.R: dict[tuple[int, int], Any] = {}
        self.S: dict[tuple[int, int], Any] = {}
        for j, pool in enumerate(pb.pools):
            k = pool.rank
            lag, bp = int(pb.lag[k]), int(pb.attrition_bp[k])
            for t in range(T):
                hi = int(pb.intake[k, t]) if t >= pool.first_recruit else 0
                self.R[j, t] = self._var(0, hi, f"R_{j}_{t}")
            prev: Any = pool.initial
            for t in range(T):
                lo = pool.target if pool.by is not None and t >= pool.by else 0
                st = self._var(lo, pool.cap, f"S_{j}_{t}")
                self.S[j, t] = st
                if isinstance(prev, int):
                    leave: Any = leavers_of(bp, prev)
                else:
                    leave = self._leavers(bp, prev, pool.cap, f"L_{j}_{t}")
                if t - lag >= 0:
                    grad: Any = self.R[j, t - lag]
                else:
                    grad = pool.pipeline[t] if t < len(pool.pipeline) else 0
                s.Add(st == prev - leave + grad)
                if pool.floor > 0 and t >= pool.floor_from:
                    self._at_most(pool.floor - st, f"additionality {pool.name} {t}")
                prev = st
            if pb.terminal_hold is not None:
                self._terminal(j)
        for k in range(4):
            for t in range(T):
                recruits = sum(self.R[j, t] for j, p in enumerate(pb.pools) if p.rank == k)
                s.Add(recruits <= int(pb.intake[k, t]))
        # deployment
        self.D: dict[tuple[int, int, int], Any] = {}
        for k in range(4):
            for b in range(B):
                hi = pb.hi[k, b] if k < 2 and pb.hi[k, b] >= 0 else inf
                for t in range(T):
                    lo = int(pb.lo[k, b])
                    if self.int_deploy and not self.relax:
                        self.D[k, b, t] = self.s.IntVar(lo, hi, f"D_{k}_{b}_{t}")
                    else:
                        self.D[k, b, t] = self.s.NumVar(lo, hi, f"D_{k}_{b}_{t}")
        for k in range(4):
            for t in range(T):
                stock = sum(self.S[j, t] for j, p in enumerate(pb.pools) if p.rank == k)
                deployed = sum(self.D[k, b, t] for b in range(B))
                if pb.deploy_all:
                    s.Add(deployed == stock)
                else:
                    s.Add(deployed <= stock)
        for b in range(B):
            for t in range(T):
                s.Add(pb.span_sergeant * self.D[2, b, t] >= self.D[0, b, t] + self.D[1, b, t])
                s.Add(pb.span_inspector * self.D[3, b, t] >= self.D[2, b, t])
        self._budgets()
        self._objective()

    def _leavers(self, bp: int, prev: Any, cap: int, name: str) -> Any:
        """Whole leavers from a stock expression: ``round_half_up(bp * prev / 1e4)`` (fractional when relaxed)."""
        leave = self._var(0, cap, name)
        # bp * prev - 10000 * leave in [-5000, 4999]  <=>  leave = round_half_up(bp * prev / 1e4)
        self.s.Add(bp * prev - 10_000 * leave >= -5_000)
        self.s.Add(bp * prev - 10_000 * leave <= 4_999)
        return leave

    def _terminal(self, j: int) -> None:
        """Pool j keeps ``hold`` x its last stock in each quarter after the plan in which its trainees graduate."""
        pb = self.pb
        pool, T = pb.pools[j], pb.n_periods
        lag, bp = int(pb.lag[pool.rank]), int(pb.attrition_bp[pool.rank])
        assert pb.terminal_hold is not None
        last = self.S[j, T - 1]
        prev: Any = last
        for m in range(lag):
            u = T - lag + m
            grad: Any = self.R[j, u] if u >= 0 else (pool.pipeline[T + m] if T + m < len(pool.pipeline) else 0)
            prev = prev - self._leavers(bp, prev, pool.cap, f"LT_{j}_{m}") + grad
            self.s.Add(prev <= pool.cap)
            self._at_most(pb.terminal_hold * last - prev, f"terminal {pool.name} {m}")

    def _paid_cost(self, j: int, t: int) -> Any:
        """Cost of pool j in period t, pounds (linear in the variables)."""
        pb = self.pb
        pool = pb.pools[j]
        k, lag = pool.rank, int(pb.lag[pool.rank])
        trainees = sum(self.R[j, u] for u in range(max(0, t - lag + 1), t + 1)) + sum(pool.pipeline[t + 1 :])
        unit = pb.unit_pence[k, t] / 100.0
        return unit * (self.S[j, t] + trainees) + pb.one_off_pence[k] / 100.0 * self.R[j, t]

    def _budgets(self) -> None:
        pb = self.pb
        T = pb.n_periods
        self.cost_terms = {(j, t): self._paid_cost(j, t) for j in range(len(pb.pools)) for t in range(T)}
        limits: list[tuple[str, list[int], float]] = []
        for year, amount in pb.budget.items():
            limits.append((f"budget {year}", list(range(len(pb.pools))), amount))
        for j, pool in enumerate(pb.pools):
            for year, amount in pool.budget.items():
                limits.append((f"stream {pool.name} {year}", [j], amount))
        for key, pools, amount in limits:
            year = int(key.rsplit(" ", 1)[1])
            ts = [t for t in range(T) if pb.fy[t] == year]
            if not ts:
                continue
            total = sum(self.cost_terms[j, t] for j in pools for t in ts)
            cap = amount * (1 - _BUDGET_MARGIN)
            self._at_most(total - cap, key)

    def _objective(self) -> None:
        pb, s = self.pb, self.s
        T, B = pb.n_periods, pb.n_boroughs
        if self.elastic:
            money = ("budget", "stream")
            weight = {key: _BUDGET_WEIGHT if key.split(" ", 1)[0] in money else 1.0 for key in self.excess}
            s.Minimize(sum(weight[key] * var for key, var in self.excess.items()) if self.excess else 0)
            return
        a = pb.availability
        xs = tangent_points(pb.tangents)
        self.V: dict[tuple[int, int], Any] = {}
        for b in range(B):
            scale = pb.n_wards[b] * pb.kappa
            for t in range(T):
                v = s.NumVar(0, s.infinity(), f"V_{b}_{t}")
                eff = a[0] * self.D[0, b, t] + pb.pcso_effectiveness * a[1] * self.D[1, b, t]
                for x0 in xs:
                    s.Add(v <= pb.need[b] * (math.log1p(x0) + (eff / scale - x0) / (1 + x0)))
                self.V[b, t] = v
        total_cost = sum(self.cost_terms.values())
        years = T / 4.0
        s.Maximize(sum(self.V.values()) * (1.0 / T) - pb.cost_weight * total_cost / 1e6 / years)

    # ---------------------------------------------------------------- solve
    def solve(self, time_limit: float, seed: int, gap: float) -> int:
        s = self.s
        s.SetTimeLimit(int(max(time_limit, 0.001) * 1000))
        params = pywraplp.MPSolverParameters()
        if not self.relax:
            params.SetDoubleParam(params.RELATIVE_MIP_GAP, gap)
        return int(s.Solve(params))

    def value(self, var: Any) -> float:
        return float(var.solution_value()) if not isinstance(var, int | float) else float(var)


def _rounded(values: Mapping[Any, Any], shape: tuple[int, ...]) -> np.ndarray:
    out = np.zeros(shape, dtype=np.int64)
    for key, var in values.items():
        out[key] = round(var.solution_value())
    return out


def _objective(pb: PhasingProblem, value: np.ndarray, cost_pence: np.ndarray) -> float:
    years = pb.n_periods / 4.0
    return float(value.mean() - pb.cost_weight * cost_pence.sum() / 100 / 1e6 / years)


def _stage_one(
    pb: PhasingProblem, time_limit: float, seed: int, gap: float, limit: float, whole: bool
) -> tuple[_Model, Flows, bool]:
    """Stage 1: whole-person recruitment and stock (deployment relaxed unless ``whole``).

    Returns the model, the exact stock-flow and whether the solver proved optimality.
    """
    from planner.finance.feasibility import diagnose

    model = _Model(pb, int_deploy=whole)
    status = model.solve(time_limit, seed, gap)
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        if status == pywraplp.Solver.INFEASIBLE:
            raise InfeasibleError(diagnose(pb))
        raise InfeasibleError(
            [
                f"no phasing found within the {limit:g} s time limit (solver status {status}); "
                "raise finance.phasing.time_limit or loosen the targets"
            ]
        )
    P, T = len(pb.pools), pb.n_periods
    flows = simulate(pb, _rounded(model.R, (P, T)))
    if not np.array_equal(_rounded(model.S, (P, T)), flows.stock):  # pragma: no cover - tolerance guard
        raise RuntimeError("phasing: solver stock differs from the exact stock-flow; please report this")
    return model, flows, status == pywraplp.Solver.OPTIMAL


def _stage_two(pb: PhasingProblem, flows: Flows, time_limit: float, gap: float) -> tuple[np.ndarray, np.ndarray]:
    """Stage 2: whole-person deployment and stand-downs (4, B, T) of the stock in post, quarter by quarter."""
    stock, leavers = rank_totals(pb, flows)
    try:
        return deploy_quarters(pb, stock, leavers, time_limit=time_limit, gap=gap)
    except ContinuityBreak as exc:
        label = pb.labels[exc.t]
        if exc.reason:
            before = pb.labels[exc.t - 1] if exc.t > 0 else "the start"
            raise InfeasibleError(
                f"{label}: continuity cannot be kept in whole people after {before}'s deployment: {exc.reason} "
                "(raise finance.phasing.continuity.max_move_share or .borough_move_share, or the intake)"
            ) from None
        raise InfeasibleError(  # pragma: no cover - floors are whole-person feasible by construction
            f"{label}: the stock in post cannot be deployed by the rules within the time limit"
        ) from None


def plan_phasing(
    scenario: Scenario,
    wards: WardData,
    *,
    time_limit: float | None = None,
    seed: int | None = None,
    progress: Progress | None = None,
) -> PhasingResult:
    """Phase recruitment and deployment over the plan's quarters.

    Two stages: (1) a MIP decides whole-person recruitment, leavers and stock
    per pool and period, with deployment relaxed to fractions; (2) for each
    period, a small MIP deploys the stock in whole people per borough. The
    reported bound is stage 1's (valid for the combined problem, since it relaxes
    deployment); the objective is recomputed exactly. With ``deploy_all`` a
    single MIP with whole-person deployment is solved instead.

    With continuity, stage 2 deploys quarter by quarter within the limits on moves from the
    quarter before; people whom the supervisors in post cannot keep in their borough are
    stood down (in post, not deployed; see :mod:`planner.finance.deploy`).

    Parameters
    ----------
    scenario : Scenario
        With a ``finance.phasing`` block (``phasing: {}`` takes every default).
    wards : WardData
        The wards (their need is summed to boroughs).
    time_limit, seed : optional
        Override ``finance.phasing.time_limit`` / ``seed`` (defaults ``solver.*``).
    progress : Progress, optional
        Told of the two stages (and of each quarter deployed); silent by default.

    Returns
    -------
    PhasingResult

    Raises
    ------
    ScenarioError
        If the finance block is invalid.
    InfeasibleError
        With the numbers behind the conflict (training capacity, floors, spans, budgets).
    """
    from planner.finance.feasibility import precheck

    rates = cost_rates(scenario)
    pb = build_phasing(scenario, wards, rates)
    ph = rates.spec.phasing
    assert ph is not None
    limit = float(time_limit or ph.time_limit or scenario.solver.time_limit)
    seed = seed if seed is not None else (ph.seed if ph.seed is not None else scenario.solver.seed)
    gap = ph.gap
    reasons = precheck(pb)
    if reasons:
        raise InfeasibleError(reasons)
    t0 = time.perf_counter()
    T, B = pb.n_periods, pb.n_boroughs
    whole = pb.deploy_all and not pb.move_ranks  # one MIP deploys everyone; else stage 2 deploys
    stage1 = limit * (1.0 if whole else 0.7)
    with step(progress, f"Recruitment over {T} quarters (up to {stage1:,.0f} s)"):
        model, flows, optimal = _stage_one(pb, stage1, seed, gap, limit, whole)
    bound = float(model.s.Objective().BestBound())
    stood = np.zeros((4, B, T), dtype=np.int64)
    if whole:
        deploy = _rounded(model.D, (4, B, T))
    else:
        left = max(limit - (time.perf_counter() - t0), 1.0)
        with step(progress, f"Deploying {T} quarters in whole people"):
            deploy, stood = _stage_two(pb, flows, left, gap)
    result = make_result(
        pb,
        rates,
        flows,
        deploy,
        stood_down=stood,
        status="OPTIMAL" if optimal else "FEASIBLE",
        objective=0.0,
        bound=bound,
        seconds=time.perf_counter() - t0,
        seed=int(seed),
        time_limit=limit,
    )
    return replace(result, objective=_objective(pb, result.value, result.cost_pence))
