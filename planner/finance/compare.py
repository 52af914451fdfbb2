"""Comparing the cost of options: ``planner cost SCENARIO...``.

For each scenario (an *option*) the single-year planner is solved and the plan
costed (:func:`planner.finance.costing.plan_costs`). The comparison reports, per
option: the annual cost by rank, the cost per financial year over the finance
horizon in cash and in real terms, the need and harm served, the cost per unit
of each, the marginal cost of the last 100 PCSOs (the option re-solved with 100
fewer), and what the same money buys as constables instead (re-solved with 100
fewer PCSOs and as many more constables as that money pays for).

Need served is the planner's own diminishing-returns value::

    sum_w need_w * log(1 + (a_c * constables_w + alpha * a_p * pcsos_w) / kappa)

and harm served the same with harm (scaled to mean 1 over the wards) in place of need.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.errors import InfeasibleError
from planner.finance.costing import PlanCosts, cost_rates, headcount_by_fy, plan_costs, unit_costs
from planner.progress import SILENT, Progress, step
from planner.scenario import RANKS, Scenario

MARGINAL_PCSOS = 100


def served(plan: Any, weights: np.ndarray) -> float:
    """``sum_w weights_w * log(1 + effective_w / kappa)`` for a plan's deployment."""
    sc: Scenario = plan.scenario
    wf, obj = sc.workforce, sc.objective
    eff = wf.constable.availability * np.asarray(plan.constables, dtype=float) + (
        obj.pcso_effectiveness * wf.pcso.availability * np.asarray(plan.pcsos, dtype=float)
    )
    return float(np.sum(np.asarray(weights, dtype=float) * np.log1p(eff / obj.saturation)))


def need_served(plan: Any) -> float:
    """Need served by a plan (the planner's value, without the cost term)."""
    return served(plan, plan.wards.need)


def harm_served(plan: Any) -> float:
    """Harm served by a plan: as need served, with harm scaled to mean 1 over the wards."""
    harm = np.asarray(plan.wards.harm, dtype=float)
    mean = harm.mean()
    return served(plan, harm / mean) if mean > 0 else 0.0


_PLAN_ARRAYS = ("constables", "pcsos", "sergeants", "inspectors")


def _heads(plan: Any) -> dict[str, int]:
    """Deployed headcount per rank of a plan."""
    return {r: int(np.sum(getattr(plan, a))) for r, a in zip(RANKS, _PLAN_ARRAYS)}


@dataclass
class Variant:
    """A re-solved variant of an option (fewer PCSOs, or constables instead)."""

    label: str
    changes: dict[str, Any]
    cost: float | None = None
    need: float | None = None
    harm: float | None = None
    heads: dict[str, int] = field(default_factory=dict)
    error: str | None = None


@dataclass
class OptionCost:
    """One option's plan, its costs and its comparisons."""

    name: str
    scenario: Scenario
    plan: Any
    costs: PlanCosts
    years: pd.DataFrame
    need: float
    harm: float
    fewer_pcsos: Variant | None = None
    constables_instead: Variant | None = None

    @property
    def heads(self) -> dict[str, int]:
        """Deployed headcount per rank."""
        return _heads(self.plan)

    def row(self) -> dict[str, Any]:
        """One summary row (pounds, need and harm units)."""
        status = getattr(self.plan.status, "name", self.plan.status)
        out: dict[str, Any] = {"option": self.name, "status": str(status)}
        out.update({f"heads_{r}": n for r, n in self.heads.items()})
        out.update({f"cost_{r}": v for r, v in self.costs.by_rank.items()})
        out["annual_cost"] = self.costs.total
        for _, y in self.years.iterrows():
            out[f"cash_{y['fy']}"] = y["cash"]
            out[f"real_{y['fy']}"] = y["real"]
        out["horizon_cash"] = float(self.years["cash"].sum())
        out["horizon_real"] = float(self.years["real"].sum())
        out["need_served"] = self.need
        out["harm_served"] = self.harm
        out["cost_per_need"] = self.costs.total / self.need if self.need > 0 else math.nan
        out["cost_per_harm"] = self.costs.total / self.harm if self.harm > 0 else math.nan
        f, c = self.fewer_pcsos, self.constables_instead
        if f is not None:
            ok = f.error is None and f.cost is not None and f.need is not None
            out["marginal_cost_last_100_pcsos"] = self.costs.total - f.cost if ok else math.nan  # type: ignore[operator]
            out["marginal_need_last_100_pcsos"] = self.need - f.need if ok else math.nan  # type: ignore[operator]
            out["marginal_note"] = f.error or ""
        if c is not None:
            out["constables_instead"] = c.changes.get("_extra_constables", math.nan)
            out["constables_instead_cost"] = c.cost if c.error is None else math.nan
            out["constables_instead_need"] = c.need if c.error is None else math.nan
            out["constables_instead_note"] = c.error or ""
        return out


def _default_solve() -> Callable[..., Any]:
    import planner

    return planner.solve  # type: ignore[attr-defined,no-any-return]


