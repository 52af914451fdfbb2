"""Stability: limits on change from the current deployment (``data.current``).

``rules.stability``:

* ``max_change_per_ward``: per ward and rank, at most so many more or fewer
  than today (a bound on each ward's counts);
* ``max_total_moves``: London-wide, at most so many constables and PCSOs moved
  from one ward to another;
* ``max_moves_share``: per rank, at most this share of today's strength moved;
* ``move_threshold``: a person is moved only if the move gains at least this
  share of what one more constable adds to an average ward today: each person
  below today's count in a ward costs that much in the objective
  (:attr:`~planner.problem.AllocationProblem.move_cost`), which keeps each
  ward's value concave and the plan certified.

A move is a person who leaves one ward for another. Filling a new post is
never a move, and neither is leaving a post vacant when the plan has fewer
people than today (see :mod:`planner.report.changes`). As a linear rule over
each ward's shortfall ``under = max(0, today - planned)``, per rank::

    sum over wards of under  <=  limit + forced

where ``forced`` is the number of posts any plan must leave vacant, because
fewer people are available (the headcount) or can be supervised (the spans
of control with every sergeant and inspector deployed) than today. Every
plan's shortfall is at least its net loss of people, and its true moves are
its shortfall less that net loss, which is at least ``forced``: so the row
never lets a plan move more than the limit (it may, rarely, hold back a plan
that leaves more posts vacant than it must).
"""

from __future__ import annotations

import numpy as np

from planner.errors import DataError
from planner.problem import AllocationProblem, Deployment, people_moved
from planner.ranks import CONSTABLE, INSPECTOR, PCSO, SERGEANT
from planner.rules.base import BuildContext, Built, RowBlock, Rule, RuleCheck, RuleKey, WardBounds, fmt_n, one_row


def deployable_heads(prob: AllocationProblem) -> int:
    """Most constables plus PCSOs any plan can deploy.

    The headcount, and what every sergeant (led by every inspector) can supervise at the widest spans (a bound that
    holds whatever the borough of each).
    """
    hc = prob.headcount
    sergeants = min(float(hc[SERGEANT]), float(prob.span_inspector.max()) * float(hc[INSPECTOR]))
    return int(min(hc[CONSTABLE] + hc[PCSO], np.floor(float(prob.span_sergeant.max()) * sergeants + 1e-9)))


def forced_vacancies(prob: AllocationProblem) -> tuple[int, int, int]:
    """Posts any plan must leave vacant against today: constables, PCSOs, and both together."""
    if prob.base_x is None or prob.base_p is None:
        return 0, 0, 0
    t0x, t0p = int(prob.base_x.sum()), int(prob.base_p.sum())
    room = deployable_heads(prob)
    most_x = min(int(prob.headcount[CONSTABLE]), room - int(prob.lo_p.sum()))
    most_p = min(int(prob.headcount[PCSO]), room - int(prob.lo_x.sum()))
    cut_x, cut_p = max(0, t0x - most_x), max(0, t0p - most_p)
    return cut_x, cut_p, max(cut_x + cut_p, t0x + t0p - room)


def constable_worth_today(ctx: BuildContext, bx: np.ndarray, bp: np.ndarray) -> float:
    """What one more constable adds to an average ward's value at today's deployment (objective units).

    The mean over wards of ``need * a_x / (kappa + e0)``, with ``e0`` today's effective officers.
    """
    wf, obj = ctx.workforce, ctx.scenario.objective
    eff_x = float(wf.availability[CONSTABLE])
    eff_p = float(obj.pcso_effectiveness * wf.availability[PCSO])
    e0 = eff_x * bx + eff_p * bp
    return float(np.mean(ctx.wards.need * eff_x / (obj.saturation + e0)))


