"""CP-SAT formulations of the allocation problem.

Two ways to state the same rules, sharing :func:`add_rule_rows`, which turns
every rule's rows (:mod:`planner.rules`) into CP-SAT constraints:

* :func:`plain_model`: the generic formulation a modeller would write first
  (integer counts per ward, the concave value by table lookup). It is the
  benchmark's reference and the exact oracle on small instances.
* :func:`choice_model`: one Boolean per remaining candidate choice of each
  ward, used by :mod:`planner.solve.polish` after Lagrangian reduced-cost fixing has
  ruled out every other choice.

Objective values are scaled to integers by :data:`SCALE`; each row is scaled
to whole numbers by the smallest power of ten that makes its coefficients
whole (:func:`row_scale`). The answer is re-evaluated in floating point from
the integer plan, and the solver checks every rule on it again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from planner.problem import AllocationProblem, Deployment, HoldsDeployment
from planner.ranks import INSPECTOR, SERGEANT
from planner.rules import rows_of
from planner.rules.base import TERMS
from planner.rules.rows import RowSet, ward_term_values

SCALE = 1_000_000
"""Objective units per CP-SAT integer unit."""

MAX_ROW_SCALE_DIGITS = 9
"""Rows are scaled by at most 10**9 to make their coefficients whole (pounds million to pence)."""


@dataclass
class CpVars:
    """The decision expressions every rule row works on: per-ward terms, per-borough supervisors."""

    terms: dict[str, list[Any]]
    """Per term of :data:`planner.rules.base.TERMS`, one expression per ward (``x`` and ``p`` always)."""
    s: list[Any]
    i: list[Any]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def x(self) -> list[Any]:
        """Constables per ward."""
        return self.terms["x"]

    @property
    def p(self) -> list[Any]:
        """PCSOs per ward."""
        return self.terms["p"]


def add_supervisor_vars(model: cp_model.CpModel, prob: AllocationProblem) -> tuple[list[Any], list[Any]]:
    """Sergeants and inspectors per borough, within their bounds."""
    s = [
        model.new_int_var(int(prob.min_sergeants[b]), int(prob.max_sergeants[b]), f"s{b}")
        for b in range(prob.n_boroughs)
    ]
    i = [
        model.new_int_var(int(prob.min_inspectors[b]), int(prob.max_inspectors[b]), f"i{b}")
        for b in range(prob.n_boroughs)
    ]
    return s, i


def row_scale(coefs: np.ndarray, limits: np.ndarray) -> int:
    """Smallest power of ten making ``coefs`` and the finite ``limits`` whole (to 1e-9), at most 10**9."""
    values = np.concatenate([coefs, limits[np.isfinite(limits)]])
    for digits in range(MAX_ROW_SCALE_DIGITS + 1):
        scaled = values * 10**digits
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-9 * np.maximum(1.0, np.abs(scaled))):
            return int(10**digits)
    return int(10**MAX_ROW_SCALE_DIGITS)


def _row_entries(rows: RowSet, r: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    out = []
    for term, mat in rows.A.items():
        lo, hi = mat.indptr[r], mat.indptr[r + 1]
        if hi > lo:
            out.append((term, mat.indices[lo:hi], mat.data[lo:hi]))
    return out


def add_rule_rows(model: cp_model.CpModel, prob: AllocationProblem, v: CpVars) -> None:
    """Every rule's rows as CP-SAT constraints on ``v``, each scaled to whole numbers."""
    rows = rows_of(prob)
    for r in range(rows.n_rows):
        entries = _row_entries(rows, r)
        coefs = np.concatenate([c for _, _, c in entries]) if entries else np.zeros(0)
        scale = row_scale(coefs, np.array([rows.lo[r], rows.hi[r]]))
        exprs, weights = [], []
        for term, idx, c in entries:
            source = v.s if term == "s" else v.i if term == "i" else v.terms.get(term)
            if source is None:
                raise RuntimeError(f"row {rows.names[r]} weighs {term} but the model has no such term")
            exprs += [source[k] for k in idx]
            weights += [round(float(a) * scale) for a in c]
        if not exprs:
            continue
        lhs = cp_model.LinearExpr.weighted_sum(exprs, weights)
        if np.isfinite(rows.hi[r]):
            model.add(lhs <= int(np.floor(rows.hi[r] * scale + 1e-9)))
        if np.isfinite(rows.lo[r]):
            model.add(lhs >= int(np.ceil(rows.lo[r] * scale - 1e-9)))


