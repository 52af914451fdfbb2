"""Spans of control: each borough's sergeants supervise its constables and PCSOs, its inspectors its sergeants.

``rules.supervision``: at most ``sergeant_span`` supervisees per sergeant and
``inspector_span`` sergeants per inspector, at least
``min_sergeants_per_borough`` and ``min_inspectors_per_borough``; ``per_bcu``
gives a BCU (or one borough, by code) spans of its own. Per borough ``b``::

    sum over its wards of (x + p) <= S_b * s_b,        s_b <= I_b * i_b

Whole supervisors are what makes the problem hard: the LP treats them as
continuous, the borough bound (:mod:`planner.solve.borough_bound`) keeps them
whole, and plans (:mod:`planner.solve.primal`) always give a borough the fewest
it needs (:meth:`planner.problem.AllocationProblem.sergeants_needed`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from planner.errors import Problems, ScenarioError
from planner.inputs.data import WardData
from planner.problem import AllocationProblem, Deployment
from planner.ranks import INSPECTOR, SERGEANT
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
from planner.scenario.rules import Supervision as SupervisionSpec
from planner.tolerances import FEASIBILITY


def span_text(spans: np.ndarray) -> str:
    """A span for people: ``8``, or ``6 to 8`` when boroughs (their BCUs) differ."""
    lo, hi = float(np.min(spans)), float(np.max(spans))
    return f"{lo:g}" if lo == hi else f"{lo:g} to {hi:g}"


def area_spans(wards: WardData, sup: SupervisionSpec) -> tuple[np.ndarray, np.ndarray]:
    """Each borough's sergeant and inspector spans.

    London's, replaced by its BCU's entry in ``rules.supervision.per_bcu`` and then by its own (keyed by borough code).

    Raises
    ------
    ScenarioError
        Naming every key that is neither a BCU nor a borough code of the data.
    """
    nb = wards.n_boroughs
    span_s, span_i = np.full(nb, float(sup.sergeant_span)), np.full(nb, float(sup.inspector_span))
    bcus, codes = [str(v) for v in wards.borough_bcu], [str(v) for v in wards.borough_codes]
    found = Problems("scenario rules", ScenarioError)
    for key in sup.per_bcu:
        if key not in codes and key not in bcus:
            found.add(
                f"rules.supervision.per_bcu: {key!r} is neither a BCU nor a borough code of the data "
                f"(BCUs: {', '.join(sorted(set(bcus))[:12])})"
            )
    found.raise_if_any()
    for by_code in (False, True):
        for key, area in sup.per_bcu.items():
            if (key in codes) != by_code:
                continue
            hit = np.array([codes[b] == key if by_code else bcus[b] == key for b in range(nb)])
            if area.sergeant_span is not None:
                span_s[hit] = float(area.sergeant_span)
            if area.inspector_span is not None:
                span_i[hit] = float(area.inspector_span)
    return span_s, span_i


def least_supervisors(prob: AllocationProblem) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Heads the ward floors (and borough minimums) put in each borough, and the supervisors they need.

    The supervisors are the fewest sergeants and inspectors for those heads.
    """
    nb = prob.n_boroughs
    heads = np.bincount(prob.borough, weights=prob.lo_x + prob.lo_p, minlength=nb)
    heads = np.maximum(heads, prob.borough_heads_lo)
    s = np.maximum(prob.sergeants_needed(heads), prob.min_sergeants)
    return heads, s, np.maximum(prob.inspectors_needed(s), prob.min_inspectors)


