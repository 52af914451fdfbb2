"""Comparing solved plans: headline figures side by side, and what changed ward by ward.

"Need covered" needs a standard to be measured against: a ward is fully
covered when it has at least ``standard`` effective officers per unit of
need, and partly covered below that (in proportion). The share of London's
need that is covered, weighted by need, is

    sum_w need_w * min(1, e_w / (standard * need_w)) / sum_w need_w

with ``e_w`` the ward's effective officers. The app uses the London average
of the first plan compared as the standard, so the first plan's figure shows
how evenly it spreads its officers and the others show what they add or lose.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from planner.app.area import ALL_WARDS, Area, area_totals, borough_mask, ward_mask
from planner.app.layers import effective_officers, officers_per_need
from planner.report.plain import certificate, money, status_words
from planner.report.result import Plan
from planner.rules.supervision import span_text
from planner.scenario import RANKS


def london_standard(plan: Plan) -> float:
    """London-wide effective officers per unit of need of ``plan``."""
    return float(effective_officers(plan).sum() / max(float(np.sum(plan.wards.need)), 1e-12))


def need_covered(plan: Plan, standard: float, mask: np.ndarray | None = None) -> float:
    """Share of need (0-1) covered at ``standard`` effective officers per unit of need (in the wards of ``mask``)."""
    need = np.asarray(plan.wards.need, dtype=float)
    eff = effective_officers(plan)
    if mask is not None:
        need, eff = need[mask], eff[mask]
    if standard <= 0:
        return 1.0
    target = standard * need
    with np.errstate(divide="ignore", invalid="ignore"):
        cover = np.where(target > 0, np.minimum(1.0, eff / np.where(target > 0, target, 1.0)), 1.0)
    return float(np.sum(need * cover) / max(need.sum(), 1e-12))


def _pct(v: float) -> str:
    return f"{100 * v:.1f}%"


def worst_served(plan: Plan, n: int = 5, mask: np.ndarray | None = None) -> pd.DataFrame:
    """The ``n`` wards (of ``mask``) with the fewest effective officers per unit of need."""
    w = plan.wards
    opn = officers_per_need(plan)
    pool = np.arange(w.n_wards) if mask is None else np.flatnonzero(mask)
    order = pool[np.argsort(opn[pool], kind="stable")[:n]]
    return pd.DataFrame(
        {
            "ward_code": w.codes[order],
            "ward": w.names[order],
            "borough": w.borough_names[w.borough][order],
            "need": np.asarray(w.need)[order],
            "constables": np.asarray(plan.constables)[order],
            "pcsos": np.asarray(plan.pcsos)[order],
            "officers_per_need": opn[order],
        }
    )


def spans(plan: Plan, boroughs: np.ndarray | None = None) -> dict[str, float]:
    """Actual spans of control: over the boroughs of ``boroughs`` (all by default) and the widest of them."""
    w = plan.wards
    nb = w.n_boroughs
    heads = np.bincount(w.borough, weights=plan.constables, minlength=nb) + np.bincount(
        w.borough, weights=plan.pcsos, minlength=nb
    )
    s = np.asarray(plan.sergeants, dtype=float)
    i = np.asarray(plan.inspectors, dtype=float)
    if boroughs is not None:
        heads, s, i = heads[boroughs], s[boroughs], i[boroughs]
    with np.errstate(divide="ignore", invalid="ignore"):
        per_s = np.where(s > 0, heads / np.where(s > 0, s, 1), np.inf)
        per_i = np.where(i > 0, s / np.where(i > 0, i, 1), np.inf)
    return {
        "sergeant": float(heads.sum() / max(s.sum(), 1)),
        "sergeant_widest": float(per_s.max()) if len(s) else 0.0,
        "inspector": float(s.sum() / max(i.sum(), 1)),
        "inspector_widest": float(per_i.max()) if len(i) else 0.0,
    }


def plan_metrics(plan: Plan, standard: float | None = None, area: Area = ALL_WARDS) -> dict[str, float]:
    """Headline figures of a plan in ``area`` (numbers), the basis of :func:`compare_table`."""
    std = london_standard(plan) if standard is None else standard
    inside = ward_mask(plan.wards, area)
    opn = officers_per_need(plan)[inside]
    finite = opn[np.isfinite(opn)]
    out: dict[str, float] = {}
    avail = plan.workforce.headcount
    totals = area_totals(plan, area)
    deployed = (totals.constables, totals.pcsos, totals.sergeants or 0, totals.inspectors or 0)
    for k, rank in enumerate(RANKS):
        out[f"{rank}_deployed"] = float(deployed[k])
        out[f"{rank}_available"] = float(avail[k])
    out["cost_m"] = (totals.cost or 0.0) / 1e6
    out["budget_m"] = np.nan if plan.problem.budget is None else plan.problem.budget / 1e6
    out["need_covered"] = need_covered(plan, std, inside)
    out["standard"] = std
    need = float(np.asarray(plan.wards.need, dtype=float)[inside].sum())
    out["officers_per_need_mean"] = float(effective_officers(plan)[inside].sum() / need) if need > 0 else np.nan
    out["officers_per_need_p10"] = float(np.quantile(finite, 0.1)) if finite.size else np.nan
    out["officers_per_need_min"] = float(finite.min()) if finite.size else np.nan
    at_floor = np.asarray(plan.constables) <= np.asarray(plan.problem.lo_x)
    out["wards_at_floor"] = float(np.sum(at_floor[inside]))
    out.update({f"span_{k}": v for k, v in spans(plan, borough_mask(plan.wards, area)).items()})
    out["gap"] = float(plan.gap)
    out["solve_seconds"] = float(plan.solve_seconds)
    return out


def compare_table(
    plans: Mapping[str, Plan], standard: float | None = None, worst: int = 3, area: Area = ALL_WARDS
) -> pd.DataFrame:
    """Side-by-side figures of several plans in ``area``: one column per plan, one row per figure (as text).

    Parameters
    ----------
    plans : mapping of label -> Plan
        In display order; the first sets the need-covered standard unless ``standard`` is given.
    standard : float, optional
        Effective officers per unit of need that count as fully covered.
    worst : int
        How many worst-served wards to name.
    area : Area
        The wards and boroughs the figures are about (all by default).
    """
    if not plans:
        return pd.DataFrame()
    first = next(iter(plans.values()))
    std = london_standard(first) if standard is None else standard
    rows: dict[str, dict[str, str]] = {}
    name = {"constable": "Constables", "pcso": "PCSOs", "sergeant": "Sergeants", "inspector": "Inspectors"}
    for label, plan in plans.items():
        m = plan_metrics(plan, std, area)
        col: dict[str, str] = {"Status": f"{status_words(plan.status)} ({certificate(plan.status, m['gap'])})"}
        for rank in RANKS:
            if area.is_all:
                col[f"{name[rank]} deployed / available"] = (
                    f"{int(m[f'{rank}_deployed']):,} / {int(m[f'{rank}_available']):,}"
                )
            else:
                col[f"{name[rank]} in {area.name}"] = f"{int(m[f'{rank}_deployed']):,}"
        col["Annual pay cost"] = f"{money(m['cost_m'] * 1e6)} a year"
        if area.is_all:
            col["Budget"] = money(m["budget_m"] * 1e6, missing="none")
        col[f"Need covered (at {std:.2f} officers per need)"] = _pct(m["need_covered"])
        col["Officers per need: average"] = f"{m['officers_per_need_mean']:.2f}"
        col["Officers per need: worst 10% of wards below"] = f"{m['officers_per_need_p10']:.2f}"
        ws = worst_served(plan, worst, ward_mask(plan.wards, area))
        col["Worst-served wards"] = "; ".join(
            f"{r.ward} ({r.borough}) {r.officers_per_need:.2f}" for r in ws.itertuples(index=False)
        )
        col["Wards at the constable floor"] = f"{int(m['wards_at_floor']):,}"
        col["Constables + PCSOs per sergeant (widest borough)"] = (
            f"{m['span_sergeant']:.1f} ({m['span_sergeant_widest']:.1f})"
        )
        col["Sergeants per inspector (widest borough)"] = (
            f"{m['span_inspector']:.1f} ({m['span_inspector_widest']:.1f})"
        )
        col["Solve time"] = f"{m['solve_seconds']:.2f} s"
        rows[label] = col
    return pd.DataFrame(rows)


def same_wards(a: Plan, b: Plan) -> bool:
    """Whether two plans cover the same wards in the same order."""
    return len(a.wards.codes) == len(b.wards.codes) and bool(np.all(a.wards.codes == b.wards.codes))


def ward_difference(a: Plan, b: Plan) -> pd.DataFrame:
    """Per ward: constables and PCSOs in ``a`` and ``b`` and the change (b - a), largest changes first.

    Raises
    ------
    ValueError
        If the plans cover different wards (different data).
    """
    if not same_wards(a, b):
        raise ValueError("the two plans cover different wards (different data); compare plans on the same data")
    w = a.wards
    dx = np.asarray(b.constables) - np.asarray(a.constables)
    dp = np.asarray(b.pcsos) - np.asarray(a.pcsos)
    out = pd.DataFrame(
        {
            "ward_code": w.codes,
            "ward": w.names,
            "borough": w.borough_names[w.borough],
            "bcu": w.ward_bcu,
            "need_a": np.asarray(a.wards.need),
            "need_b": np.asarray(b.wards.need),
            "constables_a": a.constables,
            "constables_b": b.constables,
            "constables_change": dx,
            "pcsos_a": a.pcsos,
            "pcsos_b": b.pcsos,
            "pcsos_change": dp,
            "total_change": dx + dp,
        }
    )
    order = np.lexsort((out["ward_code"].to_numpy(), -np.abs(out["total_change"].to_numpy())))
    return out.iloc[order].reset_index(drop=True)


def borough_difference(a: Plan, b: Plan) -> pd.DataFrame:
    """Per borough: every rank in ``a`` and ``b`` and the change (b - a), and the cost change (pounds a year)."""
    if not same_wards(a, b):
        raise ValueError("the two plans cover different wards (different data); compare plans on the same data")
    ta, tb = a.borough_table(), b.borough_table()
    out = ta[["borough", "bcu"]].copy()
    for col in ("constables", "pcsos", "sergeants", "inspectors", "cost"):
        out[f"{col}_a"] = ta[col].to_numpy()
        out[f"{col}_b"] = tb[col].to_numpy()
        out[f"{col}_change"] = tb[col].to_numpy() - ta[col].to_numpy()
    return out


def gains_and_losses(a: Plan, b: Plan, mask: np.ndarray | None = None) -> pd.DataFrame:
    """Going from ``a`` to ``b`` in the wards of ``mask``: per rank, wards and people gained and lost, and the net.

    Sergeants and inspectors are per borough: their rows count boroughs instead of wards.
    """
    if not same_wards(a, b):
        raise ValueError("the two plans cover different wards (different data); compare plans on the same data")
    inside = np.ones(a.wards.n_wards, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    binside = np.zeros(a.wards.n_boroughs, dtype=bool)
    binside[np.asarray(a.wards.borough)[inside]] = True
    rows = []
    for rank, xa, xb, sel, unit in (
        ("Constables", a.constables, b.constables, inside, "wards"),
        ("PCSOs", a.pcsos, b.pcsos, inside, "wards"),
        ("Sergeants", a.sergeants, b.sergeants, binside, "boroughs"),
        ("Inspectors", a.inspectors, b.inspectors, binside, "boroughs"),
    ):
        d = (np.asarray(xb, dtype=np.int64) - np.asarray(xa, dtype=np.int64))[sel]
        rows.append(
            {
                "Rank": rank,
                "Gained": f"+{int(d[d > 0].sum()):,} in {int((d > 0).sum()):,} {unit}",
                "Lost": f"-{int(-d[d < 0].sum()):,} in {int((d < 0).sum()):,} {unit}",
                "Net": f"{int(d.sum()):+,}",
            }
        )
    return pd.DataFrame(rows)


def change_summary(a: Plan, b: Plan) -> dict[str, int]:
    """Going from ``a`` to ``b``: per rank, people added to wards, taken from wards, and moved.

    A ward that gains while another loses counts as a move; what is gained
    beyond what is lost elsewhere is new headcount (and the reverse, people
    leaving neighbourhood roles).
    """
    if not same_wards(a, b):
        raise ValueError("the two plans cover different wards (different data); compare plans on the same data")
    out: dict[str, int] = {}
    for name, xa, xb in (("constables", a.constables, b.constables), ("pcsos", a.pcsos, b.pcsos)):
        d = np.asarray(xb, dtype=np.int64) - np.asarray(xa, dtype=np.int64)
        gained, lost = int(d[d > 0].sum()), int(-d[d < 0].sum())
        out[f"{name}_gained"] = gained
        out[f"{name}_lost"] = lost
        out[f"{name}_moved"] = min(gained, lost)
        out[f"{name}_wards_changed"] = int(np.count_nonzero(d))
    return out


def unused_headcount(plan: Plan) -> list[str]:
    """Why some available people are not deployed, one sentence per rank left over (empty if none)."""
    m = plan_metrics(plan)
    prob = plan.problem
    out: list[str] = []
    heads_left = (m["constable_available"] - m["constable_deployed"]) + (m["pcso_available"] - m["pcso_deployed"])
    if heads_left <= 0:
        return out
    left = [
        f"{int(m[f'{r}_available'] - m[f'{r}_deployed']):,} {name}"
        for r, name in (("constable", "constables"), ("pcso", "PCSOs"))
        if m[f"{r}_available"] > m[f"{r}_deployed"]
    ]
    why = []
    if m["sergeant_deployed"] >= m["sergeant_available"]:
        cap = float(np.floor(prob.span_sergeant * plan.sergeants).sum())
        why.append(
            f"all {int(m['sergeant_available']):,} sergeants are deployed and at a span of "
            f"{span_text(prob.span_sergeant)} "
            f"they supervise at most {cap:,.0f} constables and PCSOs (add sergeants or widen the span)"
        )
    if m["inspector_deployed"] >= m["inspector_available"]:
        cap = float(np.floor(prob.span_inspector * plan.inspectors).sum())
        why.append(
            f"all {int(m['inspector_available']):,} inspectors are deployed and at a span of "
            f"{span_text(prob.span_inspector)} "
            f"they supervise at most {cap:,.0f} sergeants (add inspectors or widen the span)"
        )
    if prob.budget is not None and prob.budget - plan.cost_annual < float(prob.cost[:2].max()):
        why.append(f"the budget of £{prob.budget / 1e6:,.1f}m a year is spent")
    if not why:
        why.append("one more officer would cost more than the value it adds (the objective's cost term)")
    out.append(f"{' and '.join(left)} not deployed: " + "; ".join(why) + ".")
    return out
