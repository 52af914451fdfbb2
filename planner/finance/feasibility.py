"""Why a phasing cannot be done, in numbers.

:func:`precheck` runs before the solver and catches the common conflicts by
simulation: a stream target that the training places cannot reach in time
(after the places that keep the base pool at its floor, when additionality is
on), a base pool that cannot be kept at its floor, last quarters with too few
places to replace the leavers after the plan (terminal condition), and ward
floors or spans that the stock cannot cover in some period. :func:`diagnose`
runs after the solver reports infeasible and uses an elastic LP relaxation to
say which budget, base floor or terminal hold cannot be kept, and by how much
(continuity is kept, or explained, quarter by quarter in the second stage:
:mod:`planner.finance.exchange`).
"""

from __future__ import annotations

import numpy as np
from ortools.linear_solver import pywraplp  # type: ignore[attr-defined]

from planner.finance.flows import PhasingProblem, Pool, leavers_of
from planner.finance.phasing_rules import after_labels, plural
from planner.scenario import RANKS
from planner.scenario.periods import fy_label

_PLURAL = {"constable": "constables", "pcso": "PCSOs", "sergeant": "sergeants", "inspector": "inspectors"}
_PEOPLE = 0.01
"""Excess (people) below which an elastic rule counts as kept in the diagnosis."""


def _stock_at(initial: int, bp: int, lag: int, recruits: np.ndarray, pipeline: tuple[int, ...], until: int) -> int:
    """Stock after period ``until`` (inclusive) from a recruitment profile, exact rounding."""
    stock = initial
    for t in range(until + 1):
        grad = int(recruits[t - lag]) if t >= lag else (pipeline[t] if t < len(pipeline) else 0)
        stock = stock - leavers_of(bp, stock) + grad
    return stock


def _places_text(places: np.ndarray) -> str:
    lo, hi = int(places.min()), int(places.max())
    return f"{lo:,}" if lo == hi else f"{lo:,} to {hi:,}"


def base_needs(pb: PhasingProblem, pool: Pool) -> np.ndarray:
    """(T,) fewest recruits per quarter that keep a base pool at its additionality floor.

    Recruits made in quarter ``t`` graduate in ``t + lag``; each is the shortfall of the
    graduating quarter's stock (after its leavers, whole people) below the floor. Keeping
    the pool exactly at its floor needs the fewest places, since leavers grow with the stock.
    """
    T, lag, bp = pb.n_periods, int(pb.lag[pool.rank]), int(pb.attrition_bp[pool.rank])
    need = np.zeros(T, dtype=np.int64)
    stock = pool.initial
    for t in range(T):
        after = stock - leavers_of(bp, stock) + (pool.pipeline[t] if t < len(pool.pipeline) and t < lag else 0)
        if t >= lag and pool.floor > 0 and t >= pool.floor_from:
            need[t - lag] = max(0, pool.floor - after)
        stock = after + (need[t - lag] if t >= lag else 0)
    return need


def _floor_reasons(pb: PhasingProblem) -> list[str]:
    reasons = []
    for pool in pb.pools:
        if pool.floor <= 0:
            continue
        k = pool.rank
        need = base_needs(pb, pool)
        short = np.nonzero(need > pb.intake[k])[0]
        if short.size:
            t = int(short[0])
            reasons.append(
                f"keeping the base {plural(k)} at {pool.floor:,} (additionality: funded posts are on top of the "
                f"base) needs {int(need[t]):,} recruits in {pb.labels[t]} but training places are "
                f"{int(pb.intake[k, t]):,} (raise finance.phasing.ranks.{RANKS[k]}.intake or lower "
                "finance.phasing.additionality.base_floor)"
            )
    return reasons


