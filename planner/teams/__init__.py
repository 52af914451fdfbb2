"""Neighbourhood teams: contiguous, balanced ward clusters led within spans of control.

Entry points:

- :func:`design` - from a scenario: load inputs, solve the allocation unless
  ``teams.from: need``, design the teams (returns design, plan, inputs).
- :func:`design_for_plan` / :func:`design_for_need` - from a solved plan or
  from need alone.
- :func:`design_teams` - the array-level core (WardData + Workload).
- :func:`write_teams` - teams.csv, team_wards.csv, supervisors.csv,
  summary.json and the ``teams`` layer of allocation.gpkg, all or nothing.
- :func:`parse_teams` - validate a scenario's ``teams:`` block.

The scenario-level functions are imported on first use, so the solver core
(:mod:`planner.teams.design` and below) loads without the rest of the planner.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from planner.scenario.teams import TeamsSpec, parse_teams
from planner.teams.current import CurrentMap, read_current_map
from planner.teams.design import Workload, design_teams
from planner.teams.report import TeamDesign

_LAZY = {
    "design": "planner.teams.api",
    "design_for_need": "planner.teams.api",
    "design_for_plan": "planner.teams.api",
    "write_teams": "planner.teams.outputs",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'planner.teams' has no attribute {name!r}")


__all__ = [
    "CurrentMap",
    "TeamDesign",
    "TeamsSpec",
    "Workload",
    "design",
    "design_for_need",
    "design_for_plan",
    "design_teams",
    "parse_teams",
    "read_current_map",
    "write_teams",
]
