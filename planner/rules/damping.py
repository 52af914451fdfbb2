"""Borough damping: no borough loses more than a share of its current strength in one plan.

``rules.borough_damping``: ``max_loss`` (a share, e.g. 0.05) or
``no_losers: true`` (the same as ``max_loss: 0``). In the style of a resource
allocation formula's damping: per borough ``b`` and rank (constables, PCSOs),
with today's strength ``x0_b``::

    sum over the borough's wards of x  >=  ceil((1 - max_loss) * x0_b)

It needs the current deployment (``data.current``). This module is the
worked example of docs/development.md: a rule is one module like this one
plus one line in :data:`planner.rules.registry.REGISTRY` (and its settings in
:mod:`planner.scenario.rules`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.errors import DataError
from planner.problem import AllocationProblem, Deployment
from planner.rules.base import BuildContext, Built, RowBlock, Rule, RuleCheck, RuleKey, fmt_n, ward_rows


@dataclass(frozen=True)
class DampingParams:
    """Per borough, the fewest constables and PCSOs the plan may leave it (B,) each."""

    floor_x: np.ndarray
    floor_p: np.ndarray
    max_loss: float


def _params(prob: AllocationProblem) -> DampingParams | None:
    found = prob.params.get(RuleKey.BOROUGH_DAMPING.value)
    return found if isinstance(found, DampingParams) else None


class BoroughDamping(Rule):
    """A floor under each borough's constables and PCSOs at a share of today's."""

    key = RuleKey.BOROUGH_DAMPING
    title = "borough damping"

    def build(self, ctx: BuildContext) -> Built | None:
        """Floors per borough and rank from today's strength and the largest share it may lose."""
        spec = ctx.scenario.rules.borough_damping
        loss = 0.0 if spec.no_losers else spec.max_loss
        if loss is None:
            return None
        if ctx.current is None:
            raise DataError(
                "rules.borough_damping limits what a borough may lose against today but no current deployment was "
                "given (set data.current)",
                source="scenario",
            )
        nb, borough = ctx.n_boroughs, ctx.wards.borough
        keep = 1.0 - loss
        floors = [
            np.ceil(keep * np.bincount(borough, weights=np.asarray(arr, dtype=float), minlength=nb) - 1e-9)
            for arr in ctx.current
        ]
        return Built(params=DampingParams(floors[0].astype(np.int64), floors[1].astype(np.int64), float(loss)))

    def rows(self, prob: AllocationProblem) -> list[RowBlock]:
        """One row per borough and rank: its constables (or PCSOs) at least its floor."""
        par = _params(prob)
        if par is None:
            return []
        nb = prob.n_boroughs
        members = ward_rows(prob.n_wards, prob.borough, np.ones(prob.n_wards), nb)
        labels = tuple(prob.borough_label(b) for b in range(nb))
        return [
            RowBlock(self.key, "damp_x", labels, {"x": members}, par.floor_x.astype(float), np.full(nb, np.inf)),
            RowBlock(self.key, "damp_p", labels, {"p": members}, par.floor_p.astype(float), np.full(nb, np.inf)),
        ]

    def row_title(self, name: str) -> str:
        """Borough damping of constables or of PCSOs."""
        return f"borough damping ({'constables' if name == 'damp_x' else 'PCSOs'})"

    def check(self, prob: AllocationProblem, plan: Deployment) -> list[RuleCheck]:
        """Every borough at or above its floors."""
        par = _params(prob)
        if par is None:
            return []
        bx, bp = plan.borough_heads(prob.borough, prob.n_boroughs)
        short = np.flatnonzero((bx < par.floor_x) | (bp < par.floor_p))
        detail = ", ".join(
            f"{prob.borough_label(int(b))} has {fmt_n(bx[b])} constables and {fmt_n(bp[b])} PCSOs, at least "
            f"{fmt_n(par.floor_x[b])} and {fmt_n(par.floor_p[b])}"
            for b in short[:5]
        )
        return [RuleCheck("borough_damping", not len(short), detail)]

    def conflicts(self, prob: AllocationProblem) -> list[str]:
        """Floors that keep more constables or PCSOs in their boroughs than London has."""
        par = _params(prob)
        if par is None:
            return []
        out = []
        share = f"{par.max_loss:.0%}"
        for label, floors, rank in (("constables", par.floor_x, 0), ("PCSOs", par.floor_p, 1)):
            need, have = int(floors.sum()), int(prob.headcount[rank])
            if need > have:
                out.append(
                    f"borough damping (no borough loses more than {share} of today's {label}) keeps at least "
                    f"{fmt_n(need)} {label} in their boroughs but only {fmt_n(have)} are available"
                )
        return out

    def binding(self, prob: AllocationProblem, plan: Deployment) -> list[str]:
        """The boroughs held at their floor."""
        par = _params(prob)
        if par is None:
            return []
        bx, bp = plan.borough_heads(prob.borough, prob.n_boroughs)
        held = np.flatnonzero((bx <= par.floor_x) | (bp <= par.floor_p))
        if not len(held):
            return []
        names = ", ".join(prob.borough_label(int(b)) for b in held[:6])
        more = f" and {len(held) - 6} more" if len(held) > 6 else ""
        return [f"damping holds {len(held)} borough(s) at their floor ({par.max_loss:.0%} below today): {names}{more}"]
