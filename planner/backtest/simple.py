"""What a force might do instead of optimising: simple deployment rules.

Each rule places a given number of constables and of PCSOs on the wards,
never below a ward's floor nor above its cap:

* :func:`proportional`: in proportion to a driver (last period's crime, or
  need): every ward gets ``clip(lambda * driver, floor, cap)`` with the one
  ``lambda`` that uses exactly the headcount, rounded to whole people by the
  largest remainders (ties: the larger driver, then ward order);
* :func:`equal_per_ward`: the same with an equal driver, the odd people going
  to the wards of the largest tie-break value (e.g. last period's crime);
* :func:`floors_only`: every ward at its floor (the reference a plan's gain is
  measured from).

:func:`with_supervisors` adds the fewest sergeants and inspectors per borough
that the spans of control need. Everything is deterministic.
"""

from __future__ import annotations

import numpy as np

from planner.errors import InfeasibleError
from planner.problem import AllocationProblem, Deployment

_BISECT = 200


def proportional(
    driver: np.ndarray, total: int, lo: np.ndarray, hi: np.ndarray, tiebreak: np.ndarray | None = None
) -> np.ndarray:
    """Whole numbers per ward in proportion to ``driver``, within ``[lo, hi]``, summing to ``total``.

    Parameters
    ----------
    driver : np.ndarray of float, shape (W,)
        Non-negative weights (all zero: equal shares).
    total : int
        People to place.
    lo, hi : np.ndarray of int, shape (W,)
        Floors and caps per ward.
    tiebreak : np.ndarray of float, optional
        Orders wards with equal remainders (larger first; default: ``driver``).

    Returns
    -------
    np.ndarray of int, shape (W,)

    Raises
    ------
    InfeasibleError
        If ``total`` is below the sum of the floors or above the sum of the caps.
    """
    d = np.maximum(np.asarray(driver, dtype=float), 0.0)
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    if total < lo.sum() or total > hi.sum():
        raise InfeasibleError(
            f"cannot place {total:,} people within ward floors ({lo.sum():,}) and caps ({hi.sum():,})"
        )
    if not d.sum() > 0:
        d = np.ones_like(d)
    share = _fill(d, float(total), lo.astype(float), hi.astype(float))
    out = np.clip(np.floor(share + 1e-9).astype(np.int64), lo, hi)
    tb = d if tiebreak is None else np.asarray(tiebreak, dtype=float)
    # largest remainder first, then the tie-break, then ward order; wards the driver cannot reach
    # (driver 0) take the people no one else has room for
    order = np.lexsort((np.arange(len(d)), -tb, -(share - out)))
    short = int(total - out.sum())
    while short > 0:
        take = order[out[order] < hi[order]][:short]
        out[take] += 1
        short -= len(take)
    return out


def _fill(d: np.ndarray, total: float, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``clip(lam * d, lo, hi)`` with ``lam`` chosen (by bisection) so the sum is ``total``."""
    a, b = 0.0, 1.0
    while np.clip(b * d, lo, hi).sum() < total and b < 1e300:
        b *= 2.0
    for _ in range(_BISECT):
        mid = 0.5 * (a + b)
        if np.clip(mid * d, lo, hi).sum() < total:
            a = mid
        else:
            b = mid
    share = np.clip(b * d, lo, hi)
    return share * (total / share.sum()) if share.sum() > total else share


def equal_per_ward(total: int, lo: np.ndarray, hi: np.ndarray, tiebreak: np.ndarray) -> np.ndarray:
    """The same number in every ward (within floors and caps); the odd people to the largest ``tiebreak``."""
    return proportional(np.ones(len(lo)), total, lo, hi, tiebreak=tiebreak)


def with_supervisors(problem: AllocationProblem, x: np.ndarray, p: np.ndarray) -> Deployment:
    """A deployment with the fewest sergeants and inspectors per borough the spans need."""
    x = np.asarray(x, dtype=np.int64)
    p = np.asarray(p, dtype=np.int64)
    heads = np.bincount(problem.borough, weights=x + p, minlength=problem.n_boroughs)
    s = problem.sergeants_needed(heads)
    i = problem.inspectors_needed(s)
    return Deployment(x, p, s, i)


def floors_only(problem: AllocationProblem) -> Deployment:
    """Every ward at its floor, with the supervisors that needs."""
    return with_supervisors(problem, problem.lo_x, problem.lo_p)
