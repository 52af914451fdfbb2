"""Small allocation problems built directly from arrays, for solver tests."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import strategies as st

from planner.problem import INF_INT, AllocationProblem
from planner.rules import rows_of
from planner.solve.borough_bound import Frame, UnitPrices
from planner.solve.columns import RowPrices


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
        span_sergeant=np.full(nb, spans[0]),
        span_inspector=np.full(nb, spans[1]),
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


NAMED_ROWS = ("constable", "pcso", "sergeant", "inspector", "budget", "moves")
"""The London-wide rows the older tests price by position."""


def row_prices(prob: AllocationProblem, **by_name: float) -> RowPrices:
    """Prices on the rows of ``prob`` named in ``by_name`` (e.g. ``constable=0.02``), zero elsewhere."""
    rows = rows_of(prob)
    y = np.zeros(rows.n_rows)
    for name, value in by_name.items():
        k = rows.index(name)
        if k is not None:
            y[k] = value
    return RowPrices(y)


def frame_prices(fr: Frame, *values: float) -> np.ndarray:
    """A price vector of the borough bound from prices given in the order of :data:`NAMED_ROWS`."""
    v = np.zeros(fr.n_prices)
    for name, value in zip(NAMED_ROWS, values):
        k = fr.index(name)
        if k is not None:
            v[k] = value
    return v


def flat_unit_prices(prob: AllocationProblem, a: float, b: float, m: float) -> UnitPrices:
    """The borough bound's unit prices with the same charge in every ward: ``a`` per constable, ``b`` per PCSO,
    ``m`` per unit of change against today either way."""
    w, nb = prob.n_wards, prob.n_boroughs
    return UnitPrices(
        a=np.full(w, a), b=np.full(w, b),
        under_x=np.full(w, m), over_x=np.full(w, m), under_p=np.full(w, m), over_p=np.full(w, m),
        c_s=np.zeros(nb), c_i=np.zeros(nb), constant=0.0, moves=prob.base_x is not None,
    )  # fmt: skip


@st.composite
def tiny_problems(draw) -> AllocationProblem:
    """2-3 wards, 2 boroughs, small headcounts; optional budget, moves limit, share bounds, effective floors,
    borough caps or spans that differ by borough."""
    n = draw(st.integers(2, 3))
    need = draw(st.lists(st.floats(0.05, 6.0), min_size=n, max_size=n))
    borough = [k % 2 for k in range(n)]
    hc = (draw(st.integers(4, 9)), draw(st.integers(2, 4)), draw(st.integers(2, 4)), draw(st.integers(2, 3)))
    spans = (draw(st.sampled_from([2.0, 3.0, 2.5])), draw(st.sampled_from([1.0, 2.0])))
    prob = make_problem(need, borough, headcount=hc, floors=(1, 0), spans=spans)
    extra = draw(st.sampled_from(["none", "budget", "moves", "share", "min_eff", "caps", "spans"]))
    if extra == "budget":
        prob = dataclasses.replace(prob, budget=draw(st.floats(5e5, 1.2e6)))
    elif extra == "moves":
        base_x = np.array(draw(st.lists(st.integers(1, 4), min_size=n, max_size=n)))
        base_p = np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)))
        prob = dataclasses.replace(
            prob, base_x=base_x, base_p=base_p, max_moves=draw(st.integers(0, 3)),
            move_cost=draw(st.sampled_from([0.0, 0.05, 0.3])),
        )  # fmt: skip
    elif extra == "share":
        lo = np.array([draw(st.integers(0, 4)), 0])
        hi = np.array([draw(st.integers(2, 8)), 20])
        prob = dataclasses.replace(prob, borough_heads_lo=lo, borough_heads_hi=np.maximum(lo, hi))
    elif extra == "min_eff":
        prob = dataclasses.replace(prob, min_eff=np.array(draw(st.lists(st.floats(0.0, 2.5), min_size=n, max_size=n))))
    elif extra == "spans":  # a BCU with spans of its own (rules.supervision.per_bcu)
        prob = dataclasses.replace(
            prob,
            span_sergeant=np.array([spans[0], draw(st.sampled_from([2.0, 3.0, 4.0]))]),
            span_inspector=np.array([spans[1], draw(st.sampled_from([1.0, 1.5, 3.0]))]),
        )
    elif extra == "caps":
        prob = dataclasses.replace(
            prob,
            borough_cap_x=np.array([draw(st.integers(1, 6)), hc[0]]),
            max_sergeants=np.array([draw(st.integers(1, 3)), hc[2]]),
            max_inspectors=np.array([1, hc[3]]),
        )
    return prob
