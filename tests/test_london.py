"""Real London: the 2022 wards, MPS crime, CCHI harm and Census population (skips without ../shared/data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from plan_checks import recompute

from planner import cli, load_inputs, load_scenario, solve

pytestmark = pytest.mark.london

REPO = Path(__file__).resolve().parents[1]
LONDON = REPO / "scenarios" / "london-2022.yaml"


@pytest.fixture(scope="module")
def london_inputs(london_data_dir: Path):
    return load_inputs(load_scenario(LONDON), london_data_dir, scenario_dir=LONDON.parent)


def test_loads_679_met_wards(london_inputs) -> None:
    w = london_inputs.wards
    assert w.n_wards == 679 and w.n_boroughs == 32
    assert len(set(w.borough_bcu)) == 12
    assert not any(code.startswith("E09000001") for code in w.borough_codes)  # the City is not Met
    heathrow = int(np.flatnonzero(w.codes == "E05013570")[0])
    assert w.borough_names[w.borough[heathrow]] == "Hillingdon"  # filed under SO18 in the crime file
    assert w.demand[heathrow] > 0
    assert (w.need > 0).all() and np.isclose(w.need.mean(), 1.0)
    assert len(w.edges) > 1500


def test_london_solves_certified_and_plausible(london_inputs, london_data_dir: Path, tmp_path: Path, capsys) -> None:
    plan = solve(load_scenario(LONDON), london_data_dir, inputs=london_inputs, scenario_dir=LONDON.parent)
    assert plan.status.value == "optimal" and plan.gap <= 1e-4
    assert all(plan.check().values())
    table = plan.ward_table()
    # more need, more officers: rank correlation of need and effective officers is strong
    r = np.corrcoef(table["need"].rank(), table["effective_officers"].rank())[0, 1]
    assert r > 0.9
    top = table.sort_values("need", ascending=False).iloc[0]
    assert top["borough"] == "Westminster"
    assert top["constables"] > table["constables"].median() * 3
    # every borough gets its floors at least, and every ward its 2 + 1
    assert (table["constables"] >= 2).all() and (table["pcsos"] >= 1).all()


def test_london_cli_outputs_recompute(london_data_dir: Path, tmp_path: Path, capsys) -> None:
    code = cli.main(["solve", str(LONDON), "--data-dir", str(london_data_dir), "--out", str(tmp_path)])
    assert code == 0, capsys.readouterr().err
    got = recompute(tmp_path, load_scenario(LONDON))
    assert len(got["wards"]) == 679 and got["summary"]["gap"] <= 1e-4


@pytest.mark.parametrize("name", ["pcso-uplift-1600", "supervision-rebalanced"])
def test_shipped_london_scenarios_solve(name: str, london_inputs, london_data_dir: Path) -> None:
    path = REPO / "scenarios" / f"{name}.yaml"
    plan = solve(load_scenario(path), london_data_dir, inputs=london_inputs, scenario_dir=path.parent)
    assert plan.status.has_plan and all(plan.check().values())
    assert plan.bound >= plan.objective
