"""Team compactness arithmetic (areas, perimeters, shared borders) against dissolved polygons."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from geo.compactness import dissolved_polsby_popper, ward_shape_arrays
from planner.inputs.loader import load_inputs
from planner.scenario import load_scenario
from planner.teams import metrics as M

DATA = Path(__file__).resolve().parent / "data" / "teams"


def test_team_polsby_popper_matches_dissolved_union() -> None:
    inputs = load_inputs(load_scenario(DATA / "small_city.yaml"), scenario_dir=DATA)
    wards = inputs.wards
    shapes = ward_shape_arrays(inputs.layer, wards.edges)
    assert (shapes["shared_m"] >= 0).all() and (shapes["area_m2"] > 0).all()
    rng = np.random.default_rng(0)
    for group in (wards.borough, rng.integers(0, 3, wards.n_wards)):  # contiguous and scattered groups
        n = int(group.max()) + 1
        area, perim = M.team_area_perimeter(
            group, n, wards.edges, shapes["area_m2"], shapes["perimeter_m"], shapes["shared_m"]
        )
        pp = M.polsby_popper(area, perim)
        union = dissolved_polsby_popper(inputs.layer, group)
        assert pp == pytest.approx([union[g] for g in range(n)], rel=1e-6)


def test_polsby_popper_of_simple_shapes() -> None:
    assert M.polsby_popper(np.array([1.0]), np.array([4.0])) == pytest.approx([np.pi / 4])
    assert M.polsby_popper(np.array([1.0]), np.array([0.0])) == pytest.approx([0.0])
    assert M.summary_stats(np.array([])) == {"mean": None, "min": None, "max": None}
