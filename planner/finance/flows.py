"""Phasing data as arrays, and the exact stock-flow arithmetic.

A *pool* is a group of people of one rank funded the same way: each rank's
base establishment, plus one pool per funding stream. Each period ``t``
(0-based), in this order::

    leavers[t]   = round_half_up(attrition * stock[t-1])      (whole people)
    graduates[t] = recruits[t - lag]   (or the pipeline entry t while t < lag)
    stock[t]     = stock[t-1] - leavers[t] + graduates[t]     (deployable, paid)
    trainees[t]  = recruits in periods t-lag+1 .. t, plus pipeline entries > t (paid, not deployable)

with ``stock[-1]`` the pool's initial headcount. Attrition is held in basis
points (0.01 %) so the rounding is exact integer arithmetic:
``leavers = (bp * stock + 5000) // 10000``.

The rules that make a phasing one a force could run (continuity between boroughs,
additionality of funded posts, a steady hand-over after the plan) are carried here as
plain numbers and explained in :mod:`planner.finance.phasing_rules`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from planner.errors import ScenarioError
from planner.finance.costing import CostRates, cost_rates, to_pence
from planner.inputs.data import WardData
from planner.scenario import RANKS, Scenario
from planner.scenario.finance import PhasingSpec
from planner.scenario.periods import fy_of_month, parse_fy, parse_quarter, quarter_label


@dataclass(frozen=True)
class Pool:
    """One stock of people of a rank (a base establishment or a funding stream)."""

    name: str
    rank: int
    initial: int
    cap: int
    target: int
    """Stock required from period ``by`` onwards (0: none)."""
    by: int | None
    first_recruit: int
    pipeline: tuple[int, ...]
    budget: dict[int, float]
    funder: str = ""
    is_stream: bool = False
    floor: int = 0
    """Least stock from period ``floor_from`` onwards (additionality of a base pool; 0: none)."""
    floor_from: int = 0


@dataclass(frozen=True, eq=False)
class PhasingProblem:
    """Immutable arrays of one phasing problem (T periods, B boroughs, 4 ranks)."""

    labels: tuple[str, ...]
    fy: np.ndarray
    """(T,) financial year (start year) of each period."""
    pools: tuple[Pool, ...]
    intake: np.ndarray
    """(4, T) training places per period per rank."""
    lag: np.ndarray
    """(4,) periods of training per rank."""
    attrition_bp: np.ndarray
    """(4,) attrition per period, basis points."""
    unit_pence: np.ndarray
    """(4, T) cost of one paid person per period, pence."""
    one_off_pence: np.ndarray
    """(4,) one-off cost per recruit, pence."""
    budget: dict[int, float]
    need: np.ndarray
    """(B,) borough need (sum over its wards)."""
    n_wards: np.ndarray
    lo: np.ndarray
    """(4, B) least deployed per borough and rank each period."""
    hi: np.ndarray
    """(2, B) most constables and PCSOs per borough (ward caps), -1 for none."""
    span_sergeant: float
    span_inspector: float
    availability: np.ndarray
    pcso_effectiveness: float
    kappa: float
    cost_weight: float
    deploy_all: bool
    tangents: int
    borough_names: tuple[str, ...]
    price_index: np.ndarray
    """(T,) price level of each period's financial year relative to the price base."""
    move_share: float | None = None
    """London-wide continuity: most of a rank's deployed moved between boroughs a quarter (share)."""
    borough_move_share: float | None = None
    """Per-borough continuity: most of a borough's deployed of a rank moved out a quarter (share)."""
    move_ranks: tuple[int, ...] = ()
    """Ranks the continuity limits apply to."""
    terminal_hold: float | None = None
    """Share of its last-quarter stock each pool keeps in the quarters after the plan; None: no rule."""

    @property
    def n_periods(self) -> int:
        """Number of periods (quarters) of the phasing."""
        return len(self.labels)

    @property
    def n_boroughs(self) -> int:
        """Number of boroughs."""
        return len(self.need)