class Supervision(Rule):
    """Spans of control and minimum supervisors per borough."""

    key = RuleKey.SUPERVISION
    title = "spans of control"

    def build(self, ctx: BuildContext) -> Built:
        """Each borough's spans and its least sergeants and inspectors."""
        sup = ctx.scenario.rules.supervision
        nb = ctx.n_boroughs
        span_s, span_i = area_spans(ctx.wards, sup)
        return Built(
            fields={"span_sergeant": span_s, "span_inspector": span_i},
            supervisors=SupervisorBounds(
                lo_s=np.full(nb, sup.min_sergeants_per_borough, dtype=np.int64),
                lo_i=np.full(nb, sup.min_inspectors_per_borough, dtype=np.int64),
            ),
        )

    def rows(self, prob: AllocationProblem) -> list[RowBlock]:
        """Per borough, its heads within the sergeants' span and its sergeants within the inspectors'."""
        nb, w = prob.n_boroughs, prob.n_wards
        labels = tuple(prob.borough_label(b) for b in range(nb))
        heads = ward_rows(w, prob.borough, np.ones(w), nb)
        eye = sp.identity(nb, format="csr")
        zeros, open_lo = np.zeros(nb), np.full(nb, -np.inf)
        return [
            RowBlock(
                self.key,
                "span",
                labels,
                {"x": heads, "p": heads, "s": -sp.diags(prob.span_sergeant, format="csr")},
                open_lo,
                zeros,
            ),
            RowBlock(
                self.key,
                "inspect",
                labels,
                {"s": eye, "i": -sp.diags(prob.span_inspector, format="csr")},
                open_lo,
                zeros,
                unit="sergeants",
            ),
        ]

    def row_title(self, name: str) -> str:
        """The sergeant span or the inspector span."""
        return "sergeant span" if name == "span" else "inspector span"

    def check(self, prob: AllocationProblem, plan: Deployment) -> list[RuleCheck]:
        """Every borough's spans kept and its least supervisors met."""
        bx, bp = plan.borough_heads(prob.borough, prob.n_boroughs)
        heads = bx + bp
        over_s = np.flatnonzero(heads > prob.span_sergeant * plan.s + FEASIBILITY)
        over_i = np.flatnonzero(plan.s > prob.span_inspector * plan.i + FEASIBILITY)
        short = np.flatnonzero((plan.s < prob.min_sergeants) | (plan.i < prob.min_inspectors))

        def where(bs: np.ndarray) -> str:
            return ", ".join(prob.borough_label(int(b)) for b in bs[:5])

        return [
            RuleCheck("sergeant_span", not len(over_s), f"too few sergeants in {where(over_s)}" if len(over_s) else ""),
            RuleCheck(
                "inspector_span", not len(over_i), f"too few inspectors in {where(over_i)}" if len(over_i) else ""
            ),
            RuleCheck("min_supervisors", not len(short), f"below the minimum in {where(short)}" if len(short) else ""),
        ]

    def conflicts(self, prob: AllocationProblem) -> list[str]:
        """More sergeants or inspectors needed for the ward floors than there are."""
        out = []
        heads, s, i = least_supervisors(prob)
        if s.sum() > prob.headcount[SERGEANT]:
            out.append(
                f"ward floors put at least {fmt_n(heads.sum())} constables and PCSOs in {prob.n_boroughs} boroughs; "
                f"at a sergeant span of {span_text(prob.span_sergeant)} (and at least "
                f"{int(prob.min_sergeants.max())} per borough) they need {fmt_n(s.sum())} sergeants but only "
                f"{fmt_n(prob.headcount[SERGEANT])} are available"
            )
        if i.sum() > prob.headcount[INSPECTOR]:
            out.append(
                f"the {fmt_n(s.sum())} sergeants the ward floors need, at an inspector span of "
                f"{span_text(prob.span_inspector)} (and at least {int(prob.min_inspectors.max())} per borough), need "
                f"{fmt_n(i.sum())} inspectors but only {fmt_n(prob.headcount[INSPECTOR])} are available"
            )
        over_s = np.flatnonzero((s > prob.max_sergeants) & (prob.max_sergeants < prob.headcount[SERGEANT]))
        for b in over_s[:5]:
            out.append(
                f"{prob.borough_label(int(b))}: its ward floors need {fmt_n(s[b])} sergeants but its cap is "
                f"{fmt_n(prob.max_sergeants[b])}"
            )
        return out

    def binding(self, prob: AllocationProblem, plan: Deployment) -> list[str]:
        """Sergeants or inspectors all deployed, with what they can supervise."""
        out = []
        if int(plan.s.sum()) >= int(prob.headcount[SERGEANT]):
            bx, bp = plan.borough_heads(prob.borough, prob.n_boroughs)
            out.append(
                f"all {fmt_n(prob.headcount[SERGEANT])} sergeants are deployed: at a span of "
                f"{span_text(prob.span_sergeant)} they can supervise "
                f"{fmt_n(np.floor(prob.span_sergeant * plan.s).sum())} constables and PCSOs, and "
                f"{fmt_n((bx + bp).sum())} are deployed"
            )
        if int(plan.i.sum()) >= int(prob.headcount[INSPECTOR]):
            out.append(
                f"all {fmt_n(prob.headcount[INSPECTOR])} inspectors are deployed: at a span of "
                f"{span_text(prob.span_inspector)} they can lead "
                f"{fmt_n(np.floor(prob.span_inspector * plan.i).sum())} sergeants"
            )
        return out
