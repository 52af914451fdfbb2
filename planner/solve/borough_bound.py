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

Rules dropped from the subproblem only loosen the bound (it stays valid):
per-borough constable and PCSO caps enter only through their sum as a cap on
heads; the lower bound on a borough's heads only rules sergeant counts out;
the moves limit acts through its price alone. Per-ward floors on effective
officers (``AllocationProblem.min_eff``, the balance objective's floor) are
kept exactly by restricting each ward's choices.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from planner.problem import INF_INT, AllocationProblem
from planner.ranks import CONSTABLE, INSPECTOR, PCSO, SERGEANT
from planner.solve.columns import Prices

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
    limits: np.ndarray
    """(6,) the priced rules' limits: headcount per rank, budget (pounds million), 2 x moves."""
    active: np.ndarray
    """(6,) which prices may be non-zero (the budget and moves only when set)."""
    feasible: bool


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
    limits = np.array(
        [
            hc[CONSTABLE], hc[PCSO], hc[SERGEANT], hc[INSPECTOR],
            0.0 if prob.budget is None else prob.budget / 1e6,
            0.0 if prob.max_moves is None else 2.0 * prob.max_moves,
        ],
        dtype=float,
    )  # fmt: skip
    active = np.array(
        [True, True, True, True, prob.budget is not None, prob.max_moves is not None and prob.base_x is not None]
    )
    return Frame(
        prob, lo_x, hi_x, lo_p, hi_p, h_min, h_max, s_lo, s_hi, i_hi,
        prob.borough_heads_lo.astype(np.int64), cap, limits, active, feasible,
    )  # fmt: skip


def _least_heads(prob: AllocationProblem, lo_x, hi_x, lo_p, hi_p) -> np.ndarray:
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
    return np.where(xl <= xu, h, hi_x + hi_p + 1)  # past the ward's most heads when no count works


def _split_range(prob, w, h, lo_x, hi_x, lo_p, hi_p, real: bool = False):
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


# ----------------------------------------------------------------- price vectors


def price_vector(y: Prices) -> np.ndarray:
    """London-wide prices as a vector (budget per pound million, moves per moved person)."""
    return np.array([y.constable, y.pcso, y.sergeant, y.inspector, y.budget * 1e6, y.moves], dtype=float)


# ----------------------------------------------------------------- ward curves


@dataclass(frozen=True)
class UnitPrices:
    """Per-head prices of one evaluation (cost weight and budget folded in)."""

    a: float  # per constable
    b: float  # per PCSO
    m: float  # per person moved from the baseline (each side of a move)
    c_s: float  # per sergeant
    c_i: float  # per inspector
    a_rank: float = 0.0  # the part of ``a`` that is the constable headcount's price
    b_rank: float = 0.0  # the part of ``b`` that is the PCSO headcount's price


def unit_prices(prob: AllocationProblem, v: np.ndarray, active: np.ndarray) -> UnitPrices:
    cw, c = prob.cost_weight, prob.cost
    money = cw + v[4] / 1e6
    return UnitPrices(
        a=float(v[0] + money * c[CONSTABLE]),
        b=float(v[1] + money * c[PCSO]),
        m=float(v[5]) if active[5] else 0.0,
        c_s=float(v[2] + money * c[SERGEANT]),
        c_i=float(v[3] + money * c[INSPECTOR]),
        a_rank=float(v[0]),
        b_rank=float(v[1]),
    )


def _lag(prob: AllocationProblem, u: UnitPrices, w: np.ndarray, x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Priced value of ward ``w`` holding ``x`` constables and ``h - x`` PCSOs (broadcasts; reals allowed)."""
    p = h - x
    e = prob.eff_x * x + prob.eff_p * p
    val = prob.need[w] * np.log1p(e / prob.kappa) - u.a * x - u.b * p
    if u.m and prob.base_x is not None and prob.base_p is not None:
        val = val - u.m * (np.abs(x - prob.base_x[w]) + np.abs(p - prob.base_p[w]))
    return val


def best_split(fr: Frame, u: UnitPrices, w: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, ...]:
    """Best priced value with exactly ``h`` heads per ward: over whole splits (with the constables that
    reach it) and over real splits (the continuous relaxation ``F_cont``).

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
    deltas = [u.a - u.b] if not u.m else [u.a - u.b - 2 * u.m, u.a - u.b, u.a - u.b + 2 * u.m]
    if d != 0:
        need = prob.need[w]
        for delta in deltas:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                den = need * d / delta
                t = (den - prob.kappa - prob.eff_p * h) / d
            t = np.where(np.isfinite(t) & (den > 0), t, rl)
            real.append(np.clip(t, rl, np.maximum(rl, ru)))
            t = np.clip(t, xl, np.maximum(xl, xu))
            whole += [np.floor(t), np.ceil(t)]
    if u.m and prob.base_x is not None and prob.base_p is not None:
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
    """Steps of each ward's concave envelope: (ward, value) per extra head, in order of ``h``,
    and the envelope's vertices (indices into the curves; each ward's first and last point are vertices).

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
    prices : (6,) float
        ``pi``: constable, PCSO, sergeant, inspector, budget (per pound
        million), moves (per person moved); see :func:`price_vector`.
    sergeants, inspectors : (B,) int
        Each borough's best supervisors under ``pi``.
    heads_cap : (B,) int
        Heads those sergeants allow (``floor(S * s)``, capped).
    x, p : (W,) int
        Each ward's best choice in its borough's best answer.
    usage : (6,) float
        Resources that answer uses, in the units of ``prices``.
    """

    value: float
    prices: np.ndarray
    sergeants: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    inspectors: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    heads_cap: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    x: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    p: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    usage: np.ndarray = field(default_factory=lambda: np.zeros(6))
    extension: int = 0
    """Heads the best answers count beyond the boroughs' pools of steps (valued at ``theta``)."""

    @property
    def subgradient(self) -> np.ndarray:
        """``limits - usage``: a subgradient of ``L`` at ``prices`` (exact when ``extension`` is 0; between
        two vertices of a ward's envelope the usage is their weighted mix)."""
        return self.limits - self.usage

    limits: np.ndarray = field(default_factory=lambda: np.zeros(6))


def _segments(key: np.ndarray, n: int) -> np.ndarray:
    """Start offsets (n + 1,) of the runs of a sorted key."""
    return np.concatenate([[0], np.cumsum(np.bincount(key, minlength=n))])


def inspectors_for(fr: Frame, s: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Fewest inspectors borough ``b`` needs for ``s`` sergeants."""
    prob = fr.prob
    need = np.ceil(s / prob.span_inspector - 1e-9).astype(np.int64)
    return np.maximum(need, prob.min_inspectors[b])


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
        return np.diff(self.seg)

    def heads_value(self, extension: bool = True) -> np.ndarray:
        """Per option: the bound ``G_b`` on the priced value of its heads (steps beyond the pool at ``theta``
        when ``extension``, else nothing)."""
        b, kk = self.option_b, self.option_steps
        hmin_b = np.bincount(self.fr.prob.borough, weights=self.fr.h_min, minlength=len(self.base))
        g = self.base[b] + self.prefix[self.seg[b] + b + kk]
        if extension:
            g = g + self.theta[b] * np.maximum(self.option_heads - hmin_b[b] - kk, 0)
        return g

    def option_pay(self) -> np.ndarray:
        """Per option: annual pay (pounds) of the borough's choices and supervisors, heads as in ``G_b``
        without the steps beyond the pool."""
        b, kk = self.option_b, self.option_steps
        c = self.fr.prob.cost
        heads = self.base_pay[b] + self.prefix_pay[self.seg[b] + b + kk]
        return heads + c[SERGEANT] * self.option_s + c[INSPECTOR] * self.option_i

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


def _theta(prob: AllocationProblem, u: UnitPrices) -> float:
    """The most a head beyond the enumerated ones may be worth: the dearer of two supervision costs per head.

    One more sergeant adds at most ``ceil(S)`` heads and costs ``c_s``; ``K =
    ceil(I)`` more sergeants add at most ``ceil(S * K)`` heads and cost ``K *
    c_s`` plus at least one inspector ``c_i`` (once past the minimum
    inspectors). If every head beyond a borough's pool of steps is worth at most
    the larger ratio, then past the pool ``s`` sergeants are never better than
    ``s - 1`` (first ratio) or ``s - K`` (second), so trying ``s`` up to a little
    past the pool (``s_top`` in :func:`tables`) finds the borough's best.
    """
    s_span, k = prob.span_sergeant, np.ceil(prob.span_inspector - 1e-9)
    one = max(u.c_s, 0.0) / np.ceil(s_span - 1e-9)
    block = (k * max(u.c_s, 0.0) + max(u.c_i, 0.0)) / np.ceil(s_span * k - 1e-9)
    return float(max(one, block))


def tables(fr: Frame, v: np.ndarray, reach: float = 1.0) -> Tables | float:
    """Build the :class:`Tables` at prices ``v``; a float (``inf``: gave up, ``-inf``: no choice) otherwise.

    ``reach`` in (0, 1] scales ``theta``: smaller values enumerate further (more
    steps in the pool, a tighter bound, more work); any of them gives a valid bound.
    """
    prob = fr.prob
    nb = prob.n_boroughs
    v = np.where(fr.active, np.maximum(np.asarray(v, dtype=float), 0.0), 0.0)
    if not fr.feasible:
        return -np.inf
    u = unit_prices(prob, v, fr.active)
    span = prob.span_sergeant
    theta_b = np.full(nb, reach * _theta(prob, u))
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
    k_span = int(np.ceil(prob.span_inspector - 1e-9))
    floor_s = np.maximum(
        np.ceil(need_h / span - 1e-9).astype(np.int64) + 1,
        np.ceil(prob.span_inspector * prob.min_inspectors - 1e-9).astype(np.int64),
    )
    s_top = np.minimum(fr.s_hi, np.maximum(fr.s_lo, floor_s) + k_span)
    lens = np.maximum(s_top - fr.s_lo + 1, 0)
    bb = np.repeat(np.arange(nb), lens)
    s = fr.s_lo[bb] + np.arange(len(bb)) - np.repeat(_segments(bb, nb)[:-1], lens)
    heads = np.minimum(np.floor(span * s + 1e-9).astype(np.int64), fr.heads_cap[bb])
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
    sol = BoroughSolution(np.inf, np.asarray(v, dtype=float), limits=fr.limits)
    for _ in range(tries):
        tab = tables(fr, v, reach)
        if not isinstance(tab, Tables):
            return BoroughSolution(float(tab), np.where(fr.active, np.maximum(v, 0.0), 0.0), limits=fr.limits)
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
    phi = np.where(tab.option_ok, tab.heads_value() - u.c_s * s - u.c_i * i, -np.inf)
    lens = np.bincount(bb, minlength=nb)
    if (lens == 0).any():
        return BoroughSolution(-np.inf, v, limits=fr.limits)
    firsts = np.lexsort((-phi, bb))[_segments(bb, nb)[:-1]]
    total = float(phi[firsts].sum() + v @ fr.limits)
    if not np.isfinite(total):
        return BoroughSolution(total, v, limits=fr.limits)
    s_best = s[firsts]
    hmin_b = np.bincount(prob.borough, weights=fr.h_min, minlength=nb).astype(np.int64)
    extension = int(np.maximum(tab.option_heads[firsts] - hmin_b - tab.option_steps[firsts], 0).sum())
    h, x, p = tab.ward_choices(tab.option_steps[firsts])
    at = tab.cur.start[:-1] + (h - fr.h_min)
    usage = _usage(prob, *_on_envelope(prob, tab.cur, tab.vertices, at, h), s_best, i[firsts])
    return BoroughSolution(
        total, v, s_best, i[firsts], tab.option_heads[firsts], x, p, usage, extension, limits=fr.limits
    )


def _on_envelope(
    prob: AllocationProblem, cur: _Curves, vertices: np.ndarray, at: np.ndarray, h: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Constables, PCSOs and moves of the envelope at ``h``: between two vertices, their weighted mix."""
    j = np.searchsorted(vertices, at, side="right") - 1
    lo = vertices[j]
    hi = np.where(lo == at, lo, vertices[np.minimum(j + 1, len(vertices) - 1)])
    t = np.where(hi > lo, (at - lo) / np.maximum(hi - lo, 1), 0.0)
    h_lo = h - (at - lo)
    h_hi = h_lo + (hi - lo)
    x = cur.x[lo] + t * (cur.x[hi] - cur.x[lo])
    moves = np.zeros(len(h))
    if prob.base_x is not None and prob.base_p is not None:

        def mv(xx, hh):
            return np.abs(xx - prob.base_x) + np.abs(hh - xx - prob.base_p)

        moves = (1 - t) * mv(cur.x[lo], h_lo) + t * mv(cur.x[hi], h_hi)
    return x, h - x, moves


def _usage(prob: AllocationProblem, x, p, moves, s: np.ndarray, i: np.ndarray) -> np.ndarray:
    return np.array([x.sum(), p.sum(), s.sum(), i.sum(), prob.annual_cost(x, p, s, i) / 1e6, moves.sum()], dtype=float)
