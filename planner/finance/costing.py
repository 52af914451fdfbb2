"""What plans cost: per rank, ward and borough, by financial year.

Unit costs per rank come from the pay model (:mod:`planner.inputs.pay`). Plan
totals are summed in whole pence (integers), so the per-ward, per-borough and
London-wide totals reconcile exactly.

A plan costs everyone *in post*: the people it deploys (by ward and borough) and
the people it cannot deploy (for want of supervisors, or ward and borough caps),
who are paid all the same and are shown as "in post, not deployed".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from planner.inputs.pay import (
    CostRates,
    RankCost,
    annual_cost_per_rank,
    award_factor,
    cost_rates,
    rank_cost,
    round_pence,
    to_pence,
)
from planner.scenario import RANKS, Scenario
from planner.scenario.periods import fy_label, fy_of_month

__all__ = [
    "CostRates",
    "PlanCosts",
    "RankCost",
    "annual_cost_per_rank",
    "award_factor",
    "cost_rates",
    "costs_of_counts",
    "headcount_by_fy",
    "plan_costs",
    "rank_breakdown",
    "rank_cost",
    "round_pence",
    "to_pence",
    "unit_costs",
]


def unit_costs(scenario: Scenario) -> dict[str, float]:
    """Annual cost per person per rank as the core planner uses it."""
    detailed = annual_cost_per_rank(scenario)
    if detailed is not None:
        return detailed
    return {r: float(scenario.workforce.rank(r).annual_cost) for r in RANKS}


def rank_breakdown(scenario: Scenario) -> pd.DataFrame:
    """One row per rank: the itemised annual cost in the first month of the cost year.

    Without a pay model only ``total`` is known.
    """
    rates = cost_rates(scenario)
    month = rates.cost_year * 12 + 3
    rows = []
    for r in RANKS:
        if rates.detailed:
            row = rank_cost(rates.spec, r, month).as_dict()
        else:
            row = {"rank": r, "month": month, "total": rates.annual_rate(r, month)}
        row["fy_cost"] = rates.fy_cost(r, rates.cost_year)
        row["one_off_per_joiner"] = rates.one_off(r)
        rows.append(row)
    return pd.DataFrame(rows).set_index("rank")


def headcount_by_fy(rates: CostRates, heads: dict[str, int]) -> pd.DataFrame:
    """Cost of a constant headcount over the plan horizon, per financial year.

    Returns
    -------
    pandas.DataFrame
        One row per financial year (partial years count only the horizon's
        months): ``fy``, ``months``, ``cost_<rank>``, ``cash`` and ``real`` (in
        price-base prices), pounds.
    """
    months = rates.horizon_months()
    rows = []
    for year in sorted({fy_of_month(m) for m in months}):
        ms = [m for m in months if fy_of_month(m) == year]
        row: dict[str, Any] = {"fy": fy_label(year), "months": len(ms)}
        pence = 0
        for r in RANKS:
            c = to_pence(rates.months_cost(r, ms)) * int(heads.get(r, 0))
            row[f"cost_{r}"] = c / 100
            pence += c
        row["cash"] = pence / 100
        row["real"] = round_pence(pence / 100 / rates.price_index(year))
        rows.append(row)
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ plan costs


@dataclass(frozen=True, eq=False)
class PlanCosts:
    """Costs of one plan by rank, ward and borough, in whole pence.

    Parameters
    ----------
    rate_pence : dict[str, int]
        Annual cost per person per rank, pence.
    ward_pence : (W, 2) int
        Constables' and PCSOs' cost per ward.
    borough_pence : (B, 4) int
        Cost per borough and rank (constables, PCSOs of its wards; its sergeants, inspectors).
    in_post : dict[str, int]
        Headcount in post per rank (deployed or not).
    idle : (4,) int
        People in post but not deployed, per rank.
    """

    wards: Any
    constables: np.ndarray
    pcsos: np.ndarray
    sergeants: np.ndarray
    inspectors: np.ndarray
    rate_pence: dict[str, int]
    ward_pence: np.ndarray
    borough_pence: np.ndarray
    source: str
    in_post: dict[str, int]
    idle: np.ndarray

    @property
    def idle_pence(self) -> np.ndarray:
        """(4,) annual cost of the people in post but not deployed, per rank, pence."""
        return self.idle * np.array([self.rate_pence[r] for r in RANKS], dtype=np.int64)

    @property
    def deployed_total(self) -> float:
        """Annual cost of the people deployed, pounds (the sum of the borough table)."""
        return int(self.borough_pence.sum()) / 100

    @property
    def not_deployed_total(self) -> float:
        """Annual cost of the people in post but not deployed, pounds."""
        return int(self.idle_pence.sum()) / 100

    @property
    def total(self) -> float:
        """London-wide annual cost of everyone in post (deployed or not), pounds."""
        return int(self.borough_pence.sum() + self.idle_pence.sum()) / 100

    @property
    def by_rank(self) -> dict[str, float]:
        """Annual cost per rank of everyone in post, pounds."""
        return {r: int(self.borough_pence[:, k].sum() + self.idle_pence[k]) / 100 for k, r in enumerate(RANKS)}

    @property
    def not_deployed(self) -> dict[str, int]:
        """People in post but not deployed, per rank."""
        return {r: int(self.idle[k]) for k, r in enumerate(RANKS)}

    def idle_row(self) -> dict[str, Any]:
        """The borough table's "in post, not deployed" row (London-wide; counts and pounds)."""
        n = self.not_deployed
        row: dict[str, Any] = {"borough": "in post, not deployed", "bcu": ""}
        row.update({"constables": n["constable"], "pcsos": n["pcso"], "sergeants": n["sergeant"]})
        row["inspectors"] = n["inspector"]
        for k, r in enumerate(RANKS):
            row[f"cost_{r}"] = int(self.idle_pence[k]) / 100
        row["cost"] = self.not_deployed_total
        return row

    def ward_table(self) -> pd.DataFrame:
        """Per ward: counts and cost (pounds) of constables and PCSOs."""
        w = self.wards
        return pd.DataFrame(
            {
                "ward_code": w.codes,
                "ward_name": w.names,
                "borough": w.borough_names[w.borough],
                "constables": self.constables,
                "pcsos": self.pcsos,
                "cost_constables": self.ward_pence[:, 0] / 100,
                "cost_pcsos": self.ward_pence[:, 1] / 100,
                "cost": self.ward_pence.sum(axis=1) / 100,
            }
        )

    def borough_table(self) -> pd.DataFrame:
        """Per borough: counts and cost (pounds) by rank and in total."""
        w = self.wards
        nb = len(w.borough_codes)
        frame = pd.DataFrame(
            {
                "borough": w.borough_names,
                "bcu": w.borough_bcu,
                "constables": np.bincount(w.borough, weights=self.constables, minlength=nb).astype(int),
                "pcsos": np.bincount(w.borough, weights=self.pcsos, minlength=nb).astype(int),
                "sergeants": self.sergeants,
                "inspectors": self.inspectors,
            }
        )
        for k, r in enumerate(RANKS):
            frame[f"cost_{r}"] = self.borough_pence[:, k] / 100
        frame["cost"] = self.borough_pence.sum(axis=1) / 100
        return frame