def _per_period(value: int | tuple[int, ...], periods: int, where: str) -> np.ndarray:
    if isinstance(value, int):
        return np.full(periods, value, dtype=np.int64)
    if len(value) != periods:
        raise ScenarioError(f"{where}: has {len(value)} entries for {periods} periods (give one per period)")
    return np.array(value, dtype=np.int64)


def _period_index(label: str, start: int, periods: int, where: str) -> int:
    idx = (parse_quarter(label) - start) // 3
    if not 0 <= idx < periods:
        first, last = quarter_label(start), quarter_label(start + 3 * (periods - 1))
        raise ScenarioError(f"{where}: {label} is outside the plan ({first} to {last})")
    return idx


def build_phasing(scenario: Scenario, wards: WardData, rates: CostRates | None = None) -> PhasingProblem:
    """Turn a scenario with ``finance.phasing`` and its ward data into a :class:`PhasingProblem`.

    Raises
    ------
    ScenarioError
        If ``finance.phasing`` is missing or names periods outside the plan.
    """
    rates = rates or cost_rates(scenario)
    spec = rates.spec
    ph: PhasingSpec | None = spec.phasing
    if ph is None:
        raise ScenarioError("finance.phasing: missing (add a phasing block, e.g. `phasing: {}` for the defaults)")
    start, T = parse_quarter(spec.start), spec.periods
    months = [start + 3 * t for t in range(T)]
    labels = tuple(quarter_label(m) for m in months)
    fy = np.array([fy_of_month(m) for m in months], dtype=np.int64)
    intake = np.zeros((4, T), dtype=np.int64)
    lag = np.zeros(4, dtype=np.int64)
    bp = np.zeros(4, dtype=np.int64)
    pools: list[Pool] = []
    for k, r in enumerate(RANKS):
        fl = ph.ranks[r]  # type: ignore[index]
        intake[k] = _per_period(fl.intake, T, f"finance.phasing.ranks.{r}.intake")
        lag[k] = fl.lag
        bp[k] = round(fl.attrition * 10_000)
        initial = fl.initial if fl.initial is not None else scenario.workforce.rank(r).headcount
        cap = fl.establishment if fl.establishment is not None else initial
        pools.append(Pool(r, k, initial, max(cap, 0), 0, None, 0, fl.pipeline, {}))
    floor_share = ph.additionality.base_floor
    if floor_share is not None:
        funded = {RANKS.index(s.rank) for s in ph.streams}
        for k in sorted(funded):
            base = pools[k]
            floor = min(math.ceil(floor_share * base.initial - 1e-9), base.cap)
            pools[k] = replace(base, floor=max(floor, 0), floor_from=int(lag[k]))
    for s in ph.streams:
        where = f"finance.phasing.streams[{s.name}]"
        by = _period_index(s.by, start, T, where + ".by") if s.by else None
        first = _period_index(s.start, start, T, where + ".start") if s.start else 0
        budget = {parse_fy(k): v for k, v in (s.budget or {}).items()}
        k = RANKS.index(s.rank)
        target = s.posts if by is not None else 0
        pools.append(Pool(s.name, k, 0, s.posts, target, by, first, (), budget, s.funder, True))
    unit = np.array([[to_pence(rates.months_cost(r, range(m, m + 3))) for m in months] for r in RANKS])
    one_off = np.array([to_pence(rates.one_off(r)) for r in RANKS], dtype=np.int64)
    rules = scenario.rules
    nb = wards.n_boroughs
    n_w = np.bincount(wards.borough, minlength=nb).astype(np.int64)
    need = np.bincount(wards.borough, weights=wards.need, minlength=nb)
    sup = rules.supervision
    lo = np.zeros((4, nb), dtype=np.int64)
    lo[0] = rules.ward_floor.constable * n_w
    lo[1] = rules.ward_floor.pcso * n_w
    lo[2] = np.maximum(sup.min_sergeants_per_borough, np.ceil((lo[0] + lo[1]) / sup.sergeant_span - 1e-9))
    lo[3] = np.maximum(sup.min_inspectors_per_borough, np.ceil(lo[2] / sup.inspector_span - 1e-9))
    hi = np.full((2, nb), -1, dtype=np.int64)
    if rules.ward_cap.constable is not None:
        hi[0] = rules.ward_cap.constable * n_w
    if rules.ward_cap.pcso is not None:
        hi[1] = rules.ward_cap.pcso * n_w
    wf = scenario.workforce
    return PhasingProblem(
        labels=labels,
        fy=fy,
        pools=tuple(pools),
        intake=intake,
        lag=lag,
        attrition_bp=bp,
        unit_pence=unit.astype(np.int64),
        one_off_pence=one_off,
        budget={parse_fy(k): v for k, v in (ph.budget or {}).items()},
        need=need,
        n_wards=n_w,
        lo=lo,
        hi=hi,
        span_sergeant=sup.sergeant_span,
        span_inspector=sup.inspector_span,
        availability=np.array([wf.rank(r).availability for r in RANKS]),
        pcso_effectiveness=scenario.objective.pcso_effectiveness,
        kappa=scenario.objective.saturation,
        cost_weight=scenario.objective.cost_weight,
        deploy_all=ph.deploy_all,
        tangents=ph.tangents,
        borough_names=tuple(str(n) for n in wards.borough_names),
        price_index=np.array([rates.price_index(int(y)) for y in fy]),
        move_share=ph.continuity.max_move_share,
        borough_move_share=ph.continuity.borough_move_share,
        move_ranks=tuple(sorted({RANKS.index(r) for r in ph.continuity.ranks})) if ph.continuity.active else (),
        terminal_hold=ph.terminal.hold,
    )