def _terminal_reasons(pb: PhasingProblem) -> list[str]:
    """Last quarters with too few places to replace the leavers expected after the plan (a lower bound)."""
    hold = pb.terminal_hold
    if hold is None:
        return []
    reasons = []
    T = pb.n_periods
    for k in range(4):
        lag, bp = int(pb.lag[k]), int(pb.attrition_bp[k])
        pools = [p for p in pb.pools if p.rank == k]
        least = [max(p.floor, p.target if p.by is not None and p.by <= T - 1 else 0) for p in pools]
        for m, after in enumerate(after_labels(pb, lag)):
            u = T - lag + m
            if u < 0:
                continue
            need = sum(max(0, leavers_of(bp, n) - int((1 - hold) * n)) for n in least)
            blocked = [p.name for p, n in zip(pools, least) if p.first_recruit > u and leavers_of(bp, n) > 0]
            if need > pb.intake[k, u] or blocked:
                stock = sum(least)
                why = (
                    f"training places are {int(pb.intake[k, u]):,}"
                    if not blocked
                    else f"{', '.join(blocked)} may not recruit before its start"
                )
                reasons.append(
                    f"keeping the {plural(k)} steady after the plan (terminal condition) needs at least {need:,} "
                    f"recruits in {pb.labels[u]} to replace the leavers expected in {after} (at least {stock:,} in "
                    f"post, {bp / 100:g}% attrition a quarter), but {why} (raise finance.phasing.ranks."
                    f"{RANKS[k]}.intake or set finance.phasing.terminal.hold lower)"
                )
                break
    return reasons


def _target_reasons(pb: PhasingProblem) -> list[str]:
    reasons: list[str] = []
    T = pb.n_periods
    for k, rank in enumerate(RANKS):
        streams = [p for p in pb.pools if p.is_stream and p.rank == k and p.by is not None]
        lag, bp = int(pb.lag[k]), int(pb.attrition_bp[k])
        base = pb.pools[k]
        kept = base_needs(pb, base) if base.floor > 0 else np.zeros(T, dtype=np.int64)
        free = np.maximum(0, pb.intake[k] - kept)
        for tau in sorted({p.by for p in streams if p.by is not None}):
            due = [p for p in streams if p.by is not None and p.by <= tau]
            needed = sum(p.target for p in due)
            first = min(p.first_recruit for p in due)
            names = " + ".join(f"{p.name} {p.target:,}" for p in due)
            last = tau - lag
            if last < first:
                reasons.append(
                    f"reaching {needed:,} extra {_PLURAL[rank]} ({names}) by {pb.labels[tau]} is impossible: "
                    f"recruits need {lag} quarter(s) of training, so the first can be in post in "
                    f"{pb.labels[first + lag] if first + lag < T else 'after the plan'}"
                )
                continue
            places = free.copy()
            places[:first] = 0
            best = _stock_at(0, bp, lag, places, (), tau)
            if best + len(due) - 1 >= needed:
                continue
            lo, hi = 0, max(needed, 1) * 4
            while lo < hi:
                mid = (lo + hi) // 2
                flat = np.zeros(T, dtype=np.int64)
                flat[first : last + 1] = mid
                if _stock_at(0, bp, lag, flat, (), tau) >= needed:
                    hi = mid
                else:
                    lo = mid + 1
            span = pb.labels[first] if first == last else f"{pb.labels[first]} to {pb.labels[last]}"
            places_text = f"training places are {_places_text(pb.intake[k, first : last + 1])} a quarter"
            if kept[first : last + 1].any():
                places_text = (
                    f"the training places left after keeping the base {_PLURAL[rank]} at {base.floor:,} "
                    f"(additionality) are {_places_text(free[first : last + 1])} a quarter"
                )
            reasons.append(
                f"reaching {needed:,} extra {_PLURAL[rank]} ({names}) by {pb.labels[tau]} needs "
                f"{lo:,} recruits a quarter in {span} ({lag}-quarter training, {bp / 100:g}% attrition "
                f"a quarter) but {places_text}: at most {best:,} can be in post by {pb.labels[tau]} "
                f"(raise finance.phasing.ranks.{rank}.intake or move the target later)"
            )
    return reasons


