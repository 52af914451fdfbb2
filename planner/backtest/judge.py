"""Judging deployments on the later period: the planner's value and plain measures.

For each deployment, on the *later* period's wards and need:

* ``later_value``: the planner's own objective on the later need;
* ``gain_share_pct``: its gain over the floors-only deployment as a percentage
  of the hindsight plan's gain (100 = as good as a plan made knowing the later
  crime; 0 = no better than the floors);
* ``harm_covered_pct``: the share of later harm that fell in wards holding at
  least London's officers per unit of later harm;
* ``harm_per_officer_top``: later harm per officer in the top harm wards (the
  ``top_share`` of wards with most later harm; lower is better);
* ``residents_per_officer_top`` / ``_bottom``: residents per officer in the
  top and the bottom harm wards, and ``residents_per_officer`` London-wide;
* ``moved_to_hindsight``: people the hindsight plan would move from this
  deployment (half the sum of absolute changes over constables and PCSOs,
  rounded up);
* ``rules_broken``: the planner's rules the deployment breaks (a simple rule
  can break a borough share or a supervisor headcount), or empty.

Officers are constables plus PCSOs, counted as people.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.problem import AllocationProblem, Deployment, people_moved
from planner.rules import check_plan

JUDGE_COLUMNS: list[str] = [
    "method", "description", "later_value", "gain_share_pct", "harm_covered_pct", "harm_per_officer_top",
    "residents_per_officer_top", "residents_per_officer_bottom", "residents_per_officer", "moved_to_hindsight",
    "constables", "pcsos", "sergeants", "inspectors", "rules_broken",
]  # fmt: skip


def moved(a: Deployment, b: Deployment) -> int:
    """People who change ward between two deployments, counted as :mod:`planner.report.changes` does.

    Per rank, the smaller of what wards gain and what they lose.
    """
    return people_moved(np.asarray(a.x), np.asarray(b.x)) + people_moved(np.asarray(a.p), np.asarray(b.p))


def top_wards(harm: np.ndarray, codes: np.ndarray, share: float) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the top and bottom ``share`` of wards by ``harm`` (at least one ward each; ties by code)."""
    n = len(harm)
    k = max(1, int(np.ceil(share * n - 1e-9)))
    order = np.lexsort((np.asarray(codes, dtype=str), -np.asarray(harm, dtype=float)))
    top = np.zeros(n, dtype=bool)
    bottom = np.zeros(n, dtype=bool)
    top[order[:k]] = True
    bottom[order[n - k :]] = True
    return top, bottom


def _per(num: float, den: float) -> float:
    return float(num / den) if den > 0 else float("nan")


def judge_deployments(
    problem: AllocationProblem,
    harm: np.ndarray,
    population: np.ndarray,
    codes: np.ndarray,
    deployments: dict[str, tuple[str, Deployment]],
    hindsight: Deployment,
    floors: Deployment,
    top_share: float = 0.1,
) -> pd.DataFrame:
    """One row per deployment: the later value, its share of the hindsight gain, and the plain measures.

    Parameters
    ----------
    problem : AllocationProblem
        The later period's problem (its need is the later need).
    harm, population : np.ndarray, shape (W,)
        Later harm and residents per ward.
    codes : np.ndarray of str, shape (W,)
        Ward codes (tie-break of the top wards).
    deployments : dict of method -> (description, Deployment)
        In the order the rows should appear.
    hindsight, floors : Deployment
        The plan made on the later period, and every ward at its floor.
    top_share : float
        Share of wards in the top (and bottom) harm group.

    Returns
    -------
    pd.DataFrame
        :data:`JUDGE_COLUMNS`.
    """
    harm = np.asarray(harm, dtype=float)
    pop = np.asarray(population, dtype=float)
    top, bottom = top_wards(harm, codes, top_share)

    def value(d: Deployment) -> float:
        return problem.objective(d.x, d.p, d.s, d.i)

    v_floor, v_best = value(floors), value(hindsight)
    span = v_best - v_floor
    rows = []
    for method, (description, d) in deployments.items():
        officers = np.asarray(d.x + d.p, dtype=float)
        rate = _per(officers.sum(), harm.sum())
        with np.errstate(divide="ignore", invalid="ignore"):
            covered = np.where(harm > 0, officers / np.where(harm > 0, harm, 1.0) >= rate - 1e-12, True)
        checks = check_plan(problem, d.x, d.p, d.s, d.i)
        v = value(d)
        rows.append(
            {
                "method": method,
                "description": description,
                "later_value": v,
                "gain_share_pct": 100.0 * (v - v_floor) / span if span > 0 else float("nan"),
                "harm_covered_pct": 100.0 * _per(harm[covered].sum(), harm.sum()),
                "harm_per_officer_top": _per(harm[top].sum(), officers[top].sum()),
                "residents_per_officer_top": _per(pop[top].sum(), officers[top].sum()),
                "residents_per_officer_bottom": _per(pop[bottom].sum(), officers[bottom].sum()),
                "residents_per_officer": _per(pop.sum(), officers.sum()),
                "moved_to_hindsight": moved(d, hindsight),
                "constables": int(np.sum(d.x)),
                "pcsos": int(np.sum(d.p)),
                "sergeants": int(np.sum(d.s)),
                "inspectors": int(np.sum(d.i)),
                "rules_broken": ", ".join(k for k, ok in checks.items() if not ok),
            }
        )
    return pd.DataFrame(rows, columns=JUDGE_COLUMNS)
