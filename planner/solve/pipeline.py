"""Solve an allocation problem with a certified optimality gap.

The method exploits the problem's structure (a separable concave objective
over wards, coupled by a handful of rules):

1. a water-filling estimate seeds each ward's candidate choices;
2. column generation on the Dantzig-Wolfe master LP (:mod:`planner.solve.master`)
   prices every ward's whole grid of integer choices (:mod:`planner.solve.columns`)
   until no choice improves the LP; each round's Lagrangian value is a valid
   upper bound on the integer optimum, proved exact over each ward's full range;
3. the LP's near-integral solution is rounded, repaired and improved by
   exact marginal analysis (:mod:`planner.solve.primal`), giving a feasible plan;
4. if the gap is still above target (typically because whole sergeants and
   inspectors bind, which the LP treats as continuous), the borough bound
   (:mod:`planner.solve.borough_bound`, :mod:`planner.solve.price_search`) prices only the
   London-wide rules and solves each borough exactly over whole supervisors,
   and its answers are turned into plans (:mod:`planner.solve.borough_primal`); the
   reported bound is the smaller of the two valid bounds;
5. if the gap is still above target, CP-SAT (:mod:`planner.solve.polish`) searches
   the few choices per ward that the Lagrangian prices have not ruled out.

The answer reports the plan's objective, the best bound, the relative gap,
runtime and seed. Nothing here reads files or knows about geography.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from planner.problem import AllocationProblem
from planner.ranks import CONSTABLE, PCSO
from planner.solve.borough_primal import inspectors_bind, polish_plan, refine_with_boroughs
from planner.solve.columns import Prices, choice_lagrangian, lagrangian_bound
from planner.solve.master import Columns, solve_master
from planner.solve.price_search import infeasibility_proof
from planner.solve.primal import PlanState, repair, round_lp


class Status(str, Enum):
    """How a solve ended."""

    OPTIMAL = "optimal"
    """A plan within the gap target of the proven bound."""
    FEASIBLE = "feasible"
    """A plan, but its gap is above target (the method stalled)."""
    TIME_LIMIT = "time_limit"
    """The time limit was reached; the best plan so far and its gap."""
    INFEASIBLE = "infeasible"
    """No plan satisfies every rule (proved by the LP relaxation)."""

    @property
    def has_plan(self) -> bool:
        return self is not Status.INFEASIBLE


@dataclass(frozen=True)
class Allocation:
    """What the solver returns: arrays plus the certificate."""

    status: Status
    x: np.ndarray
    p: np.ndarray
    s: np.ndarray
    i: np.ndarray
    objective: float
    bound: float
    gap: float
    seconds: float
    seed: int
    iterations: int
    method: str
    violated_rules: tuple[str, ...] = ()
    proven_infeasible: bool = False
    """True when the LP relaxation itself has no solution (a proof, not a failed heuristic)."""
    log: tuple[str, ...] = field(default=())


def relative_gap(objective: float, bound: float) -> float:
    """Relative gap ``(bound - objective) / max(|bound|, 1)``, never negative."""
    return max(0.0, bound - objective) / max(abs(bound), 1.0)


def water_fill(prob: AllocationProblem) -> tuple[np.ndarray, np.ndarray]:
    """A fast fractional estimate: effective officers proportional to need, less the saturation.

    Solves ``e_w = clip(need_w / lam - kappa, e_lo, e_hi)`` with ``sum e = E`` by
    bisection on ``lam`` and splits each ward's extra capacity between ranks
    in London-wide proportions.
    """
    e_lo = prob.eff_x * prob.lo_x + prob.eff_p * prob.lo_p
    spare_x = max(0, int(prob.headcount[CONSTABLE]) - int(prob.lo_x.sum()))
    spare_p = max(0, int(prob.headcount[PCSO]) - int(prob.lo_p.sum()))
    total = e_lo.sum() + prob.eff_x * spare_x + prob.eff_p * spare_p
    need = np.maximum(prob.need, 1e-12)
    lo_l, hi_l = 1e-12, float(need.max()) / max(prob.kappa, 1e-12) * 4 + 1.0
    for _ in range(80):
        lam = 0.5 * (lo_l + hi_l)
        e = np.maximum(e_lo, need / lam - prob.kappa)
        if e.sum() > total:
            lo_l = lam
        else:
            hi_l = lam
    e = np.maximum(e_lo, need / hi_l - prob.kappa)
    extra = e - e_lo
    share = extra / extra.sum() if extra.sum() > 0 else np.full(len(e), 1.0 / len(e))
    x = np.clip(np.rint(prob.lo_x + share * spare_x), prob.lo_x, prob.hi_x).astype(np.int64)
    p = np.clip(np.rint(prob.lo_p + share * spare_p), prob.lo_p, prob.hi_p).astype(np.int64)
    return x, p


def _seed_columns(prob: AllocationProblem, est_x: np.ndarray, est_p: np.ndarray) -> Columns:
    cols = Columns()
    w = np.arange(prob.n_wards)
    for dx in (-1, 0, 1):
        for dp in (-1, 0, 1):
            p = np.clip(est_p + dp, prob.lo_p, prob.hi_p)
            x = np.clip(np.maximum(est_x + dx, prob.min_x_for(w, p)), prob.lo_x, prob.hi_x)
            cols.add(w, x, p)
    cols.add(w, np.minimum(prob.min_x_for(w, prob.lo_p), prob.hi_x), prob.lo_p.copy())
    if prob.base_x is not None and prob.base_p is not None:
        cols.add(w, np.clip(prob.base_x, prob.lo_x, prob.hi_x), np.clip(prob.base_p, prob.lo_p, prob.hi_p))
    return cols


def _penalty(prob: AllocationProblem) -> float:
    slope = float(prob.need.max()) * max(prob.eff_x, prob.eff_p) / prob.kappa
    return 1e4 * max(slope, 1.0) * 50.0


@dataclass
class _Bound:
    value: float = np.inf
    prices: Prices | None = None

    def offer(self, value: float, prices: Prices) -> None:
        if value < self.value:
            self.value, self.prices = value, prices


def _pool_lagrangian(prob: AllocationProblem, y: Prices, cols: Columns) -> np.ndarray:
    """Best Lagrangian value already in the pool, per ward."""
    vals = choice_lagrangian(prob, y, cols.ward, cols.x, cols.p)
    best = np.full(prob.n_wards, -np.inf)
    np.maximum.at(best, cols.ward, vals)
    return best


def solve_allocation(
    prob: AllocationProblem,
    *,
    time_limit: float = 30.0,
    gap_target: float = 1e-4,
    seed: int = 0,
    workers: int = 1,
    polish: bool = True,
) -> Allocation:
    """Solve ``prob`` and certify the answer.

    Parameters
    ----------
    prob : AllocationProblem
        The problem arrays.
    time_limit : float
        Wall-clock seconds for the whole solve.
    gap_target : float
        Stop once the relative gap is at most this.
    seed : int
        Seed of the CP-SAT polish (the rest is deterministic).
    workers : int
        Threads for CP-SAT.
    polish : bool
        Whether CP-SAT may be used to close a remaining gap.
    """
    t0 = time.perf_counter()
    log: list[str] = []
    est_x, est_p = water_fill(prob)
    cols = _seed_columns(prob, est_x, est_p)
    penalty = _penalty(prob)
    bound = _Bound()
    master = None
    iterations = 0
    stopped_by_time = False
    while True:
        iterations += 1
        master = solve_master(prob, cols, penalty)
        y = master.prices
        value, (bx, bp) = lagrangian_bound(prob, y)
        bound.offer(value, y)
        best = choice_lagrangian(prob, y, np.arange(prob.n_wards), bx, bp)
        pool_best = _pool_lagrangian(prob, y, cols)
        improving = best > pool_best + 1e-9 * np.maximum(1.0, np.abs(best))
        log.append(
            f"iteration {iterations}: LP {master.objective:.6f}, bound {bound.value:.6f}, "
            f"{int(improving.sum())} wards priced in, {len(cols.ward)} columns"
        )
        if master.elastic <= 1e-7 and relative_gap(master.objective, bound.value) <= gap_target * 1e-2:
            break
        if not improving.any():
            break
        if time.perf_counter() - t0 > time_limit:
            stopped_by_time = True
            break
        w = np.flatnonzero(improving)
        cols.add(w, bx[w], bp[w])
    assert master is not None
    seconds = time.perf_counter() - t0
    if master.elastic > 1e-7 and not stopped_by_time:
        return _infeasible(prob, master.violated, bound.value, seconds, seed, iterations, log, proven=True)

    rx, rp = round_lp(prob, cols.ward, cols.x, cols.p, master.weights)
    state: PlanState | None = PlanState(prob, rx, rp)
    assert state is not None
    broken: tuple[str, ...] = ()
    if not repair(state):
        broken, state = tuple(state.violations()), None
        log.append(f"the rounded LP could not be repaired ({', '.join(broken)})")
    # when whole inspectors bind, marginal analysis from the rounded LP is slow and poor: the borough
    # bound's plans come first, and this one is polished only if they fail
    polished = state is None or not inspectors_bind(prob, master.sergeants)
    if state is not None and polished:
        polish_plan(state)
    objective = -np.inf if state is None else state.objective()
    gap = relative_gap(objective, bound.value) if state is not None else np.inf
    method = "column generation + marginal analysis"
    if state is not None:
        log.append(f"rounded plan {objective:.6f}, gap {gap:.3e}")
    cg_bound = bound.value
    if gap > gap_target and bound.prices is not None and time.perf_counter() - t0 < time_limit:
        refined = refine_with_boroughs(prob, bound.prices, state, gap_goal=gap_target, deadline=t0 + time_limit)
        log += refined.log
        if refined.state is not None and refined.state is not state:
            state, polished = refined.state, True
            method += " + borough bound plans"
        if state is not None:
            objective = state.objective()
            # a valid bound is never below a feasible plan; anything else would be a fault, not a certificate
            if objective - 1e-9 * max(abs(objective), 1.0) <= refined.bound < bound.value:
                bound.value = refined.bound
                method += " (borough bound with whole supervisors)"
            gap = relative_gap(objective, bound.value)
    if state is None:
        # no plan found: whole sergeants and inspectors may be what makes the rules conflict
        proof = infeasibility_proof(prob, deadline=t0 + time_limit)
        if proof is not None:
            log.append(f"no plan exists with whole supervisors (priced rules: {', '.join(proof)})")
        seconds = time.perf_counter() - t0
        return _infeasible(prob, proof or broken, bound.value, seconds, seed, iterations, log, proven=proof is not None)
    if not polished:
        polish_plan(state)
        objective = state.objective()
        gap = relative_gap(objective, bound.value)
    if polish and gap > gap_target and bound.prices is not None and time.perf_counter() - t0 < time_limit:
        from planner.solve.polish import polish_with_cpsat

        better = polish_with_cpsat(
            prob, bound.prices, cg_bound, state,
            time_limit=max(0.1, min(5.0, 0.25 * time_limit, time_limit - (time.perf_counter() - t0))),
            seed=seed, workers=workers,
        )  # fmt: skip
        if better is not None:
            state, _ = better
            objective = state.objective()
            gap = relative_gap(objective, bound.value)
            method += " + CP-SAT polish"
            log.append(f"CP-SAT polish: plan {objective:.6f}, bound {bound.value:.6f}, gap {gap:.3e}")
    seconds = time.perf_counter() - t0
    if gap <= gap_target:
        status = Status.OPTIMAL
    elif stopped_by_time or seconds >= time_limit:
        status = Status.TIME_LIMIT
    else:
        status = Status.FEASIBLE
    return Allocation(
        status=status,
        x=state.x.copy(),
        p=state.p.copy(),
        s=state.s.copy(),
        i=state.i.copy(),
        objective=objective,
        bound=float(bound.value),
        gap=gap,
        seconds=seconds,
        seed=seed,
        iterations=iterations,
        method=method,
        log=tuple(log),
    )


def _infeasible(
    prob: AllocationProblem,
    violated: tuple[str, ...] | list[str],
    bound: float,
    seconds: float,
    seed: int,
    iterations: int,
    log: list[str],
    proven: bool = False,
) -> Allocation:
    empty = np.zeros(0, dtype=np.int64)
    return Allocation(
        status=Status.INFEASIBLE,
        x=empty, p=empty, s=empty, i=empty,
        objective=float("nan"), bound=bound, gap=float("nan"),
        seconds=seconds, seed=seed, iterations=iterations,
        method="column generation", violated_rules=tuple(violated), log=tuple(log), proven_infeasible=proven,
    )  # fmt: skip
