"""The restricted master LP of the column-generation bound (Dantzig-Wolfe).

Each column is one whole-ward choice ``(x, p)``; the LP picks a convex
combination per ward, plus sergeants and inspectors per borough, under the
coupling rules. Its optimum over all columns equals the best Lagrangian bound
(the convex-hull relaxation), which is far tighter than the plain LP
relaxation of an integer model because each ward's integrality is kept inside
its columns. Rule families are added by small functions, one per family.

Every row may be violated at a large price through an elastic variable, so the
LP always solves; a positive elastic at convergence proves that no plan exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from ortools.linear_solver.python import model_builder as mb

from planner.problem import INF_INT, AllocationProblem
from planner.ranks import CONSTABLE, INSPECTOR, PCSO, SERGEANT
from planner.solve.columns import Prices

GLOP_PARAMETERS = "use_dual_simplex: true use_preprocessing: false"


@dataclass
class Columns:
    """The column pool: ward index and choice of every column."""

    ward: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    x: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    p: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def add(self, ward: np.ndarray, x: np.ndarray, p: np.ndarray) -> int:
        """Add columns not already in the pool; return how many were new."""
        w = np.concatenate([self.ward, ward])
        xx = np.concatenate([self.x, x])
        pp = np.concatenate([self.p, p])
        key = np.stack([w, xx, pp], axis=1)
        _, first = np.unique(key, axis=0, return_index=True)
        first = np.sort(first)
        before = len(self.ward)
        self.ward, self.x, self.p = w[first], xx[first], pp[first]
        return len(self.ward) - before


@dataclass
class _Rows:
    """Accumulates sparse rows: (row, col, value) triplets and bounds."""

    rows: list[np.ndarray] = field(default_factory=list)
    cols: list[np.ndarray] = field(default_factory=list)
    vals: list[np.ndarray] = field(default_factory=list)
    lo: list[float] = field(default_factory=list)
    hi: list[float] = field(default_factory=list)
    names: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, cols: np.ndarray, vals: np.ndarray, lo: float, hi: float) -> int:
        """Add one row."""
        return self.add_block(name, np.zeros(len(cols), np.int64), cols, vals, [lo], [hi], single=True)

    def add_block(
        self,
        prefix: str,
        row: np.ndarray,
        cols: np.ndarray,
        vals: np.ndarray,
        lo: list[float] | np.ndarray,
        hi: list[float] | np.ndarray,
        single: bool = False,
    ) -> int:
        """Add ``len(lo)`` rows named ``prefix0, prefix1, ...``; ``row`` says which row each entry is in."""
        first = len(self.lo)
        n = len(lo)
        for k in range(n):
            self.names[prefix if single else f"{prefix}{k}"] = first + k
        self.rows.append(first + np.asarray(row, dtype=np.int64))
        self.cols.append(np.asarray(cols, dtype=np.int64))
        self.vals.append(np.asarray(vals, dtype=float))
        self.lo.extend(float(v) for v in lo)
        self.hi.extend(float(v) for v in hi)
        return first


@dataclass
class _Layout:
    """Where each variable block starts."""

    n_cols: int
    n_boroughs: int

    @property
    def sergeants(self) -> int:
        return self.n_cols

    @property
    def inspectors(self) -> int:
        return self.n_cols + self.n_boroughs

    @property
    def n_vars(self) -> int:
        return self.n_cols + 2 * self.n_boroughs


def add_convexity_rows(rows: _Rows, prob: AllocationProblem, cols: Columns) -> None:
    """Each ward takes exactly one choice (a convex combination in the LP)."""
    n = prob.n_wards
    rows.add_block("ward", cols.ward, np.arange(len(cols.ward)), np.ones(len(cols.ward)), [1.0] * n, [1.0] * n)


def add_headcount_rows(rows: _Rows, prob: AllocationProblem, cols: Columns, lay: _Layout) -> None:
    """London-wide headcount per rank."""
    k = np.arange(len(cols.ward))
    b = np.arange(prob.n_boroughs)
    rows.add("constable", k, cols.x, -np.inf, float(prob.headcount[CONSTABLE]))
    rows.add("pcso", k, cols.p, -np.inf, float(prob.headcount[PCSO]))
    rows.add("sergeant", lay.sergeants + b, np.ones(len(b)), -np.inf, float(prob.headcount[SERGEANT]))
    rows.add("inspector", lay.inspectors + b, np.ones(len(b)), -np.inf, float(prob.headcount[INSPECTOR]))


def add_supervision_rows(rows: _Rows, prob: AllocationProblem, cols: Columns, lay: _Layout) -> None:
    """Spans of control: supervisees per sergeant and sergeants per inspector, per borough."""
    nb = prob.n_boroughs
    b = np.arange(nb)
    k = np.arange(len(cols.ward))
    rows.add_block(
        "span",
        np.concatenate([prob.borough[cols.ward], b]),
        np.concatenate([k, lay.sergeants + b]),
        np.concatenate([cols.x + cols.p, np.full(nb, -prob.span_sergeant)]),
        np.full(nb, -np.inf),
        np.zeros(nb),
    )
    rows.add_block(
        "inspect",
        np.concatenate([b, b]),
        np.concatenate([lay.sergeants + b, lay.inspectors + b]),
        np.concatenate([np.ones(nb), np.full(nb, -prob.span_inspector)]),
        np.full(nb, -np.inf),
        np.zeros(nb),
    )


def add_budget_row(rows: _Rows, prob: AllocationProblem, cols: Columns, lay: _Layout) -> None:
    """Annual pay budget over all four ranks."""
    if prob.budget is None:
        return
    k = np.arange(len(cols.ward))
    b = np.arange(prob.n_boroughs)
    c = prob.cost
    idx = np.concatenate([k, lay.sergeants + b, lay.inspectors + b])
    vals = np.concatenate(
        [
            c[CONSTABLE] * cols.x + c[PCSO] * cols.p,
            np.full(len(b), c[SERGEANT]),
            np.full(len(b), c[INSPECTOR]),
        ]
    )
    rows.add("budget", idx, vals / 1e6, -np.inf, prob.budget / 1e6)


def add_stability_rows(rows: _Rows, prob: AllocationProblem, cols: Columns) -> None:
    """London-wide limit on people moved from their current ward."""
    if prob.max_moves is None or prob.base_x is None or prob.base_p is None:
        return
    moves = np.abs(cols.x - prob.base_x[cols.ward]) + np.abs(cols.p - prob.base_p[cols.ward])
    rows.add("moves", np.arange(len(cols.ward)), moves, -np.inf, 2.0 * prob.max_moves)


def add_borough_rows(rows: _Rows, prob: AllocationProblem, cols: Columns) -> None:
    """Per-borough share bounds and per-borough headcount caps."""
    cb = prob.borough[cols.ward]
    for bo in range(prob.n_boroughs):
        idx = np.flatnonzero(cb == bo)
        lo, hi = int(prob.borough_heads_lo[bo]), int(prob.borough_heads_hi[bo])
        if lo > 0 or hi < INF_INT:
            rows.add(
                f"heads{bo}", idx, (cols.x + cols.p)[idx], float(lo) if lo > 0 else -np.inf,
                float(hi) if hi < INF_INT else np.inf,
            )  # fmt: skip
        if prob.borough_cap_x[bo] < prob.headcount[CONSTABLE]:
            rows.add(f"capx{bo}", idx, cols.x[idx], -np.inf, float(prob.borough_cap_x[bo]))
        if prob.borough_cap_p[bo] < prob.headcount[PCSO]:
            rows.add(f"capp{bo}", idx, cols.p[idx], -np.inf, float(prob.borough_cap_p[bo]))


@dataclass
class MasterSolution:
    """The LP's answer: objective, column weights, supervisors, prices, infeasibility."""

    objective: float
    weights: np.ndarray
    sergeants: np.ndarray
    inspectors: np.ndarray
    prices: Prices
    elastic: float
    violated: list[str]


