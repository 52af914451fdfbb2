"""Team design from a scenario: before allocation (need) or after it (a plan).

These functions connect :func:`planner.teams.design.design_teams` (arrays
only) to the rest of the planner: the scenario's ``teams:`` block and
supervision rules, the loaded inputs (ward polygons for compactness, via
:mod:`geo.compactness`), the current team map, and a solved
:class:`~planner.report.result.Plan` in joint mode.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from planner.inputs.data import WardData
from planner.progress import Progress, step
from planner.scenario import Scenario
from planner.scenario.teams import TeamsSpec, teams_of
from planner.teams.current import CurrentMap, read_current_map
from planner.teams.design import Workload, design_teams
from planner.teams.report import TeamDesign

if TYPE_CHECKING:
    from planner.inputs.loader import Inputs
    from planner.report.result import Plan


def ward_shapes(layer: Any, wards: WardData) -> dict[str, np.ndarray] | None:
    """Ward areas, perimeters and shared borders from the ward polygons (None without polygons)."""
    if layer is None:
        return None
    from geo.compactness import ward_shape_arrays

    if len(layer) != wards.n_wards or list(layer["ward_code"].astype(str)) != list(wards.codes):
        raise RuntimeError("internal error: the ward layer is not in WardData order")
    return ward_shape_arrays(layer, wards.edges)


def load_current(
    spec: TeamsSpec,
    wards: WardData,
    data_dir: str | Path | None = None,
    scenario_dir: str | Path | None = None,
) -> CurrentMap | None:
    """Read ``teams.current`` (looked up in ``data_dir``, then ``scenario_dir``), if set."""
    if spec.current is None:
        return None
    from planner.inputs.loader import make_resolver

    path = make_resolver(data_dir, scenario_dir)(spec.current)
    return read_current_map(path, wards, spec.locked)


def _settings(scenario: Scenario, spec: TeamsSpec, seed: int | None, workers: int | None) -> tuple[int, int]:
    seed = spec.seed if seed is None and spec.seed is not None else seed
    return (scenario.solver.seed if seed is None else seed), (scenario.solver.workers if workers is None else workers)


def design_for_need(
    scenario: Scenario,
    inputs: Inputs,
    *,
    spec: TeamsSpec | None = None,
    data_dir: str | Path | None = None,
    scenario_dir: str | Path | None = None,
    time_limit: float | None = None,
    seed: int | None = None,
    workers: int | None = None,
    current: CurrentMap | None = None,
    progress: Progress | None = None,
) -> TeamDesign:
    """Design teams from need alone, before any allocation.

    Supervisees per ward (for sizing and sergeants) are estimated as the
    ward's share of need times the constable plus PCSO headcount.

    Parameters
    ----------
    scenario : Scenario
    inputs : Inputs
        From :func:`planner.load_inputs`.
    spec : TeamsSpec, optional
        Default: ``teams_of(scenario)``.
    data_dir, scenario_dir : optional
        Where to find ``teams.current``.
    time_limit, seed, workers : optional
        Override ``teams.time_limit``, ``teams.seed`` (else ``solver.seed``) and
        ``solver.workers``.
    current : CurrentMap, optional
        The current team map, already read (default: read ``teams.current``).
    progress : Progress, optional
        Advanced as each borough's teams are designed; silent by default.
    """
    spec = spec or teams_of(scenario)
    wards = inputs.wards
    total = scenario.workforce.constable.headcount + scenario.workforce.pcso.headcount
    work = Workload.from_need(wards.need, float(total))
    seed_, workers_ = _settings(scenario, spec, seed, workers)
    return design_teams(
        wards,
        work,
        spec,
        scenario.rules.supervision,
        shapes=ward_shapes(inputs.layer, wards),
        current=current if current is not None else load_current(spec, wards, data_dir, scenario_dir),
        seed=seed_,
        time_limit=time_limit,
        workers=workers_,
        progress=progress,
    )


def design_for_plan(
    plan: Plan,
    inputs: Inputs | None = None,
    *,
    spec: TeamsSpec | None = None,
    data_dir: str | Path | None = None,
    scenario_dir: str | Path | None = None,
    time_limit: float | None = None,
    seed: int | None = None,
    workers: int | None = None,
    current: CurrentMap | None = None,
    progress: Progress | None = None,
) -> TeamDesign:
    """Design teams on a solved allocation (joint mode: supervisors from the teams).

    Parameters
    ----------
    plan : Plan
        From :func:`planner.solve`; its constables and PCSOs per ward are the
        teams' supervisees, its borough-ratio sergeants and inspectors are
        compared with what the teams need.
    inputs : Inputs, optional
        For the ward polygons (compactness); without it Polsby-Popper is not
        reported.
    spec, data_dir, scenario_dir, time_limit, seed, workers, current, progress :
        As for :func:`design_for_need`.
    """
    scenario = plan.scenario
    spec = spec or teams_of(scenario)
    wards = plan.wards
    work = Workload.from_plan(wards.need, plan.constables, plan.pcsos, spec.balance_on)
    seed_, workers_ = _settings(scenario, spec, seed, workers)
    design = design_teams(
        wards,
        work,
        spec,
        scenario.rules.supervision,
        shapes=ward_shapes(inputs.layer if inputs is not None else None, wards),
        current=current if current is not None else load_current(spec, wards, data_dir, scenario_dir),
        seed=seed_,
        time_limit=time_limit,
        workers=workers_,
        progress=progress,
    )
    wf = scenario.workforce
    design = dataclasses.replace(
        design,
        ratio_sergeants=np.asarray(plan.sergeants),
        ratio_inspectors=np.asarray(plan.inspectors),
        rank_costs={"sergeant": wf.sergeant.annual_cost, "inspector": wf.inspector.annual_cost},
        headcount={"sergeant": wf.sergeant.headcount, "inspector": wf.inspector.headcount},
    )
    sup = design.metrics()["supervisors"]
    if not sup.get("within_headcount", True):
        note = (
            f"the teams need {sup['sergeants_teams']:,} sergeants and {sup['inspectors_teams']:,} inspectors; "
            f"{wf.sergeant.headcount:,} and {wf.inspector.headcount:,} are available"
        )
        design = dataclasses.replace(design, notes=(*design.notes, note))
    return design


def design(
    scenario: Scenario,
    data_dir: str | Path | None = None,
    *,
    inputs: Inputs | None = None,
    scenario_dir: str | Path | None = None,
    time_limit: float | None = None,
    seed: int | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    cache: bool = False,
) -> tuple[TeamDesign, Plan | None, Inputs]:
    """Validate ``teams:``, load inputs, solve the allocation unless ``teams.from: need``, design teams.

    ``time_limit`` and ``seed`` apply to the allocation solve and to the team
    design alike. ``progress`` is told of each step; ``cache`` reuses parsed
    data files (see :func:`planner.load_inputs`).

    Returns
    -------
    (TeamDesign, Plan or None, Inputs)
    """
    from planner.api import solve
    from planner.inputs.loader import load_inputs

    spec = teams_of(scenario)
    with step(progress, "Reading the data"):
        inputs = load_inputs(scenario, data_dir, scenario_dir=scenario_dir, reuse=inputs, cache=cache)
    current = load_current(spec, inputs.wards, data_dir, scenario_dir)  # checked before any solve
    kw: dict[str, Any] = {
        "current": current,
        "spec": spec,
        "data_dir": data_dir,
        "scenario_dir": scenario_dir,
        "time_limit": time_limit,
        "seed": seed,
        "workers": workers,
        "progress": progress,
    }
    if spec.from_ == "need":
        return design_for_need(scenario, inputs, **kw), None, inputs
    with step(progress, "Solving the allocation"):
        plan = solve(scenario, data_dir, inputs=inputs, time_limit=time_limit, seed=seed, scenario_dir=scenario_dir)
    return design_for_plan(plan, inputs, **kw), plan, inputs
