"""Small allocation problems built directly from arrays, for solver tests."""

from __future__ import annotations

import numpy as np

from planner.problem import INF_INT, AllocationProblem


def make_problem(
    need: list[float] | np.ndarray,
    borough: list[int] | np.ndarray | None = None,
    *,
    headcount: tuple[int, int, int, int] = (20, 6, 6, 2),
    floors: tuple[int, int] = (2, 1),
    caps: tuple[int | None, int | None] = (None, None),
    spans: tuple[float, float] = (8.0, 6.0),
    cost: tuple[float, float, float, float] = (66_000.0, 44_000.0, 80_000.0, 96_000.0),
    cost_weight: float = 0.01,
    eff: tuple[float, float] = (0.78, 0.51),
    kappa: float = 1.0,
    budget: float | None = None,
) -> AllocationProblem:
    need = np.asarray(need, dtype=float)
    w = len(need)
    borough = np.zeros(w, dtype=np.int64) if borough is None else np.asarray(borough, dtype=np.int64)
    nb = int(borough.max()) + 1
    hx = headcount[0] if caps[0] is None else caps[0]
    hp = headcount[1] if caps[1] is None else caps[1]
    return AllocationProblem(
        need=need,
        borough=borough,
        n_boroughs=nb,
        lo_x=np.full(w, floors[0], dtype=np.int64),
        hi_x=np.full(w, hx, dtype=np.int64),
        lo_p=np.full(w, floors[1], dtype=np.int64),
        hi_p=np.full(w, hp, dtype=np.int64),
        eff_x=eff[0],
        eff_p=eff[1],
        kappa=kappa,
        cost=np.array(cost),
        cost_weight=cost_weight / 1e6,
        headcount=np.array(headcount, dtype=np.int64),
        span_sergeant=spans[0],
        span_inspector=spans[1],
        min_sergeants=np.ones(nb, dtype=np.int64),
        max_sergeants=np.full(nb, headcount[2], dtype=np.int64),
        min_inspectors=np.ones(nb, dtype=np.int64),
        max_inspectors=np.full(nb, headcount[3], dtype=np.int64),
        borough_cap_x=np.full(nb, headcount[0], dtype=np.int64),
        borough_cap_p=np.full(nb, headcount[1], dtype=np.int64),
        borough_heads_lo=np.zeros(nb, dtype=np.int64),
        borough_heads_hi=np.full(nb, INF_INT, dtype=np.int64),
        budget=budget,
    )
