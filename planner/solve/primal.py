"""Integer plans: rounding the LP, repairing it, and improving it by marginal analysis.

A :class:`PlanState` holds constables and PCSOs per ward and derives the
fewest sergeants and inspectors each borough needs for its spans of control.
Every move is checked against every rule's rows before it is taken, so the
state is always a complete, checkable plan once :func:`repair` succeeds. The
repair strategies read the structure of a broken row (which terms it weighs,
which side it breaks), not which rule it belongs to, so a new rule is repaired
without code here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.problem import INF_INT, AllocationProblem, Deployment
from planner.ranks import INSPECTOR, SERGEANT
from planner.rules import RuleKey, rows_of
from planner.tolerances import FEASIBILITY

RANK_ARRAYS = ("x", "p")

Change = list[tuple[int, int, int]]
"""A plan change: (ward, change in constables, change in PCSOs) per entry."""

EVALUATED = 10
"""Single-person repairs weighed per step (those of best value); team cuts are always weighed."""


@dataclass
class PlanState:
    """A mutable integer plan with its aggregates kept up to date.

    Besides the counts it keeps each borough's heads, the fewest supervisors
    they need, each ward's value and every rule row's activity
    (:func:`planner.rules.rows_of`), all updated incrementally by :meth:`apply`.
    """

    prob: AllocationProblem
    x: np.ndarray
    p: np.ndarray

    def __post_init__(self) -> None:
        self.x = np.array(self.x, dtype=np.int64)
        self.p = np.array(self.p, dtype=np.int64)
        self.rows = rows_of(self.prob)
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
        self.act = self.rows.activity(prob, self.deployment())
        # bumped whenever a borough's wards change, so per-borough caches know when they are stale
        self.version = getattr(self, "version", np.zeros(nb, dtype=np.int64)) + 1
        self._gains = {(r, sg): self._compute_gains(r, sg, None) for r in (0, 1) for sg in (-1, 1)}

    def deployment(self) -> Deployment:
        """The plan as it stands, frozen."""
        return Deployment(self.x, self.p, self.s, self.i)

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
        """The plan's objective: the wards' values less the supervisors' cost term."""
        return float(self.value.sum()) - self.prob.supervisor_penalty(self.s, self.i)

    def cost(self) -> float:
        """The plan's annual pay cost in pounds."""
        return self.prob.annual_cost(self.x, self.p, self.s, self.i)

    def moves(self) -> int:
        """People moved between wards from the current deployment."""
        return self.prob.moves(self.x, self.p)

    def supervisors_over(self) -> np.ndarray:
        """Boroughs whose spans need more sergeants or inspectors than the borough may have."""
        return np.flatnonzero((self.s > self.prob.max_sergeants) | (self.i > self.prob.max_inspectors))

    def broken_rows(self) -> np.ndarray:
        """Rule rows the plan breaks (indices into :attr:`rows`)."""
        return self.rows.broken(self.act)

    def violations(self) -> list[str]:
        """Every rule the plan breaks, by rule key (empty when feasible)."""
        keys = {self.rows.keys[int(r)].value for r in self.broken_rows()}
        if len(self.supervisors_over()):
            keys.add(RuleKey.SUPERVISION.value)
        prob = self.prob
        if prob.min_eff is not None and not prob.meets_min_eff(np.arange(prob.n_wards), self.x, self.p).all():
            keys.add(RuleKey.MIN_EFFECTIVE.value)  # a rule without rows: each ward's own choices
        return sorted(keys)

    # ------------------------------------------------------------ evaluation
    def _columns(self) -> dict[str, tuple[list[int], list[int], list[float]]]:
        """Per term, the rows each ward (or borough) has a coefficient in, as plain lists (indptr, rows, values).

        The incremental updates touch a few wards at a time, where Python lists beat numpy calls.
        """
        cols = self.__dict__.get("_cols")
        if cols is None:
            cols = {t: (m.indptr.tolist(), m.indices.tolist(), m.data.tolist()) for t, m in self.rows.AT.items()}
            self.__dict__["_cols"] = cols
        return cols

    def _row_change(self, seen: dict[int, tuple[int, int]], dsup: dict[int, tuple[int, int]]) -> dict[int, float]:
        """Rows touched by ward changes ``seen`` and borough supervisor changes ``dsup``, and their change."""
        prob, cols = self.prob, self._columns()
        acc: dict[int, float] = {}

        def add(term: str, where: int, amount: float) -> None:
            found = cols.get(term)
            if found is None or not amount:
                return
            indptr, rows, values = found
            for k in range(indptr[where], indptr[where + 1]):
                acc[rows[k]] = acc.get(rows[k], 0.0) + values[k] * amount

        base = prob.base_x is not None and prob.base_p is not None
        for w, (dx, dp) in seen.items():
            add("x", w, dx)
            add("p", w, dp)
            if base:
                assert prob.base_x is not None
                assert prob.base_p is not None
                ox, op, nx, np_ = int(self.x[w]), int(self.p[w]), int(self.x[w]) + dx, int(self.p[w]) + dp
                bx, bp = int(prob.base_x[w]), int(prob.base_p[w])
                add("under_x", w, max(bx - nx, 0) - max(bx - ox, 0))
                add("over_x", w, max(nx - bx, 0) - max(ox - bx, 0))
                add("under_p", w, max(bp - np_, 0) - max(bp - op, 0))
                add("over_p", w, max(np_ - bp, 0) - max(op - bp, 0))
        for b, (ds, di) in dsup.items():
            add("s", b, ds)
            add("i", b, di)
        return acc

    def _limits(self) -> tuple[list[float], list[float], list[float]]:
        """Every row's lower and upper limit and head weight, as plain lists (see :meth:`_columns`)."""
        found = self.__dict__.get("_limit_lists")
        if found is None:
            found = (self.rows.lo.tolist(), self.rows.hi.tolist(), self.head_weights().tolist())
            self.__dict__["_limit_lists"] = found
        return found

    def _breaches(self, acc: dict[int, float]) -> list[tuple[float, float, float]]:
        """Per touched row: its breach before and after the change, and its head weight."""
        lo, hi, weight = self._limits()
        out = []
        for r, dv in acc.items():
            a = float(self.act[r])
            before = max(a - hi[r], lo[r] - a, 0.0)
            after = max(a + dv - hi[r], lo[r] - a - dv, 0.0)
            out.append((before, after, weight[r]))
        return out

    def _plan_change(
        self, changes: list[tuple[int, int, int]]
    ) -> tuple[dict[int, tuple[int, int]], dict[int, tuple[int, int]]] | None:
        """Net ward changes, new borough supervisors, or None when a ward or supervisor bound breaks."""
        prob = self.prob
        seen: dict[int, tuple[int, int]] = {}
        for w, dx, dp in changes:
            ox, op = seen.get(w, (0, 0))
            seen[w] = (ox + dx, op + dp)
        dbx: dict[int, int] = {}
        dbp: dict[int, int] = {}
        for w, (dx, dp) in seen.items():
            nx, np_ = self.x[w] + dx, self.p[w] + dp
            if nx < prob.lo_x[w] or nx > prob.hi_x[w] or np_ < prob.lo_p[w] or np_ > prob.hi_p[w]:
                return None
            if prob.min_eff is not None and prob.eff_x * nx + prob.eff_p * np_ < prob.min_eff[w] - 1e-9:
                return None
            b = int(prob.borough[w])
            dbx[b] = dbx.get(b, 0) + dx
            dbp[b] = dbp.get(b, 0) + dp
        dsup: dict[int, tuple[int, int]] = {}
        for b in set(dbx) | set(dbp):
            heads = int(self.bx[b] + self.bp[b]) + dbx.get(b, 0) + dbp.get(b, 0)
            ns = _sergeants(prob, b, heads)
            ni = _inspectors(prob, b, ns)
            if ns > prob.max_sergeants[b] or ni > prob.max_inspectors[b]:
                return None
            dsup[b] = (ns - int(self.s[b]), ni - int(self.i[b]))
        return seen, dsup

    def delta(self, changes: list[tuple[int, int, int]]) -> float | None:
        """Objective change of applying ``changes`` [(ward, dx, dp)], or None if infeasible.

        A change is infeasible when it leaves a ward or a borough's supervisors
        outside their bounds, or a rule row it touches outside its limits and no
        nearer to them than before (so repairs that reduce a breach are allowed).
        """
        prob = self.prob
        change = self._plan_change(changes)
        if change is None:
            return None
        seen, dsup = change
        for before, after, _ in self._breaches(self._row_change(seen, dsup)):
            if after > FEASIBILITY and after >= before - FEASIBILITY:
                return None
        dval = sum(_one_value(prob, w, int(self.x[w]) + dx, int(self.p[w]) + dp) - float(self.value[w])
                   for w, (dx, dp) in seen.items())  # fmt: skip
        ds = sum(v[0] for v in dsup.values())
        di = sum(v[1] for v in dsup.values())
        dobj: float = dval - prob.cost_weight * (prob.cost[SERGEANT] * ds + prob.cost[INSPECTOR] * di)
        return dobj

    def excess_change(self, changes: list[tuple[int, int, int]]) -> tuple[float, float] | None:
        """Change of :func:`excess` if ``changes`` were applied, and the part of it that is new or larger breaches.

        None when the changes break a ward's bounds.
        """
        prob = self.prob
        seen: dict[int, tuple[int, int]] = {}
        for w, dx, dp in changes:
            ox, op = seen.get(w, (0, 0))
            seen[w] = (ox + dx, op + dp)
        heads: dict[int, int] = {}
        for w, (dx, dp) in seen.items():
            nx, np_ = self.x[w] + dx, self.p[w] + dp
            if nx < prob.lo_x[w] or nx > prob.hi_x[w] or np_ < prob.lo_p[w] or np_ > prob.hi_p[w]:
                return None
            b = int(prob.borough[w])
            heads[b] = heads.get(b, int(self.bx[b] + self.bp[b])) + dx + dp
        dsup, parts = {}, []
        for b, h in heads.items():
            ns = _sergeants(prob, b, h)
            ni = _inspectors(prob, b, ns)
            dsup[b] = (ns - int(self.s[b]), ni - int(self.i[b]))
            parts.append(
                _supervisor_excess(prob, b, ns, ni) - _supervisor_excess(prob, b, int(self.s[b]), int(self.i[b]))
            )
        parts += [w * (after - before) for before, after, w in self._breaches(self._row_change(seen, dsup))]
        return sum(parts), sum(v for v in parts if v > 0)

    def head_weights(self) -> np.ndarray:
        """(R,) heads per unit of each row (:meth:`planner.rules.rows.RowSet.head_weights`), computed once."""
        weights = self.__dict__.get("_head_weights")
        if weights is None:
            weights = self.__dict__["_head_weights"] = self.rows.head_weights(self.prob)
        return weights

    def apply(self, changes: list[tuple[int, int, int]]) -> None:
        """Apply ``changes`` [(ward, dx, dp)] and update aggregates (bounds are not checked here)."""
        prob = self.prob
        seen: dict[int, tuple[int, int]] = {}
        for w, dx, dp in changes:
            ox, op = seen.get(w, (0, 0))
            seen[w] = (ox + dx, op + dp)
        touched_b = {int(prob.borough[w]) for w in seen}
        heads = {b: int(self.bx[b] + self.bp[b]) for b in touched_b}
        for w, (dx, dp) in seen.items():
            heads[int(prob.borough[w])] += dx + dp
        dsup = {}
        for b in touched_b:
            ns = _sergeants(prob, b, heads[b])
            dsup[b] = (ns - int(self.s[b]), _inspectors(prob, b, ns) - int(self.i[b]))
        for r, dv in self._row_change(seen, dsup).items():
            self.act[r] += dv
        for w, (dx, dp) in seen.items():
            self.x[w] += dx
            self.p[w] += dp
            b = int(prob.borough[w])
            self.bx[b] += dx
            self.bp[b] += dp
            self.version[b] += 1
            self.value[w] = _one_value(prob, w, int(self.x[w]), int(self.p[w]))
        for b, (ds, di) in dsup.items():
            self.s[b] += ds
            self.i[b] += di
        touched = np.array(sorted(seen), dtype=np.int64)
        for key in self._gains:
            self._gains[key][touched] = self._compute_gains(key[0], key[1], touched)