# ------------------------------------------------------------- stock-flow


@dataclass(frozen=True, eq=False)
class Flows:
    """Per pool and period (P, T) integer arrays of one phasing."""

    recruits: np.ndarray
    graduates: np.ndarray
    leavers: np.ndarray
    stock: np.ndarray
    trainees: np.ndarray


def leavers_of(bp: int, stock: int) -> int:
    """Whole leavers from a stock at an attrition of ``bp`` basis points (half up)."""
    return (int(bp) * int(stock) + 5_000) // 10_000


def simulate(problem: PhasingProblem, recruits: np.ndarray) -> Flows:
    """The stock-flow implied by ``recruits`` (P, T), by exact integer arithmetic."""
    P, T = len(problem.pools), problem.n_periods
    rec = np.asarray(recruits, dtype=np.int64).reshape(P, T)
    grad = np.zeros((P, T), dtype=np.int64)
    leave = np.zeros((P, T), dtype=np.int64)
    stock = np.zeros((P, T), dtype=np.int64)
    train = np.zeros((P, T), dtype=np.int64)
    for j, pool in enumerate(problem.pools):
        lag = int(problem.lag[pool.rank])
        bp = int(problem.attrition_bp[pool.rank])
        prev = pool.initial
        for t in range(T):
            leave[j, t] = leavers_of(bp, prev)
            if t - lag >= 0:
                grad[j, t] = rec[j, t - lag]
            elif t < len(pool.pipeline):
                grad[j, t] = pool.pipeline[t]
            stock[j, t] = prev - leave[j, t] + grad[j, t]
            train[j, t] = rec[j, max(0, t - lag + 1) : t + 1].sum() + sum(pool.pipeline[t + 1 :])
            prev = stock[j, t]
    return Flows(recruits=rec, graduates=grad, leavers=leave, stock=stock, trainees=train)


def pool_cost_pence(problem: PhasingProblem, flows: Flows) -> np.ndarray:
    """(P, T) cost per pool and period, pence: paid heads times unit cost, plus one-off per recruit."""
    ranks = np.array([p.rank for p in problem.pools], dtype=np.int64)
    paid = flows.stock + flows.trainees
    return paid * problem.unit_pence[ranks] + flows.recruits * problem.one_off_pence[ranks][:, None]
