"""Integer plans: rounding the LP, repairing it, and improving it by marginal analysis.

A :class:`PlanState` holds constables and PCSOs per ward and derives the
fewest sergeants and inspectors each borough needs for its spans of control.
Every move is checked against every rule before it is taken, so the state is
always a complete, checkable plan once :func:`repair` succeeds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.problem import INF_INT, AllocationProblem
from planner.ranks import CONSTABLE, INSPECTOR, PCSO, SERGEANT

RANK_ARRAYS = ("x", "p")


@dataclass
class PlanState:
    """A mutable integer plan with its aggregates kept up to date."""

    prob: AllocationProblem
    x: np.ndarray
    p: np.ndarray

    def __post_init__(self) -> None:
        self.x = np.array(self.x, dtype=np.int64)
        self.p = np.array(self.p, dtype=np.int64)
        self.refresh()

    def refresh(self) -> None:
        """Recompute every aggregate from ``x`` and ``p``."""
        prob = self.prob
        nb = prob.n_boroughs
        self.bx = np.bincount(prob.borough, weights=self.x, minlength=nb).astype(np.int64)
        self.bp = np.bincount(prob.borough, weights=self.p, minlength=nb).astype(np.int64)
        self.s = prob.sergeants_needed(self.bx + self.bp)
        self.i = prob.inspectors_needed(self.s)
        self.value = prob.ward_value(self.x, self.p)
        # bumped whenever a borough's wards change, so per-borough caches know when they are stale
        self.version = getattr(self, "version", np.zeros(nb, dtype=np.int64)) + 1
        self._gains = {(r, sg): self._compute_gains(r, sg, None) for r in (0, 1) for sg in (-1, 1)}

    def _compute_gains(self, rank: int, sign: int, wards: np.ndarray | None) -> np.ndarray:
        prob = self.prob
        w = np.arange(prob.n_wards) if wards is None else wards
        dx, dp = (sign, 0) if rank == 0 else (0, sign)
        nx, np_ = self.x[w] + dx, self.p[w] + dp
        gain = prob.choice_value(w, nx, np_) - self.value[w]
        ok = (nx >= prob.lo_x[w]) & (nx <= prob.hi_x[w]) & (np_ >= prob.lo_p[w]) & (np_ <= prob.hi_p[w])
        ok &= prob.meets_min_eff(w, nx, np_)
        return np.where(ok, gain, -np.inf)

    def gains(self, rank: int, sign: int) -> np.ndarray:
        """Change in ward value from one more (+1) or one fewer (-1) of ``rank`` (0 constable, 1 PCSO).

        Read-only view kept up to date by :meth:`apply`; moves beyond a ward's bounds get -inf.
        """
        return self._gains[(rank, sign)]

    # ---------------------------------------------------------------- checks
    def objective(self) -> float:
        return float(self.value.sum()) - self.prob.supervisor_penalty(self.s, self.i)

    def cost(self) -> float:
        return self.prob.annual_cost(self.x, self.p, self.s, self.i)

    def moves(self) -> int:
        return self.prob.moves(self.x, self.p)

    def violations(self) -> list[str]:
        """Every rule the plan breaks, as short keys (empty when feasible)."""
        prob = self.prob
        out = []
        if self.x.sum() > prob.headcount[CONSTABLE]:
            out.append("constable")
        if self.p.sum() > prob.headcount[PCSO]:
            out.append("pcso")
        if self.s.sum() > prob.headcount[SERGEANT] or (self.s > prob.max_sergeants).any():
            out.append("sergeant")
        if self.i.sum() > prob.headcount[INSPECTOR] or (self.i > prob.max_inspectors).any():
            out.append("inspector")
        if prob.budget is not None and self.cost() > prob.budget + 1e-6:
            out.append("budget")
        if prob.max_moves is not None and self.moves() > prob.max_moves:
            out.append("moves")
        heads = self.bx + self.bp
        if (heads > prob.borough_heads_hi).any() or (self.bx > prob.borough_cap_x).any():
            out.append("borough_high")
        if (self.bp > prob.borough_cap_p).any():
            out.append("borough_high")
        if (heads < prob.borough_heads_lo).any():
            out.append("borough_low")
        return out

    # ------------------------------------------------------------ evaluation
    def delta(self, changes: list[tuple[int, int, int]]) -> float | None:
        """Objective change of applying ``changes`` [(ward, dx, dp)], or None if infeasible."""
        prob = self.prob
        x, p = self.x, self.p
        dval = 0.0
        dbx: dict[int, int] = {}
        dbp: dict[int, int] = {}
        dxt = dpt = dmv = 0
        seen: dict[int, tuple[int, int]] = {}
        for w, dx, dp in changes:
            ox, op = seen.get(w, (0, 0))
            seen[w] = (ox + dx, op + dp)
        for w, (dx, dp) in seen.items():
            nx, np_ = x[w] + dx, p[w] + dp
            if nx < prob.lo_x[w] or nx > prob.hi_x[w] or np_ < prob.lo_p[w] or np_ > prob.hi_p[w]:
                return None
            if prob.min_eff is not None and prob.eff_x * nx + prob.eff_p * np_ < prob.min_eff[w] - 1e-9:
                return None
            dval += _one_value(prob, w, nx, np_) - float(self.value[w])
            b = int(prob.borough[w])
            dbx[b] = dbx.get(b, 0) + dx
            dbp[b] = dbp.get(b, 0) + dp
            dxt += dx
            dpt += dp
            if prob.base_x is not None and prob.base_p is not None:
                dmv += (
                    abs(nx - prob.base_x[w]) - abs(x[w] - prob.base_x[w])
                    + abs(np_ - prob.base_p[w]) - abs(p[w] - prob.base_p[w])
                )  # fmt: skip
        if self.x.sum() + dxt > prob.headcount[CONSTABLE] or self.p.sum() + dpt > prob.headcount[PCSO]:
            return None
        ds = di = 0
        for b in set(dbx) | set(dbp):
            nbx, nbp = self.bx[b] + dbx.get(b, 0), self.bp[b] + dbp.get(b, 0)
            heads = nbx + nbp
            if heads > prob.borough_heads_hi[b] or heads < prob.borough_heads_lo[b]:
                return None
            if nbx > prob.borough_cap_x[b] or nbp > prob.borough_cap_p[b]:
                return None
            ns = _sergeants(prob, b, heads)
            ni = _inspectors(prob, b, ns)
            if ns > prob.max_sergeants[b] or ni > prob.max_inspectors[b]:
                return None
            ds += ns - int(self.s[b])
            di += ni - int(self.i[b])
        if self.s.sum() + ds > prob.headcount[SERGEANT] or self.i.sum() + di > prob.headcount[INSPECTOR]:
            return None
        if prob.budget is not None:
            c = prob.cost
            dcost = c[CONSTABLE] * dxt + c[PCSO] * dpt + c[SERGEANT] * ds + c[INSPECTOR] * di
            if dcost > 0 and self.cost() + dcost > prob.budget + 1e-6:
                return None
        if prob.max_moves is not None and dmv > 0:
            total = int(np.abs(x - prob.base_x).sum() + np.abs(p - prob.base_p).sum()) + dmv  # type: ignore[operator]
            if (total + 1) // 2 > prob.max_moves:
                return None
        return dval - prob.cost_weight * (prob.cost[SERGEANT] * ds + prob.cost[INSPECTOR] * di)

    def apply(self, changes: list[tuple[int, int, int]]) -> None:
        """Apply ``changes`` [(ward, dx, dp)] and update aggregates."""
        prob = self.prob
        for w, dx, dp in changes:
            self.x[w] += dx
            self.p[w] += dp
            b = int(prob.borough[w])
            self.bx[b] += dx
            self.bp[b] += dp
            self.version[b] += 1
            self.value[w] = _one_value(prob, w, int(self.x[w]), int(self.p[w]))
            self.s[b] = _sergeants(prob, b, int(self.bx[b] + self.bp[b]))
            self.i[b] = _inspectors(prob, b, int(self.s[b]))
        touched = np.unique(np.array([w for w, _, _ in changes], dtype=np.int64))
        for key in self._gains:
            self._gains[key][touched] = self._compute_gains(key[0], key[1], touched)


def _one_value(prob: AllocationProblem, w: int, x: int, p: int) -> float:
    return float(prob.choice_value(np.array([w]), np.array([x]), np.array([p]))[0])


def _sergeants(prob: AllocationProblem, b: int, heads: int) -> int:
    return max(int(np.ceil(heads / prob.span_sergeant - 1e-9)), int(prob.min_sergeants[b]))


def _inspectors(prob: AllocationProblem, b: int, sergeants: int) -> int:
    return max(int(np.ceil(sergeants / prob.span_inspector - 1e-9)), int(prob.min_inspectors[b]))


# ------------------------------------------------------------------ marginal gains


def unit_gains(state: PlanState, rank: int, sign: int) -> np.ndarray:
    """Change in ward value from one more (sign=+1) or one fewer (sign=-1) of ``rank`` per ward."""
    return state.gains(rank, sign)


def _top(values: np.ndarray, k: int) -> np.ndarray:
    k = min(k, int(np.isfinite(values).sum()))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    idx = np.argpartition(-values, k - 1)[:k]
    return idx[np.argsort(-values[idx])]


def _unit(rank: int, w: int, sign: int) -> tuple[int, int, int]:
    return (w, sign, 0) if rank == 0 else (w, 0, sign)


# -------------------------------------------------------------------- phases


def repair(state: PlanState, max_steps: int = 200_000, patience: int = 400) -> bool:
    """Remove (or add) units at least loss until every rule holds. Returns success.

    Gives up after ``max_steps`` steps, or after ``patience`` steps that did not
    bring the total excess over the rules (:func:`excess`) below its least so
    far: rules pulling opposite ways (a limit on moves against the
    supervisors' spans, say) then have it going round in circles.
    """
    best, since = np.inf, 0
    try:
        for _ in range(max_steps):
            bad = state.violations()
            if not bad:
                return True
            over = excess(state)
            best, since = (over, 0) if over < best - 1e-9 else (best, since + 1)
            if since > patience:
                return False
            if not _repair_step(state, bad):
                return False
        return not state.violations()
    finally:
        state.__dict__.pop("_shed_cache", None)


def excess(state: PlanState) -> float:
    """How far a plan is over its rules, in heads: every limit's excess (supervisors counted by the heads
    they supervise, money by constables' pay), summed."""
    prob = state.prob
    span_s, span_i = prob.span_sergeant, prob.span_sergeant * prob.span_inspector
    heads = state.bx + state.bp

    def over(value, limit) -> float:
        return float(np.maximum(np.asarray(value, dtype=float) - limit, 0.0).sum())

    total = over(state.x.sum(), prob.headcount[CONSTABLE]) + over(state.p.sum(), prob.headcount[PCSO])
    total += span_s * (over(state.s.sum(), prob.headcount[SERGEANT]) + over(state.s, prob.max_sergeants))
    total += span_i * (over(state.i.sum(), prob.headcount[INSPECTOR]) + over(state.i, prob.max_inspectors))
    total += over(heads, prob.borough_heads_hi) + over(prob.borough_heads_lo, heads)
    total += over(state.bx, prob.borough_cap_x) + over(state.bp, prob.borough_cap_p)
    if prob.budget is not None:
        total += over(state.cost(), prob.budget) / max(prob.cost[CONSTABLE], 1.0)
    if prob.max_moves is not None:
        total += over(state.moves(), prob.max_moves)
    return total


def _repair_step(state: PlanState, bad: list[str]) -> bool:
    prob = state.prob
    if "borough_low" in bad:
        low = np.flatnonzero(state.bx + state.bp < prob.borough_heads_lo)
        return _best_single(state, +1, ward_mask=np.isin(prob.borough, low), ranks=(0, 1), require_feasible=False)
    ranks: tuple[int, ...] = (0, 1)
    if bad == ["constable"]:
        ranks = (0,)
    elif bad == ["pcso"]:
        ranks = (1,)
    mask = None
    if "borough_high" in bad:
        heads = state.bx + state.bp
        high = (heads > prob.borough_heads_hi) | (state.bx > prob.borough_cap_x) | (state.bp > prob.borough_cap_p)
        mask = np.isin(prob.borough, np.flatnonzero(high))
    if "sergeant" in bad or "inspector" in bad:
        return _shed_supervisor(state)
    if "moves" in bad and prob.base_x is not None and prob.base_p is not None:
        return _toward_baseline(state)
    if bad == ["budget"]:
        return _save_money(state)
    return _best_single(state, -1, ward_mask=mask, ranks=ranks, require_feasible=False)


def _save_money(state: PlanState) -> bool:
    """Over budget only: take the cut that loses least per pound saved, one person or a whole team
    (the people beyond what one sergeant fewer can supervise, and that sergeant)."""
    prob = state.prob
    c = prob.cost
    best: tuple[float, list[tuple[int, int, int]]] | None = None
    for r in (0, 1):
        g = unit_gains(state, r, -1)
        for w in _top(g / c[r], 4):
            ch = [_unit(r, int(w), -1)]
            d = state.delta(ch)
            score = (float(g[w]) if d is None else d) / c[r]
            if best is None or score > best[0]:
                best = (score, ch)
    for b in range(prob.n_boroughs):
        shed = _shed_cost(state, b)
        if shed is None:
            continue
        loss, ch = shed
        saved = c[SERGEANT] + sum(c[CONSTABLE] if dx else c[PCSO] for _, dx, _ in ch)
        if best is None or loss / saved > best[0]:
            best = (loss / saved, ch)
    if best is None:
        return False
    state.apply(best[1])
    return True


def _best_single(
    state: PlanState, sign: int, ward_mask: np.ndarray | None, ranks: tuple[int, ...], require_feasible: bool
) -> bool:
    best: tuple[float, tuple[int, int, int]] | None = None
    for r in ranks:
        g = unit_gains(state, r, sign)
        if ward_mask is not None:
            g = np.where(ward_mask, g, -np.inf)
        for w in _top(g, 8):
            ch = [_unit(r, int(w), sign)]
            if require_feasible:
                d = state.delta(ch)
                if d is None:
                    continue
            else:
                d = float(g[w])
            if best is None or d > best[0]:
                best = (d, ch[0])
    if best is None:
        return False
    state.apply([best[1]])
    return True


def _shed_cost(state: PlanState, b: int) -> tuple[float, list[tuple[int, int, int]]] | None:
    """Least-loss removals that let borough ``b`` drop one sergeant (None if it cannot)."""
    prob = state.prob
    if state.s[b] <= prob.min_sergeants[b]:
        return None
    target = int(np.floor(prob.span_sergeant * (state.s[b] - 1) + 1e-9))
    excess = int(state.bx[b] + state.bp[b]) - target
    wards = np.flatnonzero(prob.borough == b)
    x, p = state.x[wards].copy(), state.p[wards].copy()
    cur = prob.choice_value(wards, x, p)
    total, changes = 0.0, []
    for _ in range(excess):
        ok_x = (x > prob.lo_x[wards]) & prob.meets_min_eff(wards, x - 1, p)
        ok_p = (p > prob.lo_p[wards]) & prob.meets_min_eff(wards, x, p - 1)
        lx = np.where(ok_x, prob.choice_value(wards, x - 1, p) - cur, -np.inf)
        lp = np.where(ok_p, prob.choice_value(wards, x, p - 1) - cur, -np.inf)
        kx, kp = int(np.argmax(lx)), int(np.argmax(lp))
        if not (np.isfinite(lx[kx]) or np.isfinite(lp[kp])):
            return None
        if lx[kx] >= lp[kp]:
            total += float(lx[kx])
            x[kx] -= 1
            changes.append((int(wards[kx]), -1, 0))
            k = kx
        else:
            total += float(lp[kp])
            p[kp] -= 1
            changes.append((int(wards[kp]), 0, -1))
            k = kp
        cur[k] = prob.choice_value(wards[k : k + 1], x[k : k + 1], p[k : k + 1])[0]
    return total, changes


def _shed_supervisor(state: PlanState) -> bool:
    """Cut heads in the borough where dropping one sergeant costs least."""
    prob = state.prob
    cache: dict[int, tuple[int, tuple[float, list[tuple[int, int, int]]] | None]]
    cache = state.__dict__.setdefault("_shed_cache", {})
    for b in range(prob.n_boroughs):
        if b not in cache or cache[b][0] != state.version[b]:
            cache[b] = (int(state.version[b]), _shed_cost(state, b))
    options = [(v[1][0], b) for b, v in cache.items() if v[1] is not None]
    if not options:
        return False
    _, b = max(options)
    entry = cache[b][1]
    assert entry is not None
    state.apply(entry[1])
    return True


def _toward_baseline(state: PlanState) -> bool:
    prob = state.prob
    assert prob.base_x is not None and prob.base_p is not None
    best: tuple[float, tuple[int, int, int]] | None = None
    for r, cur, base in ((0, state.x, prob.base_x), (1, state.p, prob.base_p)):
        for sign in (-1, 1):
            g = unit_gains(state, r, sign)
            g = np.where(np.sign(base - cur) == sign, g, -np.inf)
            for w in _top(g, 4):
                if best is None or g[w] > best[0]:
                    best = (float(g[w]), _unit(r, int(w), sign))
    if best is None:
        return False
    state.apply([best[1]])
    return True


def fill(state: PlanState, max_steps: int = 1_000_000) -> int:
    """Add the unit of best positive gain while any is feasible. Returns units added."""
    added = 0
    for _ in range(max_steps):
        if not _best_single_improving(state):
            break
        added += 1
    return added


def _addable(state: PlanState) -> np.ndarray:
    """Wards whose borough can take one more person without a new sergeant, or can get one."""
    prob = state.prob
    slack = np.floor(prob.span_sergeant * state.s + 1e-9) - (state.bx + state.bp)
    spare = state.s.sum() < prob.headcount[SERGEANT]
    roomy = (slack >= 1) | (spare & (state.s < prob.max_sergeants))
    return roomy[prob.borough]


def _best_single_improving(state: PlanState) -> bool:
    """Add the unit of best gain (of best gain per pound, supervisors included, when there is a budget)."""
    prob = state.prob
    best: tuple[float, tuple[int, int, int]] | None = None
    mask = _addable(state)
    per_pound = prob.budget is not None
    roomy = (np.floor(prob.span_sergeant * state.s + 1e-9) - (state.bx + state.bp) >= 1)[prob.borough]
    for r in (0, 1):
        g = np.where(mask, unit_gains(state, r, +1), -np.inf)
        cands = _top(g, 6)
        if per_pound:  # people who need no new supervisor are cheaper
            cands = np.union1d(cands, _top(np.where(roomy, g, -np.inf), 6))
        for w in cands:
            if g[w] <= 0:
                continue
            ch = [_unit(r, int(w), +1)]
            d = state.delta(ch)
            if d is None or d <= 1e-12:
                continue
            score = d / _added_pay(state, int(w), r) if per_pound else d
            if best is None or score > best[0]:
                best = (score, ch[0])
    if best is None:
        return False
    state.apply([best[1]])
    return True


def _added_pay(state: PlanState, w: int, rank: int) -> float:
    """Annual pay added by one more of ``rank`` in ward ``w``, with any sergeant and inspector it needs."""
    prob = state.prob
    b = int(prob.borough[w])
    s = _sergeants(prob, b, int(state.bx[b] + state.bp[b]) + 1)
    i = _inspectors(prob, b, s)
    c = prob.cost
    return float(c[rank] + c[SERGEANT] * (s - state.s[b]) + c[INSPECTOR] * (i - state.i[b]))


def _per_borough_best(state: PlanState, gains: np.ndarray) -> np.ndarray:
    """Ward with the largest entry of ``gains`` in each borough (-1 where none is finite)."""
    prob = state.prob
    order = np.lexsort((-gains, prob.borough))
    b_sorted = prob.borough[order]
    first = np.flatnonzero(np.r_[True, b_sorted[1:] != b_sorted[:-1]])
    out = np.full(prob.n_boroughs, -1, dtype=np.int64)
    winners = order[first]
    ok = np.isfinite(gains[winners])
    out[b_sorted[first][ok]] = winners[ok]
    return out


def _transfer_candidates(state: PlanState, k: int) -> list[list[tuple[int, int, int]]]:
    prob = state.prob
    roomy = _addable(state)
    out: list[list[tuple[int, int, int]]] = []
    rems = [(r, _top(state.gains(r, -1), k)) for r in (0, 1)]
    for ra in (0, 1):
        g_add = state.gains(ra, +1)
        wa = _top(np.where(roomy, g_add, -np.inf), k)
        for rr, wr in rems:
            out += [[_unit(rr, int(m), -1), _unit(ra, int(a), +1)] for a in wa for m in wr if a != m or ra != rr]
        # within one borough: no change of supervisors
        for rr in (0, 1):
            best_add = _per_borough_best(state, g_add)
            best_rem = _per_borough_best(state, state.gains(rr, -1))
            est = np.full(prob.n_boroughs, -np.inf)
            ok = (best_add >= 0) & (best_rem >= 0)
            est[ok] = g_add[best_add[ok]] + state.gains(rr, -1)[best_rem[ok]]
            for b in _top(est, k):
                a, m = int(best_add[b]), int(best_rem[b])
                if est[b] > 0 and (a != m or ra != rr):
                    out.append([_unit(rr, m, -1), _unit(ra, a, +1)])
    return out


def improve(state: PlanState, k: int = 6, max_rounds: int = 100_000, tol: float = 1e-12) -> int:
    """Best-improvement transfers of one unit between wards (any rank to any rank).

    Candidates: the ``k`` best additions in boroughs with spare sergeant
    capacity against the ``k`` least-loss removals, and per borough the best
    addition against the least-loss removal in the same borough (which needs no
    change of supervisors). Each candidate is checked exactly. Returns the
    number of moves made.
    """
    moves = 0
    for _ in range(max_rounds):
        fill(state)
        best: tuple[float, list[tuple[int, int, int]]] | None = None
        for ch in _transfer_candidates(state, k):
            d = state.delta(ch)
            if d is not None and d > tol and (best is None or d > best[0]):
                best = (d, ch)
        if best is None:
            break
        state.apply(best[1])
        moves += 1
    return moves


def round_lp(prob: AllocationProblem, ward: np.ndarray, x: np.ndarray, p: np.ndarray, weights: np.ndarray):
    """Per ward, the floor of the LP's weighted mean choice (a start for repair)."""
    n = prob.n_wards
    wx = np.bincount(ward, weights=weights * x, minlength=n)
    wp = np.bincount(ward, weights=weights * p, minlength=n)
    tot = np.bincount(ward, weights=weights, minlength=n)
    tot = np.where(tot > 0, tot, 1.0)
    rx = np.floor(wx / tot + 1e-7).astype(np.int64)
    rp = np.clip(np.floor(wp / tot + 1e-7).astype(np.int64), prob.lo_p, prob.hi_p)
    rx = np.maximum(rx, prob.min_x_for(np.arange(n), rp))
    return np.clip(rx, prob.lo_x, prob.hi_x), rp


__all__ = ["INF_INT", "PlanState", "fill", "improve", "repair", "round_lp", "unit_gains"]
