"""Comparing the cost of options: ``planner cost SCENARIO...``.

For each scenario (an *option*) the single-year planner is solved and the plan
costed (:func:`planner.finance.costing.plan_costs`) on one basis: everyone *in
post* is paid, deployed or not (people the spans of control or caps leave
undeployed are shown as "in post, not deployed"). The comparison reports, per
option: the annual cost by rank, the cost per financial year over the finance
horizon in cash and in real terms, the need and harm served, the cost per unit
of each, the marginal cost of the last 100 PCSOs (the option re-solved with 100
fewer in post: their pay, since the sergeants who supervised them stay in post),
and what the same money buys as constables instead (re-solved with 100 fewer
PCSOs and as many more constables as that money pays for). How that conclusion
moves with the value assumptions is :mod:`planner.finance.band`.

Need served is the planner's own diminishing-returns value of the plan, before
costs and move penalties (:func:`value_served`). Under the substitution model
(``objective.pcso_model: substitution``) a PCSO counts as ``alpha`` of a constable::

    sum_w need_w * log(1 + (a_c * constables_w + alpha * a_p * pcsos_w) / kappa)

With a PCSO role of its own (the default, ``own_role``) constables serve need and
PCSOs their own need (residents, daytime load, volume crime, confidence), weighed
against the constables' by ``alpha`` (see :func:`planner.rules.registry.value_model`)::

    sum_w need_w * log(1 + a_c * constables_w / kappa) + need_p_w * log(1 + a_p * pcsos_w / kappa_p)

Harm served is the constables' term (and, under the substitution model, the
PCSOs' share) with harm scaled to mean 1 over the wards in place of need: under
the own role PCSOs are not valued on harm, so they serve none of it.
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
from planner.finance.equity_lens import equity_fields
from planner.progress import SILENT, Progress, step
from planner.scenario import RANKS, Scenario

MARGINAL_PCSOS = 100


def own_role(plan: Any) -> bool:
    """Whether the plan was solved with a PCSO role of its own (PCSOs valued on their own need)."""
    problem = getattr(plan, "problem", None)
    return bool(getattr(problem, "own_role", False))


def served(plan: Any, weights: np.ndarray) -> float:
    """``sum_w weights_w * log(1 + effective_w / kappa)`` for a plan's deployment.

    Effective officers count PCSOs (as ``alpha`` of a constable) only under the substitution model.
    """
    sc: Scenario = plan.scenario
    wf, obj = sc.workforce, sc.objective
    eff = wf.constable.availability * np.asarray(plan.constables, dtype=float)
    if not own_role(plan):
        eff = eff + obj.pcso_effectiveness * wf.pcso.availability * np.asarray(plan.pcsos, dtype=float)
    return float(np.sum(np.asarray(weights, dtype=float) * np.log1p(eff / obj.saturation)))


def need_served(plan: Any) -> float:
    """Need served by a plan: the planner's value without costs or move penalties (:func:`value_served`)."""
    if getattr(plan, "problem", None) is not None:
        return value_served(plan)
    return served(plan, plan.wards.need)


def harm_served(plan: Any) -> float:
    """Harm served by a plan: as need served, with harm scaled to mean 1 over the wards.

    Under a PCSO role of its own, only the constables count.
    """
    harm = np.asarray(plan.wards.harm, dtype=float)
    mean = harm.mean()
    return served(plan, harm / mean) if mean > 0 else 0.0


def value_model_words(plan: Any) -> str:
    """How the plan's value counts PCSOs, in plain words."""
    if own_role(plan):
        return (
            "constables valued on need, PCSOs on their own need (residents, daytime load, volume crime), "
            "weighed against constables by objective.pcso_effectiveness"
        )
    return "a PCSO counted as objective.pcso_effectiveness of a constable"


_PLAN_ARRAYS = ("constables", "pcsos", "sergeants", "inspectors")


def _heads(plan: Any) -> dict[str, int]:
    """Deployed headcount per rank of a plan."""
    return {r: int(np.sum(getattr(plan, a))) for r, a in zip(RANKS, _PLAN_ARRAYS)}


def _in_post(plan: Any) -> dict[str, int]:
    """Headcount in post per rank of a plan's scenario (at least those deployed)."""
    deployed = _heads(plan)
    return {r: max(int(plan.scenario.workforce.rank(r).headcount), deployed[r]) for r in RANKS}


