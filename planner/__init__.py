"""Neighbourhood policing resource planner and optimisation engine.

>>> import planner
>>> plan = planner.solve("scenarios/demo.yaml")          # doctest: +SKIP
>>> plan.status, plan.gap, plan.cost_annual               # doctest: +SKIP

The public names are imported on first use (module ``__getattr__``), so
``import planner`` and the command line's ``--help`` are instant; the engine
loads when ``planner.solve`` (or any other name) is first touched.
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from planner.api import solve
    from planner.errors import DataError, InfeasibleError, InputError, PlannerError, ScenarioError
    from planner.inputs.loader import Inputs, load_inputs
    from planner.report.result import Plan
    from planner.scenario import Scenario, load_scenario
    from planner.solve.pipeline import Status

_LAZY: dict[str, str] = {
    "DataError": "planner.errors",
    "InfeasibleError": "planner.errors",
    "InputError": "planner.errors",
    "PlannerError": "planner.errors",
    "ScenarioError": "planner.errors",
    "Inputs": "planner.inputs.loader",
    "load_inputs": "planner.inputs.loader",
    "Plan": "planner.report.result",
    "Scenario": "planner.scenario",
    "load_scenario": "planner.scenario",
    "Status": "planner.solve.pipeline",
    "solve": "planner.api",
}

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


def __getattr__(name: str) -> Any:
    """Import a public name on first use (and keep it, so the next access is a plain attribute)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'planner' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


class _Package(ModuleType):
    """The ``planner`` module: ``planner.solve`` stays the function when the ``planner.solve`` package loads.

    Importing a subpackage binds it as an attribute of its parent; the public
    name ``solve`` is the function :func:`planner.api.solve`, so that one
    binding is skipped (the subpackage is still in ``sys.modules`` and
    ``import planner.solve.pipeline`` works as ever).
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "solve" and isinstance(value, ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
