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
    """People of one rank who change ward from ``before`` to ``after``: the smaller of what the wards gain and
    what they lose (the rest of the difference is people added or posts left vacant)."""
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
    span_sergeant, span_inspector : float (rule: supervision)
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
    span_sergeant: float
    span_inspector: float
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
    min_eff: np.ndarray | None = None
    """(W,) effective officers each ward must get at least (the balance objective's floor)."""
    params: Mapping[str, Any] = field(default_factory=dict)
    ward_codes: np.ndarray | None = None
    borough_names: np.ndarray | None = None

    def __post_init__(self) -> None:
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
        return len(self.need)

    def ward_value(self, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Objective contribution of each ward (broadcasts over extra axes)."""
        return self.choice_value(np.arange(self.n_wards).reshape((-1,) + (1,) * (np.ndim(x) - 1)), x, p)

    def choice_value(self, ward: np.ndarray, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Objective contribution of ward ``ward[k]`` holding ``x[k]`` constables and ``p[k]`` PCSOs: its value,
        less the cost weight's share of pay, less ``move_cost`` per person below today's count."""
        e = self.eff_x * x + self.eff_p * p
        with np.errstate(invalid="ignore", divide="ignore"):  # below-floor probes are masked by callers
            gain = self.need[ward] * np.log1p(e / self.kappa)
        value = gain - self.cost_weight * (self.cost[CONSTABLE] * x + self.cost[PCSO] * p)
        if self.move_cost and self.base_x is not None and self.base_p is not None:
            short = np.maximum(self.base_x[ward] - x, 0) + np.maximum(self.base_p[ward] - p, 0)
            value = value - self.move_cost * short
        return value

    def meets_min_eff(self, ward: np.ndarray, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Whether each choice gives its ward at least its minimum effective officers."""
        if self.min_eff is None:
            return np.ones(np.broadcast(ward, x, p).shape, dtype=bool)
        return self.eff_x * x + self.eff_p * p >= self.min_eff[ward] - 1e-9

    def min_x_for(self, ward: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Fewest constables a ward may hold alongside ``p`` PCSOs (floor and minimum effective officers)."""
        lo = self.lo_x[ward]
        if self.min_eff is None:
            return lo
        need = np.ceil((self.min_eff[ward] - self.eff_p * p) / self.eff_x - 1e-9).astype(np.int64)
        return np.maximum(lo, need)

    def supervisor_penalty(self, s: np.ndarray, i: np.ndarray) -> float:
        """Cost term of the sergeants and inspectors in the objective."""
        return float(self.cost_weight * (self.cost[SERGEANT] * np.sum(s) + self.cost[INSPECTOR] * np.sum(i)))

    def objective(self, x: np.ndarray, p: np.ndarray, s: np.ndarray, i: np.ndarray) -> float:
        """Objective value of a full plan."""
        return float(np.sum(self.ward_value(x, p))) - self.supervisor_penalty(s, i)

    def sergeants_needed(self, heads: np.ndarray) -> np.ndarray:
        """Fewest sergeants per borough for ``heads`` supervisees (respecting minimums)."""
        need = np.ceil(heads / self.span_sergeant - CEIL).astype(np.int64)
        return np.maximum(need, self.min_sergeants)

    def inspectors_needed(self, sergeants: np.ndarray) -> np.ndarray:
        """Fewest inspectors per borough for ``sergeants`` (respecting minimums)."""
        need = np.ceil(sergeants / self.span_inspector - CEIL).astype(np.int64)
        return np.maximum(need, self.min_inspectors)

    def annual_cost(self, x: np.ndarray, p: np.ndarray, s: np.ndarray, i: np.ndarray) -> float:
        """Annual pay cost of a plan in pounds."""
        totals = np.array([np.sum(x), np.sum(p), np.sum(s), np.sum(i)], dtype=float)
        return float(totals @ self.cost)

    def moves(self, x: np.ndarray, p: np.ndarray) -> int:
        """People moved between wards from the current deployment, per :mod:`planner.report.changes`: per rank,
        the smaller of the people gained and lost by wards (the rest were added or removed)."""
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
