"""The Python API: ``planner.solve(scenario) -> Plan``.

Consistency check, model building, solving and result assembly are separate
steps (like PyPSA's ``optimize``): :func:`check_rules` explains conflicts in
plain words before any solver runs, :func:`planner.problem.build_problem`
creates the arrays, :func:`planner.solve.pipeline.solve_allocation` solves and
certifies, and :class:`planner.report.result.Plan` reports.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from planner import plancache
from planner.errors import InfeasibleError, ScenarioError
from planner.inputs.current import CurrentDeployment, check_headcount
from planner.inputs.data import WardData
from planner.inputs.loader import Inputs, load_inputs
from planner.inputs.workforce import Workforce, workforce_from_scenario
from planner.problem import AllocationProblem
from planner.ranks import RANKS
from planner.report.result import Plan
from planner.rules import BuildContext, build_problem, conflicts, describe_rows
from planner.scenario import Scenario, load_scenario
from planner.solve.pipeline import Allocation, Status, solve_allocation


def current_plan(
    path: Path, wards: WardData, data_dir: str | Path | None, inputs: Inputs, chain: tuple[Path, ...] = ()
) -> CurrentDeployment:
    """The plan of the scenario at ``path`` as a current deployment: solved once, then kept by input hash.

    Raises
    ------
    ScenarioError
        If the scenarios name each other in a loop, or the plan is of other wards.
    """
    path = path.resolve()
    if path in chain:
        loop = " -> ".join(p.name for p in (*chain, path))
        raise ScenarioError(f"data.current names scenarios in a loop: {loop}")
    base = load_scenario(path)
    base_inputs = load_inputs(base, data_dir, scenario_dir=path.parent, reuse=inputs)
    if not np.array_equal(base_inputs.wards.codes, wards.codes):
        raise ScenarioError(
            f"data.current: the plan of {path.name} is of other wards ({base_inputs.wards.n_wards:,} wards) than "
            f"this scenario plans ({wards.n_wards:,}); use a scenario on the same wards, or a CSV"
        )
    if base_inputs.current is None and base_inputs.current_scenario is not None:
        nested = current_plan(base_inputs.current_scenario, wards, data_dir, base_inputs, (*chain, path))
        base_inputs = dataclasses.replace(base_inputs, current=nested)
    key = input_hash(base, base_inputs)
    plan = plancache.load(key, wards.codes)
    if plan is None:
        plan = solve(base, data_dir, inputs=base_inputs, scenario_dir=path.parent).deployment
        plancache.store(key, wards.codes, plan)
    return CurrentDeployment(
        codes=wards.codes, borough_codes=wards.borough_codes, constables=plan.x, pcsos=plan.p,
        sergeants=plan.s, inspectors=plan.i, sources=(f"the plan of {path.name}",),
    )  # fmt: skip


def prepare(
    scenario: Scenario,
    data_dir: str | Path | None = None,
    *,
    inputs: Inputs | None = None,
    scenario_dir: str | Path | None = None,
) -> tuple[Inputs, Workforce, AllocationProblem]:
    """Load the inputs, solve the scenario that ``data.current`` names, and build the problem arrays.

    The inputs reuse what ``inputs`` already holds; the scenario of ``data.current`` is solved only if it names one.
    """
    inputs = load_inputs(scenario, data_dir, scenario_dir=scenario_dir, reuse=inputs)
    if inputs.current is None and inputs.current_scenario is not None:
        current = current_plan(inputs.current_scenario, inputs.wards, data_dir, inputs)
        headcount = {rank: scenario.workforce.rank(rank).headcount for rank in RANKS}
        check_headcount(current, headcount, source=f"data.current ({current.sources[0]})")
        inputs = dataclasses.replace(inputs, current=current)
    workforce = workforce_from_scenario(scenario)
    ctx = BuildContext(
        wards=inputs.wards,
        scenario=scenario,
        workforce=workforce,
        current=inputs.baseline,
        borough_caps=inputs.borough_caps,
    )
    problem = build_problem(ctx)
    return inputs, workforce, problem


def check_rules(problem: AllocationProblem, inputs: Inputs) -> None:
    """Raise :class:`InfeasibleError` if simple arithmetic already shows the rules conflict."""
    reasons = conflicts(problem)
    if reasons:
        raise InfeasibleError(reasons)


def input_hash(scenario: Scenario, inputs: Inputs) -> str:
    """Hash of the scenario content and every input file."""
    return hashlib.sha256((scenario.digest() + inputs.digest).encode()).hexdigest()


def _run_solver(
    scenario: Scenario, problem: AllocationProblem, time_limit: float | None, seed: int | None
) -> Allocation:
    spec = scenario.solver
    limit = spec.time_limit if time_limit is None else time_limit
    chosen = spec.seed if seed is None else seed
    if scenario.objective.kind == "balance":
        from planner.solve.balance import solve_balance

        return solve_balance(problem, time_limit=limit, gap_target=spec.gap, seed=chosen, workers=spec.workers)
    return solve_allocation(problem, time_limit=limit, gap_target=spec.gap, seed=chosen, workers=spec.workers)


def solve(
    scenario: Scenario | str | Path,
    data_dir: str | Path | None = None,
    *,
    inputs: Inputs | None = None,
    time_limit: float | None = None,
    seed: int | None = None,
    scenario_dir: str | Path | None = None,
) -> Plan:
    """Solve a scenario: the best deployment per ward, its cost and how close to optimal it is.

    Parameters
    ----------
    scenario : Scenario or path
        A validated scenario, or the path of a scenario YAML file.
    data_dir : str or Path, optional
        Folder the scenario's data paths are relative to.
    inputs : Inputs, optional
        Inputs loaded before (see :func:`planner.load_inputs`); only what the
        scenario changed is re-read.
    time_limit, seed : optional
        Override ``solver.time_limit`` and ``solver.seed``.
    scenario_dir : str or Path, optional
        Second place to look for relative paths (defaults to the scenario
        file's folder when a path is given).

    Returns
    -------
    Plan

    Raises
    ------
    planner.errors.InputError
        Bad scenario or data (every problem listed).
    planner.errors.InfeasibleError
        No plan satisfies every rule; the reasons name the rules, with numbers.
    """
    if not isinstance(scenario, Scenario):
        path = Path(scenario)
        scenario = load_scenario(path)
        scenario_dir = scenario_dir or path.parent
    inputs, workforce, problem = prepare(scenario, data_dir, inputs=inputs, scenario_dir=scenario_dir)
    check_rules(problem, inputs)
    # the solver's numpy work is vector-sized: BLAS threads only spin against each other (and
    # against batch workers), so they are limited for the duration of this solve only
    with threadpool_limits(limits=1, user_api="blas"):
        alloc = _run_solver(scenario, problem, time_limit, seed)
    if alloc.status is Status.INFEASIBLE:
        proven = alloc.proven_infeasible
        raise InfeasibleError([describe_rows(problem, alloc.violated_rules, proven=proven)], proven=proven)
    return Plan(
        status=alloc.status,
        objective=alloc.objective,
        bound=alloc.bound,
        gap=alloc.gap,
        solve_seconds=alloc.seconds,
        seed=alloc.seed,
        scenario=scenario,
        wards=inputs.wards,
        problem=problem,
        workforce=workforce,
        constables=alloc.x,
        pcsos=alloc.p,
        sergeants=alloc.s,
        inspectors=alloc.i,
        input_hash=input_hash(scenario, inputs),
        method=alloc.method,
        notes=inputs.wards.notes,
        log=alloc.log,
        current=inputs.current,
    )
