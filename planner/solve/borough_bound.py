"""An upper bound that keeps every borough's sergeants and inspectors whole.

The column-generation bound (:mod:`planner.solve.columns`, :mod:`planner.solve.master`)
treats each borough's sergeants and inspectors as continuous, so when
supervisors bind (all inspectors deployed, say) it can overstate the optimum
by a whole per cent. Here only the London-wide rules are priced: constable,
PCSO, sergeant and inspector headcount, the budget and the limit on moves,
with prices ``pi >= 0``. For fixed prices the problem falls apart into one
subproblem per borough, solved exactly over *integer* sergeants ``s`` and
inspectors ``i``::

    V_b(pi) = max over s of  G_b(min(floor(S * s), cap_b)) - c_s * s - c_i * i(s),
    i(s) = max(min_i, ceil(s / I)),

where ``G_b(H)`` bounds from above the best priced value of at most ``H``
constables plus PCSOs in the borough's wards. By weak duality
``L(pi) = sum_b V_b(pi) + pi . limits`` bounds every plan's objective from
above, for any ``pi >= 0``; :mod:`planner.solve.price_search` searches ``pi``.

How ``G_b`` is built, and why it is valid:

* per ward, ``F_w(h)`` is the best priced value with exactly ``h`` heads
  (``x + p = h``); for fixed ``h`` the value is concave in the split, so the
  best integer split is the floor or ceiling of a stationary point of one
  smooth piece (the moves price adds kinks at the baseline), a kink, or a
  bound: all are tried and the best is exact;
* ``h`` is enumerated from the ward's least feasible count until the
  continuous relaxation ``F_cont(h) - theta * h`` (concave, and above
  ``F_w(h) - theta * h``) is falling and below the best value of
  ``F_w(h) - theta * h`` already seen; beyond it every step of the ward's
  concave envelope is worth at most ``theta = c_s / ceil(S)``, the price of one
  sergeant spread over the heads it supervises;
* ``G_b(H)`` is the sum of the wards' least values plus the ``H - sum h_min``
  largest steps of the pooled concave envelopes (steps worth at most
  ``theta`` are replaced by ``theta``, so unseen steps are covered). Taking
  the largest steps of any pool of increments bounds every split of ``H``
  heads from above; the envelope makes it tight.

Which rules are priced: every rule row (:mod:`planner.rules`) except those the
subproblems keep exactly (spans, borough shares and caps: :data:`KEPT_EXACTLY`)
and other rows local to one borough, which are dropped. Rules dropped from the
subproblem only loosen the bound (it stays valid): per-borough constable and
PCSO caps enter only through their sum as a cap on heads; the lower bound on a
borough's heads only rules sergeant counts out; a row of change against today
(the moves limit) acts through its price alone. Per-ward floors on effective
officers (``AllocationProblem.min_eff``, the balance objective's floor) are
kept exactly by restricting each ward's choices.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from planner.problem import INF_INT, AllocationProblem
from planner.ranks import CONSTABLE, INSPECTOR, PCSO, SERGEANT
from planner.rules import RuleKey, rows_of
from planner.rules.rows import ward_term_values
from planner.solve.columns import RowPrices

MAX_STEPS = 4000
"""Most head counts enumerated per ward before the bound gives up (returns +inf)."""
MAX_POINTS = 2_000_000
"""Most (ward, head count) points enumerated in all before the bound gives up (returns +inf)."""


# ----------------------------------------------------------------- static data


@dataclass(frozen=True, eq=False)
class Frame:
    """Bounds implied by the rules, computed once per problem.

    Every bound here follows from the problem's rules, so restricting to it
    loses no plan.
    """

    prob: AllocationProblem
    lo_x: np.ndarray
    hi_x: np.ndarray
    lo_p: np.ndarray
    hi_p: np.ndarray
    h_min: np.ndarray
    """(W,) fewest heads each ward can hold (floors and minimum effective officers)."""
    h_max: np.ndarray
    """(W,) most heads each ward can hold."""
    s_lo: np.ndarray
    s_hi: np.ndarray
    i_hi: np.ndarray
    heads_lo: np.ndarray
    heads_cap: np.ndarray
    """(B,) most heads a borough can hold, from every cap."""
    priced: np.ndarray
    """Rows (indices into :func:`planner.rules.rows_of`) priced here: every row except those the borough
    subproblems keep exactly (spans, borough shares and caps) and other rows local to one borough (dropped,
    which only loosens the bound)."""
    lo: np.ndarray
    """(P,) lower limits of the priced rows."""
    hi: np.ndarray
    """(P,) upper limits of the priced rows."""
    feasible: bool

    @property
    def n_prices(self) -> int:
        """Number of priced rows P."""
        return len(self.priced)

    @property
    def can_rise(self) -> np.ndarray:
        """(P,) prices that may be positive (rows with an upper limit)."""
        rise: np.ndarray = np.isfinite(self.hi)
        return rise

    @property
    def can_fall(self) -> np.ndarray:
        """(P,) prices that may be negative (rows with a lower limit)."""
        fall: np.ndarray = np.isfinite(self.lo)
        return fall

    def clamp(self, v: np.ndarray) -> np.ndarray:
        """Prices with the right signs."""
        v = np.where(self.can_rise, np.asarray(v, dtype=float), np.minimum(v, 0.0))
        return np.where(self.can_fall, v, np.maximum(v, 0.0))

    def limit(self, v: np.ndarray, usage: np.ndarray | None = None) -> np.ndarray:
        """(P,) the limit each price applies to: the upper one for a positive price, the lower for a negative.

        At a zero price, the usage clipped into the limits (a subgradient of the priced limits there).
        """
        at_zero = np.zeros(len(v)) if usage is None else np.clip(usage, self.lo, self.hi)
        return np.where(v > 0, self.hi, np.where(v < 0, self.lo, at_zero))

    def index(self, name: str) -> int | None:
        """Position of the priced row called ``name`` (None if it is not priced)."""
        names = rows_of(self.prob).names
        for k, r in enumerate(self.priced):
            if names[int(r)] == name:
                return k
        return None

    def full(self, v: np.ndarray) -> RowPrices:
        """Prices on every row: ``v`` on the priced rows, zero elsewhere."""
        y = np.zeros(rows_of(self.prob).n_rows)
        y[self.priced] = v
        return RowPrices(y)


KEPT_EXACTLY = frozenset({RuleKey.SUPERVISION, RuleKey.BOROUGH_SHARE, RuleKey.BOROUGH_CAPS})
"""Rules whose rows each borough's subproblem keeps exactly (through :class:`Frame`), so they are not priced."""


