"""Plans with whole supervisors, built from the borough bound's answers.

:mod:`planner.solve.borough_bound` solves, for given London-wide prices, each
borough's problem over whole sergeants and inspectors. Its answers nearly fit
the London-wide headcount; this module turns them into a plan:

1. choose each borough's sergeants (and so inspectors) by a small local search
   over the boroughs' value curves: first cut supervisors where it loses
   least until the sergeant and inspector headcounts and the budget fit, then
   take single and paired changes (a sergeant, or an inspector with the
   sergeants it supervises, moved from one borough to another) while they pay;
2. give each ward the heads its borough's best answer gives it within the
   heads those sergeants can supervise, and re-split them between constables
   and PCSOs to fit the London-wide headcounts and budget;
3. repair what is left and improve by exact marginal analysis
   (:mod:`planner.solve.primal`) and sergeant exchanges (:mod:`planner.solve.exchange`);
   every move there is checked against every rule.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np

from planner.problem import AllocationProblem
from planner.ranks import CONSTABLE, INSPECTOR, PCSO, SERGEANT
from planner.solve.borough_bound import (
    BoroughSolution,
    Frame,
    Tables,
    UnitPrices,
    best_split,
    evaluate,
    make_frame,
    price_vector,
    tables,
)
from planner.solve.columns import RowPrices
from planner.solve.exchange import exchange_sergeants
from planner.solve.price_search import PriceSearch
from planner.solve.primal import PlanState, improve, repair


class _Choice:
    """Per borough, the sergeant options of a :class:`Tables`: their value and their annual pay.

    The value is without the supervisors' London-wide prices.
    """

    def __init__(self, tab: Tables) -> None:
        prob = tab.fr.prob
        nb = prob.n_boroughs
        self.pay = tab.option_pay()
        supervisors = prob.cost[SERGEANT] * tab.option_s + prob.cost[INSPECTOR] * tab.option_i
        # the budget is kept as a limit here (see ``slack``), so its price comes off the heads' value again
        k = tab.fr.index("budget")
        budget_price = 0.0 if k is None else float(tab.v[k]) / 1e6
        self.value = (
            tab.heads_value(extension=False) + budget_price * (self.pay - supervisors) - prob.cost_weight * supervisors
        )
        self.value = np.where(tab.option_ok, self.value, -np.inf)
        self.start = np.concatenate([[0], np.cumsum(np.bincount(tab.option_b, minlength=nb))])
        self.tab = tab

    def index(self, b: np.ndarray, s: np.ndarray) -> np.ndarray:
        """Option index of ``s`` sergeants in borough ``b`` (-1 when not an option)."""
        tab = self.tab
        k = self.start[b] + (s - tab.fr.s_lo[b])
        inside = (s >= tab.fr.s_lo[b]) & (k < self.start[b + 1])
        return np.where(inside, k, -1)

    def slack(self, s: np.ndarray) -> np.ndarray:
        """Sergeants, inspectors and pounds left under the London-wide limits with ``s`` sergeants per borough."""
        prob = self.tab.fr.prob
        k = self.index(np.arange(len(s)), s)
        budget = np.inf if prob.budget is None else prob.budget
        return np.array(
            [
                prob.headcount[SERGEANT] - s.sum(),
                prob.headcount[INSPECTOR] - self.tab.option_i[k].sum(),
                budget - self.pay[k].sum(),
            ],
            dtype=float,
        )


def _moves(ch: _Choice, s: np.ndarray, reach: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every change of one borough's sergeants by at most ``reach``.

    Returns (borough, new sergeants, use (n, 3) of sergeants, inspectors and pounds, gain).
    """
    tab = ch.tab
    nb = len(s)
    d = np.concatenate([np.arange(-reach, 0), np.arange(1, reach + 1)])
    b = np.repeat(np.arange(nb), len(d))
    ns = s[b] + np.tile(d, nb)
    k = ch.index(b, ns)
    cur = ch.index(np.arange(nb), s)
    ok = (k >= 0) & (cur[b] >= 0)
    b, ns, k = b[ok], ns[ok], k[ok]
    kc = cur[b]
    gain = ch.value[k] - ch.value[kc]
    keep = np.isfinite(gain)
    b, ns, k, kc, gain = b[keep], ns[keep], k[keep], kc[keep], gain[keep]
    use = np.stack([ns - s[b], tab.option_i[k] - tab.option_i[kc], ch.pay[k] - ch.pay[kc]], axis=1).astype(float)
    return b, ns, use, gain


def _repair_supervisors(ch: _Choice, s: np.ndarray) -> np.ndarray | None:
    """Cut sergeants where it loses least per unit freed until the inspectors, sergeants and budget fit.

    The three are fitted in that order.
    """
    fr = ch.tab.fr
    s = s.copy()
    for _ in range(int(s.sum()) + 1):
        slack = ch.slack(s)
        if (slack >= 0).all():
            return s
        r = int(np.flatnonzero(slack < 0)[0])
        b, ns, use, gain = _moves(ch, s, int(np.ceil(fr.prob.span_inspector.max())) + 1)
        freed = -use[:, r]
        score = np.where((use[:, 0] < 0) & (freed > 0), gain / np.maximum(freed, 1e-12), -np.inf)
        if not np.isfinite(score).any():
            return None
        k = int(np.argmax(score))
        s[b[k]] = ns[k]
    return None


