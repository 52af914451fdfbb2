"""CP-SAT where integrality bites: search the choices the Lagrangian prices leave open.

After column generation, a ward's choice whose Lagrangian value falls short of
the ward's best by more than the whole gap cannot be part of any plan better
than the incumbent (Lagrangian reduced-cost fixing). The few choices left near
the incumbent are handed to CP-SAT as one Boolean each, warm-started from the
incumbent. The certified bound stays the Lagrangian one; CP-SAT only improves
the plan.
"""

from __future__ import annotations

import numpy as np

from planner.problem import AllocationProblem
from planner.solve import cpsat
from planner.solve.columns import RowPrices, best_response, choice_lagrangian
from planner.solve.primal import PlanState


def candidate_choices(
    prob: AllocationProblem, y: RowPrices, gap: float, state: PlanState, radius: int = 2
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per ward, choices within ``radius`` of the incumbent that reduced-cost fixing keeps."""
    _, _, best = best_response(prob, y)
    d = np.arange(-radius, radius + 1)
    gx = state.x[:, None, None] + d[None, :, None]
    gp = state.p[:, None, None] + d[None, None, :]
    gx, gp = np.broadcast_arrays(gx, gp)
    ward = np.broadcast_to(np.arange(prob.n_wards)[:, None, None], gx.shape)
    lag = choice_lagrangian(prob, y, ward, gx, gp)
    keep = np.isfinite(lag) & (lag >= best[:, None, None] - gap - 1e-9)
    keep[:, radius, radius] = True  # the incumbent itself
    cx = [gx[w][keep[w]] for w in range(prob.n_wards)]
    cp = [gp[w][keep[w]] for w in range(prob.n_wards)]
    return cx, cp


def polish_with_cpsat(
    prob: AllocationProblem,
    prices: RowPrices,
    bound: float,
    state: PlanState,
    *,
    time_limit: float,
    seed: int,
    workers: int,
    work: float | None = None,
    radius: int = 2,
) -> PlanState | None:
    """Try to improve ``state`` with CP-SAT on the open choices; None if it did not improve.

    ``work`` is CP-SAT's deterministic time limit (repeatable on any machine); ``time_limit`` a wall-clock
    safety net. The answer is checked against every rule again before it is returned.
    """
    gap = max(0.0, bound - state.objective())
    cx, cp = candidate_choices(prob, prices, gap, state, radius)
    model, v, picks = cpsat.choice_model(prob, cx, cp)
    for w in range(prob.n_wards):
        hit = np.flatnonzero((cx[w] == state.x[w]) & (cp[w] == state.p[w]))
        for k, var in enumerate(picks[w]):
            model.add_hint(var, int(k == hit[0]))
    res = cpsat.run(model, v, prob, time_limit=time_limit, seed=seed, workers=workers, deterministic_time=work)
    if res is None or res.status == "infeasible" or res.objective <= state.objective() + 1e-12:
        return None
    better = PlanState(prob, res.x, res.p)
    if better.violations():
        return None
    return better