def value_served(plan: Any) -> float:
    """The planner's own value of a plan (``AllocationProblem.gain``).

    Every ward's value summed, before the cost tie-breaker and move penalties.

    It follows whichever value model the scenario's ``objective`` block sets (a PCSO role of its own, or
    substitution). Plan-like objects without a solver problem (tests' stand-ins) are valued by the
    substitution formula.
    """
    problem = getattr(plan, "problem", None)
    if problem is None:
        return served(plan, plan.wards.need)
    x = np.asarray(plan.constables, dtype=float)
    p = np.asarray(plan.pcsos, dtype=float)
    return float(np.sum(problem.gain(np.arange(len(x)), x, p)))


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

    band: list[Any] = field(default_factory=list)
    """:class:`planner.finance.band.Band` per assumption varied."""
    reference_need: float | None = None
    """Need served by the option re-solved without today's deployment, when the variants had to be (see
    :func:`without_today`); None: the variants start from today like the option."""
    marginal_basis: str = ""
    """Why the variants were re-solved without today's deployment (empty when they were not)."""

    @property
    def heads(self) -> dict[str, int]:
        """Deployed headcount per rank."""
        return _heads(self.plan)

    def row(self) -> dict[str, Any]:
        """One summary row (pounds, need and harm units); costs are of everyone in post."""
        status = getattr(self.plan.status, "name", self.plan.status)
        out: dict[str, Any] = {"option": self.name, "status": str(status)}
        out.update({f"heads_{r}": n for r, n in self.heads.items()})
        out.update({f"in_post_{r}": n for r, n in self.costs.in_post.items()})
        out.update({f"not_deployed_{r}": n for r, n in self.costs.not_deployed.items()})
        out.update({f"cost_{r}": v for r, v in self.costs.by_rank.items()})
        out["cost_basis"] = self.costs.source
        out["annual_cost"] = self.costs.total
        out["annual_cost_deployed"] = self.costs.deployed_total
        out["annual_cost_not_deployed"] = self.costs.not_deployed_total
        for _, y in self.years.iterrows():
            out[f"cash_{y['fy']}"] = y["cash"]
            out[f"real_{y['fy']}"] = y["real"]
        out["horizon_cash"] = float(self.years["cash"].sum())
        out["horizon_real"] = float(self.years["real"].sum())
        out["pcso_model"] = "own_role" if own_role(self.plan) else "substitution"
        out["need_served"] = self.need
        out["harm_served"] = self.harm
        out["cost_per_need"] = self.costs.total / self.need if self.need > 0 else math.nan
        out["cost_per_harm"] = self.costs.total / self.harm if self.harm > 0 else math.nan
        f, c = self.fewer_pcsos, self.constables_instead
        if f is not None:
            ok = f.error is None and f.cost is not None and f.need is not None
            out["marginal_cost_last_100_pcsos"] = self.costs.total - f.cost if ok else math.nan  # type: ignore[operator]
            ref = self.need if self.reference_need is None else self.reference_need
            out["marginal_need_last_100_pcsos"] = ref - f.need if ok else math.nan  # type: ignore[operator]
            out["marginal_note"] = f.error or ""
            out["marginal_basis"] = self.marginal_basis
            out["marginal_reference_need"] = ref
        if c is not None:
            out["constables_instead"] = c.changes.get("_extra_constables", math.nan)
            out["constables_instead_cost"] = c.cost if c.error is None else math.nan
            out["constables_instead_need"] = c.need if c.error is None else math.nan
            out["constables_instead_note"] = c.error or ""
        for band in self.band:
            out.update(band.row_fields())
        out.update(equity_fields(self.plan))
        return out


def _default_solve() -> Callable[..., Any]:
    import planner

    return planner.solve