def _supervisor_excess(prob: AllocationProblem, b: int, s: int, i: int) -> float:
    """Supervisors a borough has beyond its bounds, counted by the heads they supervise."""
    over_s = max(s - int(prob.max_sergeants[b]), 0)
    over_i = max(i - int(prob.max_inspectors[b]), 0)
    return float(prob.span_sergeant[b] * (over_s + prob.span_inspector[b] * over_i))


def _one_value(prob: AllocationProblem, w: int, x: int, p: int) -> float:
    return float(prob.choice_value(np.array([w]), np.array([x]), np.array([p]))[0])


def _sergeants(prob: AllocationProblem, b: int, heads: int) -> int:
    return max(int(np.ceil(heads / prob.span_sergeant[b] - 1e-9)), int(prob.min_sergeants[b]))


def _inspectors(prob: AllocationProblem, b: int, sergeants: int) -> int:
    return max(int(np.ceil(sergeants / prob.span_inspector[b] - 1e-9)), int(prob.min_inspectors[b]))


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
            if not state.violations():
                return True
            over = excess(state)
            best, since = (over, 0) if over < best - 1e-9 else (best, since + 1)
            if since > patience:
                return False
            if not _repair_step(state):
                return False
        return not state.violations()
    finally:
        state.__dict__.pop("_shed_cache", None)