def make_frame(prob: AllocationProblem) -> Frame:
    """The implied bounds of ``prob`` (see :class:`Frame`)."""
    nb = prob.n_boroughs
    hc = prob.headcount.astype(np.int64)
    b = prob.borough
    sum_lo_x = np.bincount(b, weights=prob.lo_x, minlength=nb).astype(np.int64)
    sum_lo_p = np.bincount(b, weights=prob.lo_p, minlength=nb).astype(np.int64)
    hi_x = np.minimum.reduce(
        [prob.hi_x, hc[CONSTABLE] - prob.lo_x.sum() + prob.lo_x, prob.borough_cap_x[b] - sum_lo_x[b] + prob.lo_x]
    )
    hi_p = np.minimum.reduce(
        [prob.hi_p, hc[PCSO] - prob.lo_p.sum() + prob.lo_p, prob.borough_cap_p[b] - sum_lo_p[b] + prob.lo_p]
    )
    lo_x, lo_p = prob.lo_x.astype(np.int64), prob.lo_p.astype(np.int64)
    h_min = lo_x + lo_p
    h_max = hi_x + hi_p
    feasible = bool((hi_x >= lo_x).all() and (hi_p >= lo_p).all())
    if prob.min_eff is not None and feasible:
        h_min = _least_heads(prob, lo_x, hi_x, lo_p, hi_p)
        feasible = bool((h_min <= h_max).all())
    hmin_b = np.bincount(b, weights=h_min, minlength=nb).astype(np.int64)
    hmax_b = np.bincount(b, weights=h_max, minlength=nb).astype(np.int64)
    s_lo = prob.min_sergeants.astype(np.int64)
    s_hi = np.minimum(prob.max_sergeants, hc[SERGEANT] - s_lo.sum() + s_lo)
    i_lo = prob.min_inspectors.astype(np.int64)
    i_hi = np.minimum(prob.max_inspectors, hc[INSPECTOR] - i_lo.sum() + i_lo)
    cap = np.minimum.reduce(
        [
            np.minimum(prob.borough_heads_hi, INF_INT),
            prob.borough_cap_x + prob.borough_cap_p,
            hmax_b,
            np.full(nb, hc[CONSTABLE] + hc[PCSO]) - hmin_b.sum() + hmin_b,
            np.floor(prob.span_sergeant * np.maximum(s_hi, 0) + 1e-9).astype(np.int64),
        ]
    )
    # the ward's heads can never exceed its borough's cap less the other wards' least heads
    h_max = np.minimum(h_max, cap[b] - hmin_b[b] + h_min)
    feasible &= bool((h_min <= h_max).all() and (s_hi >= s_lo).all() and (i_hi >= i_lo).all())
    rows = rows_of(prob)
    kept = np.array([k in KEPT_EXACTLY for k in rows.keys], dtype=bool)
    priced = np.flatnonzero(~kept & (rows.london_wide | (nb == 1)))
    return Frame(
        prob, lo_x, hi_x, lo_p, hi_p, h_min, h_max, s_lo, s_hi, i_hi,
        prob.borough_heads_lo.astype(np.int64), cap, priced, rows.lo[priced], rows.hi[priced], feasible,
    )  # fmt: skip


