"""The allocation problem as arrays, and the deployment the solver returns.

An :class:`AllocationProblem` is what the solver core sees: per-ward bounds on
constables and PCSOs, per-borough bounds on sergeants and inspectors,
London-wide headcount, spans of control, budget, the current deployment and
the objective's coefficients. It is assembled by
:func:`planner.rules.registry.build_problem`, where each rule module builds the
fields it owns (the field list below names the owner); a rule without a field
of its own keeps its parameters in :attr:`AllocationProblem.params`.
A :class:`Deployment` is a plan: constables and PCSOs per ward, sergeants and
inspectors per borough.

The objective ("value") of a ward holding ``x`` constables and ``p`` PCSOs is::

    need_w * log(1 + (a_c * x + alpha * a_p * p) / kappa) - cost_weight * (c_c * x + c_p * p)

where ``a`` is availability after abstraction, ``alpha`` the effectiveness of a
PCSO relative to a constable, ``kappa`` the saturation scale and ``c`` the annual
cost per head in millions of pounds. It is concave and separable by ward:
each extra officer adds less than the one before, in proportion to need.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from planner.ranks import CONSTABLE, INSPECTOR, PCSO, SERGEANT
from planner.tolerances import CEIL

INF_INT = np.iinfo(np.int64).max // 4


def people_moved(before: np.ndarray, after: np.ndarray) -> int:
    """People of one rank who change ward from ``before`` to ``after``.

    The smaller of what the wards gain and what they lose (the rest of the difference is people added or posts left
    vacant).
    """
    return int(min(np.maximum(after - before, 0).sum(), np.maximum(before - after, 0).sum()))


@dataclass(frozen=True, eq=False)
class AllocationProblem:
    """Immutable arrays of one allocation problem.

    Attributes
    ----------
    need : (W,) float
    borough : (W,) int, index of each ward's borough
    n_boroughs : int
    lo_x, hi_x, lo_p, hi_p : (W,) int
        Bounds on constables and PCSOs per ward: the tightest of every rule's ward bounds
        (ward floors and caps, the stability window, ...).
    eff_x, eff_p : float, effective capacity per constable and per PCSO
    kappa : float, saturation scale of the value function
    cost : (4,) float, annual cost per head per rank (pounds)
    cost_weight : float, objective penalty per pound
    headcount : (4,) int, London-wide available headcount per rank (rule: headcount)
    span_sergeant, span_inspector : (B,) float, spans of control per borough (rule: supervision; a number
        is taken for every borough)
    min_sergeants, min_inspectors, max_sergeants, max_inspectors : (B,) int
        Bounds on each borough's supervisors: the tightest of every rule's (supervision minimums,
        borough caps).
    borough_cap_x, borough_cap_p : (B,) int, per-borough headcount caps (rule: borough_caps)
    borough_heads_lo, borough_heads_hi : (B,) int, bounds on constables + PCSOs per borough
        (rule: borough_share)
    budget : float or None, annual budget in pounds (rule: budget)
    base_x, base_p : (W,) int or None, the current deployment (the stability rules measure change from it)
    max_moves : int or None, London-wide limit on people moved between wards (rule: stability)
    max_moves_rank : (2,) int or None, limits on constables and on PCSOs moved (rule: stability)
    move_cost : float, objective units charged per person below today's count in a ward (rule: stability)
    min_eff : (W,) float or None, effective officers each ward must get at least (rule: min_effective)
    need_p : (W,) float or None
        The PCSOs' own need (their role: visibility and engagement), already weighted. None: the substitution
        model, where a PCSO counts as ``eff_p / eff_x`` of a constable in one value per ward.
    eff_pp, kappa_p : float, a PCSO's availability and the saturation of the PCSOs' own value
    params : mapping of rule key -> parameters of rules that own no field here
    ward_codes, borough_names : (W,) and (B,) str or None, for messages
    """

    need: np.ndarray
    borough: np.ndarray
    n_boroughs: int
    lo_x: np.ndarray
    hi_x: np.ndarray
    lo_p: np.ndarray
    hi_p: np.ndarray
    eff_x: float
    eff_p: float
    kappa: float
    cost: np.ndarray
    cost_weight: float
    headcount: np.ndarray
    span_sergeant: np.ndarray
    span_inspector: np.ndarray
    min_sergeants: np.ndarray
    max_sergeants: np.ndarray
    min_inspectors: np.ndarray
    max_inspectors: np.ndarray
    borough_cap_x: np.ndarray
    borough_cap_p: np.ndarray
    borough_heads_lo: np.ndarray
    borough_heads_hi: np.ndarray
    budget: float | None = None
    base_x: np.ndarray | None = None
    base_p: np.ndarray | None = None
    max_moves: int | None = None
    max_moves_rank: np.ndarray | None = None
    move_cost: float = 0.0
    need_p: np.ndarray | None = None
    eff_pp: float = 0.0
    kappa_p: float = 1.0
    min_eff: np.ndarray | None = None
    """(W,) effective officers each ward must get at least (the balance objective's floor)."""
    params: Mapping[str, Any] = field(default_factory=dict)
    ward_codes: np.ndarray | None = None
    borough_names: np.ndarray | None = None

    def __post_init__(self) -> None:
        for name in ("span_sergeant", "span_inspector"):
            spans = np.broadcast_to(np.asarray(getattr(self, name), dtype=float), (self.n_boroughs,)).copy()
            object.__setattr__(self, name, spans)
        for value in vars(self).values():
            if isinstance(value, np.ndarray):
                value.setflags(write=False)

    # ------------------------------------------------------------ labels
    def ward_label(self, w: int) -> str:
        """A ward's code (or its index when the problem has no codes)."""
        return str(self.ward_codes[w]) if self.ward_codes is not None else f"ward {w}"

    def borough_label(self, b: int) -> str:
        """A borough's name (or ``borough <index>``)."""
        return str(self.borough_names[b]) if self.borough_names is not None else f"borough {b}"

    # ------------------------------------------------------------ evaluation
    @property
    def n_wards(self) -> int:
        """Number of wards W."""
        return len(self.need)

    @property
    def own_role(self) -> bool:
        """Whether PCSOs have a value of their own (else they count as a fraction of a constable)."""
        return self.need_p is not None

    def gain(self, ward: np.ndarray, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Value of ward ``ward[k]`` holding ``x[k]`` constables and ``p[k]`` PCSOs, before costs (reals allowed).

        Substitution model: ``need * log(1 + (eff_x x + eff_p p) / kappa)``. PCSO role of its own:
        ``need * log(1 + eff_x x / kappa) + need_p * log(1 + eff_pp p / kappa_p)``.
        """
        with np.errstate(invalid="ignore", divide="ignore"):  # below-floor probes are masked by callers
            if self.need_p is None:
                value: np.ndarray = self.need[ward] * np.log1p((self.eff_x * x + self.eff_p * p) / self.kappa)
            else:
                value = self.need[ward] * np.log1p(self.eff_x * x / self.kappa) + self.need_p[ward] * np.log1p(
                    self.eff_pp * p / self.kappa_p
                )
            return value

    def x_stationary(self, ward: np.ndarray, p: np.ndarray, price: np.ndarray) -> np.ndarray:
        """Continuous maximiser over constables of ``gain - price * x`` with ``p`` PCSOs (inf where price <= 0)."""
        other = 0.0 if self.need_p is not None else self.eff_p * p
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (self.need[ward] * self.eff_x / price - self.kappa - other) / self.eff_x
        return np.where(price > 0, t, np.inf)

    def p_stationary(self, ward: np.ndarray, x: np.ndarray, price: np.ndarray) -> np.ndarray:
        """Continuous maximiser over PCSOs of ``gain - price * p`` with ``x`` constables (inf where price <= 0)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.need_p is not None:
                t = (self.need_p[ward] * self.eff_pp / price - self.kappa_p) / self.eff_pp
            else:
                t = (self.need[ward] * self.eff_p / price - self.kappa - self.eff_x * x) / self.eff_p
        return np.where(price > 0, t, np.inf)

    def split_stationary(self, ward: np.ndarray, h: np.ndarray, delta: np.ndarray) -> np.ndarray:
        """Continuous maximiser over constables ``x`` of ``gain(x, h - x) - delta * x`` for ``h`` heads.

        NaN where the slope never crosses ``delta``: the best is then a bound.
        """
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if self.need_p is None:
                d = self.eff_x - self.eff_p
                if d == 0:
                    return np.full(np.broadcast(ward, h, delta).shape, np.nan)
                den = self.need[ward] * d / delta
                t = (den - self.kappa - self.eff_p * h) / d
                return np.where(np.isfinite(t) & (den > 0), t, np.nan)
            # need ex / (k + ex x) - need_p ep / (kp + ep (h - x)) = delta: a quadratic in x whose root in
            # the domain (both denominators positive) is unique, the slope falling in x
            ex, ep, k, kp = self.eff_x, self.eff_pp, self.kappa, self.kappa_p
            big_a, big_b = self.need[ward] * ex, self.need_p[ward] * ep
            c = kp + ep * h
            a2 = -delta * ex * ep
            a1 = delta * (ex * c - k * ep) + big_a * ep + big_b * ex
            a0 = delta * k * c - big_a * c + big_b * k
            disc = np.sqrt(np.maximum(a1 * a1 - 4 * a2 * a0, 0.0))
            linear = np.abs(a2) <= 1e-15 * np.maximum(np.abs(a1), 1e-300)
            r1 = np.where(linear, -a0 / a1, (-a1 + disc) / (2 * a2))
            r2 = np.where(linear, np.nan, (-a1 - disc) / (2 * a2))
            lo, hi = -k / ex, c / ep

            def inside(r: np.ndarray) -> np.ndarray:
                ok: np.ndarray = np.isfinite(r) & (r > lo) & (r < hi)
                return ok

            return np.where(inside(r1), r1, np.where(inside(r2), r2, np.nan))

    def max_slope(self) -> float:
        """The steepest slope of any ward's value (per person), for scaling prices."""
        slope = float(self.need.max()) * max(self.eff_x, 0.0 if self.own_role else self.eff_p) / self.kappa
        if self.need_p is not None:
            slope = max(slope, float(self.need_p.max()) * self.eff_pp / self.kappa_p)
        return slope

    def ward_value(self, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Objective contribution of each ward (broadcasts over extra axes)."""
        return self.choice_value(np.arange(self.n_wards).reshape((-1,) + (1,) * (np.ndim(x) - 1)), x, p)

    def choice_value(self, ward: np.ndarray, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Objective contribution of ward ``ward[k]`` holding ``x[k]`` constables and ``p[k]`` PCSOs.

        Its value, less the cost weight's share of pay, less ``move_cost`` per person below today's count.
        """
        value: np.ndarray = self.gain(ward, x, p) - self.cost_weight * (self.cost[CONSTABLE] * x + self.cost[PCSO] * p)
        if self.move_cost and self.base_x is not None and self.base_p is not None:
            short = np.maximum(self.base_x[ward] - x, 0) + np.maximum(self.base_p[ward] - p, 0)
            value = value - self.move_cost * short
        return value

    def meets_min_eff(self, ward: np.ndarray, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Whether each choice gives its ward at least its minimum effective officers."""
        if self.min_eff is None:
            return np.ones(np.broadcast(ward, x, p).shape, dtype=bool)
        meets: np.ndarray = self.eff_x * x + self.eff_p * p >= self.min_eff[ward] - 1e-9
        return meets

    def min_x_for(self, ward: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Fewest constables a ward may hold alongside ``p`` PCSOs (floor and minimum effective officers)."""
        lo: np.ndarray = self.lo_x[ward]
        if self.min_eff is None:
            return lo
        need = np.ceil((self.min_eff[ward] - self.eff_p * p) / self.eff_x - 1e-9).astype(np.int64)
        fewest: np.ndarray = np.maximum(lo, need)
        return fewest

    def supervisor_penalty(self, s: np.ndarray, i: np.ndarray) -> float:
        """Cost term of the sergeants and inspectors in the objective."""
        return float(self.cost_weight * (self.cost[SERGEANT] * np.sum(s) + self.cost[INSPECTOR] * np.sum(i)))

    def objective(self, x: np.ndarray, p: np.ndarray, s: np.ndarray, i: np.ndarray) -> float:
        """Objective value of a full plan."""
        return float(np.sum(self.ward_value(x, p))) - self.supervisor_penalty(s, i)

    def sergeants_needed(self, heads: np.ndarray) -> np.ndarray:
        """Fewest sergeants per borough for ``heads`` supervisees (respecting minimums)."""
        need = np.ceil(heads / self.span_sergeant - CEIL).astype(np.int64)
        fewest: np.ndarray = np.maximum(need, self.min_sergeants)
        return fewest

    def inspectors_needed(self, sergeants: np.ndarray) -> np.ndarray:
        """Fewest inspectors per borough for ``sergeants`` (respecting minimums)."""
        need = np.ceil(sergeants / self.span_inspector - CEIL).astype(np.int64)
        fewest: np.ndarray = np.maximum(need, self.min_inspectors)
        return fewest

    def annual_cost(self, x: np.ndarray, p: np.ndarray, s: np.ndarray, i: np.ndarray) -> float:
        """Annual pay cost of a plan in pounds."""
        totals = np.array([np.sum(x), np.sum(p), np.sum(s), np.sum(i)], dtype=float)
        return float(totals @ self.cost)

    def moves(self, x: np.ndarray, p: np.ndarray) -> int:
        """People moved between wards from the current deployment, per :mod:`planner.report.changes`.

        Per rank, the smaller of the people gained and lost by wards (the rest were added or removed).
        """
        if self.base_x is None or self.base_p is None:
            return 0
        return people_moved(self.base_x, x) + people_moved(self.base_p, p)


@dataclass(frozen=True, eq=False)
class Deployment:
    """A plan: constables and PCSOs per ward, sergeants and inspectors per borough (read-only int arrays).

    The one type shared by the solver, CP-SAT, the plan and the batches.
    """

    x: np.ndarray
    """(W,) constables per ward."""
    p: np.ndarray
    """(W,) PCSOs per ward."""
    s: np.ndarray
    """(B,) sergeants per borough."""
    i: np.ndarray
    """(B,) inspectors per borough."""

    def __post_init__(self) -> None:
        for name in ("x", "p", "s", "i"):
            arr = np.array(getattr(self, name), dtype=np.int64, copy=True)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @classmethod
    def empty(cls) -> Deployment:
        """No plan (what an infeasible solve returns)."""
        none = np.zeros(0, dtype=np.int64)
        return cls(none, none, none, none)

    @property
    def totals(self) -> np.ndarray:
        """(4,) people deployed per rank."""
        return np.array([self.x.sum(), self.p.sum(), self.s.sum(), self.i.sum()], dtype=np.int64)

    def borough_heads(self, borough: np.ndarray, n_boroughs: int) -> tuple[np.ndarray, np.ndarray]:
        """Constables and PCSOs per borough, (B,) int each."""
        bx = np.bincount(borough, weights=self.x, minlength=n_boroughs).astype(np.int64)
        bp = np.bincount(borough, weights=self.p, minlength=n_boroughs).astype(np.int64)
        return bx, bp


class HoldsDeployment:
    """Mixin for results that hold a :class:`Deployment` as ``plan``: its arrays as ``x``, ``p``, ``s``, ``i``."""

    plan: Deployment

    @property
    def x(self) -> np.ndarray:
        """Constables per ward."""
        return self.plan.x

    @property
    def p(self) -> np.ndarray:
        """PCSOs per ward."""
        return self.plan.p

    @property
    def s(self) -> np.ndarray:
        """Sergeants per borough."""
        return self.plan.s

    @property
    def i(self) -> np.ndarray:
        """Inspectors per borough."""
        return self.plan.i
