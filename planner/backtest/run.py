"""Running a backtest end to end and writing ``backtest.csv``, ``backtest.json`` and ``backtest.png``.

:func:`run_backtest` loads the scenario twice, on its ``backtest.earlier``
crime window and on its own (later) window, solves both with
:func:`planner.solve` (the earlier plan is the one judged; the later one is
the hindsight reference), builds the simple rules of
:mod:`planner.backtest.simple` from the earlier period, with the same
numbers of constables and PCSOs as the optimised plan, and judges them all
with :func:`planner.backtest.judge.judge_deployments`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.api import solve
from planner.backtest.judge import judge_deployments
from planner.backtest.simple import equal_per_ward, floors_only, proportional, with_supervisors
from planner.errors import ScenarioError
from planner.inputs.current import read_current
from planner.inputs.loader import Inputs, load_inputs, make_resolver
from planner.problem import Deployment
from planner.report.outputs import commit_files, write_json
from planner.report.result import Plan
from planner.scenario import Scenario


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """What a backtest found.

    Attributes
    ----------
    table : pd.DataFrame
        One row per method (:data:`planner.backtest.judge.JUDGE_COLUMNS`):
        optimised, each simple rule, current (if given), hindsight, floors.
    earlier_months, later_months : tuple of int
        The crime months planned on and judged on (``YYYYMM``).
    seconds : float
        Wall-clock time of the whole backtest.
    notes : tuple of str
        What the loaders said about each window.
    summary : dict
        Plain data for ``backtest.json``.
    deployments : dict of method -> Deployment
        Each method's constables and PCSOs per ward (in ``codes`` order) and
        sergeants and inspectors per borough.
    codes : np.ndarray of str
        The ward codes, in the order of the deployments.
    """

    table: pd.DataFrame
    earlier_months: tuple[int, ...]
    later_months: tuple[int, ...]
    seconds: float
    notes: tuple[str, ...] = field(default=())
    summary: dict[str, Any] = field(default_factory=dict)
    deployments: dict[str, Deployment] = field(default_factory=dict)
    codes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=str))


def earlier_scenario(scenario: Scenario) -> Scenario:
    """The scenario with its crime (and harm mapping) replaced by ``backtest.earlier``."""
    if scenario.backtest is None:
        raise ScenarioError(
            "planner backtest needs a backtest: block naming the earlier crime window "
            "(backtest.earlier.crime, and backtest.earlier.harm_mapping for another offence classification)",
            source=f"scenario {scenario.name!r}",
        )
    if scenario.data.source != "files":
        raise ScenarioError("a backtest needs crime files (data.source: files)", source=f"scenario {scenario.name!r}")
    earlier = scenario.backtest.earlier
    changes: dict[str, Any] = {"data.crime": earlier.crime.model_dump(mode="json")}
    if earlier.harm_mapping is not None:
        changes["data.harm.mapping"] = earlier.harm_mapping
    return scenario.with_changes(changes)


def _current(scenario: Scenario, later: Inputs, data_dir: Path | None, scenario_dir: Path | None):
    assert scenario.backtest is not None
    if scenario.backtest.current is not None:
        path = make_resolver(data_dir, scenario_dir)(scenario.backtest.current)
        return read_current(path, later.wards).baseline, f"today's deployment ({path.name})"
    if later.baseline is not None:
        return later.baseline, "today's deployment (data.current)"
    return None, ""


def _deployment(plan: Plan) -> Deployment:
    return Deployment(plan.constables, plan.pcsos, plan.sergeants, plan.inspectors)


def run_backtest(
    scenario: Scenario,
    data_dir: str | Path | None = None,
    *,
    scenario_dir: str | Path | None = None,
    time_limit: float | None = None,
    seed: int | None = None,
) -> BacktestResult:
    """Plan on the earlier window, judge every method on the scenario's own (later) window.

    Parameters
    ----------
    scenario : Scenario
        With a ``backtest:`` block; its ``data.crime`` is the later window.
    data_dir, scenario_dir : str or Path, optional
        Where data paths are looked up (as for :func:`planner.solve`).
    time_limit, seed : optional
        Override the scenario's solver settings for both solves.

    Returns
    -------
    BacktestResult
    """
    started = time.perf_counter()
    ddir = None if data_dir is None else Path(data_dir)
    sdir = None if scenario_dir is None else Path(scenario_dir)
    early_sc = earlier_scenario(scenario)
    later = load_inputs(scenario, ddir, scenario_dir=sdir)
    early = load_inputs(early_sc, ddir, scenario_dir=sdir, reuse=later)
    plan = solve(early_sc, ddir, inputs=early, scenario_dir=sdir, time_limit=time_limit, seed=seed)
    best = solve(scenario, ddir, inputs=later, scenario_dir=sdir, time_limit=time_limit, seed=seed)
    prob = best.problem
    ew = early.wards
    nx, npc = int(plan.constables.sum()), int(plan.pcsos.sum())
    crime = ew.demand

    def rule(driver: np.ndarray) -> Deployment:
        x = proportional(driver, nx, prob.lo_x, prob.hi_x, tiebreak=crime)
        p = proportional(driver, npc, prob.lo_p, prob.hi_p, tiebreak=crime)
        return with_supervisors(prob, x, p)

    equal = with_supervisors(
        prob,
        equal_per_ward(nx, prob.lo_x, prob.hi_x, tiebreak=crime),
        equal_per_ward(npc, prob.lo_p, prob.hi_p, tiebreak=crime),
    )
    methods: dict[str, tuple[str, Deployment]] = {
        "optimised": ("the planner's plan, made on the earlier crime", _deployment(plan)),
        "proportional_to_crime": ("officers in proportion to the earlier period's recorded crime", rule(crime)),
        "proportional_to_need": ("officers in proportion to the earlier period's need", rule(ew.need)),
        "equal_per_ward": ("the same number of officers in every ward", equal),
    }
    current, what = _current(scenario, later, ddir, sdir)
    if current is not None:
        methods["current"] = (what, with_supervisors(prob, current[0], current[1]))
    methods["hindsight"] = ("the planner's plan made knowing the later crime (reference)", _deployment(best))
    floors = floors_only(prob)
    methods["floors"] = ("every ward at its floor only (reference)", floors)
    lw = later.wards
    assert scenario.backtest is not None
    table = judge_deployments(
        prob, lw.harm, lw.population, lw.codes, methods, _deployment(best), floors, scenario.backtest.top_share
    )
    early_months = early.geography.crime.months
    later_months = later.geography.crime.months
    seconds = time.perf_counter() - started
    summary = {
        "scenario": scenario.name,
        "earlier": {"months": [early_months[0], early_months[-1]], "count": len(early_months),
                    "crime": early.geography.crime.source},
        "later": {"months": [later_months[0], later_months[-1]], "count": len(later_months),
                  "crime": later.geography.crime.source},
        "optimised_plan": {"objective_on_earlier": plan.objective, "gap": plan.gap, "status": plan.status.value},
        "hindsight_plan": {"objective": best.objective, "gap": best.gap, "status": best.status.value},
        "headcount_compared": {"constables": nx, "pcsos": npc},
        "top_share": scenario.backtest.top_share,
        "seconds": seconds,
        "methods": table.to_dict(orient="records"),
    }  # fmt: skip
    notes = tuple(dict.fromkeys((*early.wards.notes, *later.wards.notes)))
    deployments = {method: d for method, (_, d) in methods.items()}
    return BacktestResult(table, early_months, later_months, seconds, notes, summary, deployments, lw.codes)


def _plot(result: BacktestResult, path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    table = result.table[~result.table["method"].isin(["hindsight", "floors"])]
    names = [m.replace("_", " ") for m in table["method"]]
    fig = Figure(figsize=(9, 3.8), dpi=110)
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(1, 2)
    y = np.arange(len(names))
    gain = table["gain_share_pct"].to_numpy()
    ax1.barh(y, gain, color=["#1f5f99" if m == "optimised" else "#9db4c8" for m in table["method"]])
    ax1.set_yticks(y, names)
    ax1.invert_yaxis()
    low = float(np.nanmin(gain)) if len(gain) else 0.0
    ax1.set_xlim(max(0.0, low - 5.0), 100.5)
    ax1.set_xlabel("share of the hindsight plan's gain over the floors (%)")
    for k, v in enumerate(gain):
        ax1.text(v, k, f"{v:.1f} % ", va="center", ha="right", fontsize=8, color="white")
    ax2.barh(y, table["harm_per_officer_top"].to_numpy(), color="#b07a3b")
    ax2.set_yticks(y, [""] * len(names))
    ax2.invert_yaxis()
    ax2.set_xlabel(
        f"later harm per officer, top {result.summary.get('top_share', 0.1):.0%} harm wards (lower is better)"
    )
    e, lt = result.earlier_months, result.later_months
    fig.suptitle(f"Planned on crime {e[0]}-{e[-1]}, judged on {lt[0]}-{lt[-1]}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)


def write_backtest(result: BacktestResult, out_dir: str | Path, *, plot: bool = True) -> list[Path]:
    """Write ``backtest.csv`` (one row per method), ``backtest.json`` and ``backtest.png``, all or nothing."""
    writers = {
        "backtest.csv": lambda path: result.table.to_csv(path, index=False, float_format="%.10g"),
        "backtest.json": lambda path: write_json(path, {**result.summary, "notes": list(result.notes)}),
    }
    if plot:
        writers["backtest.png"] = lambda path: _plot(result, path)
    return commit_files(out_dir, writers)