def needs_change_terms(prob: AllocationProblem) -> bool:
    """Whether any rule row weighs change against today (so models need those terms)."""
    rows = rows_of(prob)
    return prob.base_x is not None and any(t in rows.A for t in TERMS[2:])


def _supervisor_objective(prob: AllocationProblem, v: CpVars) -> Any:
    cs = round(prob.cost_weight * prob.cost[SERGEANT] * SCALE)
    ci = round(prob.cost_weight * prob.cost[INSPECTOR] * SCALE)
    return cs * sum(v.s) + ci * sum(v.i)


def change_terms(model: cp_model.CpModel, prob: AllocationProblem, xs: list[Any], ps: list[Any]) -> dict[str, list]:
    """Shortfall and excess against today per ward as integer variables (for models with integer counts)."""
    assert prob.base_x is not None
    assert prob.base_p is not None
    out: dict[str, list[Any]] = {t: [] for t in TERMS[2:]}
    for w in range(prob.n_wards):
        for rank, var, base in (("x", xs[w], int(prob.base_x[w])), ("p", ps[w], int(prob.base_p[w]))):
            cap = int(prob.headcount.max()) + base
            under = model.new_int_var(0, cap, f"under_{rank}{w}")
            over = model.new_int_var(0, cap, f"over_{rank}{w}")
            model.add_max_equality(under, [0, base - var])
            model.add_max_equality(over, [0, var - base])
            out[f"under_{rank}"].append(under)
            out[f"over_{rank}"].append(over)
    return out


def _ward_value(model: cp_model.CpModel, prob: AllocationProblem, w: int, x: Any, p: Any,
                box: tuple[int, int, int, int]) -> Any:  # fmt: skip
    """Ward ``w``'s value (scaled to whole numbers) by table lookup over ``box`` = (lx, ux, lp, up)."""
    lx, ux, lp, up = box
    gx, gp = np.meshgrid(np.arange(lx, ux + 1), np.arange(lp, up + 1), indexing="ij")
    table = np.round(prob.choice_value(np.full(gx.shape, w), gx, gp) * SCALE).astype(np.int64).ravel()
    idx = model.new_int_var(0, len(table) - 1, f"k{w}")
    model.add(idx == (x - lx) * (up - lp + 1) + (p - lp))
    val = model.new_int_var(int(table.min()), int(table.max()), f"v{w}")
    model.add_element(idx, table.tolist(), val)
    return val


def add_rules(model: cp_model.CpModel, prob: AllocationProblem, terms: dict[str, list[Any]]) -> CpVars:
    """Sergeants and inspectors per borough, and every rule row over the per-ward ``terms``."""
    s, i = add_supervisor_vars(model, prob)
    v = CpVars(terms, s, i)
    add_rule_rows(model, prob, v)
    return v


def add_count_rules(model: cp_model.CpModel, prob: AllocationProblem, xs: list[Any], ps: list[Any]) -> CpVars:
    """:func:`add_rules` over integer counts ``xs``, ``ps`` (with change terms when rules need them)."""
    terms: dict[str, list[Any]] = {"x": xs, "p": ps}
    if needs_change_terms(prob):
        terms.update(change_terms(model, prob, xs, ps))
    return add_rules(model, prob, terms)


def plain_model(prob: AllocationProblem, hi_x: np.ndarray, hi_p: np.ndarray) -> tuple[cp_model.CpModel, CpVars]:
    """The generic formulation: integer counts, value by table lookup over ``[lo, hi]``."""
    model = cp_model.CpModel()
    xs, ps, vals = [], [], []
    for w in range(prob.n_wards):
        lx, ux = int(prob.lo_x[w]), int(min(prob.hi_x[w], hi_x[w]))
        lp, up = int(prob.lo_p[w]), int(min(prob.hi_p[w], hi_p[w]))
        x = model.new_int_var(lx, ux, f"x{w}")
        p = model.new_int_var(lp, up, f"p{w}")
        xs.append(x)
        ps.append(p)
        vals.append(_ward_value(model, prob, w, x, p, (lx, ux, lp, up)))
    v = add_count_rules(model, prob, xs, ps)
    model.maximize(sum(vals) - _supervisor_objective(prob, v))
    return model, v