def _improve_supervisors(ch: _Choice, s: np.ndarray, rounds: int = 500) -> np.ndarray:
    """Single and paired changes of boroughs' sergeants (and so inspectors) while they pay and fit.

    Pairs are drawn from, per (sergeants, inspectors) change, the two best and
    the cheapest boroughs, so that one borough's loss can fund another's gain.
    """
    fr = ch.tab.fr
    reach = int(np.ceil(fr.prob.span_inspector.max())) + 1
    s = s.copy()
    for _ in range(rounds):
        slack = ch.slack(s)
        b, ns, use, gain = _moves(ch, s, reach)
        if len(b) == 0:
            break
        best_gain, best = 1e-12, None
        single = (use <= slack + 1e-9).all(axis=1)
        if single.any():
            k = int(np.argmax(np.where(single, gain, -np.inf)))
            if gain[k] > best_gain:
                best_gain, best = gain[k], [k]
        key = (use[:, 0] + 64) * 256 + (use[:, 1] + 64)
        by_gain = np.lexsort((-gain, key))
        by_pay = np.lexsort((use[:, 2], key))
        first = np.r_[True, key[by_gain][1:] != key[by_gain][:-1]]
        second = np.r_[False, first[:-1]] & ~first
        cand = np.unique(np.concatenate([by_gain[first], by_gain[second], by_pay[first]]))
        tot = gain[cand][:, None] + gain[cand][None, :]
        fit = ((use[cand][:, None, :] + use[cand][None, :, :]) <= slack + 1e-9).all(axis=2)
        fit &= b[cand][:, None] != b[cand][None, :]
        tot = np.where(fit, tot, -np.inf)
        j = np.unravel_index(int(np.argmax(tot)), tot.shape)
        if tot[j] > best_gain:
            best_gain, best = tot[j], [int(cand[j[0]]), int(cand[j[1]])]
        if best is None:
            break
        for k in best:
            s[b[k]] = ns[k]
    return s


def supervisor_plan(tab: Tables, start: np.ndarray) -> np.ndarray | None:
    """Sergeants per borough that fit the London-wide headcounts, from ``start`` (None if none found)."""
    ch = _Choice(tab)
    s = _repair_supervisors(ch, np.asarray(start, dtype=np.int64))
    if s is None:
        return None
    return _improve_supervisors(ch, s)


def plan_from_bound(fr: Frame, sol: BoroughSolution, reach: float = 0.5) -> PlanState | None:
    """A complete, checked plan from one evaluation of the borough bound (None if repair failed)."""
    tab = tables(fr, sol.prices, reach)
    if not isinstance(tab, Tables):
        return None
    s = supervisor_plan(tab, sol.sergeants)
    if s is None:
        return None
    ch = _Choice(tab)
    k = ch.index(np.arange(len(s)), s)
    h, x, p = tab.ward_choices(tab.option_steps[k])
    x, p = resplit(fr, tab.u, h)
    state = PlanState(fr.prob, x, p)
    if not repair(state):
        return None
    polish_plan(state)
    return state


