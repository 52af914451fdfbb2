"""One LP solve with GLOP through OR-Tools' model builder, arrays in and arrays out.

The master LP is rebuilt every column-generation round, so it is filled from
sparse arrays in one call (``fill_model_from_sparse_data``) and its primal and
dual values are read as whole arrays. The model builder's public API returns
values one variable at a time; the whole-array accessors live on its private
solve helper (``Solver._Solver__solve_helper``). This module is the one place
that touches it, and tests/test_lp.py checks it against the public accessors,
so an OR-Tools upgrade that moves it fails one test with a clear message
instead of every solve.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from ortools.linear_solver.python import model_builder as mb

GLOP_PARAMETERS = "use_dual_simplex: true use_preprocessing: false"
"""Dual simplex without presolve: the master LP changes by a few columns a round and solves in milliseconds."""


class LPError(RuntimeError):
    """GLOP did not solve an LP that always has a solution (a fault, not a user error)."""


def _helper(solver: mb.Solver) -> Any:
    helper = getattr(solver, "_Solver__solve_helper", None)
    if helper is None or not hasattr(helper, "variable_values") or not hasattr(helper, "dual_values"):
        raise LPError(
            "this OR-Tools version has no whole-array solution accessors (Solver._Solver__solve_helper); "
            "planner.solve.lp needs updating for it"
        )
    return helper


def solve_lp(
    var_lo: np.ndarray,
    var_hi: np.ndarray,
    objective: np.ndarray,
    row_lo: np.ndarray,
    row_hi: np.ndarray,
    matrix: sp.csr_matrix,
    *,
    maximize: bool = True,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Solve ``max (or min) objective . v`` s.t. ``row_lo <= matrix v <= row_hi``, ``var_lo <= v <= var_hi``.

    Returns
    -------
    values : (n,) float
    duals : (m,) float
        One per row (for a maximisation, non-negative where an upper limit binds).
    objective : float
    """
    model = mb.Model()
    lo_v, hi_v, obj, lo_r, hi_r = (np.asarray(a, dtype=np.float64) for a in (var_lo, var_hi, objective, row_lo, row_hi))
    fill: Any = model.helper.fill_model_from_sparse_data  # its stub wants a float64 shape type numpy does not give
    fill(lo_v, hi_v, obj, lo_r, hi_r, sp.csr_matrix(matrix))
    if maximize:
        model.helper.set_maximize(True)
    solver = mb.Solver("glop")
    solver.set_solver_specific_parameters(GLOP_PARAMETERS)
    status = solver.solve(model)
    if status not in (mb.SolveStatus.OPTIMAL, mb.SolveStatus.FEASIBLE):
        raise LPError(f"the LP did not solve: {solver.status_string}")
    helper = _helper(solver)
    return np.asarray(helper.variable_values()), np.asarray(helper.dual_values()), float(solver.objective_value)