def _least_heads(
    prob: AllocationProblem, lo_x: np.ndarray, hi_x: np.ndarray, lo_p: np.ndarray, hi_p: np.ndarray
) -> np.ndarray:
    """Fewest heads per ward meeting the floors and the minimum effective officers."""
    assert prob.min_eff is not None
    h = lo_x + lo_p
    w = np.arange(prob.n_wards)
    for _ in range(MAX_STEPS):
        xl, xu = _split_range(prob, w, h, lo_x, hi_x, lo_p, hi_p)
        bad = xl > xu
        if not bad.any() or (h[bad] >= hi_x[bad] + hi_p[bad]).all():
            break
        h = np.where(bad & (h < hi_x + hi_p), h + 1, h)
    xl, xu = _split_range(prob, w, h, lo_x, hi_x, lo_p, hi_p)
    heads: np.ndarray = np.where(xl <= xu, h, hi_x + hi_p + 1)  # past the ward's most heads when no count works
    return heads


def _split_range(
    prob: AllocationProblem,
    w: np.ndarray,
    h: np.ndarray,
    lo_x: np.ndarray,
    hi_x: np.ndarray,
    lo_p: np.ndarray,
    hi_p: np.ndarray,
    real: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Range ``[xl, xu]`` of constables with ``h`` heads in ward ``w`` (whole numbers, or real), as floats."""
    xl = np.maximum(lo_x[w], h - hi_p[w]).astype(float)
    xu = np.minimum(hi_x[w], h - lo_p[w]).astype(float)
    if prob.min_eff is not None:
        d = prob.eff_x - prob.eff_p
        short = prob.min_eff[w] - 1e-9 - prob.eff_p * h
        if d > 0:
            t = short / d
            xl = np.maximum(xl, t if real else np.ceil(t - 1e-12))
        elif d < 0:
            t = short / d
            xu = np.minimum(xu, t if real else np.floor(t + 1e-12))
        else:
            xu = np.where(short <= 0, xu, -np.inf)
    return xl, xu


# ----------------------------------------------------------------- prices


def price_vector(fr: Frame, y: RowPrices) -> np.ndarray:
    """The priced rows' prices out of prices on every row (clamped to the right signs)."""
    return fr.clamp(np.asarray(y.y, dtype=float)[fr.priced])


@dataclass(frozen=True, eq=False)
class UnitPrices:
    """What one evaluation's prices charge, cost weight folded in.

    Per constable ``a`` and PCSO ``b`` in each ward (W,), per unit of shortfall and excess against today in each ward
    (W,), per sergeant ``c_s`` and inspector ``c_i`` in each borough (B,); and the priced limits ``constant``.
    """

    a: np.ndarray
    b: np.ndarray
    under_x: np.ndarray
    over_x: np.ndarray
    under_p: np.ndarray
    over_p: np.ndarray
    c_s: np.ndarray
    c_i: np.ndarray
    constant: float
    moves: bool


def unit_prices(fr: Frame, v: np.ndarray) -> UnitPrices:
    """The charges of prices ``v`` on the priced rows (see :class:`UnitPrices`)."""
    prob = fr.prob
    c = fr.full(v).charges(prob)
    cw, cost = prob.cost_weight, prob.cost
    mc = prob.move_cost  # a person below today's count costs a move, as in the objective
    return UnitPrices(
        a=c.a + cw * cost[CONSTABLE], b=c.b + cw * cost[PCSO],
        under_x=c.under_x + mc, over_x=c.over_x, under_p=c.under_p + mc, over_p=c.over_p,
        c_s=c.s + cw * cost[SERGEANT], c_i=c.i + cw * cost[INSPECTOR],
        constant=c.constant, moves=(c.moves or mc > 0) and prob.base_x is not None,
    )  # fmt: skip


def _lag(prob: AllocationProblem, u: UnitPrices, w: np.ndarray, x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Priced value of ward ``w`` holding ``x`` constables and ``h - x`` PCSOs (broadcasts; reals allowed)."""
    p = h - x
    val: np.ndarray = prob.gain(w, x, p) - u.a[w] * x - u.b[w] * p
    if u.moves and prob.base_x is not None and prob.base_p is not None:
        bx, bp = prob.base_x[w], prob.base_p[w]
        val = val - (
            u.under_x[w] * np.maximum(bx - x, 0) + u.over_x[w] * np.maximum(x - bx, 0)
            + u.under_p[w] * np.maximum(bp - p, 0) + u.over_p[w] * np.maximum(p - bp, 0)
        )  # fmt: skip
    return val


def best_split(fr: Frame, u: UnitPrices, w: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, ...]:
    """Best priced value with exactly ``h`` heads per ward, over whole splits and over real splits.

    Whole splits come with the constables that reach them; real splits are the continuous relaxation ``F_cont``.

    For fixed ``h`` the value is concave in ``x``; its maximiser over reals is a
    stationary point of one smooth piece, a kink (moves price) or a bound, so
    the best whole number is among their floors and ceilings clipped to the range.

    Returns
    -------
    f, x, f_cont : arrays like ``w``
    """
    prob = fr.prob
    xl, xu = _split_range(prob, w, h, fr.lo_x, fr.hi_x, fr.lo_p, fr.hi_p)
    rl, ru = _split_range(prob, w, h, fr.lo_x, fr.hi_x, fr.lo_p, fr.hi_p, real=True)
    whole, real = [xl, xu], [rl, ru]
    d = prob.eff_x - prob.eff_p
    a, b = u.a[w], u.b[w]
    if u.moves:
        xs_price = (a - u.under_x[w], a + u.over_x[w])
        ps_price = (b - u.under_p[w], b + u.over_p[w])
        deltas = [xp - pp for xp in xs_price for pp in ps_price]
    else:
        deltas = [a - b]
    if d != 0 or prob.own_role:
        for delta in deltas:
            t = prob.split_stationary(w, h, delta)
            t = np.where(np.isfinite(t), t, rl)
            real.append(np.clip(t, rl, np.maximum(rl, ru)))
            t = np.clip(t, xl, np.maximum(xl, xu))
            whole += [np.floor(t), np.ceil(t)]
    if u.moves and prob.base_x is not None and prob.base_p is not None:
        for k in (prob.base_x[w], h - prob.base_p[w]):
            whole.append(np.clip(k.astype(float), xl, np.maximum(xl, xu)))
            real.append(np.clip(k.astype(float), rl, np.maximum(rl, ru)))
    rows = np.arange(len(w))
    out = []
    for cands, lo, hi in ((whole, xl, xu), (real, rl, ru)):
        xs = np.stack(cands, axis=1)
        vals = _lag(prob, u, w[:, None], xs, h[:, None])
        vals = np.where((lo <= hi)[:, None], vals, -np.inf)
        k = np.argmax(vals, axis=1)
        out += [vals[rows, k], xs[rows, k]]
    return out[0], out[1], out[2]


@dataclass
class _Curves:
    """Every ward's ``F_w(h)`` on its enumerated heads, sorted by ward then ``h``."""

    start: np.ndarray  # (W + 1,) offsets of each ward's points
    f: np.ndarray
    x: np.ndarray
    ok: bool


def _curves(fr: Frame, u: UnitPrices, theta_w: np.ndarray) -> _Curves:
    """Enumerate ``h`` per ward until no larger ``h`` can beat what was seen by more than ``theta`` per head.

    Wards still running are advanced by a block of head counts at a time (wider
    as fewer are left); only the points up to each ward's stopping point are kept.
    """
    prob = fr.prob
    n = prob.n_wards
    h = fr.h_min.astype(np.int64).copy()
    active = np.arange(n)
    best_g = np.full(n, -np.inf)
    prev_gc = np.full(n, -np.inf)  # no step is certified falling before the second point
    parts_w, parts_f, parts_x = [], [], []
    points = 0
    while active.size:
        if (h[active] - fr.h_min[active] > MAX_STEPS).any() or points > MAX_POINTS:
            return _Curves(np.zeros(n + 1, np.int64), np.zeros(0), np.zeros(0), ok=False)
        w = active
        width = int(np.clip(8192 // len(w), 1, 256))
        hh = h[w][:, None] + np.arange(width)[None, :]
        ww = np.broadcast_to(w[:, None], hh.shape)
        f, x, fc = (a.reshape(hh.shape) for a in best_split(fr, u, ww.ravel(), hh.ravel().astype(float)))
        th = theta_w[w][:, None]
        g = np.maximum.accumulate(np.concatenate([best_g[w][:, None], f - th * hh], axis=1), axis=1)[:, 1:]
        gc = fc - th * hh
        prev = np.concatenate([prev_gc[w][:, None], gc[:, :-1]], axis=1)
        margin = 1e-12 * np.maximum(1.0, np.abs(g))
        stop = (hh >= fr.h_max[w][:, None]) | ((gc <= prev) & (gc <= g - margin))
        done = stop.any(axis=1)
        last = np.where(done, np.argmax(stop, axis=1), width - 1)
        keep = np.arange(width)[None, :] <= last[:, None]
        points += int(keep.sum())
        parts_w.append(ww[keep])
        parts_f.append(f[keep])
        parts_x.append(x[keep])
        rows = np.arange(len(w))
        best_g[w] = g[rows, last]
        prev_gc[w] = gc[rows, last]
        h[w] += width
        active = w[~done]
    ward = np.concatenate(parts_w)
    order = np.argsort(ward, kind="stable")  # within a ward, points were made in order of h
    counts = np.bincount(ward, minlength=n)
    start = np.concatenate([[0], np.cumsum(counts)])
    return _Curves(start, np.concatenate(parts_f)[order], np.concatenate(parts_x)[order], ok=True)


def _envelope_steps(fr: Frame, cur: _Curves) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steps of each ward's concave envelope, and the envelope's vertices.

    Steps are (ward, value) per extra head, in order of ``h``; vertices are indices into the curves (each ward's first
    and last point are vertices).

    A point strictly below the chord of its two neighbours is never a vertex
    of the upper hull, so all such points can go at once; repeat until none is left.
    """
    n = fr.prob.n_wards
    counts = np.diff(cur.start)
    ward = np.repeat(np.arange(n), counts)
    hval = (fr.h_min[ward] + (np.arange(len(ward)) - cur.start[ward])).astype(float)
    idx = np.arange(len(ward))
    while len(idx) >= 3:
        wk, hk, fk = ward[idx], hval[idx], cur.f[idx]
        inner = (wk[1:-1] == wk[:-2]) & (wk[1:-1] == wk[2:])
        with np.errstate(divide="ignore", invalid="ignore"):  # chords across two wards are masked
            chord = fk[:-2] + (fk[2:] - fk[:-2]) * (hk[1:-1] - hk[:-2]) / (hk[2:] - hk[:-2])
            below = inner & (fk[1:-1] < chord - 1e-12 * (1.0 + np.abs(chord)))
        if not below.any():
            break
        idx = np.delete(idx, 1 + np.flatnonzero(below))
    wk, hk, fk = ward[idx], hval[idx], cur.f[idx]
    seg = wk[1:] == wk[:-1]
    slope = (fk[1:] - fk[:-1])[seg] / (hk[1:] - hk[:-1])[seg]
    width = (hk[1:] - hk[:-1])[seg].astype(np.int64)
    return np.repeat(wk[:-1][seg], width), np.repeat(slope, width), idx


# ----------------------------------------------------------------- borough subproblems


@dataclass
class BoroughSolution:
    """One evaluation of ``L(pi)``: the bound and the subproblems' best answers.

    Attributes
    ----------
    value : float
        ``L(pi)``, an upper bound on every plan's objective (``inf`` when the
        enumeration gave up, ``-inf`` when a borough has no feasible choice).
    prices : (P,) float
        ``pi`` on the priced rows (:attr:`Frame.priced`).
    sergeants, inspectors : (B,) int
        Each borough's best supervisors under ``pi``.
    heads_cap : (B,) int
        Heads those sergeants allow (``floor(S * s)``, capped).
    x, p : (W,) int
        Each ward's best choice in its borough's best answer.
    usage : (P,) float
        The priced rows' activity in that answer.
    subgradient : (P,) float
        ``limit - usage``, a subgradient of ``L`` at ``prices`` (exact when ``extension`` is 0; between
        two vertices of a ward's envelope the usage is their weighted mix).
    """

    value: float
    prices: np.ndarray
    sergeants: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    inspectors: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    heads_cap: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    x: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    p: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    usage: np.ndarray = field(default_factory=lambda: np.zeros(0))
    extension: int = 0
    """Heads the best answers count beyond the boroughs' pools of steps (valued at ``theta``)."""
    subgradient: np.ndarray = field(default_factory=lambda: np.zeros(0))


def _segments(key: np.ndarray, n: int) -> np.ndarray:
    """Start offsets (n + 1,) of the runs of a sorted key."""
    return np.concatenate([[0], np.cumsum(np.bincount(key, minlength=n))])


def inspectors_for(fr: Frame, s: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Fewest inspectors borough ``b`` needs for ``s`` sergeants."""
    prob = fr.prob
    need = np.ceil(s / prob.span_inspector[b] - 1e-9).astype(np.int64)
    fewest: np.ndarray = np.maximum(need, prob.min_inspectors[b])
    return fewest


@dataclass
class Tables:
    """Everything one evaluation builds: the pooled envelope steps and every borough's sergeant options.

    ``option_*`` arrays have one entry per (borough, sergeant count) worth trying.
    """

    fr: Frame
    v: np.ndarray
    u: UnitPrices
    theta: np.ndarray  # (B,)
    cur: _Curves
    vertices: np.ndarray
    step_ward: np.ndarray  # kept envelope steps, by borough then largest first
    step_value: np.ndarray
    seg: np.ndarray  # (B + 1,) offsets of each borough's steps
    prefix: np.ndarray  # prefix[seg[b] + b + k]: sum of borough b's k largest steps
    base: np.ndarray  # (B,) value of every ward at its fewest heads
    prefix_pay: np.ndarray  # like ``prefix``: the pay (pounds a year) those steps add
    base_pay: np.ndarray  # (B,) pay of every ward's choice at its fewest heads
    option_b: np.ndarray
    option_s: np.ndarray
    option_i: np.ndarray
    option_heads: np.ndarray  # heads the sergeants allow (capped)
    option_ok: np.ndarray
    option_steps: np.ndarray  # steps of the pool those heads take (at most the pool's size)

    @property
    def n_steps(self) -> np.ndarray:
        """(B,) number of envelope steps kept per borough."""
        return np.diff(self.seg)

    def heads_value(self, extension: bool = True) -> np.ndarray:
        """Per option: the bound ``G_b`` on the priced value of its heads.

        Steps beyond the pool count at ``theta`` when ``extension``, else not at all.
        """
        b, kk = self.option_b, self.option_steps
        hmin_b = np.bincount(self.fr.prob.borough, weights=self.fr.h_min, minlength=len(self.base))
        g: np.ndarray = self.base[b] + self.prefix[self.seg[b] + b + kk]
        if extension:
            g = g + self.theta[b] * np.maximum(self.option_heads - hmin_b[b] - kk, 0)
        return g

    def option_pay(self) -> np.ndarray:
        """Per option: annual pay (pounds) of the borough's choices and supervisors.

        Heads as in ``G_b``, without the steps beyond the pool.
        """
        b, kk = self.option_b, self.option_steps
        c = self.fr.prob.cost
        heads = self.base_pay[b] + self.prefix_pay[self.seg[b] + b + kk]
        pay: np.ndarray = heads + c[SERGEANT] * self.option_s + c[INSPECTOR] * self.option_i
        return pay

    def ward_choices(self, steps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each ward's heads and best whole split when borough ``b`` takes its ``steps[b]`` largest steps."""
        fr = self.fr
        inc_b = fr.prob.borough[self.step_ward]
        rank_in_b = np.arange(len(self.step_value)) - self.seg[inc_b]
        taken = rank_in_b < steps[inc_b]
        h = fr.h_min + np.bincount(self.step_ward[taken], minlength=fr.prob.n_wards)
        at = self.cur.start[:-1] + (h - fr.h_min)
        x = self.cur.x[at].astype(np.int64)
        return h, x, h - x


def _theta(prob: AllocationProblem, u: UnitPrices) -> np.ndarray:
    """The most a head beyond the enumerated ones may be worth, per borough.

    The dearer of two supervision costs per head.

    One more sergeant adds at most ``ceil(S)`` heads and costs ``c_s``; ``K =
    ceil(I)`` more sergeants add at most ``ceil(S * K)`` heads and cost ``K *
    c_s`` plus at least one inspector ``c_i`` (once past the minimum
    inspectors). If every head beyond a borough's pool of steps is worth at most
    the larger ratio, then past the pool ``s`` sergeants are never better than
    ``s - 1`` (first ratio) or ``s - K`` (second), so trying ``s`` up to a little
    past the pool (``s_top`` in :func:`tables`) finds the borough's best.
    """
    s_span, k = prob.span_sergeant, np.ceil(prob.span_inspector - 1e-9)
    c_s, c_i = np.maximum(u.c_s, 0.0), np.maximum(u.c_i, 0.0)
    one = c_s / np.ceil(s_span - 1e-9)
    block = (k * c_s + c_i) / np.ceil(s_span * k - 1e-9)
    theta: np.ndarray = np.maximum(one, block)
    return theta


def tables(fr: Frame, v: np.ndarray, reach: float = 1.0) -> Tables | float:
    """Build the :class:`Tables` at prices ``v``; a float (``inf``: gave up, ``-inf``: no choice) otherwise.

    ``reach`` in (0, 1] scales ``theta``: smaller values enumerate further (more
    steps in the pool, a tighter bound, more work); any of them gives a valid bound.
    """
    prob = fr.prob
    nb = prob.n_boroughs
    v = fr.clamp(v)
    if not fr.feasible:
        return -np.inf
    u = unit_prices(fr, v)
    span = prob.span_sergeant
    theta_b = reach * _theta(prob, u)
    cur = _curves(fr, u, theta_b[prob.borough])
    if not cur.ok:
        return np.inf
    inc_w, inc_v, vertices = _envelope_steps(fr, cur)
    # pay of each ward's choice at each enumerated head count, and what each step adds to it
    ward_pt = np.repeat(np.arange(prob.n_wards), np.diff(cur.start))
    h_pt = fr.h_min[ward_pt] + np.arange(len(ward_pt)) - cur.start[ward_pt]
    pay = prob.cost[CONSTABLE] * cur.x + prob.cost[PCSO] * (h_pt - cur.x)
    at = np.arange(len(inc_w)) + inc_w  # a ward has one step fewer than points
    inc_c = pay[at + 1] - pay[at]
    keep = inc_v > theta_b[prob.borough[inc_w]]
    inc_w, inc_v, inc_c = inc_w[keep], inc_v[keep], inc_c[keep]
    inc_b = prob.borough[inc_w]
    order = np.lexsort((-inc_v, inc_b))
    inc_w, inc_v, inc_c, inc_b = inc_w[order], inc_v[order], inc_c[order], inc_b[order]
    seg = _segments(inc_b, nb)
    prefix = _prefix(inc_v, inc_b, seg)
    prefix_pay = _prefix(inc_c, inc_b, seg)
    base_b = np.bincount(prob.borough, weights=cur.f[cur.start[:-1]], minlength=nb)
    base_pay = np.bincount(prob.borough, weights=pay[cur.start[:-1]], minlength=nb)
    hmin_b = np.bincount(prob.borough, weights=fr.h_min, minlength=nb).astype(np.int64)
    # sergeant counts worth trying: beyond s_top, s sergeants are never better than s - 1 or s - K (see _theta)
    need_h = np.maximum(hmin_b + np.diff(seg), fr.heads_lo)
    k_span = np.ceil(prob.span_inspector - 1e-9).astype(np.int64)
    floor_s = np.maximum(
        np.ceil(need_h / span - 1e-9).astype(np.int64) + 1,
        np.ceil(prob.span_inspector * prob.min_inspectors - 1e-9).astype(np.int64),
    )
    s_top = np.minimum(fr.s_hi, np.maximum(fr.s_lo, floor_s) + k_span)
    lens = np.maximum(s_top - fr.s_lo + 1, 0)
    bb = np.repeat(np.arange(nb), lens)
    s = fr.s_lo[bb] + np.arange(len(bb)) - np.repeat(_segments(bb, nb)[:-1], lens)
    heads = np.minimum(np.floor(span[bb] * s + 1e-9).astype(np.int64), fr.heads_cap[bb])
    i = inspectors_for(fr, s, bb)
    ok = (heads >= np.maximum(fr.heads_lo, hmin_b)[bb]) & (i <= fr.i_hi[bb])
    kk = np.clip(heads - hmin_b[bb], 0, np.diff(seg)[bb])
    return Tables(
        fr, v, u, theta_b, cur, vertices, inc_w, inc_v, seg, prefix, base_b, prefix_pay, base_pay,
        bb, s, i, heads, ok, kk,
    )  # fmt: skip


def _prefix(values: np.ndarray, key: np.ndarray, seg: np.ndarray) -> np.ndarray:
    """Per-segment prefix sums with a leading zero: out[seg[b] + b + k] = sum of segment b's first k values."""
    nb = len(seg) - 1
    csum = np.cumsum(values)
    out = np.zeros(len(values) + nb)
    out[np.arange(len(values)) + key + 1] = csum - np.repeat(np.concatenate([[0.0], csum])[seg[:-1]], np.diff(seg))
    return out


def evaluate(fr: Frame, v: np.ndarray, reach: float = 0.5, tries: int = 3) -> BoroughSolution:
    """``L(pi)`` at the price vector ``v`` (see the module notes), with the best answers.

    If a borough's best answer counts heads beyond its pool of steps (valued at
    ``theta``), the evaluation is repeated with ``reach`` halved (up to ``tries``
    times): a smaller ``theta`` only tightens the bound, and once no answer uses
    such heads the value is exactly the Lagrangian of the wards' concave
    envelopes, whose subgradient is then exact.
    """
    sol = BoroughSolution(np.inf, fr.clamp(v))
    for _ in range(tries):
        tab = tables(fr, v, reach)
        if not isinstance(tab, Tables):
            return BoroughSolution(float(tab), fr.clamp(v))
        sol = _solution(tab)
        if sol.extension == 0 or not np.isfinite(sol.value):
            break
        reach *= 0.5
    return sol


def _solution(tab: Tables) -> BoroughSolution:
    fr, u, v = tab.fr, tab.u, tab.v
    prob = fr.prob
    nb = prob.n_boroughs
    bb, s, i = tab.option_b, tab.option_s, tab.option_i
    phi = np.where(tab.option_ok, tab.heads_value() - u.c_s[bb] * s - u.c_i[bb] * i, -np.inf)
    lens = np.bincount(bb, minlength=nb)
    if (lens == 0).any():
        return BoroughSolution(-np.inf, v)
    firsts = np.lexsort((-phi, bb))[_segments(bb, nb)[:-1]]
    total = float(phi[firsts].sum() + u.constant)
    if not np.isfinite(total):
        return BoroughSolution(total, v)
    s_best = s[firsts]
    hmin_b = np.bincount(prob.borough, weights=fr.h_min, minlength=nb).astype(np.int64)
    extension = int(np.maximum(tab.option_heads[firsts] - hmin_b - tab.option_steps[firsts], 0).sum())
    h, x, p = tab.ward_choices(tab.option_steps[firsts])
    at = tab.cur.start[:-1] + (h - fr.h_min)
    usage = _usage(fr, _on_envelope(prob, tab.cur, tab.vertices, at, h), s_best, i[firsts])
    return BoroughSolution(
        total, v, s_best, i[firsts], tab.option_heads[firsts], x, p, usage, extension,
        subgradient=fr.limit(v, usage) - usage,
    )  # fmt: skip


def _on_envelope(
    prob: AllocationProblem, cur: _Curves, vertices: np.ndarray, at: np.ndarray, h: np.ndarray
) -> dict[str, np.ndarray]:
    """Every ward term (:func:`planner.rules.rows.ward_term_values`) of the envelope at ``h``.

    Between two vertices, their weighted mix (of the terms, not the terms of the mix: shortfall and excess are convex).
    """
    j = np.searchsorted(vertices, at, side="right") - 1
    lo = vertices[j]
    hi = np.where(lo == at, lo, vertices[np.minimum(j + 1, len(vertices) - 1)])
    t = np.where(hi > lo, (at - lo) / np.maximum(hi - lo, 1), 0.0)
    h_lo = h - (at - lo)
    h_hi = h_lo + (hi - lo)
    w = np.arange(prob.n_wards)
    at_lo = ward_term_values(prob, w, cur.x[lo], h_lo - cur.x[lo])
    at_hi = ward_term_values(prob, w, cur.x[hi], h_hi - cur.x[hi])
    return {k: (1 - t) * at_lo[k] + t * at_hi[k] for k in at_lo}


def _usage(fr: Frame, terms: dict[str, np.ndarray], s: np.ndarray, i: np.ndarray) -> np.ndarray:
    """The priced rows' activity for ward terms ``terms`` and supervisors ``s``, ``i``."""
    rows = rows_of(fr.prob)
    out = np.zeros(fr.n_prices)
    for term, values in (*terms.items(), ("s", s), ("i", i)):
        if term in rows.A:
            out += rows.A[term][fr.priced] @ np.asarray(values, dtype=float)
    return out
