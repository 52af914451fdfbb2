"""Budget: the plan's annual pay for all four ranks stays within ``rules.budget`` (pounds a year).

One London-wide row, in pounds million so that the LP's numbers stay well
scaled. The cost of a person is the rank's annual cost (from the pay model
when the scenario has ``finance.pay``).
"""

from __future__ import annotations

import numpy as np

from planner.problem import AllocationProblem, Deployment
from planner.ranks import CONSTABLE, INSPECTOR, PCSO, SERGEANT
from planner.rules.base import BuildContext, Built, RowBlock, Rule, RuleCheck, RuleKey, fmt_money, one_row
from planner.tolerances import MONEY

MILLION = 1e6


class Budget(Rule):
    """Annual pay of the plan at most the budget."""

    key = RuleKey.BUDGET
    title = "annual budget"

    def build(self, ctx: BuildContext) -> Built:
        """The budget of the scenario (None: no budget rule)."""
        return Built(fields={"budget": ctx.scenario.rules.budget})

    def rows(self, prob: AllocationProblem) -> list[RowBlock]:
        """One London-wide row: the annual pay of the four ranks, in pounds million, at most the budget."""
        if prob.budget is None:
            return []
        c = prob.cost / MILLION
        w, b = prob.n_wards, prob.n_boroughs
        coef = {
            "x": one_row(np.full(w, c[CONSTABLE])),
            "p": one_row(np.full(w, c[PCSO])),
            "s": one_row(np.full(b, c[SERGEANT])),
            "i": one_row(np.full(b, c[INSPECTOR])),
        }
        return [
            RowBlock(
                self.key,
                "budget",
                ("annual budget",),
                coef,
                np.array([-np.inf]),
                np.array([prob.budget / MILLION]),
                unit="pounds million a year",
            )
        ]

    def check(self, prob: AllocationProblem, plan: Deployment) -> list[RuleCheck]:
        """The plan's annual pay within the budget."""
        if prob.budget is None:
            return [RuleCheck("budget", True)]
        cost = prob.annual_cost(plan.x, plan.p, plan.s, plan.i)
        ok = cost <= prob.budget + MONEY
        return [
            RuleCheck("budget", ok, "" if ok else f"costs {fmt_money(cost)} a year, budget {fmt_money(prob.budget)}")
        ]

    def conflicts(self, prob: AllocationProblem) -> list[str]:
        """The cheapest plan meeting the floors and spans costs more than the budget."""
        if prob.budget is None:
            return []
        heads = np.bincount(prob.borough, weights=prob.lo_x + prob.lo_p, minlength=prob.n_boroughs)
        heads = np.maximum(heads, prob.borough_heads_lo)
        s = np.maximum(prob.sergeants_needed(heads), prob.min_sergeants)
        i = np.maximum(prob.inspectors_needed(s), prob.min_inspectors)
        cheapest = prob.annual_cost(prob.lo_x, prob.lo_p, s, i)
        if cheapest > prob.budget:
            return [
                f"the cheapest plan that meets the ward floors and spans of control costs {fmt_money(cheapest)} a "
                f"year but the budget is {fmt_money(prob.budget)}"
            ]
        return []

    def binding(self, prob: AllocationProblem, plan: Deployment) -> list[str]:
        """The budget is spent: less is left than one more constable or PCSO costs."""
        if prob.budget is None:
            return []
        cost = prob.annual_cost(plan.x, plan.p, plan.s, plan.i)
        cheapest = float(np.min(prob.cost[:2]))
        if prob.budget - cost < cheapest:
            return [f"the budget of {fmt_money(prob.budget)} a year is spent ({fmt_money(cost)} used)"]
        return []