def _variant(base: Scenario, label: str, changes: dict[str, Any], solve: Callable[..., Any], **kw: Any) -> Variant:
    v = Variant(label=label, changes=changes)
    real = {k: val for k, val in changes.items() if not k.startswith("_")}
    try:
        plan = solve(base.with_changes(real), **kw)
    except InfeasibleError as exc:
        v.error = f"{label}: infeasible: " + "; ".join(exc.reasons)
        return v
    v.cost = plan_costs(plan).total
    v.need, v.harm = need_served(plan), harm_served(plan)
    v.heads = _heads(plan)
    return v


def cost_option(
    scenario: Scenario,
    *,
    name: str | None = None,
    data_dir: str | Path | None = None,
    scenario_dir: str | Path | None = None,
    time_limit: float | None = None,
    seed: int | None = None,
    marginal: bool = True,
    solve: Callable[..., Any] | None = None,
    progress: Progress | None = None,
) -> OptionCost:
    """Solve and cost one option, with its marginal and constables-instead variants.

    Parameters
    ----------
    scenario : Scenario
    name : str, optional
        Label (default the scenario name).
    data_dir, scenario_dir, time_limit, seed : optional
        Passed to ``planner.solve`` (``scenario_dir``: where the scenario file's relative paths start).
    marginal : bool
        Also re-solve with 100 fewer PCSOs, and with constables for the same money.
    solve : callable, optional
        ``solve(scenario, data_dir=..., time_limit=..., seed=...) -> Plan``; default ``planner.solve``.
    progress : Progress, optional
        Advanced by one after each solve (one, or three with ``marginal``).

    Raises
    ------
    InfeasibleError
        If the option itself has no plan.
    """
    inner = solve or _default_solve()
    tick = progress or SILENT

    def counted(*args: Any, **kw: Any) -> Any:
        try:
            return inner(*args, **kw)
        finally:
            tick.advance()

    kw: dict[str, Any] = {"data_dir": data_dir, "time_limit": time_limit, "seed": seed}
    if scenario_dir is not None:
        kw["scenario_dir"] = scenario_dir
    plan = counted(scenario, **kw)
    costs = plan_costs(plan)
    rates = cost_rates(scenario)
    heads = _heads(plan)
    opt = OptionCost(
        name=name or scenario.name,
        scenario=scenario,
        plan=plan,
        costs=costs,
        years=headcount_by_fy(rates, heads),
        need=need_served(plan),
        harm=harm_served(plan),
    )
    if marginal:
        fewer = max(0, heads["pcso"] - MARGINAL_PCSOS)
        opt.fewer_pcsos = _variant(
            scenario, f"{MARGINAL_PCSOS} fewer PCSOs", {"workforce.pcso.headcount": fewer}, counted, **kw
        )
        f = opt.fewer_pcsos
        if f.error is None and f.cost is not None:
            money = costs.total - f.cost
            extra = int(money // unit_costs(scenario)["constable"]) if money > 0 else 0
            changes = {
                "workforce.pcso.headcount": fewer,
                "workforce.constable.headcount": heads["constable"] + extra,
                "_extra_constables": extra,
            }
            opt.constables_instead = _variant(scenario, f"{extra} constables instead", changes, counted, **kw)
        else:
            opt.constables_instead = Variant(
                label="constables instead", changes={}, error="not computed: " + (f.error or "")
            )
    return opt


@dataclass
class Comparison:
    """Several costed options."""

    options: list[OptionCost]

    def summary(self) -> pd.DataFrame:
        """One row per option."""
        return pd.DataFrame([o.row() for o in self.options])


def compare_options(
    scenarios: Sequence[Scenario],
    *,
    scenario_dirs: Sequence[str | Path | None] | None = None,
    data_dir: str | Path | None = None,
    time_limit: float | None = None,
    seed: int | None = None,
    marginal: bool = True,
    solve: Callable[..., Any] | None = None,
    progress: Progress | None = None,
) -> Comparison:
    """Cost every scenario (see :func:`cost_option`); option names are made unique.

    ``progress`` is told of one step counting every solve (one per option, three with ``marginal``).
    """
    seen: dict[str, int] = {}
    out = []
    dirs = list(scenario_dirs) if scenario_dirs is not None else [None] * len(scenarios)
    solves = len(scenarios) * (3 if marginal else 1)
    with step(progress, f"Solving {len(scenarios)} option{'s' if len(scenarios) != 1 else ''}", total=solves):
        for sc, where in zip(scenarios, dirs):
            out.append(_cost_named(sc, where, seen, data_dir, time_limit, seed, marginal, solve, progress))
    return Comparison(out)


def _cost_named(
    sc: Scenario,
    where: str | Path | None,
    seen: dict[str, int],
    data_dir: str | Path | None,
    time_limit: float | None,
    seed: int | None,
    marginal: bool,
    solve: Callable[..., Any] | None,
    progress: Progress | None,
) -> OptionCost:
    """:func:`cost_option` under a name not used before (``name (2)`` for a repeat)."""
    n = seen.get(sc.name, 0)
    seen[sc.name] = n + 1
    name = sc.name if n == 0 else f"{sc.name} ({n + 1})"
    return cost_option(
        sc,
        name=name,
        data_dir=data_dir,
        scenario_dir=where,
        time_limit=time_limit,
        seed=seed,
        marginal=marginal,
        solve=solve,
        progress=progress,
    )