def costs_of_counts(
    scenario: Scenario,
    wards: Any,
    constables: np.ndarray,
    pcsos: np.ndarray,
    sergeants: np.ndarray,
    inspectors: np.ndarray,
    in_post: dict[str, int] | None = None,
) -> PlanCosts:
    """Cost a deployment and the people in post it leaves undeployed.

    The deployment is per-ward constables and PCSOs and per-borough supervisors; ``in_post`` per rank defaults to
    ``workforce.<rank>.headcount``.
    """
    detailed = annual_cost_per_rank(scenario)
    rates = detailed or {r: float(scenario.workforce.rank(r).annual_cost) for r in RANKS}
    pence = {r: to_pence(v) for r, v in rates.items()}
    c = np.asarray(constables, dtype=np.int64)
    p = np.asarray(pcsos, dtype=np.int64)
    sg = np.asarray(sergeants, dtype=np.int64)
    ins = np.asarray(inspectors, dtype=np.int64)
    ward_pence = np.stack([c * pence["constable"], p * pence["pcso"]], axis=1)
    nb = len(wards.borough_codes)
    borough = np.zeros((nb, 4), dtype=np.int64)
    np.add.at(borough[:, 0], wards.borough, ward_pence[:, 0])
    np.add.at(borough[:, 1], wards.borough, ward_pence[:, 1])
    borough[:, 2] = sg * pence["sergeant"]
    borough[:, 3] = ins * pence["inspector"]
    posts = in_post if in_post is not None else {r: int(scenario.workforce.rank(r).headcount) for r in RANKS}
    deployed = {"constable": int(c.sum()), "pcso": int(p.sum()), "sergeant": int(sg.sum()), "inspector": int(ins.sum())}
    idle = np.array([max(0, posts[r] - deployed[r]) for r in RANKS], dtype=np.int64)
    return PlanCosts(
        wards=wards,
        constables=c,
        pcsos=p,
        sergeants=sg,
        inspectors=ins,
        rate_pence=pence,
        ward_pence=ward_pence,
        borough_pence=borough,
        source="finance pay model" if detailed else "scenario workforce",
        in_post={r: max(posts[r], deployed[r]) for r in RANKS},
        idle=idle,
    )


def plan_costs(plan: Any) -> PlanCosts:
    """Recompute the cost of a :class:`planner.report.result.Plan` by rank, ward and borough.

    Also of the people in post it does not deploy (the scenario's headcount less those deployed).

    Parameters
    ----------
    plan : Plan
        A solved plan (``wards``, ``constables``, ``pcsos``, ``sergeants``,
        ``inspectors``, ``scenario``).
    """
    return costs_of_counts(plan.scenario, plan.wards, plan.constables, plan.pcsos, plan.sergeants, plan.inspectors)
