"""Scenario files: the schema, loading and validation.

A scenario is a YAML file that says which data to use and which rules to plan
under. It is validated once, at the door: every unknown key, wrong type,
negative headcount or span below one is reported together, each with its path
in the file (``workforce.pcso.headcount``), and nothing runs until all are
fixed. Defaults are documented on each field; docs/model.md lists their sources.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError

from planner.errors import ScenarioError
from planner.scenario.backtest import BacktestSpec
from planner.scenario.base import Strict, format_validation_error
from planner.scenario.data import DataSpec
from planner.scenario.finance import FinanceSpec
from planner.scenario.need import NeedSpec
from planner.scenario.objective import ObjectiveSpec, SolverSpec
from planner.scenario.rules import RulesSpec
from planner.scenario.teams import TeamsSpec
from planner.scenario.workforce import WorkforceSpec

# ------------------------------------------------------------------ scenario


class Scenario(Strict):
    """A whole scenario, as read from YAML."""

    name: str = Field(min_length=1)
    description: str = ""
    data: DataSpec = DataSpec()
    need: NeedSpec = NeedSpec()
    workforce: WorkforceSpec = WorkforceSpec()
    rules: RulesSpec = RulesSpec()
    objective: ObjectiveSpec = ObjectiveSpec()
    solver: SolverSpec = SolverSpec()
    teams: TeamsSpec | None = None
    """Neighbourhood team design settings (see :mod:`planner.teams`); None: every default."""
    finance: FinanceSpec | None = None
    """Cost model and phasing settings (see :mod:`planner.finance`); None: no pay model, no phasing."""
    backtest: BacktestSpec | None = None
    """The earlier crime window ``planner backtest`` plans on (see :mod:`planner.backtest`); None: none."""

    def to_dict(self) -> dict[str, Any]:
        """Plain data, ready for YAML or JSON."""
        return self.model_dump(mode="json", by_alias=True)

    def to_yaml(self) -> str:
        """The scenario as YAML text that :func:`load_scenario` reads back."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    def with_changes(self, changes: Mapping[str, Any]) -> Scenario:
        """Return a copy with dotted-path fields replaced, validated again.

        Parameters
        ----------
        changes : Mapping[str, Any]
            e.g. ``{"workforce.pcso.headcount": 2900, "rules.supervision.sergeant_span": 7}``.
        """
        raw = self.to_dict()
        for dotted, value in changes.items():
            set_dotted(raw, dotted, value)
        return scenario_from_dict(raw, source=f"scenario {self.name!r} with changes")

    def digest(self) -> str:
        """A stable hash of the scenario content."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def set_dotted(raw: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``raw['a']['b']['c'] = value`` for ``dotted == 'a.b.c'``.

    Raises
    ------
    ScenarioError
        If a path segment does not exist in the scenario.
    """
    keys = dotted.split(".")
    node: Any = raw
    opened = False  # inside a block that was unset: its keys are checked when the scenario is validated
    for i, key in enumerate(keys[:-1]):
        if not isinstance(node, dict) or (key not in node and not opened):
            raise ScenarioError(f"unknown scenario field {'.'.join(keys[: i + 1])!r} (in {dotted!r})")
        if node.get(key) is None:
            node[key] = {}
            opened = True
        node = node[key]
    if not isinstance(node, dict) or (keys[-1] not in node and not opened):
        raise ScenarioError(f"unknown scenario field {dotted!r}")
    node[keys[-1]] = value


def scenario_from_dict(raw: Any, source: str = "scenario") -> Scenario:
    """Validate plain data as a :class:`Scenario`, reporting every problem at once."""
    if not isinstance(raw, dict):
        raise ScenarioError(f"expected a mapping at the top level, got {type(raw).__name__}", source=source)
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError([format_validation_error(e) for e in exc.errors()], source=source) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file.

    Parameters
    ----------
    path : str or Path
        The YAML file.

    Returns
    -------
    Scenario
        The validated, immutable scenario.

    Raises
    ------
    ScenarioError
        If the file is missing, is not valid YAML, or breaks the schema; every
        problem is listed.
    """
    path = Path(path)
    if not path.is_file():
        raise ScenarioError("file not found", source=str(path))
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"{where}malformed YAML: {problem}", source=str(path)) from None
    except UnicodeDecodeError:
        raise ScenarioError("not a UTF-8 text file", source=str(path)) from None
    if raw is None:
        raise ScenarioError("the file is empty", source=str(path))
    return scenario_from_dict(raw, source=str(path))
