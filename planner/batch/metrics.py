"""Trade-off measures of one plan, stored with every run of a batch.

* **need covered**: the share of London's need in wards staffed at least at the
  reference rate of effective officers per unit of need, with partial credit
  pro rata (a ward at half the rate covers half its need). The reference rate
  is the *base* scenario's: its constables and PCSOs (headcount x availability,
  PCSOs x effectiveness) spread over the wards' total need. It is the same for
  every run of a batch, so more officers and better targeting both raise it;
  a base plan covers less than 100 % only as far as it is uneven.
* **worst-served load**: need per effective officer, averaged over the 10 % of
  wards with the highest (lower is better), relative to the reference rate
  (1.0 = staffed exactly at the reference rate, 2.0 = half of it).
* **wards below standard**: wards staffed below the reference rate.
* **worst-served wards**: the few wards with the highest load, worst first.

Effective officers in a ward = constables x constable availability + PCSOs x
PCSO availability x PCSO effectiveness.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from planner.scenario import Scenario

WORST_NAMED = 3
"""How many worst-served wards a run names."""


def effective_officers(scenario: Scenario, constables: np.ndarray, pcsos: np.ndarray) -> np.ndarray:
    """Effective officers per ward, shape (W,)."""
    wf = scenario.workforce
    pcso_value = wf.pcso.availability * scenario.objective.pcso_effectiveness
    return np.asarray(constables, float) * wf.constable.availability + np.asarray(pcsos, float) * pcso_value


def reference_rate(reference: Scenario, need: np.ndarray) -> float:
    """Effective officers per unit of need if ``reference``'s whole workforce were deployed."""
    wf, obj = reference.workforce, reference.objective
    capacity = (
        wf.constable.headcount * wf.constable.availability
        + wf.pcso.headcount * wf.pcso.availability * obj.pcso_effectiveness
    )
    total = float(np.sum(need))
    return capacity / total if total > 0 else 0.0


def plan_measures(
    scenario: Scenario,
    need: np.ndarray,
    constables: np.ndarray,
    pcsos: np.ndarray,
    reference: Scenario | None = None,
) -> dict[str, Any]:
    """Need covered, worst-served load and wards below standard of one allocation.

    Parameters
    ----------
    scenario : Scenario
        The run's scenario (availability and PCSO effectiveness).
    need : np.ndarray, shape (W,)
        Combined need per ward.
    constables, pcsos : np.ndarray of int, shape (W,)
        The allocation.

    Returns
    -------
    dict
        ``need_covered`` (0..1), ``worst_load`` (>= 0), ``wards_below_standard`` (int)
        and ``worst_wards`` (indices of the ``WORST_NAMED`` worst-served wards, worst first).
    """
    need = np.asarray(need, float)
    eff = effective_officers(scenario, constables, pcsos)
    rate = reference_rate(reference or scenario, need)
    target = need * rate
    total = float(need.sum())
    if total <= 0 or rate <= 0:
        return {"need_covered": None, "worst_load": None, "wards_below_standard": None, "worst_wards": []}
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(target > 0, np.minimum(1.0, eff / target), 1.0)
        load = np.where(eff > 0, target / eff, np.where(target > 0, np.inf, 0.0))
    worst_n = max(1, int(np.ceil(0.1 * len(need))))
    worst = np.sort(load)[-worst_n:]
    worst_load = float(np.mean(worst)) if np.all(np.isfinite(worst)) else None
    return {
        "need_covered": float(np.sum(need * share) / total),
        "worst_load": worst_load,
        "wards_below_standard": int(np.sum(eff < target - 1e-9)),
        "worst_wards": [int(k) for k in np.argsort(-load, kind="stable")[:WORST_NAMED] if load[k] > 0],
    }
