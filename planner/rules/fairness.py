"""Fairness: officers per unit of need in every IMD decile within a band around London's rate.

``rules.fairness``: ``tolerance`` (off unless given), ``by`` (``imd_decile``, or
``<group>_share_quintile``) and ``officers`` (``all``: constables plus PCSOs, the
equity lens's officers; ``constables``; ``separately``: constables and PCSOs each).

With ``s_g`` group ``g``'s share of London's need, ``X_g`` the officers the plan
puts in its wards and ``X`` the officers it deploys in all, group ``g``'s
officers per unit of need against London's is ``X_g / (s_g X)`` (the
``need_index`` of ``equity.csv`` when ``officers: all``). The rule keeps it
within ``1 +- tolerance`` with two linear rows per group::

    X_g - L_g * X >= 0        L_g = (1 - tolerance) * s_g, rounded up to 1e-9
    X_g - U_g * X <= 0        U_g = (1 + tolerance) * s_g, rounded down to 1e-9

that is, per ward ``w`` a coefficient ``[w in g] - L_g`` on its constables (and
PCSOs). The factors are rounded inwards to nine decimals so that CP-SAT states
the rows exactly in whole numbers (scaled by 10**9) and a plan keeping the rows
keeps the band exactly. ``X`` is the plan's own total, so the rule says how
officers are shared, not how many are deployed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from planner.errors import ScenarioError
from planner.problem import AllocationProblem, Deployment
from planner.ranks import CONSTABLE, PCSO
from planner.rules.base import BuildContext, Built, RowBlock, Rule, RuleCheck, RuleKey, fmt_n
from planner.tolerances import FEASIBILITY

DIGITS = 9
"""The factors ``L_g`` and ``U_g`` are whole multiples of ``10**-DIGITS`` (CP-SAT scales rows by at most 10**9)."""

COUNTS: dict[str, tuple[tuple[tuple[str, ...], str], ...]] = {
    "all": ((("x", "p"), "constables and PCSOs"),),
    "constables": ((("x",), "constables"),),
    "separately": ((("x",), "constables"), (("p",), "PCSOs")),
}
"""Per ``officers`` setting, what each set of rows counts: the ward terms, and their name in words."""


@dataclass(frozen=True, eq=False)
class FairnessParams:
    """The fairness rule on one problem (kept in ``AllocationProblem.params["fairness"]``).

    Attributes
    ----------
    by : str
        The grouping (``imd_decile``, ``<group>_share_quintile``).
    tolerance : float
    officers : str
        ``all``, ``constables`` or ``separately`` (see :data:`COUNTS`).
    group : (W,) int
        Group of each ward (index into ``labels``; -1: a ward in no group the rule bounds).
    labels : tuple of str
        Each group in words ("IMD decile 1 (most deprived)").
    share : (G,) float
        Each group's share of London's need.
    lo_factor, hi_factor : (G,) float
        ``L_g`` and ``U_g``: the group holds at least ``L_g`` and at most ``U_g`` of the officers counted.
    """

    by: str
    tolerance: float
    officers: str
    group: np.ndarray
    labels: tuple[str, ...]
    share: np.ndarray
    lo_factor: np.ndarray
    hi_factor: np.ndarray

    @property
    def n_groups(self) -> int:
        """Number of groups G."""
        return len(self.labels)

    @property
    def counts(self) -> tuple[tuple[tuple[str, ...], str], ...]:
        """What each set of rows counts (ward terms, words)."""
        return COUNTS[self.officers]


def fairness_params(
    need: np.ndarray, group: np.ndarray, labels: tuple[str, ...], tolerance: float, officers: str, by: str
) -> FairnessParams:
    """The rule's parameters from each ward's need and group.

    Parameters
    ----------
    need : (W,) float
    group : (W,) int
        Group of each ward, 0..G-1.
    labels : tuple of str
        The G groups in words.
    tolerance : float
        In [0, 1].
    officers : str
        A key of :data:`COUNTS`.
    by : str
        The grouping's name (for messages and the summary).
    """
    need = np.asarray(need, dtype=float)
    group = np.asarray(group, dtype=np.int64)
    n_groups = len(labels)
    share = np.bincount(group, weights=need, minlength=n_groups) / max(float(need.sum()), 1e-300)
    scale = 10.0**DIGITS
    lo = np.ceil((1.0 - tolerance) * share * scale) / scale
    hi = np.floor((1.0 + tolerance) * share * scale) / scale
    hi[share <= 0] = 1.0  # a group without need is not bounded (no officers would be allowed there)
    for arr in (group, share, lo, hi):
        arr.setflags(write=False)
    return FairnessParams(by, float(tolerance), officers, group, tuple(labels), share, lo, hi)


def group_label(by: str, key: int, n_keys_max: int = 5) -> str:
    """A group in words: ``IMD decile 1 (most deprived)``, ``Black share quintile 5 (highest)``."""
    if by == "imd_decile":
        end = {1: " (most deprived)", 10: " (least deprived)"}.get(key, "")
        return f"IMD decile {key}{end}"
    name = by.removesuffix("_share_quintile").capitalize()
    end = {1: " (lowest)", n_keys_max: " (highest)"}.get(key, "")
    return f"{name} share quintile {key}{end}"


def _grouping(ctx: BuildContext, by: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """Each ward's group under ``by`` and the groups' labels; a clear error when the data has none."""
    eq = ctx.wards.equity
    synthetic = ctx.scenario.data.source == "synthetic"
    if by == "imd_decile" and (eq is None or not eq.has_deprivation):
        where = (
            "set data.synthetic.equity: true (generated, illustrative deprivation)"
            if synthetic
            else "set data.deprivation (the IMD file per LSOA, e.g. imd2025_lsoa21_london.csv) and data.lsoa_lookup"
        )
        raise ScenarioError(f"rules.fairness.by: imd_decile needs each ward's IMD decile, but the scenario has no "
                            f"deprivation data: {where}")  # fmt: skip
    groupings = {g.name: g for g in (eq.groupings() if eq is not None else [])}
    if by not in groupings:
        known = ", ".join(sorted(groupings)) or "none (set data.deprivation or data.ethnicity)"
        raise ScenarioError(f"rules.fairness.by: {by} is not a grouping of this scenario's wards; known: {known}")
    g = groupings[by]
    top = max(g.keys) if g.keys else 1
    return np.asarray(g.index, dtype=np.int64), tuple(group_label(by, int(k), top) for k in g.keys)


def _sum(plan: Deployment, terms: tuple[str, ...]) -> np.ndarray:
    return sum((np.asarray(plan.x if t == "x" else plan.p, dtype=float) for t in terms), np.zeros(len(plan.x)))


def group_officers(fp: FairnessParams, plan: Deployment, terms: tuple[str, ...]) -> tuple[np.ndarray, float]:
    """Officers counted (``terms``) in each group, and in all, for a plan."""
    counted = _sum(plan, terms)
    keep = fp.group >= 0
    per = np.bincount(fp.group[keep], weights=counted[keep], minlength=fp.n_groups)
    return per, float(counted.sum())


class Fairness(Rule):
    """Officers per unit of need in every group of wards within ``tolerance`` of London's."""

    key = RuleKey.FAIRNESS
    title = "officers per unit of need by group of wards"

    @staticmethod
    def params(prob: AllocationProblem) -> FairnessParams | None:
        """The rule's parameters on ``prob`` (None: the rule is off)."""
        fp = prob.params.get(RuleKey.FAIRNESS.value)
        return fp if isinstance(fp, FairnessParams) else None

    def build(self, ctx: BuildContext) -> Built | None:
        """The groups of wards, their shares of need and the band (None when the rule is off)."""
        spec = ctx.scenario.rules.fairness
        if spec.tolerance is None:
            return None
        group, labels = _grouping(ctx, spec.by)
        return Built(params=fairness_params(ctx.wards.need, group, labels, spec.tolerance, spec.officers, spec.by))

    def rows(self, prob: AllocationProblem) -> list[RowBlock]:
        """Per count of officers, rows keeping each group's share within the band (a lower and an upper side)."""
        fp = self.params(prob)
        if fp is None:
            return []
        n = prob.n_wards
        member = sp.csr_matrix(
            (np.ones(int((fp.group >= 0).sum())), (fp.group[fp.group >= 0], np.flatnonzero(fp.group >= 0))),
            shape=(fp.n_groups, n),
        )
        out = []
        for terms, words in fp.counts:
            for side, factor in (("lo", fp.lo_factor), ("hi", fp.hi_factor)):
                live = np.flatnonzero(factor > 0) if side == "lo" else np.flatnonzero(factor < 1)
                if not len(live):
                    continue
                coef = sp.csr_matrix(member[live].toarray() - factor[live, None])
                zero, open_ = np.zeros(len(live)), np.full(len(live), np.inf)
                out.append(
                    RowBlock(
                        self.key,
                        f"fair_{side}_{terms[-1]}" if len(terms) == 1 else f"fair_{side}",
                        tuple(f"{fp.labels[g]}: {words}" for g in live),
                        {t: coef for t in terms},
                        zero if side == "lo" else -open_,
                        open_ if side == "lo" else zero,
                    )
                )
        return out

    def check(self, prob: AllocationProblem, plan: Deployment) -> list[RuleCheck]:
        """Every group's officers per unit of need within the band around London's rate."""
        fp = self.params(prob)
        if fp is None:
            return [RuleCheck("fairness", True)]
        faults = []
        for terms, words in fp.counts:
            per, total = group_officers(fp, plan, terms)
            low = per < fp.lo_factor * total - FEASIBILITY
            high = (fp.hi_factor < 1) & (per > fp.hi_factor * total + FEASIBILITY)
            for g in np.flatnonzero(low | high):
                index = per[g] / (fp.share[g] * total) if fp.share[g] > 0 and total > 0 else float("nan")
                faults.append(f"{fp.labels[g]} has {fmt_n(per[g])} {words}, {index:.3f} of London's rate per unit "
                              "of need")  # fmt: skip
        return [RuleCheck("fairness", not faults, "; ".join(faults[:5]))]

    def conflicts(self, prob: AllocationProblem) -> list[str]:
        """What the ward floors and caps and the headcount alone rule out, per group."""
        fp = self.params(prob)
        if fp is None:
            return []
        out = []
        pct = f"{100 * fp.tolerance:g} %"
        for terms, words in fp.counts:
            cap_rank = {"x": prob.headcount[CONSTABLE], "p": prob.headcount[PCSO]}
            lo_w, hi_w = np.zeros(prob.n_wards), np.zeros(prob.n_wards)
            for t in terms:
                lo_w += prob.lo_x if t == "x" else prob.lo_p
                hi_w += np.minimum(prob.hi_x if t == "x" else prob.hi_p, cap_rank[t])
            heads = float(sum(cap_rank[t] for t in terms))
            keep = fp.group >= 0
            floors = np.bincount(fp.group[keep], weights=lo_w[keep], minlength=fp.n_groups)
            caps = np.bincount(fp.group[keep], weights=hi_w[keep], minlength=fp.n_groups)
            all_floors, all_caps = float(lo_w.sum()), float(hi_w.sum())
            for g in range(fp.n_groups):
                other_floor = all_floors - floors[g]
                most = min(caps[g], heads - other_floor)
                least = fp.lo_factor[g] * other_floor / max(1.0 - fp.lo_factor[g], 1e-300)
                if most < least - FEASIBILITY:
                    out.append(
                        f"{fp.labels[g]} needs at least {fmt_n(np.ceil(least - 1e-9))} {words} to stay within {pct} "
                        f"of London's {words} per unit of need (the other wards' floors alone are "
                        f"{fmt_n(other_floor)}), but its wards can hold at most {fmt_n(most)}"
                    )
                other_most = min(all_caps - caps[g], heads - floors[g])
                if fp.hi_factor[g] < 1 and floors[g] * (1.0 - fp.hi_factor[g]) > fp.hi_factor[g] * other_most + 1e-9:
                    allowed = fp.hi_factor[g] * other_most / max(1.0 - fp.hi_factor[g], 1e-300)
                    out.append(
                        f"{fp.labels[g]}'s ward floors need {fmt_n(floors[g])} {words}, but to stay within {pct} of "
                        f"London's {words} per unit of need it may have at most {fmt_n(np.floor(allowed + 1e-9))} "
                        f"(the other wards can hold at most {fmt_n(other_most)})"
                    )
        return out

    def binding(self, prob: AllocationProblem, plan: Deployment) -> list[str]:
        """The groups held at the band's edge: one officer moved out of (or into) them would break the rule."""
        fp = self.params(prob)
        if fp is None:
            return []
        out = []
        pct = f"{100 * fp.tolerance:g} %"
        need_total = float(prob.need.sum())
        for terms, words in fp.counts:
            per, total = group_officers(fp, plan, terms)
            if total <= 0:
                continue
            rate = total / need_total
            for g in range(fp.n_groups):
                need_g = fp.share[g] * need_total
                own = f"the plan gives it {fmt_n(per[g])} ({per[g] / max(need_g, 1e-300):.2f} per unit of need)"
                least, most = fp.lo_factor[g] * total, fp.hi_factor[g] * total
                at_floor = fp.lo_factor[g] > 0 and per[g] - least < 1.0
                at_ceiling = fp.hi_factor[g] < 1 and most - per[g] < 1.0
                fewest, largest = fmt_n(np.ceil(least - 1e-9)), fmt_n(np.floor(most + 1e-9))
                band = f"to stay within {pct} of London's {rate:.2f} {words} per unit of need; {own}"
                if at_floor and at_ceiling:
                    out.append(f"{fp.labels[g]} may have only {fewest} to {largest} {words} {band}")
                elif at_floor:
                    out.append(f"{fp.labels[g]} needs at least {fewest} {words} {band}")
                elif at_ceiling:
                    out.append(f"{fp.labels[g]} may have at most {largest} {words} {band}")
        return out

    def row_title(self, name: str) -> str:
        """Officers per unit of need by group of wards."""
        return "officers per unit of need by group of wards (fairness)"
