"""The one place that reads OR-Tools' private whole-array accessors agrees with its public API."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from ortools.linear_solver.python import model_builder as mb

from planner.solve.lp import solve_lp


def test_whole_array_values_and_duals_match_the_public_accessors() -> None:
    # max 3a + 2b  s.t.  a + b <= 4,  a + 3b <= 9,  0 <= a, b <= 3
    matrix = sp.csr_matrix(np.array([[1.0, 1.0], [1.0, 3.0]]))
    values, duals, objective = solve_lp(
        np.zeros(2), np.full(2, 3.0), np.array([3.0, 2.0]), np.full(2, -np.inf), np.array([4.0, 9.0]), matrix
    )
    model = mb.Model()
    a, b = model.new_var(0, 3, False, "a"), model.new_var(0, 3, False, "b")
    c1 = model.add(a + b <= 4)
    c2 = model.add(a + 3 * b <= 9)
    assert isinstance(c1, mb.LinearConstraint) and isinstance(c2, mb.LinearConstraint)
    model.maximize(3 * a + 2 * b)
    solver = mb.Solver("glop")
    assert solver.solve(model) == mb.SolveStatus.OPTIMAL
    assert np.allclose(values, [solver.value(a), solver.value(b)])
    assert np.allclose(duals, [solver.dual_value(c1), solver.dual_value(c2)])
    assert np.isclose(objective, solver.objective_value) and np.isclose(objective, 11.0)
    # the optimum a = 3, b = 1: the first row binds at price 2, the second is slack
    assert np.allclose(values, [3.0, 1.0]) and np.allclose(duals, [2.0, 0.0])
