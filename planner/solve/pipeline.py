"""Solve an allocation problem with a certified optimality gap: named stages passing one state.

The method exploits the problem's structure (a separable concave objective
over wards, coupled by the rules' rows). :data:`STAGES`, in order:

1. **seed**: a water-filling estimate seeds each ward's candidate choices (:mod:`planner.solve.start`);
2. **column generation** on the Dantzig-Wolfe master LP (:mod:`planner.solve.master`)
   prices every ward's whole grid of integer choices (:mod:`planner.solve.columns`)
   until no choice improves the LP; each round's Lagrangian value is a valid
   upper bound on the integer optimum, proved exact over each ward's full range;
3. **round and repair**: the LP's near-integral solution is rounded and repaired
   (:mod:`planner.solve.primal`), then improved by exact marginal analysis and
   sergeant exchanges, giving a feasible plan;
4. **borough bound**: if the gap is still above target, or there is no plan yet (typically because whole
   sergeants and inspectors bind, which the LP treats as continuous), the
   borough bound (:mod:`planner.solve.borough_bound`, :mod:`planner.solve.price_search`)
   prices only the rows that couple boroughs and solves each borough exactly
   over whole supervisors; its answers are turned into plans
   (:mod:`planner.solve.borough_primal`); the reported bound is the smaller valid one;
   if it builds no plan, the rounded LP kept aside is repaired (**fallback repair**);
5. **CP-SAT search**: if repair (greedy) still found no plan, CP-SAT looks for the plan keeping every
   rule row exactly that moves the fewest people from the rounded LP, within a few officers of it per
   ward (:func:`planner.solve.cpsat.feasibility_model`);
6. **proof**: with no plan, whole supervisors may be what makes the rules
   conflict: the borough bound with a zero objective looks for a proof;
7. **CP-SAT polish**: if the gap is still above target, CP-SAT
   (:mod:`planner.solve.polish`) searches the few choices per ward that the
   Lagrangian prices have not ruled out.

Every knob is in :class:`~planner.solve.params.SolveParams`; every tolerance in
:mod:`planner.tolerances`. The answer reports the plan, its objective, the best
bound, the relative gap, runtime and seed. Nothing here reads files, knows
about geography, or knows which rules there are.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from planner.problem import AllocationProblem, Deployment, HoldsDeployment
from planner.solve.borough_primal import inspectors_bind, polish_plan, refine_with_boroughs
from planner.solve.columns import RowPrices, choice_lagrangian, lagrangian_bound
from planner.solve.master import Columns, MasterSolution, solve_master
from planner.solve.params import SolveParams
from planner.solve.price_search import infeasibility_proof
from planner.solve.primal import PlanState, repair, round_lp
from planner.solve.start import breach_price, seed_columns, water_fill
from planner.tolerances import BOUND_SLACK, ELASTIC, LP_CONVERGED, PRICE_IN


class Status(str, Enum):
    """How a solve ended."""

    OPTIMAL = "optimal"
    """A plan within the gap target of the proven bound."""
    FEASIBLE = "feasible"
    """A plan, but its gap is above target (the method stalled)."""
    TIME_LIMIT = "time_limit"
    """The time limit was reached; the best plan so far and its gap."""
    INFEASIBLE = "infeasible"
    """No plan satisfies every rule (proved by the LP relaxation or whole supervisors)."""

    @property
    def has_plan(self) -> bool:
        """Whether the solve returned a plan."""
        return self is not Status.INFEASIBLE


@dataclass(frozen=True)
class Allocation(HoldsDeployment):
    """What the solver returns: the plan plus the certificate."""

    status: Status
    plan: Deployment
    objective: float
    bound: float
    gap: float
    seconds: float
    seed: int
    iterations: int
    method: str
    violated_rules: tuple[str, ...] = ()
    """Rule rows found in conflict (their names), when there is no plan."""
    proven_infeasible: bool = False
    """True when no plan exists by proof (the LP relaxation, or whole supervisors), not a failed heuristic."""
    log: tuple[str, ...] = field(default=())


def relative_gap(objective: float, bound: float) -> float:
    """Relative gap ``(bound - objective) / max(|bound|, 1)``, never negative."""
    return max(0.0, bound - objective) / max(abs(bound), 1.0)


# ------------------------------------------------------------------ state


@dataclass
class SolveState:
    """What the stages pass along: the problem, the knobs, the pool, the best bound and plan so far."""

    prob: AllocationProblem
    params: SolveParams
    t0: float = field(default_factory=time.perf_counter)
    log: list[str] = field(default_factory=list)
    cols: Columns = field(default_factory=Columns)
    master: MasterSolution | None = None
    bound: float = np.inf
    prices: RowPrices | None = None
    cg_bound: float = np.inf
    iterations: int = 0
    stopped_by_time: bool = False
    plan: PlanState | None = None
    polished: bool = False
    method: list[str] = field(default_factory=list)
    broken: tuple[str, ...] = ()
    rounded: tuple[np.ndarray, np.ndarray] | None = None
    """The rounded LP, kept unrepaired when whole inspectors bind (repaired only if the borough plans fail)."""
    rounding: tuple[np.ndarray, np.ndarray] | None = None
    """The rounded LP, whatever became of it (the centre of the CP-SAT search when repair finds no plan)."""
    answer: Allocation | None = None
    """Set by a stage that ends the solve early (no plan)."""

    def elapsed(self) -> float:
        """Seconds since the solve started."""
        return time.perf_counter() - self.t0

    def time_left(self) -> float:
        """Seconds left of the time limit."""
        return self.params.time_limit - self.elapsed()

    def objective(self) -> float:
        """The current plan's objective (-inf without a plan)."""
        return -np.inf if self.plan is None else self.plan.objective()

    def gap(self) -> float:
        """The current plan's relative gap to the best bound (inf without a plan)."""
        return np.inf if self.plan is None else relative_gap(self.objective(), self.bound)

    def offer_bound(self, value: float, prices: RowPrices) -> None:
        """Keep ``value`` as the bound if it is the best so far."""
        if value < self.bound:
            self.bound, self.prices = value, prices

    def no_plan(self, violated: tuple[str, ...] | list[str], proven: bool) -> None:
        """End the solve without a plan."""
        self.answer = Allocation(
            status=Status.INFEASIBLE, plan=Deployment.empty(), objective=float("nan"), bound=self.bound,
            gap=float("nan"), seconds=self.elapsed(), seed=self.params.seed, iterations=self.iterations,
            method="column generation", violated_rules=tuple(violated), proven_infeasible=proven, log=tuple(self.log),
        )  # fmt: skip


