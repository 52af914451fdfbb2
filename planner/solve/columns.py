"""Per-ward candidate grids, Lagrangian pricing and the certified upper bound.

Given prices (duals) for the coupling rules, the Lagrangian value of a ward's
choice ``(x, p)`` (constables, PCSOs) is its objective value less the priced
use of every shared resource. The best choice per ward over its *whole* range,
found exactly by :func:`best_response`, summed with the best supervisors per
borough and the priced resource limits, is an upper bound on the optimum for
any prices of the right sign (weak duality). That is the certificate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.problem import AllocationProblem
from planner.ranks import CONSTABLE, INSPECTOR, PCSO, SERGEANT


@dataclass(frozen=True)
class Prices:
    """Shadow prices of the coupling rules (all in objective units per unit of resource).

    ``heads`` collects, per borough, the prices of every borough row that
    counts constables plus PCSOs; ``cap_x`` and ``cap_p`` those that count one rank.
    """

    constable: float = 0.0
    pcso: float = 0.0
    sergeant: float = 0.0
    inspector: float = 0.0
    budget: float = 0.0
    moves: float = 0.0
    span: np.ndarray | None = None  # (B,) sergeant span rows
    inspect: np.ndarray | None = None  # (B,) inspector span rows
    heads: np.ndarray | None = None  # (B,) borough head-count rows (signed)
    cap_x: np.ndarray | None = None  # (B,)
    cap_p: np.ndarray | None = None  # (B,)


def _b(arr: np.ndarray | None, nb: int) -> np.ndarray:
    return np.zeros(nb) if arr is None else np.asarray(arr, dtype=float)


def ward_unit_prices(prob: AllocationProblem, y: Prices) -> tuple[np.ndarray, np.ndarray]:
    """Price per constable and per PCSO in each ward, shape (W,) each."""
    nb = prob.n_boroughs
    per_head = _b(y.span, nb) + _b(y.heads, nb)
    a = y.constable + y.budget * prob.cost[CONSTABLE] + per_head + _b(y.cap_x, nb)
    b = y.pcso + y.budget * prob.cost[PCSO] + per_head + _b(y.cap_p, nb)
    return a[prob.borough], b[prob.borough]


def choice_lagrangian(prob: AllocationProblem, y: Prices, ward: np.ndarray, x: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Lagrangian value of ward ``ward[k]`` holding ``x[k]`` constables and ``p[k]`` PCSOs.

    Choices outside a ward's bounds get -inf. Arrays broadcast together.
    """
    a, b = ward_unit_prices(prob, y)
    lag = prob.choice_value(ward, x, p) - a[ward] * x - b[ward] * p
    if y.moves and prob.base_x is not None and prob.base_p is not None:
        lag = lag - y.moves * (np.abs(x - prob.base_x[ward]) + np.abs(p - prob.base_p[ward]))
    inside = (x >= prob.lo_x[ward]) & (x <= prob.hi_x[ward]) & (p >= prob.lo_p[ward]) & (p <= prob.hi_p[ward])
    inside &= prob.meets_min_eff(ward, x, p)
    return np.where(inside, lag, -np.inf)


