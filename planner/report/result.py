"""The answer of a solve: the plan, its cost and its certificate.

A :class:`Plan` carries the deployment per ward (constables, PCSOs) and per
borough (sergeants, inspectors), the objective, the proven bound and the
relative gap, the runtime and the seed, and everything needed to check it:
:meth:`Plan.check` recomputes every rule from the plan itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from planner.inputs.current import CurrentDeployment
from planner.inputs.data import WardData
from planner.inputs.workforce import Workforce
from planner.problem import AllocationProblem, Deployment
from planner.ranks import CONSTABLE, INSPECTOR, PCSO, SERGEANT
from planner.report.changes import Changes
from planner.report.tiers import hotspot_teams, tier_summary
from planner.rules import binding, check_plan
from planner.rules.overrides import override_summary, ward_columns
from planner.rules.tiers import split_constables
from planner.scenario import RANKS, Scenario
from planner.solve.pipeline import Status


@dataclass(frozen=True, eq=False)
class Plan:
    """A solved deployment.

    Attributes
    ----------
    status : Status
    objective, bound, gap : float
        Objective value of the plan, proven upper bound on any plan's value,
        and ``(bound - objective) / max(|bound|, 1)``.
    solve_seconds : float
        Wall-clock seconds of the solver (model build included).
    seed : int
    scenario : Scenario
    wards : WardData
    problem : AllocationProblem
    workforce : Workforce
    constables, pcsos : (W,) int
    sergeants, inspectors : (B,) int
    input_hash : str
        Hash of the scenario and every input file.
    notes : tuple of str
        What the loaders and the solver want a user to know.
    method : str
        How the answer was found and certified.
    """

    status: Status
    objective: float
    bound: float
    gap: float
    solve_seconds: float
    seed: int
    scenario: Scenario
    wards: WardData
    problem: AllocationProblem
    workforce: Workforce
    constables: np.ndarray
    pcsos: np.ndarray
    sergeants: np.ndarray
    inspectors: np.ndarray
    input_hash: str
    method: str = ""
    notes: tuple[str, ...] = field(default=())
    log: tuple[str, ...] = field(default=())
    current: CurrentDeployment | None = None
    """Today's deployment, when the scenario gives one (``data.current``): what :meth:`changes` counts from."""

    # ----------------------------------------------------------- figures
    @property
    def deployment(self) -> Deployment:
        """The plan as one frozen :class:`~planner.problem.Deployment`."""
        return Deployment(self.constables, self.pcsos, self.sergeants, self.inspectors)

    def changes(self) -> Changes | None:
        """Moved, added and removed people per rank against today (None without a current deployment)."""
        if self.current is None:
            return None
        cur = self.current
        return Changes.of(
            (cur.constables, cur.pcsos, cur.sergeants, cur.inspectors),
            (self.constables, self.pcsos, self.sergeants, self.inspectors),
        )

    def binding(self) -> dict[str, list[str]]:
        """Per rule, plain sentences saying where it limits this plan."""
        return binding(self.problem, self.deployment)

    @property
    def totals(self) -> dict[str, int]:
        """Headcount deployed per rank."""
        counts = (self.constables, self.pcsos, self.sergeants, self.inspectors)
        return {rank: int(np.sum(c)) for rank, c in zip(RANKS, counts)}

    @property
    def cost_by_rank(self) -> dict[str, float]:
        """Annual cost per rank, pounds."""
        return {rank: self.totals[rank] * float(self.workforce.annual_cost[k]) for k, rank in enumerate(RANKS)}

    @property
    def cost_annual(self) -> float:
        """Annual pay cost of the plan, pounds."""
        return float(sum(self.cost_by_rank.values()))

    @property
    def in_post(self) -> dict[str, int]:
        """Headcount in post per rank (the scenario's workforce), deployed or not."""
        return {rank: int(self.workforce.headcount[k]) for k, rank in enumerate(RANKS)}

    @property
    def not_deployed(self) -> dict[str, int]:
        """People in post but not deployed per rank (for want of supervisors, or ward and borough caps)."""
        return {rank: self.in_post[rank] - self.totals[rank] for rank in RANKS}

    @property
    def cost_in_post_by_rank(self) -> dict[str, float]:
        """Annual cost of everyone in post per rank, pounds: the undeployed are paid too."""
        return {rank: self.in_post[rank] * float(self.workforce.annual_cost[k]) for k, rank in enumerate(RANKS)}

    @property
    def cost_in_post_annual(self) -> float:
        """Annual cost of everyone in post, pounds (``cost_annual`` counts only those deployed)."""
        return float(sum(self.cost_in_post_by_rank.values()))

    @property
    def cost_not_deployed_annual(self) -> float:
        """Annual cost of the people in post but not deployed, pounds."""
        return self.cost_in_post_annual - self.cost_annual

    def cost_summary(self) -> dict[str, Any]:
        """The ``cost`` block of summary.json.

        The cost basis, per-person costs, and the annual cost of those deployed, of those in post but not deployed, and
        of everyone in post (pounds).
        """
        return {
            "basis": self.workforce.cost_source,
            "per_person": {rank: float(self.workforce.annual_cost[k]) for k, rank in enumerate(RANKS)},
            "in_post": self.in_post,
            "not_deployed": self.not_deployed,
            "deployed_annual": self.cost_annual,
            "not_deployed_annual": self.cost_not_deployed_annual,
            "in_post_annual": self.cost_in_post_annual,
            "in_post_by_rank": self.cost_in_post_by_rank,
        }

    @property
    def effective(self) -> np.ndarray:
        """Effective officers per ward (availability and PCSO effectiveness applied)."""
        return self.problem.eff_x * self.constables + self.problem.eff_p * self.pcsos

    def marginal_value(self) -> pd.DataFrame:
        """Per ward: value of one more constable and one more PCSO (objective units)."""
        prob = self.problem
        w = np.arange(prob.n_wards)
        base = prob.choice_value(w, self.constables, self.pcsos)
        return pd.DataFrame(
            {
                "constable": prob.choice_value(w, self.constables + 1, self.pcsos) - base,
                "pcso": prob.choice_value(w, self.constables, self.pcsos + 1) - base,
            },
            index=pd.Index(self.wards.codes, name="ward_code"),
        )

    # ----------------------------------------------------------- tables
    def ward_table(self) -> pd.DataFrame:
        """One row per ward: its inputs, its officers and its override.

        Columns ward_code, ward_name, borough, bcu, demand, harm, population, need, constables (ward officers and
        hotspot-team constables), pcsos, override and override_reason (the ward's override in plain words and its
        reason, "" without one), effective officers and need per effective officer.
        """
        w = self.wards
        eff = self.effective
        ward_officers, hotspot = split_constables(self.problem, self.constables)
        override, reason = ward_columns(self.problem, w.n_wards)
        return pd.DataFrame(
            {
                "ward_code": w.codes,
                "ward_name": w.names,
                "borough": w.borough_names[w.borough],
                "bcu": w.ward_bcu,
                "demand": w.demand,
                "harm": w.harm,
                "population": w.population,
                "need": w.need,
                "constables": self.constables,
                "ward_officers": ward_officers,
                "hotspot_constables": hotspot,
                "pcsos": self.pcsos,
                "override": override,
                "override_reason": reason,
                "effective_officers": eff,
                "need_per_officer": np.where(eff > 0, w.need / np.maximum(eff, 1e-12), np.inf),
            }
        )

    def borough_table(self) -> pd.DataFrame:
        """One row per borough: its officers, supervisors, spans and cost.

        Columns borough, bcu, constables, pcsos, sergeants, inspectors, the borough's sergeant and inspector spans, cost
        (pounds/year).
        """
        w = self.wards
        nb = w.n_boroughs
        cx = np.bincount(w.borough, weights=self.constables, minlength=nb).astype(np.int64)
        hot = np.bincount(w.borough, weights=split_constables(self.problem, self.constables)[1], minlength=nb)
        cp = np.bincount(w.borough, weights=self.pcsos, minlength=nb).astype(np.int64)
        c = self.workforce.annual_cost
        cost = cx * c[CONSTABLE] + cp * c[PCSO] + self.sergeants * c[SERGEANT] + self.inspectors * c[INSPECTOR]
        return pd.DataFrame(
            {
                "borough_code": w.borough_codes,
                "borough": w.borough_names,
                "bcu": w.borough_bcu,
                "constables": cx,
                "flexible_constables": hot.astype(np.int64),
                "pcsos": cp,
                "sergeants": self.sergeants,
                "inspectors": self.inspectors,
                "sergeant_span": self.problem.span_sergeant,
                "inspector_span": self.problem.span_inspector,
                "cost": cost,
                "need": np.bincount(w.borough, weights=w.need, minlength=nb),
            }
        )

    def summary(self) -> dict[str, Any]:
        """Plain data for summary.json."""
        out: dict[str, Any] = {
            "scenario": self.scenario.name,
            "status": self.status.value,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "solve_seconds": self.solve_seconds,
            "seed": self.seed,
            "method": self.method,
            "totals": self.totals,
            "available": {rank: int(self.workforce.headcount[k]) for k, rank in enumerate(RANKS)},
            "cost_annual": self.cost_annual,
            "cost_by_rank": self.cost_by_rank,
            "cost_source": self.workforce.cost_source,
            "in_post": self.in_post,
            "not_deployed": self.not_deployed,
            "cost_in_post_annual": self.cost_in_post_annual,
            "cost": self.cost_summary(),
            "budget": self.problem.budget,
            "wards": int(self.wards.n_wards),
            "boroughs": int(self.wards.n_boroughs),
            "input_hash": self.input_hash,
            "checks": self.check(),
            "binding": self.binding(),
            "notes": list(self.notes),
        }
        changes = self.changes()
        if changes is not None:
            out["changes"] = changes.summary()
        tiers = tier_summary(self.problem, self.deployment, self.hotspot_teams())
        if tiers is not None:
            out["tiers"] = tiers
        sup = self.scenario.rules.supervision
        if sup.per_bcu:
            out["spans"] = {
                "sergeant_span": float(sup.sergeant_span),
                "inspector_span": float(sup.inspector_span),
                "areas": [
                    {
                        "area": key,
                        "sergeant_span": float(sup.sergeant_span if a.sergeant_span is None else a.sergeant_span),
                        "inspector_span": float(sup.inspector_span if a.inspector_span is None else a.inspector_span),
                        "reason": a.reason,
                    }
                    for key, a in sup.per_bcu.items()
                ],
            }
        if self.wards.overrides is not None:
            out["overrides"] = override_summary(self.problem, self.wards.overrides, self.deployment)
        return out

    def hotspot_teams(self) -> pd.DataFrame:
        """One row per borough hotspot team (empty without tiers): see :mod:`planner.report.tiers`."""
        return hotspot_teams(self.problem, self.wards, self.deployment)

    # ----------------------------------------------------------- checks
    def check(self) -> dict[str, bool]:
        """Recompute every rule from the plan itself; True where it holds."""
        return check_plan(self.problem, self.constables, self.pcsos, self.sergeants, self.inspectors)
