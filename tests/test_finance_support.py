"""Helpers for the finance tests: a small ward set, a plan-like object and a simple solve.

The simple solve lets the cost comparison be tested exactly without the real
optimiser: it deploys every available person, largest-remainder by need above
the ward floors, and sets supervisors at the spans. The real planner is used in
test_finance_export.py where it is available.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from planner.errors import InfeasibleError
from planner.finance.costing import unit_costs
from planner.inputs.data import WardData
from planner.scenario import Scenario


def make_wards(boroughs: int = 3, per: int = 4, seed: int = 7) -> WardData:
    """A small deterministic ward set: ``boroughs`` boroughs of ``per`` wards."""
    rng = np.random.default_rng(seed)
    n = boroughs * per
    need = rng.gamma(2.0, 0.5, n) + 0.1
    need = need / need.mean()
    harm = rng.gamma(2.0, 0.5, n) + 0.05
    return WardData(
        codes=np.array([f"E05{i:06d}" for i in range(n)]),
        names=np.array([f"Ward {i}" for i in range(n)]),
        borough=np.repeat(np.arange(boroughs), per),
        borough_codes=np.array([f"E09{b:06d}" for b in range(boroughs)]),
        borough_names=np.array([f"Borough {b}" for b in range(boroughs)]),
        borough_bcu=np.array([f"BCU {b % 2}" for b in range(boroughs)]),
        demand=need,
        harm=harm,
        population=need * 10_000,
        need=need,
        edges=np.zeros((0, 2)),
        area_km2=np.ones(n),
        x=np.arange(n, dtype=float),
        y=np.zeros(n),
    )


@dataclass(frozen=True, eq=False)
class FakePlan:
    """The part of planner.report.result.Plan that finance reads."""

    scenario: Scenario
    wards: WardData
    constables: np.ndarray
    pcsos: np.ndarray
    sergeants: np.ndarray
    inspectors: np.ndarray
    status: str = "OPTIMAL"

    def borough_table(self) -> pd.DataFrame:
        rates = unit_costs(self.scenario)
        w = self.wards
        nb = w.n_boroughs
        c = np.bincount(w.borough, weights=self.constables, minlength=nb)
        p = np.bincount(w.borough, weights=self.pcsos, minlength=nb)
        cost = (
            c * rates["constable"]
            + p * rates["pcso"]
            + self.sergeants * rates["sergeant"]
            + self.inspectors * rates["inspector"]
        )
        return pd.DataFrame({"borough": w.borough_names, "constables": c, "pcsos": p, "cost": cost})


def _spread(total: int, floor: int, need: np.ndarray) -> np.ndarray:
    base = np.full(len(need), floor, dtype=np.int64)
    rest = total - base.sum()
    if rest < 0:
        raise InfeasibleError(f"ward floors need {base.sum()} but only {total} are available")
    share = need / need.sum() * rest
    out = base + np.floor(share).astype(np.int64)
    left = int(rest - np.floor(share).sum())
    order = np.argsort(-(share - np.floor(share)), kind="stable")
    out[order[:left]] += 1
    return out


def simple_solve(scenario: Scenario, *, wards: WardData | None = None, **_: Any) -> FakePlan:
    """Deploy every constable and PCSO available; supervisors at the spans."""
    w = wards if wards is not None else make_wards()
    wf, rules = scenario.workforce, scenario.rules
    c = _spread(wf.constable.headcount, rules.ward_floor.constable, w.need)
    p = _spread(wf.pcso.headcount, rules.ward_floor.pcso, w.need)
    nb = w.n_boroughs
    heads = np.bincount(w.borough, weights=c + p, minlength=nb)
    sup = rules.supervision
    sg = np.maximum(sup.min_sergeants_per_borough, np.ceil(heads / sup.sergeant_span)).astype(np.int64)
    ins = np.maximum(sup.min_inspectors_per_borough, np.ceil(sg / sup.inspector_span)).astype(np.int64)
    return FakePlan(scenario, w, c, p, sg, ins)


def test_simple_solve_keeps_floors_and_spans() -> None:
    changes = {"workforce.constable.headcount": 40, "workforce.pcso.headcount": 20}
    sc = Scenario(name="t").with_changes(changes)
    plan = simple_solve(sc)
    assert plan.constables.sum() == 40 and plan.pcsos.sum() == 20
    assert (plan.constables >= 2).all() and (plan.pcsos >= 1).all()
    heads = np.bincount(plan.wards.borough, weights=plan.constables + plan.pcsos)
    assert (plan.sergeants * 8 >= heads).all()
    assert all(math.ceil(s / 6) <= i for s, i in zip(plan.sergeants, plan.inspectors))
