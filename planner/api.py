"""The Python API: ``planner.solve(scenario) -> Plan``.

Consistency check, model building, solving and result assembly are separate
steps (like PyPSA's ``optimize``): :func:`check_rules` explains conflicts in
plain words before any solver runs, :func:`planner.problem.build_problem`
creates the arrays, :func:`planner.solve.pipeline.solve_allocation` solves and
certifies, and :class:`planner.report.result.Plan` reports.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from threadpoolctl import threadpool_limits

from planner.errors import InfeasibleError
from planner.inputs.loader import Inputs, load_inputs
from planner.inputs.workforce import Workforce, workforce_from_scenario
from planner.problem import AllocationProblem
from planner.report.result import Plan
from planner.rules import BuildContext, build_problem, conflicts, describe_rows
from planner.scenario import Scenario, load_scenario
from planner.solve.pipeline import Allocation, Status, solve_allocation


def prepare(
    scenario: Scenario,
    data_dir: str | Path | None = None,
    *,
    inputs: Inputs | None = None,
    scenario_dir: str | Path | None = None,
) -> tuple[Inputs, Workforce, AllocationProblem]:
    """Load inputs (reusing what ``inputs`` already holds) and build the problem arrays."""
    inputs = load_inputs(scenario, data_dir, scenario_dir=scenario_dir, reuse=inputs)
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
        raise InfeasibleError([describe_rows(problem, alloc.violated_rules)])
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
    )
