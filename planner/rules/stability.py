"""Stability: limits on change from the current deployment.

``rules.stability``: ``max_change_per_ward`` (per ward and rank, at most so
many more or fewer than today: a bound on each ward's counts) and
``max_total_moves`` (London-wide, at most so many people moved from their
ward). The current deployment comes from the scenario's data. A person moved
counts once, on the ward they leave and the ward they join, so the London-wide
row is::

    sum over wards of |x - x0| + |p - p0|  <=  2 * max_total_moves
"""

from __future__ import annotations

import numpy as np

from planner.errors import DataError
from planner.problem import AllocationProblem, Deployment
from planner.rules.base import BuildContext, Built, RowBlock, Rule, RuleCheck, RuleKey, WardBounds, fmt_n, one_row


class Stability(Rule):
    """Change from today: a window per ward and a London-wide limit on moves."""

    key = RuleKey.STABILITY
    title = "stability limit on moves"

    def build(self, ctx: BuildContext) -> Built:
        spec = ctx.scenario.rules.stability
        limits = spec.max_change_per_ward is not None or spec.max_total_moves is not None
        if ctx.current is None:
            if limits:
                raise DataError(
                    "rules.stability sets a limit on change but no current deployment was given "
                    "(set data.current to a CSV of ward_code, constables, pcsos, or to {scenario: FILE})",
                    source="scenario",
                )
            return Built()
        bx, bp = (np.asarray(a, dtype=np.int64) for a in ctx.current)
        ward = WardBounds()
        delta = spec.max_change_per_ward
        if delta is not None:
            ward = WardBounds(lo_x=bx - delta, hi_x=bx + delta, lo_p=bp - delta, hi_p=bp + delta)
        return Built(fields={"base_x": bx, "base_p": bp, "max_moves": spec.max_total_moves}, ward=ward)

    def rows(self, prob: AllocationProblem) -> list[RowBlock]:
        if prob.max_moves is None or prob.base_x is None:
            return []
        ones = one_row(np.ones(prob.n_wards))
        coef = {"under_x": ones, "over_x": ones, "under_p": ones, "over_p": ones}
        return [
            RowBlock(
                self.key,
                "moves",
                ("people moved",),
                coef,
                np.array([-np.inf]),
                np.array([2.0 * prob.max_moves]),
                unit="ward changes (two per person moved)",
            )
        ]

    def check(self, prob: AllocationProblem, plan: Deployment) -> list[RuleCheck]:
        if prob.max_moves is None:
            return [RuleCheck("stability", True)]
        moved = prob.moves(plan.x, plan.p)
        ok = moved <= prob.max_moves
        return [RuleCheck("stability", ok, "" if ok else f"{fmt_n(moved)} moved, limit {fmt_n(prob.max_moves)}")]

    def conflicts(self, prob: AllocationProblem) -> list[str]:
        if prob.max_moves is None or prob.base_x is None or prob.base_p is None:
            return []
        dist = (
            np.maximum(prob.lo_x - prob.base_x, 0) + np.maximum(prob.base_x - prob.hi_x, 0)
            + np.maximum(prob.lo_p - prob.base_p, 0) + np.maximum(prob.base_p - prob.hi_p, 0)
        )  # fmt: skip
        out = []
        need = int((dist.sum() + 1) // 2)
        if need > prob.max_moves:
            out.append(
                f"the baseline breaks ward floors or caps in {int((dist > 0).sum())} wards; bringing them within "
                f"the rules moves at least {fmt_n(need)} people but the stability limit is {fmt_n(prob.max_moves)}"
            )
        cut_x = max(0, int(prob.base_x.sum()) - int(prob.headcount[0]))
        cut_p = max(0, int(prob.base_p.sum()) - int(prob.headcount[1]))
        if (cut_x + cut_p + 1) // 2 > prob.max_moves:
            out.append(
                f"the baseline deploys {fmt_n(prob.base_x.sum())} constables and {fmt_n(prob.base_p.sum())} "
                f"PCSOs but only {fmt_n(prob.headcount[0])} and {fmt_n(prob.headcount[1])} are available; taking "
                f"the {fmt_n(cut_x + cut_p)} extra out of their wards counts as {fmt_n((cut_x + cut_p + 1) // 2)} "
                f"moves but the stability limit is {fmt_n(prob.max_moves)}"
            )
        return out

    def binding(self, prob: AllocationProblem, plan: Deployment) -> list[str]:
        if prob.max_moves is None:
            return []
        moved = prob.moves(plan.x, plan.p)
        if moved >= prob.max_moves:
            return [f"the stability limit of {fmt_n(prob.max_moves)} people moved is reached"]
        return []
