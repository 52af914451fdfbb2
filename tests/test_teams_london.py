"""Real London: teams for all 32 boroughs on the May 2022 wards, every rule rechecked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_teams_support import check_design

from geo.compactness import dissolved_polsby_popper
from planner.inputs.loader import load_inputs
from planner.scenario import load_scenario
from planner.teams import design_for_need, parse_teams

REPO = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.london, pytest.mark.slow]


def test_london_teams_all_boroughs(london_data_dir: Path) -> None:
    scenario = load_scenario(REPO / "scenarios" / "london-2022.yaml")
    inputs = load_inputs(scenario, london_data_dir, scenario_dir=REPO / "scenarios")
    spec = parse_teams({"from": "need", "time_limit": 3})
    design = design_for_need(scenario, inputs, spec=spec, seed=0, workers=2)
    check_design(design)
    assert inputs.wards.n_wards == 679
    assert len(np.unique(design.team_borough)) == 32 == len(design.boroughs)
    m = design.metrics()
    assert m["all_contiguous"] and m["max_abs_deviation"] <= 0.15
    assert m["teams_within_tolerance"] == m["teams"]
    # compactness from the arithmetic equals the dissolved team polygons
    pp = design.polsby_popper
    union = dissolved_polsby_popper(inputs.layer, design.team_of)
    assert pp == pytest.approx([union[t] for t in range(design.n_teams)], rel=1e-6)
    assert pp.min() > 0 and pp.max() < 1