def excess(state: PlanState) -> float:
    """How far a plan is over its rules, in heads.

    Every row's breach in the heads that move it by one (:meth:`planner.rules.rows.RowSet.head_weights`), plus
    supervisors beyond a borough's bounds counted by the heads they supervise, summed.
    """
    prob = state.prob
    total = float(np.sum(state.rows.excess(state.act) * state.head_weights()))
    over_s = np.maximum(state.s - prob.max_sergeants, 0).sum()
    over_i = np.maximum(state.i - prob.max_inspectors, 0).sum()
    return total + float(np.sum(prob.span_sergeant * (over_s + prob.span_inspector * over_i)))


def _repair_step(state: PlanState) -> bool:
    """One repair step: the candidate change that loses least value per head of breach it removes.

    The breach a change removes is measured by :meth:`PlanState.excess_change`.

    Candidates come from the structure of each broken row: for a row below its
    lower limit, one more person where the row counts them; for too many
    supervisors for a borough or London, a team cut in any borough (the people
    beyond what one sergeant fewer can supervise, and that sergeant); for change
    against today, one person back towards today's count; for any other row over
    its limit, one person fewer where the row counts them. Changes that make no
    breach worse come first; then changes that remove more breach than they add;
    a change that removes none is taken only when nothing else is left (the best by value).
    """
    rows, act = state.rows, state.act
    candidates: list[tuple[float, Change]] = []
    supervisors = len(state.supervisors_over()) > 0
    for r in state.broken_rows():
        r = int(r)
        terms = _row_terms(state, r)
        if act[r] < rows.lo[r]:
            candidates += _units_in_row(state, terms, +1)
            continue
        if {"s", "i"} & set(terms):
            supervisors = True
        if set(terms) & {"under_x", "over_x", "under_p", "over_p"}:
            candidates += _toward_baseline(state, terms)
        if {"x", "p"} & set(terms):  # a row of supervisors alone is eased by team cuts only
            candidates += _units_in_row(state, terms, -1)
    # of the single-person changes, the few of best value are weighed (a breach is nearly always repaired where
    # it loses least); compound changes (pairs, team cuts) are few and always weighed
    singles = [c for c in candidates if len(c[1]) == 1]
    candidates = sorted(singles, key=lambda c: -c[0])[:EVALUATED] + [c for c in candidates if len(c[1]) > 1]
    if supervisors:
        candidates += _team_cuts(state)
    clean: tuple[float, Change] | None = None  # removes breach and makes none worse
    net: tuple[float, Change] | None = None  # removes more breach than it adds
    fallback: tuple[float, Change] | None = None
    for gain, ch in candidates:
        found = state.excess_change(ch)
        if found is None:
            continue
        change, worse = found
        if change < -1e-9:
            score = gain / -change
            if worse <= 1e-9:
                clean = (score, ch) if clean is None or score > clean[0] else clean
            else:
                net = (score, ch) if net is None or score > net[0] else net
        elif fallback is None or gain > fallback[0]:
            fallback = (gain, ch)
    chosen = clean or net or fallback
    if chosen is None:
        return False
    state.apply(chosen[1])
    return True