# ------------------------------------------------------------------ stages


def stage_seed(st: SolveState) -> None:
    """Seed the column pool around a water-filling estimate."""
    est_x, est_p = water_fill(st.prob)
    st.cols = seed_columns(st.prob, est_x, est_p, st.params.seed_radius)


def _pool_lagrangian(prob: AllocationProblem, y: RowPrices, cols: Columns) -> np.ndarray:
    """Best Lagrangian value already in the pool, per ward."""
    vals = choice_lagrangian(prob, y, cols.ward, cols.x, cols.p)
    best = np.full(prob.n_wards, -np.inf)
    np.maximum.at(best, cols.ward, vals)
    return best


def stage_column_generation(st: SolveState) -> None:
    """Solve the master LP, price every ward's whole range, add improving columns, until none improves."""
    prob, params = st.prob, st.params
    penalty = breach_price(prob, params.penalty_factor)
    while True:
        st.iterations += 1
        st.master = master = solve_master(prob, st.cols, penalty)
        value, (bx, bp) = lagrangian_bound(prob, master.prices)
        st.offer_bound(value, master.prices)
        best = choice_lagrangian(prob, master.prices, np.arange(prob.n_wards), bx, bp)
        pool_best = _pool_lagrangian(prob, master.prices, st.cols)
        improving = best > pool_best + PRICE_IN * np.maximum(1.0, np.abs(best))
        st.log.append(
            f"iteration {st.iterations}: LP {master.objective:.6f}, bound {st.bound:.6f}, "
            f"{int(improving.sum())} wards priced in, {len(st.cols.ward)} columns"
        )
        if master.elastic <= ELASTIC and relative_gap(master.objective, st.bound) <= params.gap_target * LP_CONVERGED:
            break
        if not improving.any():
            break
        if st.time_left() < 0:
            st.stopped_by_time = True
            break
        w = np.flatnonzero(improving)
        st.cols.add(w, bx[w], bp[w])
    st.cg_bound = st.bound
    if master.elastic > ELASTIC and not st.stopped_by_time:
        st.no_plan(master.violated, proven=True)


