"""Minimum effective officers per ward: the floor the balance objective puts under every ward.

Not a scenario key: :mod:`planner.solve.balance` sets
:attr:`~planner.problem.AllocationProblem.min_eff` while it searches for the
largest floor ``t * need`` that every ward can get. It restricts each ward's
own choices (``eff_x * x + eff_p * p >= min_eff``), so it has no rows.
"""

from __future__ import annotations

import numpy as np

from planner.problem import AllocationProblem, Deployment
from planner.rules.base import Rule, RuleCheck, RuleKey


class MinEffective(Rule):
    """A floor on each ward's effective officers."""

    key = RuleKey.MIN_EFFECTIVE
    title = "minimum effective officers per ward"

    def check(self, prob: AllocationProblem, plan: Deployment) -> list[RuleCheck]:
        """Every ward at or above its minimum effective officers."""
        ok = prob.meets_min_eff(np.arange(prob.n_wards), plan.x, plan.p)
        bad = np.flatnonzero(~ok)
        detail = ", ".join(prob.ward_label(int(w)) for w in bad[:5])
        return [RuleCheck("min_effective", not len(bad), f"below the floor: {detail}" if len(bad) else "")]