def _row_terms(state: PlanState, r: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The nonzero coefficients of row ``r`` per term: (indices, values)."""
    out = {}
    for term, mat in state.rows.A.items():
        lo, hi = mat.indptr[r], mat.indptr[r + 1]
        if hi > lo:
            out[term] = (mat.indices[lo:hi], mat.data[lo:hi])
    return out


def _units_in_row(
    state: PlanState, terms: dict[str, tuple[np.ndarray, np.ndarray]], sign: int, k: int = 8
) -> list[tuple[float, Change]]:
    """One person more (sign +1) or fewer (-1) in the ``k`` wards of best gain per rank the row counts positively.

    For a row of money or supervisors: every ward.
    """
    out: list[tuple[float, Change]] = []
    every = bool({"s", "i"} & set(terms))
    for rank, term in ((0, "x"), (1, "p")):
        if term not in terms and not every:
            continue
        g = unit_gains(state, rank, sign)
        if term in terms:
            idx, coef = terms[term]
            mask = np.zeros(state.prob.n_wards, dtype=bool)
            mask[idx[coef > 0]] = True
            g = np.where(mask, g, -np.inf)
        out += [(float(g[w]), [_unit(rank, int(w), sign)]) for w in _top(g, k)]
    return out


def _team_cuts(state: PlanState, k: int = 8) -> list[tuple[float, Change]]:
    """The ``k`` least-loss cuts that let a borough drop one sergeant, and the cut of every borough over its bounds.

    The bounds are the borough's own; each cut is cached while its wards do not change.
    """
    prob = state.prob
    cache: dict[int, tuple[int, tuple[float, Change] | None]]
    cache = state.__dict__.setdefault("_shed_cache", {})
    for b in range(prob.n_boroughs):
        if b not in cache or cache[b][0] != state.version[b]:
            cache[b] = (int(state.version[b]), _shed_cost(state, b))
    options = sorted(((v[1][0], b) for b, v in cache.items() if v[1] is not None), reverse=True)
    keep = {b for _, b in options[:k]} | set(state.supervisors_over().tolist())
    return [entry for b in sorted(keep) if (entry := cache[b][1]) is not None]


def _toward_baseline(state: PlanState, terms: dict[str, tuple[np.ndarray, np.ndarray]]) -> list[tuple[float, Change]]:
    """Changes back towards today's counts in the wards the row counts.

    One person, and per borough a pair (one back into a ward below today, one out of a ward above it) that leaves the
    borough's heads, and so its supervisors, as they are.
    """
    prob = state.prob
    assert prob.base_x is not None
    assert prob.base_p is not None
    out: list[tuple[float, Change]] = []
    back_in: list[tuple[int, np.ndarray]] = []
    back_out: list[tuple[int, np.ndarray]] = []
    for rank, cur, base in ((0, state.x, prob.base_x), (1, state.p, prob.base_p)):
        name = "x" if rank == 0 else "p"
        counted = np.zeros(prob.n_wards, dtype=bool)
        for side in ("under_", "over_"):
            if side + name in terms:
                idx, coef = terms[side + name]
                counted[idx[coef > 0]] = True
        for sign in (-1, 1):
            g = unit_gains(state, rank, sign)
            g = np.where(counted & (np.sign(base - cur) == sign), g, -np.inf)
            out += [(float(g[w]), [_unit(rank, int(w), sign)]) for w in _top(g, 4)]
        back_in.append((rank, np.where(cur < base, unit_gains(state, rank, +1), -np.inf)))
        back_out.append((rank, np.where(cur > base, unit_gains(state, rank, -1), -np.inf)))
    for ra, add in back_in:
        best_add = _per_borough_best(state, add)
        for rr, rem in back_out:
            best_rem = _per_borough_best(state, rem)
            ok = (best_add >= 0) & (best_rem >= 0)
            est = np.full(prob.n_boroughs, -np.inf)
            est[ok] = add[best_add[ok]] + rem[best_rem[ok]]
            for b in _top(est, 3):
                a, m = int(best_add[b]), int(best_rem[b])
                if a != m or ra != rr:
                    out.append((float(est[b]), [_unit(rr, m, -1), _unit(ra, a, +1)]))
    return out


def _shed_cost(state: PlanState, b: int) -> tuple[float, list[tuple[int, int, int]]] | None:
    """Least-loss removals that let borough ``b`` drop one sergeant (None if it cannot)."""
    prob = state.prob
    if state.s[b] <= prob.min_sergeants[b]:
        return None
    target = int(np.floor(prob.span_sergeant[b] * (state.s[b] - 1) + 1e-9))
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
    wards: np.ndarray = roomy[prob.borough]
    return wards


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


def round_lp(
    prob: AllocationProblem, ward: np.ndarray, x: np.ndarray, p: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
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
