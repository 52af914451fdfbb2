"""Tiers: ring-fenced ward officers and borough hotspot teams (``rules.tiers``).

Each ward's constables are its dedicated ward officers, ``min(x, ceiling)``,
ring-fenced between the ward floor and ``ward_officer_ceiling``, and above
them the hotspot-team constables its borough deploys there, at most
``hotspot_per_ward``. So a ward holds at most ``ceiling + hotspot_per_ward``
constables (a bound on each ward's counts), and at most ``ward_pcso_ceiling``
PCSOs. The split is a reading of the plan, not a second decision: both tiers
add to the ward's value alike, and the split that keeps every ward officer
ring-fenced is the one reported (:mod:`planner.report.tiers` forms the teams).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.problem import AllocationProblem, Deployment
from planner.rules.base import BuildContext, Built, Rule, RuleCheck, RuleKey, WardBounds, fmt_n


@dataclass(frozen=True)
class TierParams:
    """The tier settings of a problem."""

    ceiling: int
    hotspot_per_ward: int
    team_size: int
    pcso_ceiling: int | None


def tier_params(prob: AllocationProblem) -> TierParams | None:
    """The tier settings of ``prob`` (None: no tiers)."""
    found = prob.params.get(RuleKey.TIERS.value)
    return found if isinstance(found, TierParams) else None


def split_constables(prob: AllocationProblem, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each ward's ward officers and hotspot-team constables (without tiers: all ward officers)."""
    par = tier_params(prob)
    x = np.asarray(x, dtype=np.int64)
    if par is None:
        return x.copy(), np.zeros_like(x)
    ward = np.minimum(x, par.ceiling)
    return ward, x - ward


class TiersRule(Rule):
    """Ward officers within a ceiling; the rest of a ward's constables from its borough's hotspot teams."""

    key = RuleKey.TIERS
    title = "ward officers and hotspot teams"

    def build(self, ctx: BuildContext) -> Built | None:
        """Each ward's most constables and PCSOs under the ceilings, and the tiers' parameters."""
        spec = ctx.scenario.rules.tiers
        if spec.ward_officer_ceiling is None and spec.ward_pcso_ceiling is None:
            return None
        n = ctx.n_wards
        ward = WardBounds(
            hi_x=None if spec.ward_officer_ceiling is None
            else np.full(n, spec.ward_officer_ceiling + spec.hotspot_per_ward, dtype=np.int64),
            hi_p=None if spec.ward_pcso_ceiling is None else np.full(n, spec.ward_pcso_ceiling, dtype=np.int64),
        )  # fmt: skip
        params = None
        if spec.ward_officer_ceiling is not None:
            params = TierParams(
                spec.ward_officer_ceiling, spec.hotspot_per_ward, spec.team_size, spec.ward_pcso_ceiling
            )
        return Built(ward=ward, params=params)

    def check(self, prob: AllocationProblem, plan: Deployment) -> list[RuleCheck]:
        """Every ward's hotspot constables within the most per ward, its ward officers at its floor (to the ceiling)."""
        par = tier_params(prob)
        if par is None:
            return []
        ward, hot = split_constables(prob, plan.x)
        over = np.flatnonzero(hot > par.hotspot_per_ward)
        low = np.flatnonzero(ward < np.minimum(prob.lo_x, par.ceiling))
        bad = np.union1d(over, low)
        detail = ", ".join(
            f"{prob.ward_label(int(w))} ({int(ward[w])} ward officers, {int(hot[w])} from hotspot teams)"
            for w in bad[:5]
        )
        return [RuleCheck("tiers", not len(bad), detail)]

    def conflicts(self, prob: AllocationProblem) -> list[str]:
        """A ward floor above the ward officers' ceiling plus the hotspot constables a ward may hold."""
        par = tier_params(prob)
        if par is None:
            return []
        floor = int(prob.lo_x.max()) if prob.n_wards else 0
        if floor > par.ceiling + par.hotspot_per_ward:
            return [
                f"a ward floor of {fmt_n(floor)} constables is above what a ward may hold: {par.ceiling} ward "
                f"officers and {par.hotspot_per_ward} from hotspot teams"
            ]
        return []

    def binding(self, prob: AllocationProblem, plan: Deployment) -> list[str]:
        """Wards at the ward officers' ceiling and the constables in hotspot teams."""
        par = tier_params(prob)
        if par is None:
            return []
        ward, hot = split_constables(prob, plan.x)
        out = []
        topped = int((ward >= par.ceiling).sum())
        if topped:
            out.append(
                f"{fmt_n(topped)} wards have the ceiling of {par.ceiling} dedicated ward officers; "
                f"{fmt_n(hot.sum())} constables serve in borough hotspot teams"
            )
        full = np.flatnonzero(hot >= par.hotspot_per_ward)
        if len(full):
            names = ", ".join(prob.ward_label(int(w)) for w in full[:5])
            out.append(
                f"{len(full)} ward(s) get the most hotspot-team constables one ward may have "
                f"({par.hotspot_per_ward}): {names}"
            )
        return out
