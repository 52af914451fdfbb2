"""Neighbourhood policing resource planner and optimisation engine."""

from planner.errors import DataError, InfeasibleError, InputError, PlannerError, ScenarioError
from planner.scenario import Scenario, load_scenario

__all__ = [
    "DataError",
    "InfeasibleError",
    "InputError",
    "PlannerError",
    "Scenario",
    "ScenarioError",
    "load_scenario",
]
