"""Why a ward got what it got: its need, the rules that hold it, and the value of one more officer.

The planner places officers where the next one adds the most value (value =
need x log(1 + effective officers / saturation), less a small cost term), so
each ward stops where its next officer would add less than the best use of
that officer elsewhere, unless a rule holds it (ward floor, cap, stability
limit). :func:`explain_ward` puts this in plain sentences with the numbers
from :meth:`planner.report.result.Plan.marginal_value`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.app.layers import Context, PlanView, effective_officers
from planner.report.result import Plan
from planner.rules.tiers import split_constables, tier_params


@dataclass(frozen=True)
class WardStory:
    """The explanation of one ward's allocation.

    Attributes
    ----------
    code, name, borough, bcu : str
    facts : pandas.DataFrame
        ``figure, value`` rows (as text) for a small table.
    sentences : list of str
        The explanation, most important first.
    """

    code: str
    name: str
    borough: str
    bcu: str
    facts: pd.DataFrame
    sentences: list[str] = field(default_factory=list)


def need_parts(plan: Plan, w: int) -> dict[str, float]:
    """How much of ward ``w``'s need comes from demand, harm and population (adds up to its need)."""
    weights = plan.scenario.need.weights
    wd = plan.wards
    comps = {"demand": wd.demand, "harm": wd.harm, "population": wd.population}
    total_w = weights.demand + weights.harm + weights.population
    out = {}
    for name, arr in comps.items():
        weight = float(getattr(weights, name))
        mean = float(np.mean(arr))
        out[name] = weight * float(arr[w]) / mean / total_w if weight > 0 and mean > 0 else 0.0
    return out


def _last_gain(plan: Plan, w: int, rank: str) -> float | None:
    """Value the last officer of ``rank`` placed in ward ``w`` added (None at zero)."""
    x, p = int(plan.constables[w]), int(plan.pcsos[w])
    if (rank == "constable" and x == 0) or (rank == "pcso" and p == 0):
        return None
    ward = np.array([w])
    now = plan.problem.choice_value(ward, np.array([x]), np.array([p]))[0]
    before = plan.problem.choice_value(ward, np.array([x - (rank == "constable")]), np.array([p - (rank == "pcso")]))[0]
    return float(now - before)


def _best_elsewhere(plan: Plan, mv: pd.Series, hi: np.ndarray, held: np.ndarray, w: int) -> tuple[float, int]:
    """Best value of one more officer in another ward that may take one."""
    ok = held < hi
    ok[w] = False
    if not ok.any():
        return float("nan"), -1
    vals = np.where(ok, mv.to_numpy(), -np.inf)
    k = int(np.argmax(vals))
    return float(vals[k]), k


def relative(value: float, best: float) -> str:
    """``value`` as a share of the best use elsewhere, in words ("85 % as much good")."""
    if not np.isfinite(best) or best <= 0:
        return "some good" if value > 0 else "no good"
    return f"{100 * value / best:,.0f} % as much good"


def _rank_sentence(plan: Plan, w: int, rank: str, mv: pd.DataFrame) -> str:
    prob = plan.problem
    if rank == "constable":
        held, lo, hi, noun = plan.constables, prob.lo_x, prob.hi_x, "constable"
        floor = plan.scenario.rules.ward_floor.constable
    else:
        held, lo, hi, noun = plan.pcsos, prob.lo_p, prob.hi_p, "PCSO"
        floor = plan.scenario.rules.ward_floor.pcso
    n = int(held[w])
    nxt = float(mv[rank].iloc[w])
    best, k = _best_elsewhere(plan, mv[rank], np.asarray(hi), np.asarray(held), w)
    where = f"{plan.wards.names[k]} ({plan.wards.borough_names[plan.wards.borough[k]]})" if k >= 0 else ""
    plural = "s" if n != 1 else ""
    if n <= int(lo[w]):
        rule = f"the ward floor of {floor}"
        if int(lo[w]) != floor:
            rule = f"the lowest the stability limit allows ({lo[w]})"
        if k >= 0 and nxt < best:
            return (
                f"{n} {noun}{plural}: held at {rule}. One more here would do {relative(nxt, best)} as one more in "
                f"{where}, the best place for the next {noun}, so the planner gives this ward only what the rules "
                "require."
            )
        return f"{n} {noun}{plural}: held at {rule}."
    if n >= int(hi[w]):
        return f"{n} {noun}{plural}: at the most this ward may have (ward cap or stability limit)."
    last = _last_gain(plan, w, rank)
    text = f"{n} {noun}{plural}, above the floor of {floor}"
    if k >= 0 and last is not None:
        text += (
            f": the last one placed here does {relative(last, best)} as one more would in {where} (the best place "
            f"for the next {noun}), and one more here would do {relative(nxt, best)}"
        )
        if last >= best >= nxt:
            text += ": so the next one does more good there, and moving this ward's last one there would lose value"
        elif best < nxt:
            text += f": more {noun}s would go here if the rules (spans, budget) allowed more"
    if nxt <= 0:
        text += ". One more would cost more than the good it does (the cost term of the objective)"
    return text + "."


