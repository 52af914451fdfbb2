"""Deploying the people in post to boroughs, in whole people (the second stage of phasing).

Each quarter is deployed in turn (:func:`deploy_quarters`). Without continuity (and in the
first quarter, which has no quarter before it), a small MIP per quarter maximises the tangent
approximation of the need served (see :mod:`planner.finance.phasing`) within the borough floors
and caps, the spans of control and the stock in post. With continuity, each later quarter is
deployed from the one before by :mod:`planner.finance.exchange` (keep, stand down, fill,
exchange), which keeps the limits on moves exactly. The first stage leaves continuity out: it
only decides recruitment, and a relaxation keeps its bound valid for the whole problem.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from ortools.linear_solver import pywraplp  # type: ignore[attr-defined]

from planner.finance.exchange import NoDeployment, deploy_linked
from planner.finance.flows import PhasingProblem
from planner.finance.phasing_rules import expected_kept

MIP_SOLVER = "CBC"
"""The MIP solver bundled with OR-Tools. CBC is single-threaded and deterministic here (SCIP 10
through pywraplp was measured to take different search paths on repeated identical solves);
OR-Tools passes CBC no seed, so ``seed`` is recorded, not used."""

AtMost = Callable[[Any, str], None]
"""``at_most(expr, key)`` adds ``expr <= 0`` (elastic models add an excess variable named ``key``)."""


def tangent_points(n: int) -> np.ndarray:
    """Where the tangents of log(1 + x) touch: 0 and ``n - 1`` points spaced geometrically over [1/8, 64]."""
    return np.concatenate([[0.0], np.geomspace(0.125, 64.0, n - 1)])


def _solve(s: Any, time_limit: float, gap: float) -> int:
    s.SetTimeLimit(int(max(time_limit, 0.001) * 1000))
    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(params.RELATIVE_MIP_GAP, gap)
    return int(s.Solve(params))


def _deployment(s: Any, pb: PhasingProblem, stock: np.ndarray, periods: range) -> tuple[dict[Any, Any], list[Any]]:
    """Whole-person deployment variables, their rules and value variables for ``periods``."""
    B, inf = pb.n_boroughs, s.infinity()
    D: dict[tuple[int, int, int], Any] = {}
    a, xs, vs = pb.availability, tangent_points(pb.tangents), []
    for t in periods:
        for k in range(4):
            for b in range(B):
                hi = pb.hi[k, b] if k < 2 and pb.hi[k, b] >= 0 else inf
                D[k, b, t] = s.IntVar(int(pb.lo[k, b]), hi, f"D_{k}_{b}_{t}")
            total = sum(D[k, b, t] for b in range(B))
            if pb.deploy_all:
                s.Add(total == int(stock[k, t]))
            else:
                s.Add(total <= int(stock[k, t]))
        for b in range(B):
            s.Add(pb.span_sergeant * D[2, b, t] >= D[0, b, t] + D[1, b, t])
            s.Add(pb.span_inspector * D[3, b, t] >= D[2, b, t])
            v = s.NumVar(0, inf, f"V_{b}_{t}")
            eff = (a[0] * D[0, b, t] + pb.pcso_effectiveness * a[1] * D[1, b, t]) / (pb.n_wards[b] * pb.kappa)
            for x0 in xs:
                s.Add(v <= pb.need[b] * (math.log1p(x0) + (eff - x0) / (1 + x0)))
            vs.append(v)
    return D, vs


def deploy_period(
    pb: PhasingProblem, stock: np.ndarray, t: int, *, time_limit: float, seed: int, gap: float
) -> tuple[np.ndarray, float] | None:
    """Whole-person deployment per rank and borough in period ``t`` given the stock (4,) in post.

    Returns ``(deploy (4, B), bound on the tangent value)``, or None if no deployment fits.
    """
    s = pywraplp.Solver.CreateSolver(MIP_SOLVER)
    column = np.zeros((4, pb.n_periods), dtype=np.int64)
    column[:, t] = stock
    D, vs = _deployment(s, pb, column, range(t, t + 1))
    s.Maximize(sum(vs))
    status = _solve(s, time_limit, gap)
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        return None
    out = np.zeros((4, pb.n_boroughs), dtype=np.int64)
    for (k, b, _), var in D.items():
        out[k, b] = round(var.solution_value())
    return out, float(s.Objective().BestBound())


class ContinuityBreak(Exception):
    """No whole-person deployment of quarter ``t`` was found; ``reason`` says why (empty: the solver found none)."""

    def __init__(self, t: int, reason: str = "") -> None:
        super().__init__(t)
        self.t = t
        self.reason = reason


def deploy_quarters(
    pb: PhasingProblem, stock: np.ndarray, leavers: np.ndarray, *, time_limit: float, gap: float
) -> tuple[np.ndarray, np.ndarray]:
    """Whole-person deployment (4, B, T) of the stock (4, T) in post, quarter by quarter.

    Also the people stood down (4, B, T) for want of supervisors under continuity (see :mod:`planner.finance.exchange`);
    ``leavers`` (4, T) are each rank's leavers per quarter.

    Raises
    ------
    ContinuityBreak
        At the first quarter no deployment fits.
    """
    T = pb.n_periods
    out = np.zeros((4, pb.n_boroughs, T), dtype=np.int64)
    stood = np.zeros_like(out)
    for t in range(T):
        if t > 0 and pb.move_ranks:
            try:
                kept = expected_kept(out[:, :, t - 1], leavers[:, t], stock[:, t - 1])
                out[:, :, t], stood[:, :, t] = deploy_linked(pb, stock[:, t], out[:, :, t - 1], kept)
            except NoDeployment as exc:
                raise ContinuityBreak(t, exc.reason) from None
            continue
        limit = time_limit if pb.move_ranks else time_limit / T  # with continuity only the first quarter is a MIP
        got = deploy_period(pb, stock[:, t], t, time_limit=limit, seed=0, gap=gap)
        if got is None:
            raise ContinuityBreak(t)
        out[:, :, t] = got[0]
    return out, stood
