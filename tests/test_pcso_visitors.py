"""Station footfall in the PCSOs' own need: recomputed by hand, weight 0 changes nothing, PCSOs follow it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from planner.api import solve
from planner.inputs.loader import Inputs, load_inputs
from planner.scenario import Scenario, load_scenario

STATION_WARDS = (3, 17, 42)
FOOTFALL = (30e6, 20e6, 10e6)


@pytest.fixture(scope="module")
def base(scenarios_dir: Path) -> Scenario:
    return load_scenario(scenarios_dir / "demo.yaml").with_changes(
        {
            "data.synthetic.wards": 60,
            "data.synthetic.boroughs": 4,
            "data.synthetic.bcus": 2,
            "workforce.constable.headcount": 400,
            "workforce.pcso.headcount": 150,
        }
    )


@pytest.fixture(scope="module")
def plain(base: Scenario) -> Inputs:
    return load_inputs(base)


@pytest.fixture(scope="module")
def with_stations(base: Scenario, plain: Inputs, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """The scenario with three busy stations, at the centroids of three wards of the synthetic city."""
    w = plain.wards
    rows = [f"LU,{100 + k},S{k},{FOOTFALL[k]},,S{k},{w.x[i]},{w.y[i]}" for k, i in enumerate(STATION_WARDS)]
    path = tmp_path_factory.mktemp("stations") / "stations.csv"
    path.write_text(
        "mode,NLC,station,annualised_enex_2019,annualised_enex_2021,NAME,EASTING,NORTHING\n" + "\n".join(rows)
    )
    return base.with_changes({"data.visitors": {"path": str(path)}})


def test_pcso_need_weighs_visitors_by_hand(with_stations: Scenario, plain: Inputs) -> None:
    w = load_inputs(with_stations).wards
    assert w.visitors is not None and w.need_pcso is not None
    visitors = np.zeros(w.n_wards)
    visitors[list(STATION_WARDS)] = FOOTFALL
    np.testing.assert_array_equal(w.visitors, visitors)
    weights = with_stations.need.pcso
    r, c = w.population, w.demand
    parts = [(weights.residents, r / r.mean()), (weights.visitors, visitors / visitors.mean())]
    parts.append((weights.neighbourhood_crime, c / c.mean()))
    if w.confidence is not None:
        lc = w.confidence.low_confidence
        parts.append((weights.low_confidence, lc / lc.mean()))
    expected = sum(k * v for k, v in parts) / sum(k for k, _ in parts)
    np.testing.assert_allclose(w.need_pcso, expected, rtol=1e-12)
    assert w.need_pcso.mean() == pytest.approx(1.0)
    # the constables' need does not weigh visitors unless need.weights.visitors says so
    np.testing.assert_allclose(w.need, plain.wards.need, rtol=1e-12)
    # the station wards gain PCSO need, every other ward loses a little
    before = plain.wards.need_pcso
    assert before is not None
    gain = w.need_pcso - before
    assert (gain[list(STATION_WARDS)] > 0).all()
    assert (np.delete(gain, STATION_WARDS) < 0).all()
    assert any("visitors" in n and "PCSO need" in n for n in w.notes)


def test_zero_weight_leaves_pcso_need_as_without_stations(with_stations: Scenario, plain: Inputs) -> None:
    w = load_inputs(with_stations.with_changes({"need.pcso.visitors": 0.0})).wards
    assert w.need_pcso is not None and plain.wards.need_pcso is not None
    np.testing.assert_allclose(w.need_pcso, plain.wards.need_pcso, rtol=1e-12)


def test_no_station_file_leaves_visitors_out_with_a_note(plain: Inputs) -> None:
    assert any("PCSO need: no visitors data" in n for n in plain.wards.notes)


def test_pcsos_follow_the_daytime_load(base: Scenario, with_stations: Scenario) -> None:
    """More PCSO weight on visitors puts more PCSOs in the station wards (constables' need unchanged)."""
    without = solve(base)
    heavy = solve(with_stations.with_changes({"need.pcso.visitors": 1.0}))
    station = list(STATION_WARDS)
    assert heavy.pcsos[station].sum() > without.pcsos[station].sum()
    assert heavy.gap <= 1e-4 and without.gap <= 1e-4
    assert all(heavy.check().values())
