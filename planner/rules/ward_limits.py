"""Ward floors and caps: every ward gets at least, and at most, so many constables and PCSOs.

Scenario keys ``rules.ward_floor`` (default 2 constables and 1 PCSO, the
Met's ward model since 2017) and ``rules.ward_cap`` (default: none). These
are bounds on each ward's counts, so the solver never considers a choice
outside them; other rules (the stability window) tighten the same bounds, and
the checks here test the tightest of them all.
"""

from __future__ import annotations

import numpy as np

from planner.problem import AllocationProblem, Deployment
from planner.ranks import CONSTABLE, PCSO
from planner.rules.base import BuildContext, Built, Rule, RuleCheck, RuleKey, WardBounds, fmt_n


class WardLimits(Rule):
    """Floors and caps on each ward's constables and PCSOs."""

    key = RuleKey.WARD_LIMITS
    title = "ward floors and caps"

    def build(self, ctx: BuildContext) -> Built:
        """Each ward's floor and cap on constables and PCSOs (the cap defaults to the headcount)."""
        rules = ctx.scenario.rules
        n = ctx.n_wards
        hc = ctx.workforce.headcount
        cap_x = hc[CONSTABLE] if rules.ward_cap.constable is None else rules.ward_cap.constable
        cap_p = hc[PCSO] if rules.ward_cap.pcso is None else rules.ward_cap.pcso
        return Built(
            ward=WardBounds(
                lo_x=np.full(n, rules.ward_floor.constable, dtype=np.int64),
                hi_x=np.full(n, cap_x, dtype=np.int64),
                lo_p=np.full(n, rules.ward_floor.pcso, dtype=np.int64),
                hi_p=np.full(n, cap_p, dtype=np.int64),
            )
        )

    def check(self, prob: AllocationProblem, plan: Deployment) -> list[RuleCheck]:
        """Every ward within its floors and caps."""
        low = np.flatnonzero((plan.x < prob.lo_x) | (plan.p < prob.lo_p))
        high = np.flatnonzero((plan.x > prob.hi_x) | (plan.p > prob.hi_p))
        return [
            RuleCheck("ward_floors", not len(low), _wards_text(prob, low, "below its floor")),
            RuleCheck("ward_caps", not len(high), _wards_text(prob, high, "above its cap")),
        ]

    def conflicts(self, prob: AllocationProblem) -> list[str]:
        """Wards whose floor is above their cap."""
        out = []
        for name, lo, hi in (("constables", prob.lo_x, prob.hi_x), ("PCSOs", prob.lo_p, prob.hi_p)):
            bad = np.flatnonzero(lo > hi)
            if len(bad):
                shown = ", ".join(f"{prob.ward_label(w)} (at least {lo[w]}, at most {hi[w]})" for w in bad[:5])
                more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
                out.append(
                    f"ward floor, ward cap and stability window leave no room for {name} in {len(bad)} "
                    f"ward(s): {shown}{more}"
                )
        return out

    def binding(self, prob: AllocationProblem, plan: Deployment) -> list[str]:
        """How many wards are at their floor or cap."""
        out = []
        for name, v, lo, hi in (("constables", plan.x, prob.lo_x, prob.hi_x), ("PCSOs", plan.p, prob.lo_p, prob.hi_p)):
            at_floor, at_cap = int((v <= lo).sum()), int((v >= hi).sum())
            if at_floor:
                out.append(f"{fmt_n(at_floor)} wards have only their floor of {name}")
            if at_cap:
                out.append(f"{fmt_n(at_cap)} wards are at their cap of {name}")
        return out


def _wards_text(prob: AllocationProblem, wards: np.ndarray, what: str) -> str:
    if not len(wards):
        return ""
    shown = ", ".join(prob.ward_label(int(w)) for w in wards[:5])
    more = f" and {len(wards) - 5} more" if len(wards) > 5 else ""
    return f"{len(wards)} ward(s) {what}: {shown}{more}"