class Stability(Rule):
    """Change from today: a window per ward and London-wide limits on people moved."""

    key = RuleKey.STABILITY
    title = "stability limit on moves"

    def build(self, ctx: BuildContext) -> Built:
        """Today's deployment as the baseline and the limits on moves (errors when limits come without it)."""
        spec = ctx.scenario.rules.stability
        limits = (
            spec.max_change_per_ward is not None or spec.max_total_moves is not None or spec.max_moves_share is not None
            or spec.move_threshold > 0
        )  # fmt: skip
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
        by_rank = None
        if spec.max_moves_share is not None:
            by_rank = np.floor(spec.max_moves_share * np.array([bx.sum(), bp.sum()]) + 1e-9).astype(np.int64)
        fields = {
            "base_x": bx,
            "base_p": bp,
            "max_moves": spec.max_total_moves,
            "max_moves_rank": by_rank,
            "move_cost": spec.move_threshold * constable_worth_today(ctx, bx, bp),
        }
        return Built(fields=fields, ward=ward)

    def rows(self, prob: AllocationProblem) -> list[RowBlock]:
        """Rows limiting the people moved from today, in all and per rank."""
        if prob.base_x is None:
            return []
        ones = one_row(np.ones(prob.n_wards))
        cut_x, cut_p, cut = forced_vacancies(prob)
        out = []
        if prob.max_moves is not None:
            out.append(
                RowBlock(
                    self.key,
                    "moves",
                    ("people moved",),
                    {"under_x": ones, "under_p": ones},
                    np.array([-np.inf]),
                    np.array([float(prob.max_moves + cut)]),
                    unit="people",
                )
            )
        if prob.max_moves_rank is not None:
            for name, term, limit, forced in (
                ("moves_constable", "under_x", prob.max_moves_rank[0], cut_x),
                ("moves_pcso", "under_p", prob.max_moves_rank[1], cut_p),
            ):
                out.append(
                    RowBlock(
                        self.key,
                        name,
                        (name.replace("moves_", "") + "s moved",),
                        {term: ones},
                        np.array([-np.inf]),
                        np.array([float(limit + forced)]),
                        unit="people",
                    )
                )
        return out

    def row_title(self, name: str) -> str:
        """The limit on moves the row ``name`` states."""
        return {"moves_constable": "limit on constables moved", "moves_pcso": "limit on PCSOs moved"}.get(
            name, "stability limit on moves"
        )

    def check(self, prob: AllocationProblem, plan: Deployment) -> list[RuleCheck]:
        """People moved from today within the limits."""
        if prob.base_x is None or prob.base_p is None:
            return [RuleCheck("stability", True)]
        mx, mp = people_moved(prob.base_x, plan.x), people_moved(prob.base_p, plan.p)
        problems = []
        if prob.max_moves is not None and mx + mp > prob.max_moves:
            problems.append(f"{fmt_n(mx + mp)} moved, limit {fmt_n(prob.max_moves)}")
        if prob.max_moves_rank is not None:
            for label, m, limit in (("constables", mx, prob.max_moves_rank[0]), ("PCSOs", mp, prob.max_moves_rank[1])):
                if m > limit:
                    problems.append(f"{fmt_n(m)} {label} moved, limit {fmt_n(limit)}")
        return [RuleCheck("stability", not problems, "; ".join(problems))]

    def conflicts(self, prob: AllocationProblem) -> list[str]:
        """Moves forced by ward caps (and vacancies) beyond a limit on moves."""
        if prob.base_x is None or prob.base_p is None or (prob.max_moves is None and prob.max_moves_rank is None):
            return []
        out_x = np.maximum(prob.base_x - prob.hi_x, 0)
        out_p = np.maximum(prob.base_p - prob.hi_p, 0)
        cut_x, cut_p, cut = forced_vacancies(prob)
        checks = []
        if prob.max_moves is not None:
            checks.append(("people", int(out_x.sum() + out_p.sum()), cut, int(prob.max_moves), out_x + out_p))
        if prob.max_moves_rank is not None:
            checks.append(("constables", int(out_x.sum()), cut_x, int(prob.max_moves_rank[0]), out_x))
            checks.append(("PCSOs", int(out_p.sum()), cut_p, int(prob.max_moves_rank[1]), out_p))
        reasons = []
        for label, leave, vacant, limit, where in checks:
            if leave - vacant > limit:
                reasons.append(
                    f"today {fmt_n(leave)} {label} are above the ward caps or stability windows of "
                    f"{int((where > 0).sum())} wards and must leave them; at most {fmt_n(vacant)} of those posts "
                    f"can be left vacant, so at least {fmt_n(leave - vacant)} {label} move, but the limit is "
                    f"{fmt_n(limit)}"
                )
        return reasons

    def binding(self, prob: AllocationProblem, plan: Deployment) -> list[str]:
        """Limits on moves that are reached."""
        if prob.base_x is None or prob.base_p is None:
            return []
        mx, mp = people_moved(prob.base_x, plan.x), people_moved(prob.base_p, plan.p)
        out = []
        if prob.max_moves is not None and mx + mp >= prob.max_moves:
            out.append(
                f"the limit of {fmt_n(prob.max_moves)} people moved between wards is reached "
                f"({fmt_n(mx)} constables, {fmt_n(mp)} PCSOs)"
            )
        if prob.max_moves_rank is not None:
            for label, m, limit in (("constables", mx, prob.max_moves_rank[0]), ("PCSOs", mp, prob.max_moves_rank[1])):
                if m >= limit:
                    out.append(f"the limit of {fmt_n(limit)} {label} moved between wards is reached")
        return out
