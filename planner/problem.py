"""The allocation problem as arrays: what the solver core sees.

:func:`build_problem` turns validated ward data, a workforce and the scenario's
rules into an :class:`AllocationProblem`: per-ward bounds on constables and
PCSOs (floors, caps, stability window), per-borough bounds, London-wide
headcount, spans of control, budget, and the objective's coefficients.

The objective ("value") of a ward holding ``x`` constables and ``p`` PCSOs is::

    need_w * log(1 + (a_c * x + alpha * a_p * p) / kappa) - cost_weight * (c_c * x + c_p * p)

where ``a`` is availability after abstraction, ``alpha`` the effectiveness of a
PCSO relative to a constable, ``kappa`` the saturation scale and ``c`` the annual
cost per head in millions of pounds. It is concave and separable by ward:
each extra officer adds less than the one before, in proportion to need.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.errors import DataError, Problems
from planner.inputs.data import WardData
from planner.inputs.workforce import Workforce
from planner.ranks import CONSTABLE, INSPECTOR, PCSO, SERGEANT
from planner.scenario import Scenario

INF_INT = np.iinfo(np.int64).max // 4


@dataclass(frozen=True, eq=False)
class AllocationProblem:
    """Immutable arrays of one allocation problem.

    Attributes
    ----------
    need : (W,) float
    borough : (W,) int, index of each ward's borough
    n_boroughs : int
    lo_x, hi_x, lo_p, hi_p : (W,) int, bounds on constables and PCSOs per ward
    eff_x, eff_p : float, effective capacity per constable and per PCSO
    kappa : float, saturation scale of the value function
    cost : (4,) float, annual cost per head per rank (pounds)
    cost_weight : float, objective penalty per pound
    headcount : (4,) int, London-wide available headcount per rank
    span_sergeant, span_inspector : float
    min_sergeants, min_inspectors : (B,) int
    max_sergeants, max_inspectors : (B,) int
    borough_cap_x, borough_cap_p : (B,) int, per-borough headcount caps
    borough_heads_lo, borough_heads_hi : (B,) int, bounds on constables + PCSOs per borough
    budget : float or None, annual budget in pounds
    base_x, base_p : (W,) int or None, current deployment
    max_moves : int or None, London-wide limit on people moved from their ward
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
    min_eff: np.ndarray | None = None
    """(W,) effective officers each ward must get at least (the balance objective's floor)."""

    def __post_init__(self) -> None:
        for value in vars(self).values():
            if isinstance(value, np.ndarray):
                value.setflags(write=False)

    # ------------------------------------------------------------ evaluation
    @property
    def n_wards(self) -> int:
        return len(self.need)

    def ward_value(self, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Objective contribution of each ward (broadcasts over extra axes)."""
        need = self.need.reshape(self.need.shape + (1,) * (np.ndim(x) - 1))
        e = self.eff_x * x + self.eff_p * p
        return need * np.log1p(e / self.kappa) - self.cost_weight * (self.cost[CONSTABLE] * x + self.cost[PCSO] * p)

    def choice_value(self, ward: np.ndarray, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Objective contribution of ward ``ward[k]`` holding ``x[k]`` constables and ``p[k]`` PCSOs."""
        e = self.eff_x * x + self.eff_p * p
        with np.errstate(invalid="ignore", divide="ignore"):  # below-floor probes are masked by callers
            gain = self.need[ward] * np.log1p(e / self.kappa)
        return gain - self.cost_weight * (self.cost[CONSTABLE] * x + self.cost[PCSO] * p)

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
        need = np.ceil(heads / self.span_sergeant - 1e-9).astype(np.int64)
        return np.maximum(need, self.min_sergeants)

    def inspectors_needed(self, sergeants: np.ndarray) -> np.ndarray:
        """Fewest inspectors per borough for ``sergeants`` (respecting minimums)."""
        need = np.ceil(sergeants / self.span_inspector - 1e-9).astype(np.int64)
        return np.maximum(need, self.min_inspectors)

    def annual_cost(self, x: np.ndarray, p: np.ndarray, s: np.ndarray, i: np.ndarray) -> float:
        """Annual pay cost of a plan in pounds."""
        totals = np.array([np.sum(x), np.sum(p), np.sum(s), np.sum(i)], dtype=float)
        return float(totals @ self.cost)

    def moves(self, x: np.ndarray, p: np.ndarray) -> int:
        """People moved from their current ward (half the sum of absolute changes, rounded up)."""
        if self.base_x is None or self.base_p is None:
            return 0
        total = int(np.abs(x - self.base_x).sum() + np.abs(p - self.base_p).sum())
        return (total + 1) // 2


def _int_or(value: int | None, default: int) -> int:
    return default if value is None else int(value)


def _ward_bounds(wards: WardData, scenario: Scenario, base: tuple[np.ndarray, np.ndarray] | None):
    rules = scenario.rules
    n = wards.n_wards
    lo_x = np.full(n, rules.ward_floor.constable, dtype=np.int64)
    lo_p = np.full(n, rules.ward_floor.pcso, dtype=np.int64)
    hi_x = np.full(n, _int_or(rules.ward_cap.constable, scenario.workforce.constable.headcount), dtype=np.int64)
    hi_p = np.full(n, _int_or(rules.ward_cap.pcso, scenario.workforce.pcso.headcount), dtype=np.int64)
    delta = rules.stability.max_change_per_ward
    if base is not None and delta is not None:
        bx, bp = base
        lo_x = np.maximum(lo_x, bx - delta)
        hi_x = np.minimum(hi_x, bx + delta)
        lo_p = np.maximum(lo_p, bp - delta)
        hi_p = np.minimum(hi_p, bp + delta)
    return lo_x, hi_x, lo_p, hi_p


def _borough_caps(wards: WardData, caps: dict[str, np.ndarray] | None, workforce: Workforce):
    nb = wards.n_boroughs
    out = {}
    for k, rank in enumerate(("constable", "pcso", "sergeant", "inspector")):
        arr = np.full(nb, int(workforce.headcount[k]), dtype=np.int64)
        if caps is not None and rank in caps:
            arr = np.minimum(arr, caps[rank])
        out[rank] = arr
    return out


def build_problem(
    wards: WardData,
    scenario: Scenario,
    workforce: Workforce,
    *,
    baseline: tuple[np.ndarray, np.ndarray] | None = None,
    borough_caps: dict[str, np.ndarray] | None = None,
) -> AllocationProblem:
    """Assemble the :class:`AllocationProblem` of a scenario.

    Parameters
    ----------
    wards : WardData
        The validated ward table.
    scenario : Scenario
        Rules and objective settings.
    workforce : Workforce
        Headcount, availability and cost per rank.
    baseline : tuple of (W,) int arrays, optional
        Current constables and PCSOs per ward (for the stability rules).
    borough_caps : dict of rank -> (B,) int, optional
        Per-borough headcount caps (from ``workforce.per_borough``).
    """
    rules = scenario.rules
    obj = scenario.objective
    if (rules.stability.max_change_per_ward is not None or rules.stability.max_total_moves is not None) and (
        baseline is None
    ):
        raise DataError(
            "rules.stability sets a limit on change but no baseline allocation was given "
            "(set rules.stability.baseline to a CSV of ward_code, constables, pcsos)",
            source="scenario",
        )
    lo_x, hi_x, lo_p, hi_p = _ward_bounds(wards, scenario, baseline)
    caps = _borough_caps(wards, borough_caps, workforce)
    nb = wards.n_boroughs
    heads_total = int(workforce.headcount[CONSTABLE] + workforce.headcount[PCSO])
    need_share = np.bincount(wards.borough, weights=wards.need, minlength=nb) / max(wards.need.sum(), 1e-12)
    share = rules.borough_share
    heads_lo = np.zeros(nb, dtype=np.int64)
    heads_hi = np.full(nb, INF_INT, dtype=np.int64)
    if share.min_ratio is not None:
        heads_lo = np.floor(share.min_ratio * need_share * heads_total + 1e-9).astype(np.int64)
    if share.max_ratio is not None:
        heads_hi = np.ceil(share.max_ratio * need_share * heads_total - 1e-9).astype(np.int64)
    found = Problems("scenario rules")
    if share.min_ratio is not None and share.max_ratio is not None and share.min_ratio > share.max_ratio:
        found.add(f"rules.borough_share.min_ratio ({share.min_ratio}) is above max_ratio ({share.max_ratio})")
    found.raise_if_any()
    sup = rules.supervision
    return AllocationProblem(
        need=wards.need.copy(),
        borough=wards.borough.copy(),
        n_boroughs=nb,
        lo_x=lo_x,
        hi_x=hi_x,
        lo_p=lo_p,
        hi_p=hi_p,
        eff_x=float(workforce.availability[CONSTABLE]),
        eff_p=float(obj.pcso_effectiveness * workforce.availability[PCSO]),
        kappa=float(obj.saturation),
        cost=workforce.annual_cost.copy(),
        cost_weight=float(obj.cost_weight) / 1e6,
        headcount=workforce.headcount.copy(),
        span_sergeant=float(sup.sergeant_span),
        span_inspector=float(sup.inspector_span),
        min_sergeants=np.full(nb, sup.min_sergeants_per_borough, dtype=np.int64),
        max_sergeants=caps["sergeant"],
        min_inspectors=np.full(nb, sup.min_inspectors_per_borough, dtype=np.int64),
        max_inspectors=caps["inspector"],
        borough_cap_x=caps["constable"],
        borough_cap_p=caps["pcso"],
        borough_heads_lo=heads_lo,
        borough_heads_hi=heads_hi,
        budget=rules.budget,
        base_x=None if baseline is None else baseline[0].astype(np.int64),
        base_p=None if baseline is None else baseline[1].astype(np.int64),
        max_moves=rules.stability.max_total_moves,
    )
