"""The restricted master LP of the column-generation bound (Dantzig-Wolfe).

Each column is one whole-ward choice ``(x, p)``; the LP picks a convex
combination per ward, plus sergeants and inspectors per borough, under the
coupling rules. Its optimum over all columns equals the best Lagrangian bound
(the convex-hull relaxation), which is far tighter than the plain LP
relaxation of an integer model because each ward's integrality is kept inside
its columns. The rows are every rule's rows (:mod:`planner.rules`); nothing
here knows which rules there are.

Every row may be violated at a large price through an elastic variable, so the
LP always solves; a positive elastic at convergence proves that no plan exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from planner.problem import AllocationProblem
from planner.ranks import INSPECTOR, SERGEANT
from planner.rules import rows_of
from planner.solve.columns import RowPrices
from planner.solve.lp import solve_lp
from planner.tolerances import ELASTIC


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
class MasterSolution:
    """The LP's answer: objective, column weights, supervisors, prices, infeasibility."""

    objective: float
    weights: np.ndarray
    sergeants: np.ndarray
    inspectors: np.ndarray
    prices: RowPrices
    elastic: float
    violated: list[str]


def solve_master(prob: AllocationProblem, cols: Columns, penalty: float) -> MasterSolution:
    """Build and solve the restricted master LP with GLOP.

    Rows: one convexity row per ward (each ward takes exactly one choice, a
    convex combination in the LP), then every rule's rows (:func:`planner.rules.rows_of`),
    each with an elastic variable per finite side at price ``penalty``.

    Parameters
    ----------
    prob : AllocationProblem
    cols : Columns
        The column pool; every ward must have at least one column.
    penalty : float
        Price per unit of violation of any rule row (elastic variables).
    """
    rows = rows_of(prob)
    nb, n_cols, w = prob.n_boroughs, len(cols.ward), prob.n_wards
    n_vars = n_cols + 2 * nb
    convexity = sp.csr_matrix((np.ones(n_cols), (cols.ward, np.arange(n_cols))), shape=(w, n_vars))
    zero_b = sp.csr_matrix((rows.n_rows, nb))
    rule_rows = sp.hstack(
        [rows.columns(prob, cols.ward, cols.x, cols.p), rows.A.get("s", zero_b), rows.A.get("i", zero_b)],
        format="csr",
    )
    # elastic variables: one per finite side of each rule row
    up = np.flatnonzero(np.isfinite(rows.hi))
    down = np.flatnonzero(np.isfinite(rows.lo))
    el_rows = np.concatenate([up, down])
    el_vals = np.concatenate([-np.ones(len(up)), np.ones(len(down))])
    n_el = len(el_rows)
    elastic = sp.csr_matrix((el_vals, (el_rows, np.arange(n_el))), shape=(rows.n_rows, n_el))
    matrix = sp.vstack(
        [sp.hstack([convexity, sp.csr_matrix((w, n_el))]), sp.hstack([rule_rows, elastic])], format="csr"
    )
    lo = np.concatenate([np.ones(w), rows.lo])
    hi = np.concatenate([np.ones(w), rows.hi])
    cw = prob.cost_weight
    obj = np.concatenate(
        [
            prob.choice_value(cols.ward, cols.x, cols.p),
            np.full(nb, -cw * prob.cost[SERGEANT]),
            np.full(nb, -cw * prob.cost[INSPECTOR]),
            np.full(n_el, -penalty),
        ]
    )
    var_lo = np.concatenate([np.zeros(n_cols), prob.min_sergeants, prob.min_inspectors, np.zeros(n_el)])
    var_hi = np.concatenate([np.ones(n_cols), prob.max_sergeants, prob.max_inspectors, np.full(n_el, np.inf)]).astype(
        float
    )
    values, duals, objective = solve_lp(var_lo, var_hi, obj, lo, hi, matrix)
    el = values[n_vars:]
    broken = sorted({rows.names[int(el_rows[k])] for k in np.flatnonzero(el > ELASTIC)})
    return MasterSolution(
        objective=objective + penalty * float(el.sum()),
        weights=values[:n_cols],
        sergeants=values[n_cols : n_cols + nb],
        inspectors=values[n_cols + nb : n_vars],
        prices=RowPrices(rows.clamp(duals[w:])),
        elastic=float(el.sum()),
        violated=broken,
    )