def max_stock(pb: PhasingProblem) -> np.ndarray:
    """(4, T) most people of each rank that can be in post each period (every place filled, caps kept)."""
    T = pb.n_periods
    out = np.zeros((4, T), dtype=np.int64)
    for k in range(4):
        pools = [p for p in pb.pools if p.rank == k]
        cap = sum(p.cap for p in pools)
        initial = sum(p.initial for p in pools)
        pipeline = tuple(sum(p.pipeline[t] for p in pools if t < len(p.pipeline)) for t in range(int(pb.lag[k])))
        lag, bp = int(pb.lag[k]), int(pb.attrition_bp[k])
        recruits = np.zeros(T, dtype=np.int64)
        stock = initial
        for t in range(T):
            after = stock - leavers_of(bp, stock)
            if lag == 0:
                recruits[t] = min(int(pb.intake[k, t]), max(0, cap - after))
            grad = int(recruits[t - lag]) if t >= lag else (pipeline[t] if t < len(pipeline) else 0)
            stock = min(cap, after + grad)
            out[k, t] = stock
            if lag > 0:
                # recruit as many as will fit when they graduate (estimate: the current stock)
                in_training = int(recruits[max(0, t - lag + 1) : t].sum())
                recruits[t] = min(int(pb.intake[k, t]), max(0, cap - stock - in_training))
    return out


def min_stock(pb: PhasingProblem) -> np.ndarray:
    """(4, T) fewest people of each rank in post each period: no recruits, streams at their targets."""
    T = pb.n_periods
    out = np.zeros((4, T), dtype=np.int64)
    for p in pb.pools:
        bp = int(pb.attrition_bp[p.rank])
        stock = p.initial
        for t in range(T):
            grad = p.pipeline[t] if t < len(p.pipeline) else 0
            stock = stock - leavers_of(bp, stock) + grad
            floor = p.target if p.by is not None and t >= p.by else 0
            out[p.rank, t] += max(stock, floor)
    return out


def _cover_reasons(pb: PhasingProblem) -> list[str]:
    reasons: list[str] = []
    top = max_stock(pb)
    need = pb.lo.sum(axis=1)
    for k, rank in enumerate(RANKS):
        slack = len([p for p in pb.pools if p.rank == k]) - 1  # per-pool rounding of leavers
        short = np.nonzero(top[k] + slack < need[k])[0]
        if short.size:
            t = int(short[0])
            what = "ward floors" if k < 2 else "spans of control and borough minima at the floors"
            reasons.append(
                f"{what} need {need[k]:,} {_PLURAL[rank]} in every quarter but at most "
                f"{top[k, t]:,} can be in post in {pb.labels[t]} "
                f"(start {sum(p.initial for p in pb.pools if p.rank == k):,}, "
                f"{pb.attrition_bp[k] / 100:g}% attrition a quarter, "
                f"{_places_text(pb.intake[k])} places a quarter, {int(pb.lag[k])}-quarter training)"
            )
    if pb.deploy_all:
        low = min_stock(pb)
        for t in range(pb.n_periods):
            supervised = int(max(need[0], low[0, t]) + max(need[1], low[1, t]))
            sgt = int(np.ceil(supervised / pb.span_sergeant))
            if sgt > top[2, t]:
                reasons.append(
                    f"deploying everyone in {pb.labels[t]} means supervising at least {supervised:,} "
                    f"constables and PCSOs, which needs {sgt:,} sergeants at a span of "
                    f"{pb.span_sergeant:g}, but at most {top[2, t]:,} can be in post "
                    "(raise finance.phasing.ranks.sergeant.establishment or intake)"
                )
                break
    return reasons