def feasibility_model(
    prob: AllocationProblem, centre_x: np.ndarray, centre_p: np.ndarray, radius: int
) -> tuple[cp_model.CpModel, CpVars]:
    """A plan keeping every rule, as close as possible to ``centre`` (each count within ``radius`` of it).

    The centre is a rounded LP, near-optimal but breaking some rows; the model
    minimises the people moved from it (sum of absolute differences), a linear
    objective CP-SAT handles fast where the concave value would not be
    (:func:`plain_model` finds no London plan in 10 s). Each ward's minimum
    effective officers is stated in thousandths, rounded so that a plan keeping
    the scaled row keeps the real one (the caller checks the plan again).
    """
    model = cp_model.CpModel()
    xs: list[Any] = []
    ps: list[Any] = []
    moved: list[Any] = []
    for w in range(prob.n_wards):
        for lo, hi, c, out, name in (
            (prob.lo_x[w], prob.hi_x[w], centre_x[w], xs, "x"),
            (prob.lo_p[w], prob.hi_p[w], centre_p[w], ps, "p"),
        ):
            c = min(max(int(c), int(lo)), int(hi))
            var = model.new_int_var(max(int(lo), c - radius), min(int(hi), c + radius), f"{name}{w}")
            model.add_hint(var, c)
            d = model.new_int_var(0, radius, f"d{name}{w}")
            model.add(d >= var - c)
            model.add(d >= c - var)
            out.append(var)
            moved.append(d)
        if prob.min_eff is not None and prob.min_eff[w] > 0:
            ex, ep = int(np.floor(prob.eff_x * 1000)), int(np.floor(prob.eff_p * 1000))
            model.add(ex * xs[w] + ep * ps[w] >= int(np.ceil(prob.min_eff[w] * 1000 - 1e-6)))
    v = add_count_rules(model, prob, xs, ps)
    model.minimize(sum(moved))
    return model, v


def choice_model(
    prob: AllocationProblem, cand_x: list[np.ndarray], cand_p: list[np.ndarray]
) -> tuple[cp_model.CpModel, CpVars, list[list[cp_model.IntVar]]]:
    """One Boolean per candidate choice of each ward; exactly one per ward."""
    model = cp_model.CpModel()
    change = needs_change_terms(prob)
    terms: dict[str, list[Any]] = {t: [] for t in (TERMS if change else TERMS[:2])}
    obj, picks = [], []
    for w in range(prob.n_wards):
        cx, cp = cand_x[w], cand_p[w]
        bools = [model.new_bool_var(f"c{w}_{k}") for k in range(len(cx))]
        model.add_exactly_one(bools)
        vals = np.round(prob.choice_value(np.full(len(cx), w), cx, cp) * SCALE).astype(np.int64)
        obj.append(cp_model.LinearExpr.weighted_sum(bools, vals.tolist()))
        for term, values in ward_term_values(prob, np.full(len(cx), w), cx, cp).items():
            if term in terms:
                terms[term].append(cp_model.LinearExpr.weighted_sum(bools, np.asarray(values).tolist()))
        picks.append(bools)
    v = add_rules(model, prob, terms)
    model.maximize(sum(obj) - _supervisor_objective(prob, v))
    return model, v, picks


@dataclass(frozen=True)
class CpResult(HoldsDeployment):
    """A CP-SAT answer, re-evaluated in floating point."""

    status: str
    plan: Deployment
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
    deterministic_time: float | None = None,
) -> CpResult | None:
    """Solve a model from this module; None when CP-SAT found no plan in time.

    ``deterministic_time`` (CP-SAT's work units) makes the answer independent of
    the machine's speed and load; the wall ``time_limit`` stays as a safety net.
    """
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit)
    if deterministic_time is not None:
        solver.parameters.max_deterministic_time = float(deterministic_time)
    solver.parameters.random_seed = int(seed)
    solver.parameters.num_workers = int(workers)
    t0 = time.perf_counter()
    status = solver.solve(model)
    seconds = time.perf_counter() - t0
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        if status == cp_model.INFEASIBLE:
            return CpResult("infeasible", Deployment.empty(), float("nan"), float("nan"), seconds)
        return None
    plan = Deployment(
        np.array([solver.value(e) for e in v.x], dtype=np.int64),
        np.array([solver.value(e) for e in v.p], dtype=np.int64),
        np.array([solver.value(e) for e in v.s], dtype=np.int64),
        np.array([solver.value(e) for e in v.i], dtype=np.int64),
    )
    # the scaled bound, widened by the rounding of every table entry
    slack = 0.5 * (prob.n_wards + 2 * prob.n_boroughs) / SCALE
    return CpResult(
        "optimal" if status == cp_model.OPTIMAL else "feasible",
        plan,
        prob.objective(plan.x, plan.p, plan.s, plan.i),
        solver.best_objective_bound / SCALE + slack,
        seconds,
    )
