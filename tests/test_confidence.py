"""Public confidence per ward: the survey reader, the ward mapping, the small-area rule and London's mapping."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from tinycity import CODES, write_city

from planner.api import load_inputs, load_scenario
from planner.errors import DataError
from planner.inputs.confidence import load_confidence, read_mapping, read_survey, ward_confidence
from planner.inputs.pas_mapping import ANCHORS, MAPPING, derive_mapping, read_anchors
from planner.scenario import ConfidenceSpec

HEADER = (Path(__file__).parent / "data" / "confidence" / "pas_bad.csv").read_text(encoding="utf-8").splitlines()[:3]
# columns: fair, listen, good job, stop and search, for White British, then Asian, then Black
SURVEY = {
    "Borough A - West": "80,70,,80,60,70,,80,,70,,80",
    "Borough B - Centre": "70,70,60,80,50,70,50,80,40,70,40,80",
    "Borough B - East": "90,70,,80,80,70,,80,70,70,,80",
    "Borough B - Park": ",,,,,,,,,,,",
}
MAP = [(0, "Borough A - West"), (3, "Borough A - West"), (1, "Borough B - Centre"), (4, "Borough B - Centre"),
       (2, "Borough B - East"), (5, "Borough B - East"), (2, "Borough B - Park")]  # fmt: skip


def write_survey(folder: Path, rows: dict[str, str] = SURVEY) -> Path:
    path = folder / "pas.csv"
    path.write_text("\n".join([*HEADER, *(f"{k},{v}" for k, v in rows.items())]) + "\n", encoding="utf-8")
    return path


def write_mapping(folder: Path, rows: list[tuple[int, str]] = MAP) -> Path:
    path = folder / "mapping.csv"
    pd.DataFrame({"ward_code": [CODES[w] for w, _ in rows], "neighbourhood": [n for _, n in rows]}).to_csv(
        path, index=False
    )
    return path


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny")
    path = write_city(folder)
    write_survey(folder)
    write_mapping(folder)
    raw = yaml.safe_load(path.read_text())
    raw["data"]["confidence"] = {"path": "pas.csv", "mapping": "mapping.csv", "measure": "fair"}
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def test_blank_cells_are_missing_never_zero(city: Path):
    survey = read_survey(city.parent / "pas.csv")
    assert np.isnan(survey.values["good_job"][0]).all()
    assert survey.values["fair"][0].tolist()[:2] == [80.0, 60.0] and np.isnan(survey.values["fair"][0][2])
    assert survey.suppressed == ["Borough B - Park"]


def test_confidence_is_the_residents_weighted_mean_of_the_groups_with_a_figure(city: Path):
    inputs = load_inputs(load_scenario(city), scenario_dir=city.parent)
    assert inputs.wards.confidence is not None
    conf = inputs.wards.confidence.frame().loc[CODES]
    # W1: Black figure suppressed, so White British (40 %) and Asian (15 %) only: (0.40*80 + 0.15*60) / 0.55
    expected = [(0.40 * 80 + 0.15 * 60) / 0.55, 0.75 * 70 + 0.15 * 50 + 0.10 * 40, 0.8 * 90 + 0.1 * 80 + 0.1 * 70]
    np.testing.assert_allclose(conf["confidence"].iloc[:3], expected)
    np.testing.assert_allclose(conf["low_confidence"], 1 - conf["confidence"] / 100)
    assert not conf["confidence_imputed"].any()
    assert conf.loc[CODES[2], "pas_neighbourhood"] == "Borough B - East; Borough B - Park"
    assert any("suppressed" in note and "Borough B - Park" in note for note in inputs.wards.notes)


def test_suppressed_wards_get_the_borough_or_london_mean_and_are_flagged(city: Path):
    scenario = load_scenario(city).with_changes({"data.confidence.measure": "good_job"})
    confidence = load_inputs(scenario, scenario_dir=city.parent).wards.confidence
    assert confidence is not None
    conf = confidence.frame().loc[CODES]
    have = [1, 4]  # Borough B - Centre only has good-job figures
    low = 1 - np.array([0.75 * 60 + 0.15 * 50 + 0.10 * 40, 0.92 * 60 + 0.04 * 50 + 0.04 * 40]) / 100
    np.testing.assert_allclose(conf["low_confidence"].iloc[have], low)
    assert conf["confidence"].isna().tolist() == [True, False, True, True, False, True]
    assert conf["confidence_imputed"].tolist() == [True, False, True, True, False, True]
    # borough B's suppressed wards: its mean; borough A has no figure at all: London's mean (the same here)
    np.testing.assert_allclose(conf["low_confidence"].iloc[[0, 2, 3, 5]], low.mean())


def test_without_ethnicity_the_groups_count_equally(city: Path):
    survey = read_survey(city.parent / "pas.csv")
    mapping, _ = read_mapping(city.parent / "mapping.csv", survey, CODES)
    conf = ward_confidence(survey, mapping, CODES, np.array([0, 1, 1, 0, 1, 1]), "fair", equity=None)
    np.testing.assert_allclose(conf.confidence[:3], [70.0, 160 / 3, 80.0])


def test_every_bad_survey_line_is_named(test_data_dir: Path):
    with pytest.raises(DataError) as err:
        read_survey(test_data_dir / "confidence" / "pas_bad.csv")
    text = str(err.value)
    for part in ("line 4, column 4", "'101' is not a percentage", "line 5: neighbourhood 'Borough A - West' repeats",
                 "line 6: neighbourhood 'Borough B' is not named", "'abc'", "line 7: has 4 fields"):  # fmt: skip
        assert part in text, part


def test_an_unknown_question_is_an_error(tmp_path: Path):
    path = tmp_path / "pas.csv"
    path.write_text(HEADER[0].replace("stop and search", "stop and chat") + "\n" + "\n".join(HEADER[1:]) + "\nA - B,"
                    + ",".join(["1"] * 12) + "\n", encoding="utf-8")  # fmt: skip
    with pytest.raises(DataError, match="not one of the four PAS questions"):
        read_survey(path)


def test_every_mapping_problem_is_reported(city: Path, tmp_path: Path):
    survey = read_survey(city.parent / "pas.csv")
    rows = [*MAP[:4], (1, "Borough B - Centre"), (2, "Borough C - Nowhere")]  # W6, East and Park lost
    path = write_mapping(tmp_path, rows)
    with pytest.raises(DataError) as err:
        read_mapping(path, survey, CODES)
    text = str(err.value)
    assert "line 6: ward X05000002 and 'Borough B - Centre' repeat line 4" in text
    assert "line 7: neighbourhood 'Borough C - Nowhere' is not in the survey" in text
    assert "2 survey neighbourhood(s) have no ward: Borough B - East, Borough B - Park" in text
    assert "1 planned ward(s) have no neighbourhood: X05000006" in text


def test_anchor_mistakes_are_named(tmp_path: Path):
    path = tmp_path / "anchors.csv"
    path.write_text(
        "neighbourhood,borough_code,scheme,anchor\nA - N,A,main,compass:nort\nA - S,A,overlay,compass:south\n"
        "A - E,A,side,W1\nA - W,A,main,W2\nA - X,A,main,W2\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as err:
        read_anchors(path)
    text = str(err.value)
    assert "line 2: 'compass:nort' is not a compass anchor" in text and "line 3: an overlay scheme" in text
    assert "line 4: scheme 'side'" in text and "line 6: this ward anchors two areas" in text


def test_derivation_follows_the_anchors():
    anchors = pd.DataFrame(
        {
            "neighbourhood": ["A - North", "A - South", "A - Mill"],
            "borough_code": "A",
            "scheme": ["main", "main", "overlay"],
            "anchor": ["compass:north", "compass:south", "W2"],
            "line": [2, 3, 4],
        }
    )
    wards = pd.DataFrame(
        {"ward_code": ["W1", "W2", "W3"], "ward_name": ["a", "b", "c"], "borough_code": "A", "x": 0.0,
         "y": [10.0, 1.0, -10.0]}
    )  # fmt: skip
    out = derive_mapping(anchors, wards)
    assert out[["ward_code", "neighbourhood"]].values.tolist() == [
        ["W1", "A - North"], ["W2", "A - North"], ["W2", "A - Mill"], ["W3", "A - South"]
    ]  # fmt: skip


def test_londons_mapping_covers_every_ward_and_neighbourhood(london_data_dir: Path, scenarios_dir: Path):
    scenario = load_scenario(scenarios_dir / "london-2022.yaml")
    inputs = load_inputs(scenario, london_data_dir, scenario_dir=scenarios_dir)
    conf = inputs.wards.confidence
    assert conf is not None and scenario.data.confidence is not None
    survey = read_survey(london_data_dir / scenario.data.confidence.path)
    shipped = pd.read_csv(MAPPING)
    assert set(shipped["neighbourhood"]) == set(survey.neighbourhoods) and len(survey.neighbourhoods) == 112
    assert set(shipped["ward_code"]) == set(inputs.wards.codes) and len(inputs.wards.codes) == 679
    # the shipped file is exactly what the anchors give on the real boundaries
    wards = pd.DataFrame({"ward_code": inputs.wards.codes, "ward_name": inputs.wards.names,
                          "borough_code": inputs.wards.borough_codes[inputs.wards.borough],
                          "x": inputs.wards.x, "y": inputs.wards.y})  # fmt: skip
    pd.testing.assert_frame_equal(derive_mapping(read_anchors(ANCHORS), wards), shipped, check_dtype=False)
    # Richmond's three neighbourhoods are suppressed: no ward figure there, never a zero
    richmond = inputs.wards.borough_names[inputs.wards.borough] == "Richmond upon Thames"
    assert np.isnan(conf.confidence[richmond]).all() and conf.imputed[richmond].all()
    assert (conf.low_confidence > 0.1).all() and (conf.low_confidence < 0.7).all()
    assert np.nanmin(conf.confidence) > 30


def test_load_confidence_reports_the_files_it_read(city: Path):
    spec = ConfidenceSpec(path="pas.csv", mapping="mapping.csv")
    result, files = load_confidence(spec, CODES, np.zeros(6, dtype=int), lambda name: city.parent / name)
    assert [f.name for f in files] == ["pas.csv", "mapping.csv"] and result.measure == "good_job"
