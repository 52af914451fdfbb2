"""Search the London-wide prices of the borough bound (:mod:`planner.solve.borough_bound`).

``L(pi)`` is convex in the prices ``pi`` (a maximum of functions linear in
``pi``, plus the priced limits) and each evaluation gives its value and a
subgradient (the limits less what the boroughs' best answers use). With a
handful of priced rows, a cutting-plane (Kelley) model minimised by GLOP inside a box
around the best point so far (a trust region, grown after good steps and
shrunk after bad ones) converges in a few dozen evaluations. Every
evaluation is a valid bound, so stopping early only costs tightness.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
from ortools.linear_solver.python import model_builder as mb

from planner.problem import AllocationProblem
from planner.rules import rows_of
from planner.solve.borough_bound import BoroughSolution, Frame, evaluate, make_frame


def price_scale(fr: Frame, v0: np.ndarray) -> np.ndarray:
    """A natural unit per price: the value of one head times the heads that move the row by one unit.

    One for a row of heads, a sergeant's span for a row of sergeants, a constable's pay for a row of money.
    """
    prob = fr.prob
    weights = rows_of(prob).head_weights(prob)[fr.priced]
    head = float(np.max(np.abs(v0) / weights)) if len(v0) else 0.0
    if head <= 1e-9:
        head = float(np.median(prob.need)) * prob.max_slope() / (float(prob.need.max()) * 10.0 + 1e-12) + 1e-9
    scale: np.ndarray = head * weights
    return scale


def _kelley_step(
    cuts: list[BoroughSolution], centre: np.ndarray, box: np.ndarray, fr: Frame
) -> tuple[np.ndarray, float] | None:
    """Minimise the cutting-plane model of ``L`` in a box around ``centre``. Returns (prices, model value)."""
    model = mb.Model()
    lo = np.where(fr.can_fall, centre - box, np.maximum(centre - box, 0.0))
    hi = np.where(fr.can_rise, centre + box, np.minimum(centre + box, 0.0))
    v = [model.new_var(float(a), float(b), False, f"v{k}") for k, (a, b) in enumerate(zip(lo, hi))]
    r = model.new_var(-np.inf, np.inf, False, "r")
    for c in cuts:
        g = c.subgradient
        model.add(r - sum(float(g[k]) * v[k] for k in range(len(v))) >= float(c.value - g @ c.prices))
    model.minimize(r)
    solver = mb.Solver("glop")
    if solver.solve(model) not in (mb.SolveStatus.OPTIMAL, mb.SolveStatus.FEASIBLE):
        return None
    out = np.array([solver.value(x) for x in v], dtype=float)
    return fr.clamp(out), float(solver.value(r))


class PriceSearch:
    """A resumable trust-region cutting-plane search for prices that make ``L`` small.

    Parameters
    ----------
    fr : Frame
    start : BoroughSolution
        The first evaluation (e.g. at the master LP's duals).
    radius : float
        First half-width of the box, in units of :func:`price_scale`.
    """

    def __init__(self, fr: Frame, start: BoroughSolution, radius: float = 0.25) -> None:
        self.fr = fr
        self.scale = price_scale(fr, start.prices)
        self.cuts = [start]
        self.centre = start
        self.best = start
        self.radius = radius
        self.converged = not np.isfinite(start.value)

    def run(
        self, *, target: float = -np.inf, gap_goal: float = 0.0, max_evals: int = 40, deadline: float | None = None
    ) -> BoroughSolution:
        """Evaluate up to ``max_evals`` more prices and return the best evaluation so far.

        Stops early once ``best`` is within ``gap_goal`` of ``target`` (the best known plan's objective), at
        ``deadline`` (``time.perf_counter()``), or when the model predicts no further decrease.
        """
        fr = self.fr
        for _ in range(max_evals):
            if self.converged or self.best.value - target <= gap_goal * max(abs(self.best.value), 1.0):
                break
            if deadline is not None and time.perf_counter() > deadline:
                break
            centre = self.centre
            step = _kelley_step(self.cuts, centre.prices, self.radius * self.scale, fr)
            if step is None:
                self.converged = True
                break
            v, predicted = step
            if centre.value - predicted <= 1e-9 * max(abs(centre.value), 1.0):
                self.converged = True
                break
            trial = evaluate(fr, v)
            if not np.isfinite(trial.value):
                self.radius *= 0.5
                continue
            self.cuts.append(trial)
            if trial.value < self.best.value:
                self.best = trial
            if trial.value <= centre.value - 0.1 * (centre.value - predicted):
                edge = np.abs(v - centre.prices) >= 0.99 * self.radius * self.scale
                self.centre = trial
                if edge.any():
                    self.radius *= 2.0
            elif trial.value > centre.value:
                self.radius *= 0.5
        return self.best


def infeasibility_proof(
    prob: AllocationProblem, max_evals: int = 30, deadline: float | None = None
) -> tuple[str, ...] | None:
    """Prove that no plan exists with whole supervisors, or return None.

    With the objective set to zero, any plan would make ``L(pi) >= 0`` for
    every ``pi >= 0``; so prices with ``L(pi) < 0`` (each borough's cheapest
    feasible choice, whole sergeants and inspectors included, already costs
    more of the priced resources than London has) prove that there is none, as
    does a borough with no feasible choice at all. The column-generation LP
    misses such proofs when only the rounding of supervisors makes the rules
    conflict (a floor on effective officers that needs one inspector too many).

    Returns
    -------
    tuple of str or None
        The rule rows priced in the proof (their names), or None if none was found.
    """
    zero = dataclasses.replace(
        prob, need=np.zeros_like(prob.need), cost_weight=0.0, move_cost=0.0,
        need_p=None if prob.need_p is None else np.zeros_like(prob.need_p),
    )  # fmt: skip
    fr = make_frame(zero)
    if not fr.feasible:
        return ("borough",)
    rows = rows_of(zero)
    weights = rows.head_weights(zero)[fr.priced]
    v0 = fr.clamp(np.where(fr.can_rise, weights, -weights))
    start = evaluate(fr, v0)
    if start.value == -np.inf:
        return ("borough",)
    search = PriceSearch(fr, start, radius=1.0)
    best = search.run(max_evals=max_evals - 1, target=-np.inf, deadline=deadline)
    if best.value < -1e-9 * max(1.0, abs(float(best.prices @ fr.limit(best.prices)))):
        return tuple(rows.names[int(r)] for r, v in zip(fr.priced, best.prices) if v != 0)
    return None