def resplit(fr: Frame, u: UnitPrices, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Re-split each ward's ``h`` heads between constables and PCSOs, as well as the London-wide rules allow.

    With the heads fixed, the constable and PCSO headcounts and the budget all
    limit one number, the constables' total ``X`` (pay is ``c_p * H + (c_c -
    c_p) * X`` plus the supervisors'). So: split each ward by the objective
    alone (the cost weight, and the moves' price of ``u``), and if ``X`` falls
    outside its allowed range, shift the constables' price by bisection until
    it fits. Marginal analysis does the rest.
    """
    prob = fr.prob
    c = prob.cost
    w = np.arange(prob.n_wards)
    hf = h.astype(float)
    plain = dataclasses.replace(
        u, a=np.full(prob.n_wards, prob.cost_weight * c[CONSTABLE]), b=np.full(prob.n_wards, prob.cost_weight * c[PCSO])
    )

    def split(shift: float) -> np.ndarray:
        return best_split(fr, dataclasses.replace(plain, a=plain.a + shift), w, hf)[1]

    total = float(hf.sum())
    lo, hi = total - float(prob.headcount[PCSO]), float(prob.headcount[CONSTABLE])
    if prob.budget is not None and c[CONSTABLE] != c[PCSO]:
        s = prob.sergeants_needed(np.bincount(prob.borough, weights=hf, minlength=prob.n_boroughs))
        room = prob.budget - c[SERGEANT] * s.sum() - c[INSPECTOR] * prob.inspectors_needed(s).sum() - c[PCSO] * total
        if c[CONSTABLE] > c[PCSO]:
            hi = min(hi, np.floor(room / (c[CONSTABLE] - c[PCSO])))
        else:
            lo = max(lo, np.ceil(room / (c[CONSTABLE] - c[PCSO])))
    x0 = split(0.0)
    if x0.sum() > hi:  # too many constables: raise their price until they fit
        fit, over, ok = 1.0, 0.0, lambda xs: xs.sum() <= hi
    elif x0.sum() < lo:  # too few: lower their price
        fit, over, ok = -1.0, 0.0, lambda xs: xs.sum() >= lo
    else:
        xs = x0.astype(np.int64)
        return xs, h - xs
    while not ok(split(fit)) and abs(fit) < 1e6:
        over, fit = fit, fit * 4.0
    for _ in range(40):
        mid = 0.5 * (fit + over)
        if ok(split(mid)):
            fit = mid
        else:
            over = mid
    xs = split(fit).astype(np.int64)
    return xs, h - xs


def inspectors_bind(prob: AllocationProblem, sergeants: np.ndarray) -> bool:
    """Whether the LP's sergeants per borough, rounded up, would need more inspectors than there are."""
    return int(prob.inspectors_needed(np.ceil(np.asarray(sergeants) - 1e-6)).sum()) > int(prob.headcount[INSPECTOR])


def polish_plan(state: PlanState, rounds: int = 3) -> None:
    """Marginal analysis, then sergeant exchanges between boroughs, while they pay."""
    improve(state)
    for _ in range(rounds):
        moved = exchange_sergeants(state)
        if not moved:
            break
        improve(state)


@dataclass
class Refined:
    """What :func:`refine_with_boroughs` found: the best plan (None if it built none), the borough bound."""

    state: PlanState | None
    bound: float
    evaluations: int
    log: list[str] = field(default_factory=list)


def refine_with_boroughs(
    prob: AllocationProblem,
    prices: RowPrices,
    state: PlanState | None,
    *,
    gap_goal: float,
    deadline: float,
    stretch: float = 0.1,
    stretch_evals: int = 12,
    max_evals: int = 60,
    plans: int = 4,
) -> Refined:
    """Tighten the bound with whole supervisors and build plans from the boroughs' answers.

    Starts the price search at ``prices`` (e.g. the master LP's duals) and
    builds a plan from the first evaluation and from each new best one (at
    most ``plans``). Works until the best plan is within ``gap_goal`` of the
    bound, then on towards ``stretch * gap_goal`` for at most ``stretch_evals``
    more evaluations (counted, not timed, so that the answer is repeatable);
    stops early when the search converges, and in any case at ``deadline``
    (``time.perf_counter()``). When the search ends above the goal, plans
    are also built from the other evaluations, best bound first.

    Parameters
    ----------
    prob : AllocationProblem
    prices : Prices
        Starting prices; only the London-wide ones are used.
    state : PlanState or None
        The best plan so far (not modified); the result keeps the better.
    """
    fr = make_frame(prob)
    start = evaluate(fr, price_vector(fr, prices))
    out = Refined(state, start.value, 1)
    out.log.append(f"borough bound at the LP prices {start.value:.6f}")
    if not np.isfinite(start.value):
        return out
    search = PriceSearch(fr, start)
    planned: list[BoroughSolution] = []

    def objective() -> float:
        return -np.inf if out.state is None else out.state.objective()

    reached: list[int] = []  # evaluations made when the goal was first met

    def goal() -> tuple[float, int] | None:
        """The gap still worth working for, and how many more evaluations (None: done)."""
        if time.perf_counter() >= deadline:
            return None
        gap = max(0.0, search.best.value - objective()) / max(abs(search.best.value), 1.0)
        if gap > gap_goal:
            return gap_goal, max_evals - len(search.cuts)
        if not reached:
            reached.append(len(search.cuts))
        left = min(max_evals, reached[0] + stretch_evals) - len(search.cuts)
        return (stretch * gap_goal, left) if gap > stretch * gap_goal and left > 0 else None

    def consider(sol: BoroughSolution) -> None:
        planned.append(sol)
        cand = plan_from_bound(fr, sol)
        if cand is not None and not cand.violations() and cand.objective() > objective() + 1e-12:
            out.state = cand
            out.log.append(f"plan from borough answers {cand.objective():.6f}")

    consider(start)
    while (work := goal()) is not None:
        before = len(search.cuts)
        best = search.run(target=objective(), gap_goal=work[0], max_evals=min(8, work[1]), deadline=deadline)
        if all(best is not p for p in planned) and len(planned) < plans:
            consider(best)
        elif search.converged or len(search.cuts) == before or len(search.cuts) >= max_evals:
            break
    # the search is done: other prices' answers may still give a better plan
    for sol in sorted(search.cuts, key=lambda c: c.value):
        if len(planned) >= 2 * plans or goal() is None:
            break
        if all(sol is not p for p in planned):
            consider(sol)
    out.bound = search.best.value
    out.evaluations = len(search.cuts)
    out.log.append(f"borough bound {out.bound:.6f} after {out.evaluations} evaluations")
    return out
