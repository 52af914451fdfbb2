"""Per-ward candidate grids, Lagrangian pricing and the certified upper bound.

Given prices (duals) ``y`` on every rule row (:mod:`planner.rules.rows`), the
Lagrangian value of a ward's choice ``(x, p)`` (constables, PCSOs) is its
objective value less what the prices charge for it: per constable and PCSO,
and per unit of shortfall or excess against today's deployment. The best
choice per ward over its *whole* range, found exactly by :func:`best_response`,
summed with the best supervisors per borough and the priced limits, is an
upper bound on the optimum for any prices of the right sign (weak duality).
That is the certificate. Nothing here knows which rules there are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.problem import AllocationProblem
from planner.ranks import CONSTABLE, INSPECTOR, PCSO, SERGEANT
from planner.rules import rows_of
from planner.rules.rows import WardPrices


@dataclass(frozen=True, eq=False)
class RowPrices:
    """Prices on every rule row of a problem: ``y_r >= 0`` on an upper limit, ``<= 0`` on a lower one."""

    y: np.ndarray

    def charges(self, prob: AllocationProblem) -> WardPrices:
        """What these prices charge per unit of each ward and borough term."""
        return rows_of(prob).prices(prob, self.y)

    def of(self, prob: AllocationProblem, name: str) -> float:
        """The price of the row called ``name`` (0 when there is no such row)."""
        k = rows_of(prob).index(name)
        return 0.0 if k is None else float(self.y[k])


def zero_prices(prob: AllocationProblem) -> RowPrices:
    """No price on any row."""
    return RowPrices(np.zeros(rows_of(prob).n_rows))


def choice_lagrangian(
    prob: AllocationProblem, y: RowPrices | WardPrices, ward: np.ndarray, x: np.ndarray, p: np.ndarray
) -> np.ndarray:
    """Lagrangian value of ward ``ward[k]`` holding ``x[k]`` constables and ``p[k]`` PCSOs.

    Choices outside a ward's bounds get -inf. Arrays broadcast together.
    """
    c = y.charges(prob) if isinstance(y, RowPrices) else y
    lag = prob.choice_value(ward, x, p) - c.a[ward] * x - c.b[ward] * p
    if c.moves and prob.base_x is not None and prob.base_p is not None:
        bx, bp = prob.base_x[ward], prob.base_p[ward]
        lag = lag - (
            c.under_x[ward] * np.maximum(bx - x, 0) + c.over_x[ward] * np.maximum(x - bx, 0)
            + c.under_p[ward] * np.maximum(bp - p, 0) + c.over_p[ward] * np.maximum(p - bp, 0)
        )  # fmt: skip
    inside = (x >= prob.lo_x[ward]) & (x <= prob.hi_x[ward]) & (p >= prob.lo_p[ward]) & (p <= prob.hi_p[ward])
    inside &= prob.meets_min_eff(ward, x, p)
    return np.where(inside, lag, -np.inf)


def kinked(prob: AllocationProblem, c: WardPrices) -> bool:
    """Whether each ward's priced value has a kink at today's counts (change is priced, or costs a move)."""
    return prob.base_x is not None and (c.moves or prob.move_cost > 0)


def _pieces(
    prob: AllocationProblem,
    c: WardPrices,
    w: np.ndarray,
    price: np.ndarray,
    x_lo: np.ndarray,
    x_hi: np.ndarray,
    p: np.ndarray,
) -> list[np.ndarray]:
    """Candidate constable counts of wards ``w`` holding ``p`` PCSOs.

    Per smooth piece of the priced value (below and above today's count when change is priced), the floor and ceiling of
    its stationary point clipped to the piece, and the kink between them. ``price`` is the constables' price in those
    wards.
    """
    if not (kinked(prob, c) and prob.base_x is not None):
        t = np.clip(np.minimum(prob.x_stationary(w, p, price), 1e12), x_lo, x_hi)
        return [np.floor(t), np.ceil(t)]
    kink = np.clip(prob.base_x[w], x_lo, x_hi).astype(float)
    out = [kink]
    below = price - c.under_x[w] - prob.move_cost  # each constable back towards today also saves its move cost
    for piece_price, lo, hi in ((below, x_lo, kink), (price + c.over_x[w], kink, x_hi)):
        t = np.clip(np.minimum(prob.x_stationary(w, p, piece_price), 1e12), lo, hi)
        out += [np.floor(t), np.ceil(t)]
    return out


def best_response(prob: AllocationProblem, y: RowPrices) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each ward's exact best integer choice under prices ``y``, over its full range.

    For each PCSO count the priced value is concave in the constable count on
    each side of today's count, so its best is one of a few integers around
    the stationary points of the pieces, or the kink (:func:`_pieces`); PCSO
    counts are enumerated from the ward's floor up to the point beyond which
    more PCSOs cannot pay at any constable count (the slope in ``p`` falls as
    ``x`` grows), or today's count if that is higher.

    Returns
    -------
    x, p : (W,) int
        The best choice per ward.
    value : (W,) float
        Its Lagrangian value.
    """
    c = y.charges(prob)
    cw = prob.cost_weight
    a = c.a + cw * prob.cost[CONSTABLE]
    b = c.b + cw * prob.cost[PCSO]
    moves = kinked(prob, c) and prob.base_p is not None
    # largest PCSO count worth enumerating: stationary point at the fewest constables and the price of PCSOs
    # beyond today's count (below it every count is enumerated anyway, see below)
    p_price = b + c.over_p if moves else b
    p_top = prob.p_stationary(np.arange(prob.n_wards), prob.lo_x, p_price)
    p_top = np.minimum(prob.hi_p, np.ceil(np.minimum(p_top, 1e12)) + 1).astype(np.int64)
    p_top = np.maximum(p_top, prob.lo_p)
    if prob.min_eff is not None and prob.eff_p > 0:
        # below the PCSO count at which the floor on effective officers stops asking for more than the
        # constables' floor, one PCSO fewer may need a constable more: the argument above needs x >= lo_x
        p_free = np.ceil((prob.min_eff - 1e-9 - prob.eff_x * prob.lo_x) / prob.eff_p - 1e-9)
        p_top = np.maximum(p_top, np.minimum(prob.hi_p, p_free).astype(np.int64))
    if moves:
        assert prob.base_p is not None
        p_top = np.maximum(p_top, np.minimum(prob.base_p, prob.hi_p))
    span = int((p_top - prob.lo_p).max()) + 1
    best_v = np.full(prob.n_wards, -np.inf)
    best_x = prob.lo_x.copy()
    best_p = prob.lo_p.copy()
    for d in range(span):
        w = np.flatnonzero(prob.lo_p + d <= p_top)  # only wards whose PCSO range reaches this far
        p = prob.lo_p[w] + d
        x_lo = prob.min_x_for(w, p)
        xs = np.stack(_pieces(prob, c, w, a[w], x_lo, np.maximum(x_lo, prob.hi_x[w]), p), axis=1).astype(np.int64)
        ps = np.broadcast_to(p[:, None], xs.shape)
        vals = choice_lagrangian(prob, c, w[:, None], xs, ps)
        k = np.argmax(vals, axis=1)
        rows = np.arange(len(k))
        v = vals[rows, k]
        better = v > best_v[w]
        best_v[w] = np.where(better, v, best_v[w])
        best_x[w] = np.where(better, xs[rows, k], best_x[w])
        best_p[w] = np.where(better, p, best_p[w])
    return best_x, best_p, best_v


def supervisor_terms(prob: AllocationProblem, y: RowPrices) -> tuple[np.ndarray, np.ndarray, float]:
    """Best sergeants and inspectors per borough under prices, and their Lagrangian value."""
    c = y.charges(prob)
    cw = prob.cost_weight
    coef_s = -c.s - cw * prob.cost[SERGEANT]
    coef_i = -c.i - cw * prob.cost[INSPECTOR]
    s = np.where(coef_s > 0, prob.max_sergeants, prob.min_sergeants)
    i = np.where(coef_i > 0, prob.max_inspectors, prob.min_inspectors)
    return s, i, float(np.sum(coef_s * s) + np.sum(coef_i * i))


def lagrangian_bound(prob: AllocationProblem, y: RowPrices) -> tuple[float, tuple[np.ndarray, np.ndarray]]:
    """Upper bound on the optimum, valid for any prices with the right signs, and the best responses."""
    x, p, best = best_response(prob, y)
    _, _, sup = supervisor_terms(prob, y)
    return float(np.sum(best)) + sup + y.charges(prob).constant, (x, p)
