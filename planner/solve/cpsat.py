"""CP-SAT formulations of the allocation problem.

Two ways to state the same rules, sharing one constraint function per family:

* :func:`plain_model`: the generic formulation a modeller would write first
  (integer counts per ward, the concave value by table lookup). It is the
  benchmark's reference and the exact oracle on small instances.
* :func:`choice_model`: one Boolean per remaining candidate choice of each
  ward, used by :mod:`planner.solve.polish` after Lagrangian reduced-cost fixing has
  ruled out every other choice.

Objective values are scaled to integers by :data:`SCALE`; the answer is
re-evaluated in floating point from the integer plan.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from planner.problem import INF_INT, AllocationProblem
from planner.ranks import CONSTABLE, INSPECTOR, PCSO, SERGEANT

SCALE = 1_000_000
"""Objective units per CP-SAT integer unit."""

LinearLike = cp_model.LinearExprT


@dataclass
class CpVars:
    """The decision expressions every constraint family works on."""

    x: Sequence[Any]
    p: Sequence[Any]
    s: list[Any]
    i: list[Any]
    moves: Sequence[Any] | None = None


def add_supervisor_vars(model: cp_model.CpModel, prob: AllocationProblem) -> tuple[list, list]:
    s = [
        model.new_int_var(int(prob.min_sergeants[b]), int(prob.max_sergeants[b]), f"s{b}")
        for b in range(prob.n_boroughs)
    ]
    i = [
        model.new_int_var(int(prob.min_inspectors[b]), int(prob.max_inspectors[b]), f"i{b}")
        for b in range(prob.n_boroughs)
    ]
    return s, i


def add_headcount_constraints(model: cp_model.CpModel, prob: AllocationProblem, v: CpVars) -> None:
    """London-wide headcount per rank."""
    model.add(sum(v.x) <= int(prob.headcount[CONSTABLE]))
    model.add(sum(v.p) <= int(prob.headcount[PCSO]))
    model.add(sum(v.s) <= int(prob.headcount[SERGEANT]))
    model.add(sum(v.i) <= int(prob.headcount[INSPECTOR]))


def add_supervision_constraints(model: cp_model.CpModel, prob: AllocationProblem, v: CpVars) -> None:
    """Spans of control per borough: heads <= floor(S * sergeants), sergeants <= I * inspectors.

    Spans may be fractional, so both sides are scaled by 1,000.
    """
    s_span = round(prob.span_sergeant * 1000)
    i_span = round(prob.span_inspector * 1000)
    for b in range(prob.n_boroughs):
        wards = np.flatnonzero(prob.borough == b).tolist()
        heads = sum(v.x[w] + v.p[w] for w in wards)
        model.add(1000 * heads <= s_span * v.s[b])
        model.add(1000 * v.s[b] <= i_span * v.i[b])


def add_budget_constraint(model: cp_model.CpModel, prob: AllocationProblem, v: CpVars) -> None:
    """Annual pay budget, in whole pounds."""
    if prob.budget is None:
        return
    c = np.round(prob.cost).astype(np.int64)
    model.add(
        int(c[CONSTABLE]) * sum(v.x) + int(c[PCSO]) * sum(v.p) + int(c[SERGEANT]) * sum(v.s)
        + int(c[INSPECTOR]) * sum(v.i) <= int(np.floor(prob.budget))
    )  # fmt: skip


def add_borough_constraints(model: cp_model.CpModel, prob: AllocationProblem, v: CpVars) -> None:
    """Borough share bounds and per-borough caps."""
    for b in range(prob.n_boroughs):
        wards = np.flatnonzero(prob.borough == b).tolist()
        xs = sum(v.x[w] for w in wards)
        ps = sum(v.p[w] for w in wards)
        if prob.borough_heads_lo[b] > 0:
            model.add(xs + ps >= int(prob.borough_heads_lo[b]))
        if prob.borough_heads_hi[b] < INF_INT:
            model.add(xs + ps <= int(prob.borough_heads_hi[b]))
        if prob.borough_cap_x[b] < prob.headcount[CONSTABLE]:
            model.add(xs <= int(prob.borough_cap_x[b]))
        if prob.borough_cap_p[b] < prob.headcount[PCSO]:
            model.add(ps <= int(prob.borough_cap_p[b]))


def add_stability_constraints(model: cp_model.CpModel, prob: AllocationProblem, v: CpVars) -> None:
    """London-wide limit on people moved (sum of absolute changes <= 2 x limit)."""
    if prob.max_moves is None or v.moves is None:
        return
    model.add(sum(v.moves) <= 2 * int(prob.max_moves))


def _supervisor_objective(prob: AllocationProblem, v: CpVars) -> Any:
    cs = round(prob.cost_weight * prob.cost[SERGEANT] * SCALE)
    ci = round(prob.cost_weight * prob.cost[INSPECTOR] * SCALE)
    return cs * sum(v.s) + ci * sum(v.i)


def _add_rules(model: cp_model.CpModel, prob: AllocationProblem, v: CpVars) -> None:
    add_headcount_constraints(model, prob, v)
    add_supervision_constraints(model, prob, v)
    add_budget_constraint(model, prob, v)
    add_borough_constraints(model, prob, v)
    add_stability_constraints(model, prob, v)


def plain_model(prob: AllocationProblem, hi_x: np.ndarray, hi_p: np.ndarray) -> tuple[cp_model.CpModel, CpVars]:
    """The generic formulation: integer counts, value by table lookup over ``[lo, hi]``."""
    model = cp_model.CpModel()
    xs, ps, vals, moves = [], [], [], []
    for w in range(prob.n_wards):
        lx, ux = int(prob.lo_x[w]), int(min(prob.hi_x[w], hi_x[w]))
        lp, up = int(prob.lo_p[w]), int(min(prob.hi_p[w], hi_p[w]))
        x = model.new_int_var(lx, ux, f"x{w}")
        p = model.new_int_var(lp, up, f"p{w}")
        gx, gp = np.meshgrid(np.arange(lx, ux + 1), np.arange(lp, up + 1), indexing="ij")
        table = np.round(prob.choice_value(np.full(gx.shape, w), gx, gp) * SCALE).astype(np.int64).ravel()
        idx = model.new_int_var(0, len(table) - 1, f"k{w}")
        model.add(idx == (x - lx) * (up - lp + 1) + (p - lp))
        val = model.new_int_var(int(table.min()), int(table.max()), f"v{w}")
        model.add_element(idx, table.tolist(), val)
        xs.append(x)
        ps.append(p)
        vals.append(val)
        if prob.base_x is not None and prob.base_p is not None and prob.max_moves is not None:
            m = model.new_int_var(0, ux + up + 2 * int(prob.base_x[w] + prob.base_p[w]), f"m{w}")
            dx = model.new_int_var(0, ux + int(prob.base_x[w]), f"dx{w}")
            dp = model.new_int_var(0, up + int(prob.base_p[w]), f"dp{w}")
            model.add_abs_equality(dx, x - int(prob.base_x[w]))
            model.add_abs_equality(dp, p - int(prob.base_p[w]))
            model.add(m == dx + dp)
            moves.append(m)
    s, i = add_supervisor_vars(model, prob)
    v = CpVars(xs, ps, s, i, moves or None)
    _add_rules(model, prob, v)
    model.maximize(sum(vals) - _supervisor_objective(prob, v))
    return model, v


def choice_model(
    prob: AllocationProblem, cand_x: list[np.ndarray], cand_p: list[np.ndarray]
) -> tuple[cp_model.CpModel, CpVars, list[list[cp_model.IntVar]]]:
    """One Boolean per candidate choice of each ward; exactly one per ward."""
    model = cp_model.CpModel()
    xs, ps, obj, moves, picks = [], [], [], [], []
    for w in range(prob.n_wards):
        cx, cp = cand_x[w], cand_p[w]
        bools = [model.new_bool_var(f"c{w}_{k}") for k in range(len(cx))]
        model.add_exactly_one(bools)
        vals = np.round(prob.choice_value(np.full(len(cx), w), cx, cp) * SCALE).astype(np.int64)
        xs.append(cp_model.LinearExpr.weighted_sum(bools, cx.tolist()))
        ps.append(cp_model.LinearExpr.weighted_sum(bools, cp.tolist()))
        obj.append(cp_model.LinearExpr.weighted_sum(bools, vals.tolist()))
        if prob.base_x is not None and prob.base_p is not None and prob.max_moves is not None:
            mv = np.abs(cx - prob.base_x[w]) + np.abs(cp - prob.base_p[w])
            moves.append(cp_model.LinearExpr.weighted_sum(bools, mv.tolist()))
        picks.append(bools)
    s, i = add_supervisor_vars(model, prob)
    v = CpVars(xs, ps, s, i, moves or None)
    _add_rules(model, prob, v)
    model.maximize(sum(obj) - _supervisor_objective(prob, v))
    return model, v, picks


@dataclass(frozen=True)
class CpResult:
    """A CP-SAT answer, re-evaluated in floating point."""

    status: str
    x: np.ndarray
    p: np.ndarray
    s: np.ndarray
    i: np.ndarray
    objective: float
    bound: float
    seconds: float


def run(
    model: cp_model.CpModel,
    v: CpVars,
    prob: AllocationProblem,
    *,
    time_limit: float,
    seed: int,
    workers: int,
) -> CpResult | None:
    """Solve a model from this module; None when CP-SAT found no plan in time."""
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit)
    solver.parameters.random_seed = int(seed)
    solver.parameters.num_workers = int(workers)
    t0 = time.perf_counter()
    status = solver.solve(model)
    seconds = time.perf_counter() - t0
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        if status == cp_model.INFEASIBLE:
            return CpResult("infeasible", *(np.zeros(0, np.int64),) * 4, float("nan"), float("nan"), seconds)
        return None
    x = np.array([solver.value(e) for e in v.x], dtype=np.int64)
    p = np.array([solver.value(e) for e in v.p], dtype=np.int64)
    s = np.array([solver.value(e) for e in v.s], dtype=np.int64)
    i = np.array([solver.value(e) for e in v.i], dtype=np.int64)
    # the scaled bound, widened by the rounding of every table entry
    slack = 0.5 * (prob.n_wards + 2 * prob.n_boroughs) / SCALE
    return CpResult(
        "optimal" if status == cp_model.OPTIMAL else "feasible",
        x, p, s, i,
        prob.objective(x, p, s, i),
        solver.best_objective_bound / SCALE + slack,
        seconds,
    )  # fmt: skip