def _variant(base: Scenario, label: str, changes: dict[str, Any], solve: Callable[..., Any], **kw: Any) -> Variant:
    v = Variant(label=label, changes=changes)
    real = {k: val for k, val in changes.items() if not k.startswith("_")}
    try:
        plan = solve(base.with_changes(real), **kw)
    except InfeasibleError as exc:
        v.error = f"{label}: infeasible: " + "; ".join(exc.reasons)
        return v
    v.cost = plan_costs(plan).total  # everyone in post
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
    bands: Sequence[Any] = (),
    progress: Progress | None = None,
) -> OptionCost:
    """Solve and cost one option, with its marginal and constables-instead variants.

    Also how the conclusion moves as each assumption in ``bands`` moves.

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
        ``solve(scenario, data_dir=..., time_limit=..., seed=...) -> Plan``; default ``planner.solve``
        (then the input data are read once and reused by every re-solve).
    bands : sequence of BandSpec
        Assumptions to vary (:mod:`planner.finance.band`); needs ``marginal``.
    progress : Progress, optional
        Advanced by one after each solve (see :func:`solves_per_option`).

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
    if solve is None:  # planner.solve: the data are read once for every re-solve
        import planner

        kw["inputs"] = planner.load_inputs(scenario, data_dir, scenario_dir=scenario_dir)
    plan = counted(scenario, **kw)
    costs = plan_costs(plan)
    rates = cost_rates(scenario)
    opt = OptionCost(
        name=name or scenario.name,
        scenario=scenario,
        plan=plan,
        costs=costs,
        years=headcount_by_fy(rates, costs.in_post),
        need=need_served(plan),
        harm=harm_served(plan),
    )
    if not marginal:
        return opt
    base = scenario
    fewer_changes, _ = marginal_changes(scenario, plan)
    reason = today_above(scenario, plan, fewer_changes)
    if reason:
        base = without_today(scenario)
        opt.marginal_basis = reason
        opt.reference_need = need_served(counted(base, **kw))
    opt.fewer_pcsos, opt.constables_instead = marginal_variants(base, plan, counted, **kw)
    if bands:
        from planner.finance.band import assumption_band

        extra = opt.constables_instead.changes.get("_extra_constables") if opt.constables_instead else None
        if isinstance(extra, int):
            opt.band = [assumption_band(base, spec, extra, counted, **kw) for spec in bands]
    return opt


def without_today(scenario: Scenario) -> Scenario:
    """The scenario planned from scratch: no current deployment, default (inert) stability rules."""
    return scenario.with_changes({"data.current": None, "rules.stability": {}})


def today_above(scenario: Scenario, plan: Any, fewer: dict[str, Any]) -> str:
    """Why the 100-fewer-PCSOs variant cannot start from today's deployment (empty if it can).

    A scenario planned from today (``data.current``) that deploys all its PCSOs today cannot lose 100 of
    them and still start from that deployment: today would have more PCSOs than the workforce (the
    current-deployment check refuses it). The variants, and the option they are compared with, are then
    all re-solved from scratch, so that like is compared with like.
    """
    current = getattr(getattr(plan, "current", None), "pcsos", None)
    if current is None or scenario.data.current is None:
        return ""
    today = int(np.sum(current))
    after = int(fewer["workforce.pcso.headcount"])
    if today <= after:
        return ""
    return (
        f"today's deployment has {today:,} PCSOs, more than the {after:,} left in post with 100 fewer, so the "
        "option and its variants are compared planned from scratch (no current deployment or stability rules)"
    )


def marginal_changes(scenario: Scenario, plan: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The scenario changes of the two variants.

    100 fewer PCSOs in post; and as many more constables as their pay buys (``_extra_constables`` records that number).
    """
    posts = _in_post(plan)
    fewer = max(0, posts["pcso"] - MARGINAL_PCSOS)
    money = (posts["pcso"] - fewer) * unit_costs(scenario)["pcso"]
    extra = int(money // unit_costs(scenario)["constable"]) if money > 0 else 0
    instead = {
        "workforce.pcso.headcount": fewer,
        "workforce.constable.headcount": posts["constable"] + extra,
        "_extra_constables": extra,
    }
    return {"workforce.pcso.headcount": fewer}, instead


def marginal_variants(scenario: Scenario, plan: Any, solve: Callable[..., Any], **kw: Any) -> tuple[Variant, Variant]:
    """Re-solve with 100 fewer PCSOs in post, and with the constables their pay buys instead."""
    fewer_changes, instead_changes = marginal_changes(scenario, plan)
    fewer = _variant(scenario, f"{MARGINAL_PCSOS} fewer PCSOs", fewer_changes, solve, **kw)
    if fewer.error is not None:
        return fewer, Variant(label="constables instead", changes={}, error="not computed: " + fewer.error)
    extra = instead_changes["_extra_constables"]
    return fewer, _variant(scenario, f"{extra} constables instead", instead_changes, solve, **kw)


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
    bands: Sequence[Any] = (),
    progress: Progress | None = None,
) -> Comparison:
    """Cost every scenario (see :func:`cost_option`); option names are made unique.

    ``progress`` is told of one step counting every solve (see :func:`solves_per_option`).
    """
    seen: dict[str, int] = {}
    out = []
    dirs = list(scenario_dirs) if scenario_dirs is not None else [None] * len(scenarios)
    solves = len(scenarios) * solves_per_option(marginal, bands)
    with step(progress, f"Solving {len(scenarios)} option{'s' if len(scenarios) != 1 else ''}", total=solves):
        for sc, where in zip(scenarios, dirs):
            out.append(_cost_named(sc, where, seen, data_dir, time_limit, seed, marginal, solve, bands, progress))
    return Comparison(out)


def solves_per_option(marginal: bool, bands: Sequence[Any] = ()) -> int:
    """Solves one option takes: itself, two variants with ``marginal``, and three per value of each band."""
    if not marginal:
        return 1
    return 3 + sum(3 * len(spec.values) for spec in bands)


def _cost_named(
    sc: Scenario,
    where: str | Path | None,
    seen: dict[str, int],
    data_dir: str | Path | None,
    time_limit: float | None,
    seed: int | None,
    marginal: bool,
    solve: Callable[..., Any] | None,
    bands: Sequence[Any],
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
        bands=bands,
        progress=progress,
    )