def _pipeline_reasons(pb: PhasingProblem) -> list[str]:
    reasons = []
    for p in pb.pools:
        if not p.pipeline:
            continue
        bp, stock = int(pb.attrition_bp[p.rank]), p.initial
        for t in range(min(len(p.pipeline), pb.n_periods)):
            stock = stock - leavers_of(bp, stock) + p.pipeline[t]
            if stock > p.cap:
                reasons.append(
                    f"the {p.pipeline[t]:,} {_PLURAL[RANKS[p.rank]]} in training who join in {pb.labels[t]} "
                    f"take the stock to {stock:,}, above the establishment of {p.cap:,} "
                    f"(raise finance.phasing.ranks.{RANKS[p.rank]}.establishment or shorten the pipeline)"
                )
                break
    return reasons


def precheck(pb: PhasingProblem) -> list[str]:
    """Conflicts found by simulation before solving (empty when none found)."""
    return _floor_reasons(pb) + _target_reasons(pb) + _terminal_reasons(pb) + _cover_reasons(pb) + _pipeline_reasons(pb)


def diagnose(pb: PhasingProblem) -> list[str]:
    """Explain an infeasible phasing after the solver proved it so."""
    from planner.finance.phasing import _Model

    model = _Model(pb, relax=True, elastic=True)
    status = model.solve(60.0, 0, 0.0)
    if status != pywraplp.Solver.OPTIMAL:
        return [
            "the targets, floors and spans cannot all be met in some quarter even ignoring budgets, "
            "additionality, the terminal condition and whole-person rounding; check the "
            "stream targets against the establishment, training places and sergeant numbers: " + "; ".join(_summary(pb))
        ]
    reasons = []
    for key, var in model.excess.items():
        over = float(var.solution_value())
        kind = key.split(" ", 1)[0]
        if kind in ("budget", "stream") and over > 0.5:
            reasons.append(_budget_reason(pb, key, over))
        elif kind not in ("budget", "stream") and over > _PEOPLE:
            reasons.append(_rule_reason(pb, key, over))
    if not reasons:
        reasons.append(
            "the rules can be met only with fractions of people (whole-person attrition and deployment); "
            "loosen a target or a budget slightly: " + "; ".join(_summary(pb))
        )
    return reasons


def _budget_reason(pb: PhasingProblem, key: str, over: float) -> str:
    what, year = key.rsplit(" ", 1)
    limit = (
        pb.budget[int(year)]
        if what == "budget"
        else next(p.budget[int(year)] for p in pb.pools if f"stream {p.name}" == what)
    )
    name = what.removeprefix("stream ")
    label = "the budget" if what == "budget" else f"the {name} stream's budget"
    return (
        f"{fy_label(int(year))}: meeting the targets, floors and spans costs at least "
        f"£{limit + over:,.0f} but {label} is £{limit:,.0f} (£{over:,.0f} short)"
    )


def _rule_reason(pb: PhasingProblem, key: str, over: float) -> str:
    """One additionality or terminal excess of the elastic relaxation, in words."""
    kind, rest = key.split(" ", 1)
    name, num = rest.rsplit(" ", 1)
    pool = next(p for p in pb.pools if p.name == name)
    if kind == "additionality":
        return (
            f"{pb.labels[int(num)]}: the base {plural(pool.rank)} fall at least {over:,.1f} below their floor of "
            f"{pool.floor:,} (additionality) while the targets, floors and budgets are met (lower "
            "finance.phasing.additionality.base_floor or add training places)"
        )
    after = after_labels(pb, int(num) + 1)[-1]
    return (
        f"{after}: {pool.name} ({plural(pool.rank)}) falls at least {over:,.1f} below {pb.terminal_hold:.0%} of its "
        "strength at the end of the plan (terminal condition: the last quarters' places cannot replace its "
        "leavers; add places or lower finance.phasing.terminal.hold)"
    )


def _summary(pb: PhasingProblem) -> list[str]:
    out = []
    for p in pb.pools:
        if p.is_stream and p.by is not None:
            out.append(f"{p.name} needs {p.target:,} {_PLURAL[RANKS[p.rank]]} from {pb.labels[p.by]}")
    for k, rank in enumerate(RANKS):
        out.append(f"{rank}: floors {int(pb.lo[k].sum()):,}, places {_places_text(pb.intake[k])} a quarter")
    return out
