"""Neighbourhood policing resource planner and optimisation engine.

>>> import planner
>>> plan = planner.solve("scenarios/demo.yaml")          # doctest: +SKIP
>>> plan.status, plan.gap, plan.cost_annual               # doctest: +SKIP
"""

from planner.api import solve
from planner.errors import DataError, InfeasibleError, InputError, PlannerError, ScenarioError
from planner.inputs.loader import Inputs, load_inputs
from planner.report.result import Plan
from planner.scenario import Scenario, load_scenario
from planner.solve.pipeline import Status

__all__ = [
    "DataError",
    "InfeasibleError",
    "InputError",
    "Inputs",
    "Plan",
    "PlannerError",
    "Scenario",
    "ScenarioError",
    "Status",
    "load_inputs",
    "load_scenario",
    "solve",
]
