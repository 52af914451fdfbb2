"""Where column generation starts: a water-filling estimate, the first columns, the price of a breach."""

from __future__ import annotations

import numpy as np

from planner.problem import AllocationProblem
from planner.ranks import CONSTABLE, PCSO
from planner.solve.master import Columns


def _fill(need: np.ndarray, eff: float, kappa: float, lo: np.ndarray, spare: float) -> np.ndarray:
    """Fractional people above ``lo`` per ward, summing to the spare effective capacity.

    ``e = clip(need / lam - kappa, e_lo)``, by bisection on ``lam`` (80 halvings: to machine precision).
    """
    e_lo = eff * lo
    total = e_lo.sum() + eff * spare
    need = np.maximum(need, 1e-12)
    lo_l, hi_l = 1e-12, float(need.max()) / max(kappa, 1e-12) * 4 + 1.0
    for _ in range(80):
        lam = 0.5 * (lo_l + hi_l)
        if np.maximum(e_lo, need / lam - kappa).sum() > total:
            lo_l = lam
        else:
            hi_l = lam
    return np.maximum(e_lo, need / hi_l - kappa) - e_lo


def water_fill(prob: AllocationProblem) -> tuple[np.ndarray, np.ndarray]:
    """A fast fractional estimate: effective officers proportional to need, less the saturation.

    With PCSOs valued as a fraction of a constable, one fill of effective officers is split between ranks
    in London-wide proportions; with a PCSO role of its own, each rank is filled on its own need.
    """
    spare_x = max(0, int(prob.headcount[CONSTABLE]) - int(prob.lo_x.sum()))
    spare_p = max(0, int(prob.headcount[PCSO]) - int(prob.lo_p.sum()))

    def share(extra: np.ndarray) -> np.ndarray:
        return extra / extra.sum() if extra.sum() > 0 else np.full(len(extra), 1.0 / len(extra))

    if prob.need_p is not None:
        sx = share(_fill(prob.need, prob.eff_x, prob.kappa, prob.lo_x, spare_x))
        sp = share(_fill(prob.need_p, prob.eff_pp, prob.kappa_p, prob.lo_p, spare_p))
    else:
        e_lo = prob.eff_x * prob.lo_x + prob.eff_p * prob.lo_p
        capacity = prob.eff_x * spare_x + prob.eff_p * spare_p
        extra = _fill(prob.need, 1.0, prob.kappa, e_lo, capacity)
        sx = sp = share(extra)
    x = np.clip(np.rint(prob.lo_x + sx * spare_x), prob.lo_x, prob.hi_x).astype(np.int64)
    p = np.clip(np.rint(prob.lo_p + sp * spare_p), prob.lo_p, prob.hi_p).astype(np.int64)
    return x, p


def seed_columns(prob: AllocationProblem, est_x: np.ndarray, est_p: np.ndarray, radius: int = 1) -> Columns:
    """The first pool of choices.

    Every choice within ``radius`` of the estimate per rank, each ward's least choice, and today's deployment (when
    there is one).
    """
    cols = Columns()
    w = np.arange(prob.n_wards)
    for dx in range(-radius, radius + 1):
        for dp in range(-radius, radius + 1):
            p = np.clip(est_p + dp, prob.lo_p, prob.hi_p)
            x = np.clip(np.maximum(est_x + dx, prob.min_x_for(w, p)), prob.lo_x, prob.hi_x)
            cols.add(w, x, p)
    cols.add(w, np.minimum(prob.min_x_for(w, prob.lo_p), prob.hi_x), prob.lo_p.copy())
    if prob.base_x is not None and prob.base_p is not None:
        cols.add(w, np.clip(prob.base_x, prob.lo_x, prob.hi_x), np.clip(prob.base_p, prob.lo_p, prob.hi_p))
    return cols


def breach_price(prob: AllocationProblem, factor: float) -> float:
    """Price of one unit of breach of a rule row in the master LP.

    ``factor`` times the steepest slope of any ward's value, so that breaking a rule never pays while a plan exists.
    """
    return factor * max(prob.max_slope(), 1.0)