def _prices(rows: _Rows, duals: np.ndarray, nb: int) -> Prices:
    def one(name: str, sign: int = 1) -> float:
        r = rows.names.get(name)
        return 0.0 if r is None else max(0.0, sign * float(duals[r]))

    def per(prefix: str, signed: bool = False) -> np.ndarray:
        out = np.zeros(nb)
        for bo in range(nb):
            r = rows.names.get(f"{prefix}{bo}")
            if r is not None:
                d = float(duals[r])
                if signed:
                    # an upper bound takes a non-negative price, a lower bound a non-positive one
                    d = min(d, 0.0) if rows.hi[r] == np.inf else (max(d, 0.0) if rows.lo[r] == -np.inf else d)
                    out[bo] = d
                else:
                    out[bo] = max(0.0, d)
        return out

    budget = one("budget") / 1e6
    return Prices(
        constable=one("constable"),
        pcso=one("pcso"),
        sergeant=one("sergeant"),
        inspector=one("inspector"),
        budget=budget,
        moves=one("moves"),
        span=per("span"),
        inspect=per("inspect"),
        heads=per("heads", signed=True),
        cap_x=per("capx"),
        cap_p=per("capp"),
    )


def solve_master(prob: AllocationProblem, cols: Columns, penalty: float) -> MasterSolution:
    """Build and solve the restricted master LP with GLOP.

    Parameters
    ----------
    prob : AllocationProblem
    cols : Columns
        The column pool; every ward must have at least one column.
    penalty : float
        Price per unit of violation of any row (elastic variables).
    """
    nb = prob.n_boroughs
    lay = _Layout(len(cols.ward), nb)
    rows = _Rows()
    add_convexity_rows(rows, prob, cols)
    add_headcount_rows(rows, prob, cols, lay)
    add_supervision_rows(rows, prob, cols, lay)
    add_budget_row(rows, prob, cols, lay)
    add_stability_rows(rows, prob, cols)
    add_borough_rows(rows, prob, cols)
    n_rows = len(rows.lo)
    lo = np.array(rows.lo)
    hi = np.array(rows.hi)
    # elastic variables: one per finite side of each row (convexity rows excepted)
    el_rows, el_vals = [], []
    for r in range(prob.n_wards, n_rows):
        if hi[r] < np.inf:
            el_rows.append(r)
            el_vals.append(-1.0)
        if lo[r] > -np.inf:
            el_rows.append(r)
            el_vals.append(1.0)
    n_el = len(el_rows)
    el_cols = lay.n_vars + np.arange(n_el)
    r_all = np.concatenate([*rows.rows, np.array(el_rows, dtype=np.int64)])
    c_all = np.concatenate([*rows.cols, el_cols])
    v_all = np.concatenate([*rows.vals, np.array(el_vals)])
    matrix = sp.csr_matrix((v_all, (r_all, c_all)), shape=(n_rows, lay.n_vars + n_el))
    value = prob.choice_value(cols.ward, cols.x, cols.p)
    cw = prob.cost_weight
    obj = np.concatenate(
        [
            value,
            np.full(nb, -cw * prob.cost[SERGEANT]),
            np.full(nb, -cw * prob.cost[INSPECTOR]),
            np.full(n_el, -penalty),
        ]
    )
    var_lo = np.concatenate([np.zeros(lay.n_cols), prob.min_sergeants, prob.min_inspectors, np.zeros(n_el)])
    var_hi = np.concatenate(
        [np.ones(lay.n_cols), prob.max_sergeants, prob.max_inspectors, np.full(n_el, np.inf)]
    ).astype(float)
    model = mb.Model()
    model.helper.fill_model_from_sparse_data(var_lo, var_hi, obj, lo, hi, matrix)  # type: ignore[arg-type]
    model.helper.set_maximize(True)
    solver = mb.Solver("glop")
    solver.set_solver_specific_parameters(GLOP_PARAMETERS)
    status = solver.solve(model)
    if status not in (mb.SolveStatus.OPTIMAL, mb.SolveStatus.FEASIBLE):
        raise RuntimeError(f"the master LP did not solve: {solver.status_string}")
    # whole arrays at once: the helper answers in index order
    helper = solver._Solver__solve_helper  # type: ignore[attr-defined]
    values = np.asarray(helper.variable_values())
    duals = np.asarray(helper.dual_values())
    elastic = values[lay.n_vars :]
    names = {r: n for n, r in rows.names.items()}
    violated = sorted({names[el_rows[k]] for k in np.flatnonzero(elastic > 1e-7)})
    return MasterSolution(
        objective=float(solver.objective_value) + penalty * float(elastic.sum()),
        weights=values[: lay.n_cols],
        sergeants=values[lay.sergeants : lay.sergeants + nb],
        inspectors=values[lay.inspectors : lay.inspectors + nb],
        prices=_prices(rows, duals, nb),
        elastic=float(elastic.sum()),
        violated=violated,
    )
