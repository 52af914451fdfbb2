"""Borough shares: each borough's constables plus PCSOs within a band around its share of London's need.

``rules.borough_share``: ``min_ratio`` and ``max_ratio`` (default: none). With
``n_b`` the borough's share of need and ``H`` the constables plus PCSOs
available, borough ``b`` gets between ``floor(min_ratio * n_b * H)`` and
``ceil(max_ratio * n_b * H)`` of them (a floor in the style of a resource
allocation formula's damping).
"""

from __future__ import annotations

import numpy as np

from planner.errors import Problems
from planner.problem import INF_INT, AllocationProblem, Deployment
from planner.ranks import CONSTABLE, PCSO
from planner.rules.base import BuildContext, Built, RowBlock, Rule, RuleCheck, RuleKey, fmt_n, ward_rows


class BoroughShare(Rule):
    """Bounds on each borough's constables plus PCSOs relative to its share of need."""

    key = RuleKey.BOROUGH_SHARE
    title = "borough share"

    def build(self, ctx: BuildContext) -> Built:
        """Each borough's least and most heads from its share of need and the ratios of the scenario."""
        share = ctx.scenario.rules.borough_share
        found = Problems("scenario rules")
        if share.min_ratio is not None and share.max_ratio is not None and share.min_ratio > share.max_ratio:
            found.add(f"rules.borough_share.min_ratio ({share.min_ratio}) is above max_ratio ({share.max_ratio})")
        found.raise_if_any()
        wards, nb = ctx.wards, ctx.n_boroughs
        heads_total = int(ctx.workforce.headcount[CONSTABLE] + ctx.workforce.headcount[PCSO])
        need_share = np.bincount(wards.borough, weights=wards.need, minlength=nb) / max(wards.need.sum(), 1e-12)
        lo = np.zeros(nb, dtype=np.int64)
        hi = np.full(nb, INF_INT, dtype=np.int64)
        if share.min_ratio is not None:
            lo = np.floor(share.min_ratio * need_share * heads_total + 1e-9).astype(np.int64)
        if share.max_ratio is not None:
            hi = np.ceil(share.max_ratio * need_share * heads_total - 1e-9).astype(np.int64)
        return Built(fields={"borough_heads_lo": lo, "borough_heads_hi": hi})

    def rows(self, prob: AllocationProblem) -> list[RowBlock]:
        """One row of heads per borough with a least or most number."""
        lo, hi = prob.borough_heads_lo, prob.borough_heads_hi
        live = np.flatnonzero((lo > 0) | (hi < INF_INT))
        if not len(live):
            return []
        index = np.full(prob.n_boroughs, -1)
        index[live] = np.arange(len(live))
        heads = ward_rows(prob.n_wards, index[prob.borough], np.ones(prob.n_wards), len(live))
        return [
            RowBlock(
                self.key,
                "heads",
                tuple(prob.borough_label(int(b)) for b in live),
                {"x": heads, "p": heads},
                np.where(lo[live] > 0, lo[live], -np.inf).astype(float),
                np.where(hi[live] < INF_INT, hi[live], np.inf).astype(float),
            )
        ]

    def check(self, prob: AllocationProblem, plan: Deployment) -> list[RuleCheck]:
        """Every borough's heads within its bounds."""
        bx, bp = plan.borough_heads(prob.borough, prob.n_boroughs)
        heads = bx + bp
        bad = np.flatnonzero(
            (heads < prob.borough_heads_lo) | ((prob.borough_heads_hi < INF_INT) & (heads > prob.borough_heads_hi))
        )
        detail = ", ".join(f"{prob.borough_label(int(b))} has {fmt_n(heads[b])}" for b in bad[:5])
        return [RuleCheck("borough_share", not len(bad), detail)]

    def conflicts(self, prob: AllocationProblem) -> list[str]:
        """Minimums above the people available, or a borough's ward floors above its most heads."""
        out = []
        total_lo = int(prob.borough_heads_lo.sum())
        avail = int(prob.headcount[CONSTABLE] + prob.headcount[PCSO])
        if total_lo > avail:
            out.append(
                f"borough share minimums need {fmt_n(total_lo)} constables and PCSOs but only {fmt_n(avail)} are "
                "available"
            )
        nb = prob.n_boroughs
        floors = np.bincount(prob.borough, weights=prob.lo_x + prob.lo_p, minlength=nb)
        for b in np.flatnonzero((prob.borough_heads_hi < INF_INT) & (floors > prob.borough_heads_hi)):
            out.append(
                f"{prob.borough_label(int(b))}: ward floors need {fmt_n(floors[b])} constables and PCSOs but the "
                f"borough share maximum allows {fmt_n(prob.borough_heads_hi[b])}"
            )
        return out
