"""The rules that make a phasing one a force could run, recomputed from a result and explained.

* **Continuity.** Each quarter's leavers of a rank come from the boroughs in proportion to their
  strength: the rank's leavers (from those deployed, the rest from those in post but not
  deployed, pro rata, half up) are apportioned to the boroughs by largest remainder of their
  deployed strength the quarter before. What a borough keeps after its leavers is what it is
  *expected to keep*; a borough whose strength falls below that has lost the difference::

      lost[k, b, t]  = max(0, kept[k, b, t] - deployed[k, b, t])
      moved[k, b, t] = lost[k, b, t] - stood_down[k, b, t]

  where ``stood_down`` are people kept in post but not deployed because the supervisors in
  post cannot keep them in their borough (at most the borough's loss; London-wide at most
  those of the rank left undeployed; see :mod:`planner.finance.exchange`). London-wide,
  ``sum_b moved[k, b, t] <= floor(max_move_share * sum_b deployed[k, b, t-1])``; per borough
  (if set), ``moved[k, b, t] <= floor(borough_move_share * deployed[k, b, t-1])``. The first
  quarter is the starting point (there is no deployment before it to move from).
* **Additionality.** The base pool of every rank with a funding stream keeps at least its
  floor (``base_floor`` x its starting strength, at most its establishment) in post from the
  first quarter a recruit can reach (``lag`` quarters in) to the end of the plan.
* **Terminal condition.** Each pool's recruits still in training at the end graduate in the
  ``lag`` quarters after the plan; projected with the same whole-person attrition, the pool
  keeps at least ``hold`` x its last-quarter stock in each of those quarters (and never more
  than its posts).

Every figure is whole people, so every check is exact integer arithmetic.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from planner.finance.flows import Flows, PhasingProblem, leavers_of
from planner.scenario import RANKS
from planner.scenario.periods import parse_quarter, quarter_label

_PLURAL = {"constable": "constables", "pcso": "PCSOs", "sergeant": "sergeants", "inspector": "inspectors"}


def plural(rank: int | str) -> str:
    """Plural of a rank name (``"PCSOs"``)."""
    return _PLURAL[RANKS[rank] if isinstance(rank, int) else rank]


# ------------------------------------------------------------- continuity


def allowed(share: float, before: int) -> int:
    """Most whole people that may move out of ``before`` at ``share`` (rounded down; 1e-9 absorbs float error)."""
    return math.floor(share * int(before) + 1e-9)


def rank_totals(pb: PhasingProblem, flows: Flows) -> tuple[np.ndarray, np.ndarray]:
    """(4, T) people in post and (4, T) leavers per rank and quarter (all its pools)."""
    stock = np.zeros((4, pb.n_periods), dtype=np.int64)
    leavers = np.zeros_like(stock)
    for j, pool in enumerate(pb.pools):
        stock[pool.rank] += flows.stock[j]
        leavers[pool.rank] += flows.leavers[j]
    return stock, leavers


def apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """Whole shares of ``total`` in proportion to integer ``weights``.

    Largest remainder; ties go to the lower index; exact integer arithmetic.
    """
    w = np.asarray(weights, dtype=np.int64)
    whole = int(w.sum())
    out = np.zeros_like(w)
    if whole <= 0 or total <= 0:
        return out
    exact = int(total) * w
    out = exact // whole
    rest = exact - out * whole
    order = np.lexsort((np.arange(len(w)), -rest))
    out[order[: int(total) - int(out.sum())]] += 1
    return out


def expected_kept(before: np.ndarray, leavers: np.ndarray, in_post: np.ndarray) -> np.ndarray:
    """(4, B) people each borough is expected to keep after the quarter's leavers.

    Parameters
    ----------
    before : (4, B) int
        Deployed the quarter before.
    leavers : (4,) int
        The rank's leavers this quarter.
    in_post : (4,) int
        The rank's people in post the quarter before (deployed or not).
    """
    d = np.asarray(before, dtype=np.int64)
    out = d.copy()
    for k in range(d.shape[0]):
        deployed, post, n = int(d[k].sum()), int(in_post[k]), int(leavers[k])
        from_deployed = n if post <= deployed else (2 * n * deployed + post) // (2 * post)  # pro rata, half up
        out[k] -= apportion(min(from_deployed, deployed), d[k])
    return out


def kept_all(pb: PhasingProblem, flows: Flows, deploy: np.ndarray) -> np.ndarray:
    """(4, B, T) :func:`expected_kept` for every quarter from the second (the first is zero)."""
    stock, leavers = rank_totals(pb, flows)
    d = np.asarray(deploy, dtype=np.int64)
    out = np.zeros_like(d)
    for t in range(1, pb.n_periods):
        out[:, :, t] = expected_kept(d[:, :, t - 1], leavers[:, t], stock[:, t - 1])
    return out


def lost(pb: PhasingProblem, flows: Flows, deploy: np.ndarray) -> np.ndarray:
    """(4, B, T) people each borough lost below what it was expected to keep (0 in the first quarter)."""
    d = np.asarray(deploy, dtype=np.int64)
    out = np.maximum(0, kept_all(pb, flows, d) - d)
    out[:, :, 0] = 0
    return out


def moved_by_borough(pb: PhasingProblem, flows: Flows, deploy: np.ndarray, stood_down: np.ndarray) -> np.ndarray:
    """(4, B, T) people moved out of each borough into others since the quarter before (0 in the first)."""
    return lost(pb, flows, deploy) - np.asarray(stood_down, dtype=np.int64)


def moved(pb: PhasingProblem, flows: Flows, deploy: np.ndarray, stood_down: np.ndarray) -> np.ndarray:
    """(4, T) people of each rank moved between boroughs into each quarter (0 in the first)."""
    return moved_by_borough(pb, flows, deploy, stood_down).sum(axis=1)


def supervisors_to_keep(pb: PhasingProblem, kept: np.ndarray) -> tuple[int, int]:
    """Sergeants and inspectors needed to supervise the constables and PCSOs ``kept`` (4, B) in each borough.

    Whole people per borough, at the spans and minima.
    """
    sgt = np.maximum(pb.lo[2], np.ceil((kept[0] + kept[1]) / pb.span_sergeant - 1e-9))
    insp = np.maximum(pb.lo[3], np.ceil(sgt / pb.span_inspector - 1e-9))
    return int(sgt.sum()), int(insp.sum())


def move_allowance(pb: PhasingProblem, deploy: np.ndarray) -> np.ndarray:
    """(4, T) most people allowed to move London-wide (-1 where no limit applies, and in the first quarter)."""
    out = np.full((4, pb.n_periods), -1, dtype=np.int64)
    if pb.move_share is None:
        return out
    before = np.asarray(deploy, dtype=np.int64).sum(axis=1)
    for k in pb.move_ranks:
        out[k, 1:] = [allowed(pb.move_share, n) for n in before[k, :-1]]
    return out


def continuity_violations(pb: PhasingProblem, flows: Flows, deploy: np.ndarray, stood_down: np.ndarray) -> list[str]:
    """Every quarter, rank and borough where a continuity limit is broken, or a stand-down does not add up.

    Checked in exact arithmetic.
    """
    bad: list[str] = []
    d, u = np.asarray(deploy, dtype=np.int64), np.asarray(stood_down, dtype=np.int64)
    loss = lost(pb, flows, d)
    if (u < 0).any() or (u > loss).any():
        bad.append("stood down: negative, or more than a borough lost below what it was expected to keep")
    stock, _ = rank_totals(pb, flows)
    out = loss - u
    for k in pb.move_ranks:
        for t in range(1, pb.n_periods):
            idle = int(stock[k, t]) - int(d[k, :, t].sum())
            if int(u[k, :, t].sum()) > idle:
                bad.append(f"{RANKS[k]} {pb.labels[t]}: {int(u[k, :, t].sum()):,} stood down but {idle:,} undeployed")
            total, before = int(out[k, :, t].sum()), int(d[k, :, t - 1].sum())
            if pb.move_share is not None and total > allowed(pb.move_share, before):
                bad.append(
                    f"{RANKS[k]} {pb.labels[t]}: {total:,} moved between boroughs, more than "
                    f"{pb.move_share:.1%} of {before:,}"
                )
            if pb.borough_move_share is not None:
                most = np.array([allowed(pb.borough_move_share, n) for n in d[k, :, t - 1]])
                for b in np.nonzero(out[k, :, t] > most)[0]:
                    bad.append(
                        f"{RANKS[k]} {pb.labels[t]}: {out[k, b, t]:,} moved out of {pb.borough_names[b]}, more "
                        f"than {pb.borough_move_share:.1%} of {d[k, b, t - 1]:,}"
                    )
    if u[[k for k in range(4) if k not in pb.move_ranks]].any():
        bad.append("stood down: people of a rank without continuity")
    return bad


# ---------------------------------------------------------- additionality


def floor_violations(pb: PhasingProblem, flows: Flows) -> list[str]:
    """Every quarter a base pool is below its additionality floor."""
    bad = []
    for j, pool in enumerate(pb.pools):
        if pool.floor <= 0:
            continue
        for t in range(pool.floor_from, pb.n_periods):
            if flows.stock[j, t] < pool.floor:
                bad.append(
                    f"{pool.name} {pb.labels[t]}: base pool {flows.stock[j, t]:,} in post, below its floor of "
                    f"{pool.floor:,} (additionality)"
                )
    return bad


# --------------------------------------------------------------- terminal


def after_labels(pb: PhasingProblem, n: int) -> tuple[str, ...]:
    """Labels of the ``n`` quarters after the plan."""
    last = parse_quarter(pb.labels[-1])
    return tuple(quarter_label(last + 3 * (m + 1)) for m in range(n))


def projection(pb: PhasingProblem, flows: Flows, j: int) -> np.ndarray:
    """Stock of pool ``j`` in each of the ``lag`` quarters after the plan, as its trainees graduate.

    Leavers are taken in whole people (half up) as within the plan; no recruits are made after it.
    """
    pool = pb.pools[j]
    lag, bp, T = int(pb.lag[pool.rank]), int(pb.attrition_bp[pool.rank]), pb.n_periods
    out = np.zeros(lag, dtype=np.int64)
    prev = int(flows.stock[j, -1])
    for m in range(lag):
        u = T - lag + m
        grad = int(flows.recruits[j, u]) if u >= 0 else (pool.pipeline[T + m] if T + m < len(pool.pipeline) else 0)
        prev = prev - leavers_of(bp, prev) + grad
        out[m] = prev
    return out


def terminal_violations(pb: PhasingProblem, flows: Flows) -> list[str]:
    """Every pool whose projected stock after the plan falls below ``hold`` x its last stock (or above its posts)."""
    if pb.terminal_hold is None:
        return []
    bad = []
    for j, pool in enumerate(pb.pools):
        proj = projection(pb, flows, j)
        last = int(flows.stock[j, -1])
        labels = after_labels(pb, len(proj))
        for m, stock in enumerate(proj):
            if stock < pb.terminal_hold * last - 1e-9:
                bad.append(
                    f"{pool.name} {labels[m]}: {stock:,} in post after the plan, below {pb.terminal_hold:.0%} "
                    f"of the {last:,} at its end (terminal condition)"
                )
            if stock > pool.cap:
                bad.append(f"{pool.name} {labels[m]}: {stock:,} in post after the plan, above its {pool.cap:,} posts")
    return bad


def rule_violations(pb: PhasingProblem, flows: Flows, deploy: np.ndarray, stood_down: np.ndarray) -> list[str]:
    """Continuity (with stand-downs), additionality and terminal condition, recomputed (empty when all hold)."""
    continuity = continuity_violations(pb, flows, deploy, stood_down)
    return continuity + floor_violations(pb, flows) + terminal_violations(pb, flows)


# ------------------------------------------------------------ explained


def _span(labels: list[str]) -> str:
    if len(labels) <= 3:
        return ", ".join(labels)
    return f"{labels[0]} to {labels[-1]} ({len(labels)} quarters)"


def continuity_notes(pb: PhasingProblem, flows: Flows, deploy: np.ndarray, stood_down: np.ndarray) -> list[str]:
    """Where the London-wide continuity limit binds (moves at the limit), with numbers."""
    if not pb.move_ranks or pb.move_share is None:
        return []
    out = []
    mv, allow = moved(pb, flows, deploy, stood_down), move_allowance(pb, deploy)
    before = np.asarray(deploy, dtype=np.int64).sum(axis=1)
    for k in pb.move_ranks:
        ts = [t for t in range(1, pb.n_periods) if 0 < allow[k, t] <= mv[k, t]]
        if not ts:
            continue
        t = max(ts, key=lambda u: mv[k, u])
        out.append(
            f"continuity binds for {plural(k)} in {_span([pb.labels[u] for u in ts])}: e.g. {pb.labels[t]}, "
            f"{int(mv[k, t]):,} moved between boroughs, the most allowed ({pb.move_share:.1%} of the "
            f"{int(before[k, t - 1]):,} deployed in {pb.labels[t - 1]}); the value of a different spread "
            "was given up to keep teams in place"
        )
    return out


def stand_down_notes(pb: PhasingProblem, flows: Flows, deploy: np.ndarray, stood_down: np.ndarray) -> list[str]:
    """Quarters where people were stood down, and the supervisors that were short, in numbers."""
    out = []
    u = np.asarray(stood_down, dtype=np.int64)
    stock, _ = rank_totals(pb, flows)
    kept = kept_all(pb, flows, deploy)
    for t in range(1, pb.n_periods):
        if not u[:, :, t].any():
            continue
        sgt, insp = supervisors_to_keep(pb, kept[:, :, t])
        who = ", ".join(
            f"{int(u[k, b, t]):,} {plural(k)} in {pb.borough_names[b]}"
            for k in range(4)
            for b in np.nonzero(u[k, :, t])[0]
        )
        why = (
            f"keeping everyone expected to stay in their borough needs {sgt:,} sergeants and {insp:,} inspectors "
            f"at the spans (whole people per borough) but {int(stock[2, t]):,} and {int(stock[3, t]):,} are in "
            "post; continuity forbids moving them instead"
        )
        if sgt <= stock[2, t] and insp <= stock[3, t]:
            why = "the deployment solver stopped at its time limit before finding a deployment without stand-downs"
        out.append(f"{pb.labels[t]}: stood down (in post, not deployed) {who}: {why}")
    return out


def floor_notes(pb: PhasingProblem, flows: Flows) -> list[str]:
    """Where the additionality floor binds, and the recruits that kept it."""
    out = []
    for j, pool in enumerate(pb.pools):
        if pool.floor <= 0:
            continue
        ts = [t for t in range(pool.floor_from, pb.n_periods) if flows.stock[j, t] == pool.floor]
        if not ts:
            continue
        streams = [p.name for p in pb.pools if p.is_stream and p.rank == pool.rank]
        out.append(
            f"additionality binds for the base {plural(pool.rank)} in {_span([pb.labels[t] for t in ts])}: held "
            f"at {pool.floor:,} (its starting strength) while {' and '.join(streams)} fill; "
            f"{int(flows.recruits[j].sum()):,} recruits replaced its leavers"
        )
    return out


def terminal_notes(pb: PhasingProblem, flows: Flows) -> list[str]:
    """The recruits the terminal condition keeps in the last quarters, their cost, and the hand-over."""
    if pb.terminal_hold is None:
        return []
    out = []
    T = pb.n_periods
    for k in range(4):
        lag = int(pb.lag[k])
        js = [j for j, p in enumerate(pb.pools) if p.rank == k]
        if lag == 0 or not js:
            continue
        late = int(flows.recruits[js, max(0, T - lag) :].sum())
        if late == 0:
            continue
        last = int(flows.stock[js, -1].sum())
        proj = np.sum([projection(pb, flows, j) for j in js], axis=0)
        labels = after_labels(pb, lag)
        pence = 0
        for j in js:
            for u in range(max(0, T - lag), T):
                paid = int(pb.one_off_pence[k]) + int(pb.unit_pence[k, u:].sum())
                pence += int(flows.recruits[j, u]) * paid
        cost = pence / 100
        out.append(
            f"terminal: {late:,} {plural(k)} recruited in {_span(list(pb.labels[max(0, T - lag) :]))} graduate after "
            f"the plan and replace its leavers ({last:,} in post at the end; "
            + ", ".join(f"{int(s):,} in {lab}" for s, lab in zip(proj, labels))
            + f"); they cost £{cost:,.0f} within the plan"
        )
    return out


def rule_figures(pb: PhasingProblem, flows: Flows, deploy: np.ndarray, stood_down: np.ndarray) -> dict[str, Any]:
    """Json-ready figures of the three rules (settings and what the phasing did)."""
    mv = moved(pb, flows, deploy, stood_down).astype(float)
    d = np.asarray(deploy, dtype=np.int64).sum(axis=1)
    share = np.zeros_like(mv)
    share[:, 1:] = np.divide(mv[:, 1:], d[:, :-1], out=np.zeros_like(mv[:, 1:]), where=d[:, :-1] > 0)
    T = pb.n_periods
    base = {
        RANKS[p.rank]: {
            "floor": p.floor,
            "first_quarter": int(flows.stock[j, 0]),
            "lowest": int(flows.stock[j].min()),
            "lowest_share_of_first": float(flows.stock[j].min() / max(1, flows.stock[j, 0])),
        }
        for j, p in enumerate(pb.pools)
        if not p.is_stream and any(q.is_stream and q.rank == p.rank for q in pb.pools)
    }
    return {
        "continuity": {
            "max_move_share": pb.move_share,
            "borough_move_share": pb.borough_move_share,
            "ranks": [RANKS[k] for k in pb.move_ranks],
            "moved": {r: [int(x) for x in mv[k]] for k, r in enumerate(RANKS)},
            "stood_down": {r: [int(x) for x in np.asarray(stood_down)[k].sum(axis=0)] for k, r in enumerate(RANKS)},
            "most_moved_share": {r: float(share[k].max()) if T > 1 else 0.0 for k, r in enumerate(RANKS)},
        },
        "additionality": {"base": base},
        "terminal": {
            "hold": pb.terminal_hold,
            "trainees_last_quarter": {
                r: int(flows.trainees[[j for j, p in enumerate(pb.pools) if p.rank == k], -1].sum())
                for k, r in enumerate(RANKS)
            },
        },
    }
