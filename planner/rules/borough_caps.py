"""Borough caps: per-borough limits on each rank (``workforce.per_borough``, a CSV).

Constables and PCSOs are capped by a row per borough; sergeants and inspectors
by the bounds of each borough's supervisors.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from planner.problem import AllocationProblem, Deployment
from planner.ranks import CONSTABLE, PCSO, RANKS
from planner.rules.base import (
    BuildContext,
    Built,
    RowBlock,
    Rule,
    RuleCheck,
    RuleKey,
    SupervisorBounds,
    fmt_n,
    ward_rows,
)


class BoroughCaps(Rule):
    """A cap per borough and rank."""

    key = RuleKey.BOROUGH_CAPS
    title = "borough caps"

    def build(self, ctx: BuildContext) -> Built:
        """Each borough's cap per rank (the headcount unless capped lower); the supervisors' caps bound them."""
        nb = ctx.n_boroughs
        caps = {}
        for k, rank in enumerate(RANKS):
            arr = np.full(nb, int(ctx.workforce.headcount[k]), dtype=np.int64)
            if ctx.borough_caps is not None and rank in ctx.borough_caps:
                arr = np.minimum(arr, ctx.borough_caps[rank])
            caps[rank] = arr
        return Built(
            fields={"borough_cap_x": caps["constable"], "borough_cap_p": caps["pcso"]},
            supervisors=SupervisorBounds(hi_s=caps["sergeant"], hi_i=caps["inspector"]),
        )

    def rows(self, prob: AllocationProblem) -> list[RowBlock]:
        """One row per borough whose constable or PCSO cap is below the headcount."""
        out = []
        for name, label, cap, rank, term in (
            ("capx", "constables", prob.borough_cap_x, CONSTABLE, "x"),
            ("capp", "PCSOs", prob.borough_cap_p, PCSO, "p"),
        ):
            live = np.flatnonzero(cap < prob.headcount[rank])
            if not len(live):
                continue
            index = np.full(prob.n_boroughs, -1)
            index[live] = np.arange(len(live))
            coef = ward_rows(prob.n_wards, index[prob.borough], np.ones(prob.n_wards), len(live))
            out.append(
                RowBlock(
                    self.key,
                    name,
                    tuple(f"{prob.borough_label(int(b))} {label}" for b in live),
                    {term: sp.csr_matrix(coef)},
                    np.full(len(live), -np.inf),
                    cap[live].astype(float),
                )
            )
        return out

    def row_title(self, name: str) -> str:
        """The borough constable cap or the borough PCSO cap."""
        return "borough constable cap" if name == "capx" else "borough PCSO cap"

    def check(self, prob: AllocationProblem, plan: Deployment) -> list[RuleCheck]:
        """Every borough within its caps on each rank."""
        bx, bp = plan.borough_heads(prob.borough, prob.n_boroughs)
        bad = np.flatnonzero(
            (bx > prob.borough_cap_x)
            | (bp > prob.borough_cap_p)
            | (plan.s > prob.max_sergeants)
            | (plan.i > prob.max_inspectors)
        )
        detail = ", ".join(prob.borough_label(int(b)) for b in bad[:5])
        return [RuleCheck("borough_caps", not len(bad), f"over a cap in {detail}" if len(bad) else "")]

    def conflicts(self, prob: AllocationProblem) -> list[str]:
        """Boroughs whose ward floors need more constables or PCSOs than their cap."""
        out = []
        nb = prob.n_boroughs
        fx = np.bincount(prob.borough, weights=prob.lo_x, minlength=nb)
        fp = np.bincount(prob.borough, weights=prob.lo_p, minlength=nb)
        for b in range(nb):
            name = prob.borough_label(b)
            if fx[b] > prob.borough_cap_x[b] and prob.borough_cap_x[b] < prob.headcount[CONSTABLE]:
                out.append(f"{name}: ward floors need {fmt_n(fx[b])} constables but its cap is "
                           f"{fmt_n(prob.borough_cap_x[b])}")  # fmt: skip
            if fp[b] > prob.borough_cap_p[b] and prob.borough_cap_p[b] < prob.headcount[PCSO]:
                out.append(
                    f"{name}: ward floors need {fmt_n(fp[b])} PCSOs but its cap is {fmt_n(prob.borough_cap_p[b])}"
                )
        return out
