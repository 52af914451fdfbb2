"""Scenario files: every problem reported at once, round trips, dotted changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.errors import ScenarioError
from planner.scenario import Scenario, load_scenario, scenario_from_dict

REPO = Path(__file__).resolve().parents[1]


def test_every_problem_is_reported_at_once() -> None:
    raw = {
        "name": "x",
        "colour": "blue",
        "workforce": {"pcso": {"headcount": -5, "annual_cost": 1}, "sergeant": {"headcount": "many", "annual_cost": 1}},
        "rules": {"supervision": {"sergeant_span": 0.5, "inspector_span": 0}},
    }
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(raw, source="s.yaml")
    text = str(err.value)
    for fragment in (
        "colour: unknown key",
        "workforce.pcso.headcount",
        "workforce.sergeant.headcount",
        "rules.supervision.sergeant_span",
        "rules.supervision.inspector_span",
    ):
        assert fragment in text
    assert text.startswith("s.yaml: 5 problems")


@pytest.mark.parametrize("path", sorted((REPO / "scenarios").glob("*.yaml")))
def test_shipped_scenarios_validate_and_round_trip(path: Path, tmp_path: Path) -> None:
    scenario = load_scenario(path)
    again = tmp_path / "again.yaml"
    again.write_text(scenario.to_yaml())
    assert load_scenario(again) == scenario
    assert load_scenario(again).digest() == scenario.digest()


def test_with_changes() -> None:
    s = Scenario(name="x")
    t = s.with_changes({"workforce.pcso.headcount": 2900, "rules.supervision.sergeant_span": 7})
    assert t.workforce.pcso.headcount == 2900 and t.rules.supervision.sergeant_span == 7
    assert s.workforce.pcso.headcount != 2900  # immutable original
    assert t.digest() != s.digest()
    with pytest.raises(ScenarioError, match=r"unknown scenario field 'workforce\.pcso\.speed'"):
        s.with_changes({"workforce.pcso.speed": 1})
    with pytest.raises(ScenarioError, match=r"workforce\.pcso\.headcount"):
        s.with_changes({"workforce.pcso.headcount": -1})


def test_files_source_needs_paths() -> None:
    with pytest.raises(ScenarioError, match="source 'files' needs wards and crime"):
        scenario_from_dict({"name": "x", "data": {"source": "files"}})


@pytest.mark.parametrize(("text", "fragment"), [("", "empty"), ("- a\n- b\n", "mapping"), ("a: [1,\n", "malformed")])
def test_bad_files(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError, match=fragment):
        load_scenario(path)
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(tmp_path / "missing.yaml")