def stage_round_and_repair(st: SolveState) -> None:
    """Round the LP, repair it into a plan that keeps every rule, and polish it by marginal analysis.

    When whole inspectors bind, repair from the rounded LP is slow and its plan
    poor: the borough bound's plans come first, and the rounded LP is kept to be
    repaired only if they fail (:func:`stage_fallback_repair`).
    """
    prob = st.prob
    assert st.master is not None
    rounded = round_lp(prob, st.cols.ward, st.cols.x, st.cols.p, st.master.weights)
    st.rounding = rounded
    if inspectors_bind(prob, st.master.sergeants):
        st.rounded = rounded
        st.log.append("whole inspectors bind: the borough bound's plans come first")
        return
    _repair_rounded(st, rounded)
    if st.plan is not None:
        polish_plan(st.plan)
        st.polished = True
        st.log.append(f"rounded plan {st.objective():.6f}, gap {st.gap():.3e}")


def _repair_rounded(st: SolveState, rounded: tuple[np.ndarray, np.ndarray]) -> None:
    plan = PlanState(st.prob, *rounded)
    if not repair(plan, st.params.repair_steps, st.params.repair_patience):
        st.broken = tuple(plan.rows.names[int(r)] for r in plan.broken_rows()) or tuple(plan.violations())
        st.log.append(f"the rounded LP could not be repaired ({', '.join(plan.violations())})")
        return
    st.plan = plan
    st.method.append("column generation + marginal analysis")


def stage_fallback_repair(st: SolveState) -> None:
    """If the borough bound built no plan, repair the rounded LP kept for this case."""
    if st.plan is None and st.rounded is not None:
        _repair_rounded(st, st.rounded)


def stage_borough_bound(st: SolveState) -> None:
    """Tighten the bound with whole supervisors per borough and build plans from its answers."""
    params = st.params
    if st.gap() <= params.gap_target or st.prices is None or st.time_left() <= 0:
        return
    bp = params.boroughs
    refined = refine_with_boroughs(
        st.prob, st.prices, st.plan, gap_goal=params.gap_target, deadline=st.t0 + params.time_limit,
        stretch=bp.stretch, stretch_evals=bp.stretch_evals, max_evals=bp.max_evals, plans=bp.plans,
    )  # fmt: skip
    st.log += refined.log
    if refined.state is not None and refined.state is not st.plan:
        st.plan, st.polished = refined.state, True
        st.method.append("borough bound plans")
    if st.plan is not None:
        objective = st.plan.objective()
        # a valid bound is never below a feasible plan; anything else would be a fault, not a certificate
        if objective - BOUND_SLACK * max(abs(objective), 1.0) <= refined.bound < st.bound:
            st.bound = refined.bound
            st.method.append("(borough bound with whole supervisors)")


def stage_search(st: SolveState) -> None:
    """With no plan yet from a feasible LP: ask CP-SAT for a plan keeping every rule, nearest the rounded LP.

    Repair is greedy and can fail where a plan exists (tight rows over many wards
    at once, such as a narrow fairness band); CP-SAT states every rule row exactly.
    Its deterministic time limit keeps the answer the same on any machine.
    """
    params = st.params
    if st.plan is not None or st.rounding is None or st.time_left() <= 0:
        return
    from planner.solve.cpsat import feasibility_model, run

    model, v = feasibility_model(st.prob, *st.rounding, radius=params.search_radius)
    seconds = max(0.1, min(params.search_seconds, st.time_left()))
    found = run(model, v, st.prob, time_limit=seconds, seed=params.seed, workers=params.workers,
                deterministic_time=params.search_work)  # fmt: skip
    if found is None or found.status == "infeasible":
        st.log.append(f"CP-SAT found no plan within {params.search_radius} of the rounded LP")
        return
    plan = PlanState(st.prob, found.plan.x, found.plan.p)
    if plan.violations():
        st.log.append(f"CP-SAT's plan breaks {', '.join(plan.violations())}")
        return
    st.plan = plan
    st.method.append("CP-SAT search")
    st.log.append(f"CP-SAT search: plan {st.objective():.6f}, gap {st.gap():.3e}")