def _stationary(need: np.ndarray, eff: float, price: np.ndarray, kappa: float, other: np.ndarray) -> np.ndarray:
    """Continuous maximiser of ``need*log1p((eff*t + other)/kappa) - price*t`` (inf when price <= 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (need * eff / price - kappa - other) / eff
    return np.where(price > 0, t, np.inf)


def best_response(prob: AllocationProblem, y: Prices) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each ward's exact best integer choice under prices ``y``, over its full range.

    For each PCSO count the best constable count of the concave one-dimensional
    problem is one of a few integers around its stationary point (either side
    of the baseline kink when a price is put on moves); PCSO counts are
    enumerated from the ward's floor up to the point beyond which more PCSOs
    cannot pay at any constable count (the slope in ``p`` falls as ``x`` grows).

    Returns
    -------
    x, p : (W,) int
        The best choice per ward.
    value : (W,) float
        Its Lagrangian value.
    """
    a, b = ward_unit_prices(prob, y)
    cw = prob.cost_weight
    a = a + cw * prob.cost[CONSTABLE]
    b = b + cw * prob.cost[PCSO]
    m = float(y.moves) if (prob.base_x is not None and y.moves) else 0.0
    need = prob.need
    # largest PCSO count worth enumerating: stationary point at the fewest constables, cheapest p price
    p_top = _stationary(need, prob.eff_p, b - m, prob.kappa, prob.eff_x * prob.lo_x)
    p_top = np.minimum(prob.hi_p, np.ceil(np.minimum(p_top, 1e12)) + 1).astype(np.int64)
    p_top = np.maximum(p_top, prob.lo_p)
    if prob.min_eff is not None and prob.eff_p > 0:
        # below the PCSO count at which the floor on effective officers stops asking for more than the
        # constables' floor, one PCSO fewer may need a constable more: the argument above needs x >= lo_x
        p_free = np.ceil((prob.min_eff - 1e-9 - prob.eff_x * prob.lo_x) / prob.eff_p - 1e-9)
        p_top = np.maximum(p_top, np.minimum(prob.hi_p, p_free).astype(np.int64))
    if m:
        assert prob.base_p is not None
        p_top = np.maximum(p_top, np.minimum(prob.base_p, prob.hi_p))
    span = int((p_top - prob.lo_p).max()) + 1
    wards = np.arange(prob.n_wards)[:, None]
    best_v = np.full(prob.n_wards, -np.inf)
    best_x = prob.lo_x.copy()
    best_p = prob.lo_p.copy()
    prices_x = [a] if not m else [a + m, a - m]
    for d in range(span):
        p = prob.lo_p + d
        live = p <= p_top
        x_lo = prob.min_x_for(wards[:, 0], p)
        cands = []
        for price in prices_x:
            t = _stationary(need, prob.eff_x, price, prob.kappa, prob.eff_p * p)
            t = np.clip(np.minimum(t, 1e12), x_lo, np.maximum(x_lo, prob.hi_x))
            cands += [np.floor(t), np.ceil(t)]
        if m:
            assert prob.base_x is not None
            cands.append(np.clip(prob.base_x, x_lo, np.maximum(x_lo, prob.hi_x)).astype(float))
        xs = np.stack(cands, axis=1).astype(np.int64)
        ps = np.broadcast_to(p[:, None], xs.shape)
        vals = choice_lagrangian(prob, y, wards, xs, ps)
        k = np.argmax(vals, axis=1)
        v = vals[np.arange(len(k)), k]
        better = live & (v > best_v)
        best_v = np.where(better, v, best_v)
        best_x = np.where(better, xs[np.arange(len(k)), k], best_x)
        best_p = np.where(better, p, best_p)
    return best_x, best_p, best_v


def supervisor_terms(prob: AllocationProblem, y: Prices) -> tuple[np.ndarray, np.ndarray, float]:
    """Best sergeants and inspectors per borough under prices, and their Lagrangian value."""
    nb = prob.n_boroughs
    cw = prob.cost_weight
    span, insp = _b(y.span, nb), _b(y.inspect, nb)
    coef_s = prob.span_sergeant * span - insp - y.sergeant - (y.budget + cw) * prob.cost[SERGEANT]
    coef_i = prob.span_inspector * insp - y.inspector - (y.budget + cw) * prob.cost[INSPECTOR]
    s = np.where(coef_s > 0, prob.max_sergeants, prob.min_sergeants)
    i = np.where(coef_i > 0, prob.max_inspectors, prob.min_inspectors)
    return s, i, float(np.sum(coef_s * s) + np.sum(coef_i * i))


def priced_resources(prob: AllocationProblem, y: Prices) -> float:
    """The constant term of the Lagrangian: each price times its rule's limit."""
    total = (
        y.constable * prob.headcount[CONSTABLE]
        + y.pcso * prob.headcount[PCSO]
        + y.sergeant * prob.headcount[SERGEANT]
        + y.inspector * prob.headcount[INSPECTOR]
    )
    if prob.budget is not None:
        total += y.budget * prob.budget
    if prob.max_moves is not None:
        total += y.moves * 2 * prob.max_moves
    nb = prob.n_boroughs
    heads = _b(y.heads, nb)
    hi = np.where(prob.borough_heads_hi >= 10**15, 0, prob.borough_heads_hi)
    total += float(np.sum(np.where(heads > 0, heads * hi, heads * prob.borough_heads_lo)))
    total += float(np.sum(_b(y.cap_x, nb) * prob.borough_cap_x) + np.sum(_b(y.cap_p, nb) * prob.borough_cap_p))
    return float(total)


def lagrangian_bound(prob: AllocationProblem, y: Prices) -> tuple[float, tuple[np.ndarray, np.ndarray]]:
    """Upper bound on the optimum, valid for any prices with the right signs, and the best responses."""
    x, p, best = best_response(prob, y)
    _, _, sup = supervisor_terms(prob, y)
    return float(np.sum(best)) + sup + priced_resources(prob, y), (x, p)