def value_of_one_more(plan: Plan, mv: pd.DataFrame, w: int, rank: str) -> str:
    """The value of one more officer of ``rank`` in ward ``w``, against the best use of one elsewhere."""
    held, hi = (plan.constables, plan.problem.hi_x) if rank == "constable" else (plan.pcsos, plan.problem.hi_p)
    best, _k = _best_elsewhere(plan, mv[rank], np.asarray(hi), np.asarray(held), w)
    return f"{relative(float(mv[rank].iloc[w]), best)} as the best place elsewhere"


def _served(opn: float, avg: float) -> str:
    if opn > avg * 1.05:
        return "better served than average"
    if opn < avg * 0.95:
        return "less well served than average"
    return "about average"


def explain_ward(
    plan: Plan, ward_code: str, reference: PlanView | None = None, ctx: Context | None = None
) -> WardStory:
    """Explain the allocation of ward ``ward_code`` in ``plan``.

    Raises
    ------
    KeyError
        If the plan has no ward with that code.
    """
    ctx = ctx or Context()
    wd = plan.wards
    hits = np.flatnonzero(wd.codes == ward_code)
    if not len(hits):
        raise KeyError(f"no ward {ward_code!r} in this plan")
    w = int(hits[0])
    need = np.asarray(wd.need, dtype=float)
    rank = int(np.sum(need > need[w])) + 1
    eff = effective_officers(plan)
    avg = float(eff.sum() / max(need.sum(), 1e-12))
    opn = eff[w] / need[w] if need[w] > 0 else float("inf")
    per_year = 12.0 / max(ctx.months, 1)
    parts = need_parts(plan, w)
    mv = plan.marginal_value()
    borough = str(wd.borough_names[wd.borough[w]])
    bcu = str(wd.ward_bcu[w])
    sentences = [
        f"Need {need[w]:.2f} (the average ward is 1): {rank:,} of {wd.n_wards:,} wards by need "
        f"(top {100 * rank / wd.n_wards:.0f}%). Of this, demand gives {parts['demand']:.2f}, harm "
        f"{parts['harm']:.2f} and residents {parts['population']:.2f} (weights "
        f"{plan.scenario.need.weights.demand:g} / {plan.scenario.need.weights.harm:g} / "
        f"{plan.scenario.need.weights.population:g}).",
        f"It has {eff[w]:.2f} effective officers (constables x {plan.problem.eff_x:.2f} availability, PCSOs x "
        f"{plan.problem.eff_p:.2f}): {opn:.2f} per unit of need, against {avg:.2f} across all wards "
        f"({_served(opn, avg)}).",
        _rank_sentence(plan, w, "constable", mv),
        _rank_sentence(plan, w, "pcso", mv),
    ]
    if reference is not None:
        dx = int(plan.constables[w] - reference.constables[w])
        dp = int(plan.pcsos[w] - reference.pcsos[w])
        sentences.append(f"Against {reference.label}: {dx:+d} constables, {dp:+d} PCSOs.")
    sentences.append(
        "How much good an officer does is measured as the planner does: need x log(1 + effective officers / "
        "saturation), less a small cost term, so each extra officer in a ward does less than the one before, in "
        "proportion to its need; it is shown against the best place elsewhere for one more. Spans of control and "
        "the budget also shape the plan, so the comparisons are a guide to the trade-off, not an exact price."
    )
    facts = pd.DataFrame(
        [
            ("Borough", borough),
            ("Basic Command Unit", bcu or "–"),
            ("Need (average ward = 1)", f"{need[w]:.2f}"),
            ("Recorded crime", f"{wd.demand[w] * per_year:,.0f} offences a year"),
            ("Harm", f"{wd.harm[w] * per_year:,.0f} {ctx.harm_unit} a year"),
            ("Residents", f"{wd.population[w]:,.0f}"),
            ("Constables (floor)", f"{int(plan.constables[w])} ({int(plan.problem.lo_x[w])})"),
            *_tier_facts(plan, w),
            ("PCSOs (floor)", f"{int(plan.pcsos[w])} ({int(plan.problem.lo_p[w])})"),
            ("Effective officers", f"{eff[w]:.2f}"),
            ("Effective officers per unit of need (all wards)", f"{opn:.2f} ({avg:.2f})"),
            ("Value of one more constable", value_of_one_more(plan, mv, w, "constable")),
            ("Value of one more PCSO", value_of_one_more(plan, mv, w, "pcso")),
        ],
        columns=["figure", "value"],
    )
    return WardStory(ward_code, str(wd.names[w]), borough, bcu, facts, sentences)


def _tier_facts(plan: Plan, w: int) -> list[tuple[str, str]]:
    """The ward's constables by tier: ward officers and hotspot-team constables (none without tiers)."""
    if tier_params(plan.problem) is None:
        return []
    ward, hot = split_constables(plan.problem, plan.constables)
    return [("of which ward officers · in hotspot teams", f"{int(ward[w])} · {int(hot[w])}")]