def stage_proof(st: SolveState) -> None:
    """With no plan: look for a proof that none exists with whole supervisors, and end the solve."""
    if st.plan is not None:
        return
    proof = infeasibility_proof(st.prob, deadline=st.t0 + st.params.time_limit)
    if proof is not None:
        st.log.append(f"no plan exists with whole supervisors (priced rules: {', '.join(proof)})")
    st.no_plan(proof or st.broken, proven=proof is not None)


def stage_marginal_analysis(st: SolveState) -> None:
    """Polish a plan not yet polished (marginal analysis and sergeant exchanges)."""
    if st.plan is not None and not st.polished:
        polish_plan(st.plan)
        st.polished = True


def stage_cpsat_polish(st: SolveState) -> None:
    """Search, with CP-SAT, the choices near the plan that the Lagrangian prices leave open."""
    params = st.params
    if not params.polish or st.plan is None or st.prices is None or st.gap() <= params.gap_target:
        return
    if st.time_left() <= 0:
        return
    from planner.solve.polish import polish_with_cpsat

    seconds = max(0.1, min(params.cpsat_seconds, params.cpsat_share * params.time_limit, st.time_left()))
    better = polish_with_cpsat(
        st.prob, st.prices, st.cg_bound, st.plan, time_limit=seconds, seed=params.seed, workers=params.workers,
        work=params.cpsat_work, radius=params.cpsat_radius,
    )  # fmt: skip
    if better is not None:
        st.plan = better
        st.method.append("CP-SAT polish")
        st.log.append(f"CP-SAT polish: plan {st.objective():.6f}, bound {st.bound:.6f}, gap {st.gap():.3e}")


Stage = Callable[[SolveState], None]

STAGES: tuple[tuple[str, Stage], ...] = (
    ("seed", stage_seed),
    ("column generation", stage_column_generation),
    ("round and repair", stage_round_and_repair),
    ("borough bound", stage_borough_bound),
    ("fallback repair", stage_fallback_repair),
    ("CP-SAT search", stage_search),
    ("proof", stage_proof),
    ("marginal analysis", stage_marginal_analysis),
    ("CP-SAT polish", stage_cpsat_polish),
)
"""The stages, in order; a stage that ends the solve sets :attr:`SolveState.answer`."""


def _finish(st: SolveState) -> Allocation:
    assert st.plan is not None
    gap = st.gap()
    seconds = st.elapsed()
    if gap <= st.params.gap_target:
        status = Status.OPTIMAL
    elif st.stopped_by_time or seconds >= st.params.time_limit:
        status = Status.TIME_LIMIT
    else:
        status = Status.FEASIBLE
    method = " + ".join(m for m in st.method if not m.startswith("(")) or "column generation"
    method += "".join(f" {m}" for m in st.method if m.startswith("("))
    return Allocation(
        status=status, plan=st.plan.deployment(), objective=st.objective(), bound=float(st.bound), gap=gap,
        seconds=seconds, seed=st.params.seed, iterations=st.iterations, method=method, log=tuple(st.log),
    )  # fmt: skip


def solve_allocation(
    prob: AllocationProblem,
    params: SolveParams | None = None,
    *,
    time_limit: float | None = None,
    gap_target: float | None = None,
    seed: int | None = None,
    workers: int | None = None,
    polish: bool | None = None,
) -> Allocation:
    """Solve ``prob`` and certify the answer, running :data:`STAGES` in order.

    Parameters
    ----------
    prob : AllocationProblem
        The problem arrays.
    params : SolveParams, optional
        Every knob (default: :class:`SolveParams`'s defaults).
    time_limit, gap_target, seed, workers, polish : optional
        Override the matching fields of ``params``.
    """
    params = params or SolveParams()
    given = {"time_limit": time_limit, "gap_target": gap_target, "seed": seed, "workers": workers, "polish": polish}
    changes = {k: v for k, v in given.items() if v is not None}
    if changes:
        params = params.but(**changes)
    st = SolveState(prob, params)
    for _, stage in STAGES:
        stage(st)
        if st.answer is not None:
            return st.answer
    return _finish(st)
