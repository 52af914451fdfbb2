"""Search the London-wide prices of the borough bound (:mod:`planner.solve.borough_bound`).

``L(pi)`` is convex in the prices ``pi >= 0`` (a maximum of functions linear
in ``pi``) and each evaluation gives its value and a subgradient (the
resources the boroughs' best answers use, less the limits). With only four
to six prices, a cutting-plane (Kelley) model minimised by GLOP inside a box
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
from planner.ranks import CONSTABLE
from planner.solve.borough_bound import BoroughSolution, Frame, evaluate, make_frame


def price_scale(fr: Frame, v0: np.ndarray) -> np.ndarray:
    """A natural unit per price: the value of one head, of the heads a sergeant or an inspector
    supervises, of a head's cost per pound million, of one move."""
    prob = fr.prob
    s, i = prob.span_sergeant, prob.span_inspector
    head = max(v0[0], v0[1], v0[2] / s, v0[3] / (s * i))
    if head <= 1e-9:
        head = float(np.median(prob.need)) * max(prob.eff_x, prob.eff_p) / (prob.kappa * 10.0) + 1e-9
    per_money = head / max(prob.cost[CONSTABLE] / 1e6, 1e-9)
    return np.array([head, head, head * s, head * s * i, per_money, head])


def _kelley_step(cuts: list[BoroughSolution], centre: np.ndarray, box: np.ndarray, active: np.ndarray):
    """Minimise the cutting-plane model of ``L`` in a box around ``centre``. Returns (prices, model value)."""
    model = mb.Model()
    dims = np.flatnonzero(active)
    lo = np.maximum(centre[dims] - box[dims], 0.0)
    hi = centre[dims] + box[dims]
    v = [model.new_var(float(a), float(b), False, f"v{k}") for k, a, b in zip(dims, lo, hi)]
    r = model.new_var(-np.inf, np.inf, False, "r")
    for c in cuts:
        g = c.subgradient
        model.add(r - sum(float(g[k]) * v[j] for j, k in enumerate(dims)) >= float(c.value - g[dims] @ c.prices[dims]))
    model.minimize(r)
    solver = mb.Solver("glop")
    if solver.solve(model) not in (mb.SolveStatus.OPTIMAL, mb.SolveStatus.FEASIBLE):
        return None
    out = np.zeros(len(centre))
    out[dims] = [solver.value(x) for x in v]
    return np.maximum(out, 0.0), float(solver.value(r))


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
        """Evaluate up to ``max_evals`` more prices; stop early once ``best`` is within ``gap_goal`` of
        ``target`` (the best known plan's objective), at ``deadline`` (``time.perf_counter()``), or when
        the model predicts no further decrease. Returns the best evaluation so far."""
        fr = self.fr
        for _ in range(max_evals):
            if self.converged or self.best.value - target <= gap_goal * max(abs(self.best.value), 1.0):
                break
            if deadline is not None and time.perf_counter() > deadline:
                break
            centre = self.centre
            step = _kelley_step(self.cuts, centre.prices, self.radius * self.scale, fr.active)
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
                edge = np.abs(v - centre.prices)[fr.active] >= 0.99 * self.radius * self.scale[fr.active]
                self.centre = trial
                if edge.any():
                    self.radius *= 2.0
            elif trial.value > centre.value:
                self.radius *= 0.5
        return self.best


RULE_KEYS = ("constable", "pcso", "sergeant", "inspector", "budget", "moves")
"""Names of the priced London-wide rules, in the order of the price vector."""


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
        The rules priced in the proof (keys of :data:`RULE_KEYS`), or None if
        none was found.
    """
    zero = dataclasses.replace(prob, need=np.zeros_like(prob.need), cost_weight=0.0)
    fr = make_frame(zero)
    if not fr.feasible:
        return ("borough",)
    s, i = prob.span_sergeant, prob.span_inspector
    v0 = np.array([1.0, 1.0, s, s * i, 1.0 / max(prob.cost[CONSTABLE] / 1e6, 1e-9), 1.0]) * fr.active
    start = evaluate(fr, v0)
    if start.value == -np.inf:
        return ("borough",)
    search = PriceSearch(fr, start, radius=1.0)
    best = search.run(max_evals=max_evals - 1, target=-np.inf, deadline=deadline)
    if best.value < -1e-9 * max(1.0, float(best.prices @ fr.limits)):
        return tuple(k for k, v in zip(RULE_KEYS, best.prices) if v > 0)
    return None
