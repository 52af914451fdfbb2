"""Headcount: no more people of a rank are deployed than London has.

``workforce.<rank>.headcount`` (constables, PCSOs, sergeants, inspectors).
Four London-wide rows; its prices are what one more person of each rank
would be worth to the plan, which is also how the bounds see it.
"""

from __future__ import annotations

import numpy as np

from planner.problem import AllocationProblem, Deployment
from planner.ranks import CONSTABLE, INSPECTOR, PCSO, RANK_LABELS, RANKS, SERGEANT
from planner.rules.base import BuildContext, Built, RowBlock, Rule, RuleCheck, RuleKey, fmt_n, one_row


class Headcount(Rule):
    """People deployed per rank at most the headcount available."""

    key = RuleKey.HEADCOUNT
    title = "headcount"

    def build(self, ctx: BuildContext) -> Built:
        """The London-wide headcount of each rank."""
        return Built(fields={"headcount": ctx.workforce.headcount.copy()})

    def rows(self, prob: AllocationProblem) -> list[RowBlock]:
        """One row per rank: the people deployed at most its headcount."""
        w, b = prob.n_wards, prob.n_boroughs
        terms = {CONSTABLE: ("x", w), PCSO: ("p", w), SERGEANT: ("s", b), INSPECTOR: ("i", b)}
        return [
            RowBlock(
                self.key,
                rank,
                (RANK_LABELS[rank],),
                {terms[k][0]: one_row(np.ones(terms[k][1]))},
                np.array([-np.inf]),
                np.array([float(prob.headcount[k])]),
                unit="people",
            )
            for k, rank in enumerate(RANKS)
        ]

    def row_title(self, name: str) -> str:
        """The London-wide headcount of the rank ``name``."""
        return f"London-wide {'PCSO' if name == 'pcso' else name} headcount"

    def check(self, prob: AllocationProblem, plan: Deployment) -> list[RuleCheck]:
        """Each rank deployed within its headcount."""
        out = []
        for k, rank in enumerate(RANKS):
            used, have = int(plan.totals[k]), int(prob.headcount[k])
            detail = "" if used <= have else f"{fmt_n(used)} {RANK_LABELS[rank]} deployed, {fmt_n(have)} available"
            out.append(RuleCheck(f"headcount_{rank}", used <= have, detail))
        return out

    def conflicts(self, prob: AllocationProblem) -> list[str]:
        """Ward floors that need more constables or PCSOs than there are."""
        out = []
        w = prob.n_wards
        for rank, name, lo in ((CONSTABLE, "constables", prob.lo_x), (PCSO, "PCSOs", prob.lo_p)):
            need, have = int(lo.sum()), int(prob.headcount[rank])
            if need > have:
                per = f" ({int(lo.max())} per ward x {w:,} wards)" if lo.min() == lo.max() else ""
                out.append(f"ward floors need {fmt_n(need)} {name}{per} but only {fmt_n(have)} are available")
        return out

    def binding(self, prob: AllocationProblem, plan: Deployment) -> list[str]:
        """Constables or PCSOs all deployed."""
        out = []
        for k, rank in enumerate(RANKS):
            if k in (SERGEANT, INSPECTOR):
                continue
            if int(plan.totals[k]) >= int(prob.headcount[k]):
                out.append(f"all {fmt_n(prob.headcount[k])} {RANK_LABELS[rank]} are deployed")
        return out
