"""Why no plan exists, in plain words with numbers.

Each check compares what a small set of rules needs at the least with what
is available, and names the rules: "ward floors need 1,358 constables but
only 1,200 are available". :func:`explain_infeasibility` runs them all (cheap
arithmetic, before any solver) and returns every conflict it finds; the
first one found is the smallest set, since each check involves at most three
rules.
"""

from __future__ import annotations

import numpy as np

from planner.problem import INF_INT, AllocationProblem
from planner.ranks import CONSTABLE, INSPECTOR, PCSO, SERGEANT


def _n(v: float) -> str:
    return f"{round(v):,}"


def _money(v: float) -> str:
    return f"£{v:,.0f}"


def _ward_bounds(prob: AllocationProblem, codes: np.ndarray | None) -> list[str]:
    out = []
    for name, lo, hi in (("constables", prob.lo_x, prob.hi_x), ("PCSOs", prob.lo_p, prob.hi_p)):
        bad = np.flatnonzero(lo > hi)
        if len(bad):
            shown = ", ".join(
                f"{codes[w] if codes is not None else w} (at least {lo[w]}, at most {hi[w]})" for w in bad[:5]
            )
            more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
            out.append(
                f"ward floor, ward cap and stability window leave no room for {name} in {len(bad)} "
                f"ward(s): {shown}{more}"
            )
    return out


def _floors(prob: AllocationProblem) -> list[str]:
    out = []
    w = prob.n_wards
    for rank, name, lo in ((CONSTABLE, "constables", prob.lo_x), (PCSO, "PCSOs", prob.lo_p)):
        need, have = int(lo.sum()), int(prob.headcount[rank])
        if need > have:
            per = f" ({int(lo.max())} per ward x {w:,} wards)" if lo.min() == lo.max() else ""
            out.append(f"ward floors need {_n(need)} {name}{per} but only {_n(have)} are available")
    return out


def _minimum_supervisors(prob: AllocationProblem) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    nb = prob.n_boroughs
    heads = np.bincount(prob.borough, weights=prob.lo_x + prob.lo_p, minlength=nb)
    heads = np.maximum(heads, prob.borough_heads_lo)
    s = prob.sergeants_needed(heads)
    return heads, s, prob.inspectors_needed(s)


def _supervision(prob: AllocationProblem) -> list[str]:
    out = []
    heads, s, i = _minimum_supervisors(prob)
    if s.sum() > prob.headcount[SERGEANT]:
        out.append(
            f"ward floors put at least {_n(heads.sum())} constables and PCSOs in {prob.n_boroughs} boroughs; "
            f"at a sergeant span of {prob.span_sergeant:g} (and at least {int(prob.min_sergeants.max())} per "
            f"borough) they need {_n(s.sum())} sergeants but only {_n(prob.headcount[SERGEANT])} are available"
        )
    if i.sum() > prob.headcount[INSPECTOR]:
        out.append(
            f"the {_n(s.sum())} sergeants the ward floors need, at an inspector span of {prob.span_inspector:g} "
            f"(and at least {int(prob.min_inspectors.max())} per borough), need {_n(i.sum())} inspectors "
            f"but only {_n(prob.headcount[INSPECTOR])} are available"
        )
    over_s = np.flatnonzero((s > prob.max_sergeants) & (prob.max_sergeants < prob.headcount[SERGEANT]))
    for b in over_s[:5]:
        out.append(f"borough {b}: its ward floors need {_n(s[b])} sergeants but its cap is {_n(prob.max_sergeants[b])}")
    return out


def _budget(prob: AllocationProblem) -> list[str]:
    if prob.budget is None:
        return []
    _, s, i = _minimum_supervisors(prob)
    cheapest = prob.annual_cost(prob.lo_x, prob.lo_p, s, i)
    if cheapest > prob.budget:
        return [
            f"the cheapest plan that meets the ward floors and spans of control costs {_money(cheapest)} a year "
            f"but the budget is {_money(prob.budget)}"
        ]
    return []


