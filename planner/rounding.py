"""Whole people from fractional shares: largest-remainder rounding that keeps totals exactly.

Carrying 2 ward officers across an overlay gives 0.37 of a person here and
1.63 there. :func:`largest_remainder` rounds a vector to whole numbers whose
sum is a given total, each value moved by less than one (every value gets its
floor, then the largest remainders get one more; ties go to the earlier
entry, so the result is deterministic). :func:`round_within_groups` does it
per group (per borough) with group totals themselves rounded by largest
remainder, so London's total is always kept exactly and every borough's total
too whenever it was a whole number.
"""

from __future__ import annotations

import numpy as np

from planner.errors import DataError

TOLERANCE = 1e-9
"""Fractional parts below this (or above 1 - this) are floating-point noise, not a share of a person."""


def largest_remainder(values: np.ndarray, total: int | None = None) -> np.ndarray:
    """Round ``values`` to whole numbers summing to ``total``, each within one of its value.

    Parameters
    ----------
    values : np.ndarray of float, shape (n,)
        Finite and >= 0.
    total : int, optional
        The sum wanted; default: ``round(values.sum())``. Must be within the
        sum of the floors and the sum of the ceilings.

    Returns
    -------
    np.ndarray of int64, shape (n,)

    Raises
    ------
    planner.errors.DataError
        If a value is negative or not finite, or ``total`` cannot be reached
        moving every value by less than one.
    """
    v = np.asarray(values, dtype=float)
    if v.size and (not np.isfinite(v).all() or v.min() < 0):
        raise DataError("values to round must be finite and >= 0", "largest-remainder rounding")
    target = int(np.rint(v.sum())) if total is None else int(total)
    base = np.floor(v + TOLERANCE)
    remainder = np.where(v - base > TOLERANCE, v - base, 0.0)
    extra = target - int(base.sum())
    if extra < 0 or extra > int((remainder > 0).sum()):
        raise DataError(
            f"cannot round {v.sum():.6f} to {target} moving each value by less than one", "largest-remainder rounding"
        )
    order = np.argsort(-remainder, kind="stable")  # largest remainder first, ties in index order
    out = base.astype(np.int64)
    out[order[:extra]] += 1
    return out


def round_within_groups(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Largest-remainder rounding per group, keeping the overall total and every whole group total.

    Parameters
    ----------
    values : np.ndarray of float, shape (n,)
        Finite and >= 0.
    groups : np.ndarray, shape (n,)
        Group label of each value (e.g. the borough of each ward).

    Returns
    -------
    np.ndarray of int64, shape (n,)
        Sums to ``round(values.sum())``; within each group to the group's
        total rounded by largest remainder across groups (its exact total
        when that is whole).
    """
    v = np.asarray(values, dtype=float)
    labels, group = np.unique(np.asarray(groups), return_inverse=True)
    sums = np.bincount(group, weights=v, minlength=len(labels))
    targets = largest_remainder(sums)
    out = np.zeros(len(v), dtype=np.int64)
    for g in range(len(labels)):
        members = np.flatnonzero(group == g)
        out[members] = largest_remainder(v[members], int(targets[g]))
    return out