def _boroughs(prob: AllocationProblem, borough_names: np.ndarray | None) -> list[str]:
    out = []
    nb = prob.n_boroughs
    name = (lambda b: str(borough_names[b])) if borough_names is not None else (lambda b: f"borough {b}")
    total_lo = int(prob.borough_heads_lo.sum())
    avail = int(prob.headcount[CONSTABLE] + prob.headcount[PCSO])
    if total_lo > avail:
        out.append(
            f"borough share minimums need {_n(total_lo)} constables and PCSOs but only {_n(avail)} are available"
        )
    fx = np.bincount(prob.borough, weights=prob.lo_x, minlength=nb)
    fp = np.bincount(prob.borough, weights=prob.lo_p, minlength=nb)
    for b in range(nb):
        if fx[b] > prob.borough_cap_x[b] and prob.borough_cap_x[b] < prob.headcount[CONSTABLE]:
            out.append(f"{name(b)}: ward floors need {_n(fx[b])} constables but its cap is {_n(prob.borough_cap_x[b])}")
        if fp[b] > prob.borough_cap_p[b] and prob.borough_cap_p[b] < prob.headcount[PCSO]:
            out.append(f"{name(b)}: ward floors need {_n(fp[b])} PCSOs but its cap is {_n(prob.borough_cap_p[b])}")
        if prob.borough_heads_hi[b] < INF_INT and fx[b] + fp[b] > prob.borough_heads_hi[b]:
            out.append(
                f"{name(b)}: ward floors need {_n(fx[b] + fp[b])} constables and PCSOs but the borough share "
                f"maximum allows {_n(prob.borough_heads_hi[b])}"
            )
    return out


def _stability(prob: AllocationProblem) -> list[str]:
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
            f"the baseline breaks ward floors or caps in {int((dist > 0).sum())} wards; bringing them within the "
            f"rules moves at least {_n(need)} people but the stability limit is {_n(prob.max_moves)}"
        )
    cut_x = max(0, int(prob.base_x.sum()) - int(prob.headcount[CONSTABLE]))
    cut_p = max(0, int(prob.base_p.sum()) - int(prob.headcount[PCSO]))
    if (cut_x + cut_p + 1) // 2 > prob.max_moves:
        out.append(
            f"the baseline deploys {_n(prob.base_x.sum())} constables and {_n(prob.base_p.sum())} PCSOs but only "
            f"{_n(prob.headcount[CONSTABLE])} and {_n(prob.headcount[PCSO])} are available; taking the "
            f"{_n(cut_x + cut_p)} extra out of their wards counts as {_n((cut_x + cut_p + 1) // 2)} moves but the "
            f"stability limit is {_n(prob.max_moves)}"
        )
    return out


def explain_infeasibility(
    prob: AllocationProblem, codes: np.ndarray | None = None, borough_names: np.ndarray | None = None
) -> list[str]:
    """Every simple conflict between rules, each a sentence with numbers (empty if none is found)."""
    return [
        *_ward_bounds(prob, codes),
        *_floors(prob),
        *_supervision(prob),
        *_budget(prob),
        *_boroughs(prob, borough_names),
        *_stability(prob),
    ]


RULE_NAMES = {
    "constable": "London-wide constable headcount",
    "pcso": "London-wide PCSO headcount",
    "sergeant": "sergeant headcount",
    "inspector": "inspector headcount",
    "budget": "annual budget",
    "moves": "stability limit on moves",
}


def describe_rows(rows: tuple[str, ...] | list[str]) -> str:
    """Name LP rows found in conflict, for when no simple check explains it."""
    named = []
    for r in rows:
        base = r.rstrip("0123456789")
        named.append(
            RULE_NAMES.get(r)
            or {
                "span": "sergeant span",
                "inspect": "inspector span",
                "heads": "borough share",
                "capx": "borough constable cap",
                "capp": "borough PCSO cap",
            }.get(base, r)
        )
    return "these rules cannot all hold together: " + ", ".join(sorted(set(named)))
