"""``planner transition``: the 2018 model carried to the 2022 wards, recomputed from its own outputs.

A synthetic two-vintage grid (written as the data folder's two GeoPackages) has
answers known exactly; on real London the same checks run on the 632 -> 679 wards.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.cli import main
from planner.errors import DataError
from planner.inputs.current import read_current
from planner.inputs.data import WardData
from planner.transition import build_transition, largest_remainder, read_model, round_within_groups, write_transition
from planner.transition.api import FILES

HERE = Path(__file__).resolve().parent / "data" / "transition"
X0, Y0 = 530_000.0, 180_000.0
CITY = "E09000001"

# 2018: two wards in West (O1 south, O2 north), one in East reaching 200 m over the river, one City ward
OLD = [
    ("E05900001", "Old South", "E09000901", "West", (0, 0, 1000, 1000)),
    ("E05900002", "Old North", "E09000901", "West", (0, 1000, 1000, 2000)),
    ("E05900003", "Old East", "E09000902", "East", (1000, 0, 2000, 2200)),
    ("E05900009", "Old Guildhall", CITY, "City of London", (2000, 0, 2500, 2000)),
]
# 2022: West cut into three bands across the old line, East unchanged, the City again
NEW = [
    ("E05990001", "New South", "E09000901", "West", (0, 0, 1000, 500)),
    ("E05990002", "New Middle", "E09000901", "West", (0, 500, 1000, 1500)),
    ("E05990003", "New North", "E09000901", "West", (0, 1500, 1000, 2000)),
    ("E05990004", "New East", "E09000902", "East", (1000, 0, 2000, 2000)),
    ("E05990009", "New Guildhall", CITY, "City of London", (2000, 0, 2500, 2000)),
]
N1, N2, N3, N4 = (row[0] for row in NEW[:4])
O1, O2, O3 = (row[0] for row in OLD[:3])


def _layer(rows, columns: tuple[str, str, str, str]) -> gpd.GeoDataFrame:
    code, name, borough, bname = columns
    geoms = [shapely.box(X0 + a, Y0 + b, X0 + c, Y0 + d) for *_, (a, b, c, d) in rows]
    table = {code: [r[0] for r in rows], name: [r[1] for r in rows], borough: [r[2] for r in rows]}
    table[bname] = [r[3] for r in rows]
    return gpd.GeoDataFrame(table, geometry=geoms, crs=27700)


@pytest.fixture(scope="module")
def grid(tmp_path_factory) -> Path:
    """A data folder holding the synthetic grid under the real files' names, layers and columns."""
    folder = tmp_path_factory.mktemp("grid")
    _layer(OLD, ("GSS_CODE", "NAME", "LAGSSCODE", "DISTRICT")).to_file(
        folder / FILES["wards_2018"], layer="london_wards_2018", driver="GPKG"
    )
    _layer(NEW, ("WD22CD", "WD22NM", "LAD22CD", "LAD22NM")).to_file(
        folder / FILES["wards_2022"], layer="london_wards_2022", driver="GPKG"
    )
    # residents: New South 100 on 0.5 km², New Middle 300 on 1 km², New North 50 on 0.5 km², New East 1000
    lsoas = [("E01900001", N1, 60), ("E01900002", N1, 40), ("E01900003", N2, 300), ("E01900004", N3, 50)]
    lsoas += [("E01900005", N4, 1000), ("E01900009", "E05990009", 7)]
    pd.DataFrame({"geography code": [r[0] for r in lsoas], "Age: Total": [r[2] for r in lsoas]}).to_csv(
        folder / FILES["census"], index=False
    )
    pd.DataFrame({"LSOA21CD": [r[0] for r in lsoas], "WD25CD": [r[1] for r in lsoas]}).to_csv(
        folder / FILES["lookup"], index=False
    )
    return folder


def run(data: Path, out: Path, *extra: str) -> dict:
    assert main(["transition", "--data-dir", str(data), "--out", str(out), *extra]) == 0
    return json.loads((out / "summary.json").read_text())


def read_outputs(out: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    text = {"ward_code": str, "ward_2018": str, "ward_2022": str, "borough_code": str}
    return (
        pd.read_csv(out / "transition.csv", dtype=text),
        pd.read_csv(out / "current_2018.csv", dtype=text),
        pd.read_csv(out / "current_2022.csv", dtype=text),
    )


def check_outputs(out: Path, wards_2022: set[str]) -> None:
    """Everything the files promise, recomputed from the files alone."""
    cw, old, new = read_outputs(out)
    assert list(cw.columns) == ["ward_2018", "ward_2022", "share"]
    # each 2018 ward's shares sum to 1, and only 2018 wards of the model appear
    sums = cw.groupby("ward_2018")["share"].sum()
    assert set(sums.index) == set(old["ward_code"])
    np.testing.assert_allclose(sums.to_numpy(), 1.0, atol=1e-12)
    assert (cw["share"] > 0).all() and (cw["share"] <= 1 + 1e-12).all()
    # every 2022 Met ward present once; whole people, none negative
    assert set(new["ward_code"]) == wards_2022 and new["ward_code"].is_unique
    for frame in (old, new):
        for col in ("constables", "pcsos"):
            assert frame[col].dtype.kind == "i" and (frame[col] >= 0).all()
    # the unrounded shares are the 2018 teams moved by transition.csv
    moved = cw.merge(old, left_on="ward_2018", right_on="ward_code")
    for col in ("constables", "pcsos"):
        exact = (moved["share"] * moved[col]).groupby(moved["ward_2022"]).sum().reindex(new["ward_code"], fill_value=0)
        np.testing.assert_allclose(new[f"{col}_unrounded"].to_numpy(), exact.to_numpy(), atol=1e-9)
        # whole people within one of the exact share; totals kept in London and in every borough
        assert (np.abs(new[col] - new[f"{col}_unrounded"]) < 1).all()
        assert new[col].sum() == old[col].sum()
        pd.testing.assert_series_equal(
            old.groupby("borough_code")[col].sum(), new.groupby("borough_code")[col].sum(), check_names=False
        )
    summary = json.loads((out / "summary.json").read_text())
    assert summary["carried_to_2022"]["totals_kept"] and summary["carried_to_2022"]["borough_totals_kept"]
    assert {w["ward_code"] for w in summary["no_ward_officer"]} == set(new.loc[new["constables"] == 0, "ward_code"])
    floor = summary["floor"]
    top_up = np.maximum(floor["constables"] - new["constables"], 0).sum()
    assert floor["top_up_without_moves"]["constables"] == top_up
    assert floor["beyond_old_model"]["constables"] == floor["constables"] * len(new) - old["constables"].sum()


# ------------------------------------------------------------------ the synthetic grid


def test_grid_by_area_is_exact(grid, tmp_path, capsys):
    summary = run(grid, tmp_path)
    check_outputs(tmp_path, {N1, N2, N3, N4})
    cw, old, new = read_outputs(tmp_path)
    got = {(a, b): s for a, b, s in cw.itertuples(index=False)}
    # the river strip of Old East (no 2022 ward covers it) does not count; the City is in neither vintage
    assert got == pytest.approx({(O1, N1): 0.5, (O1, N2): 0.5, (O2, N2): 0.5, (O2, N3): 0.5, (O3, N4): 1.0})
    assert old.set_index("ward_code")[["constables", "pcsos"]].to_dict("index") == {
        O1: {"constables": 2, "pcsos": 1}, O2: {"constables": 2, "pcsos": 1}, O3: {"constables": 2, "pcsos": 1},
    }  # fmt: skip
    people = new.set_index("ward_code")[["constables", "pcsos"]]
    # PCSOs 0.5, 1, 0.5 in West: the one left over goes to the first of the tied wards, New South
    assert people.to_dict("index") == {
        N1: {"constables": 1, "pcsos": 1}, N2: {"constables": 2, "pcsos": 1},
        N3: {"constables": 1, "pcsos": 0}, N4: {"constables": 2, "pcsos": 1},
    }  # fmt: skip
    assert summary["split_teams"]["split"] == 2 and summary["split_teams"]["by_number_of_2022_wards"] == {
        "1": 1,
        "2": 2,
    }
    assert summary["no_ward_officer"] == [] and [w["ward_code"] for w in summary["no_pcso"]] == [N3]
    # floor 2 + 1 on 4 wards: 8 and 4, the old model has 6 and 3; New South lacks 1 constable, New North 1 and 1
    assert summary["floor"]["needs"] == {"constables": 8, "pcsos": 4}
    assert summary["floor"]["beyond_old_model"] == {"constables": 2, "pcsos": 1}
    assert summary["floor"]["top_up_without_moves"] == {"constables": 2, "pcsos": 1}
    assert summary["floor"]["wards_below"] == 2
    printed = capsys.readouterr()
    assert "2 of the 3 2018 teams are split across several 2022 wards" in printed.out
    assert "0 of the 4 2022 wards inherit no ward officer; 1 inherits no PCSO" in printed.out
    assert "topping up the 2 wards below it needs 2 constables and 1 PCSOs" in printed.out
    assert "2018 wards: excluded the 1 wards of borough E09000001" in printed.err


def test_grid_by_population_is_exact(grid, tmp_path):
    """Densities 200, 300, 100 per km²: Old South 0.4 / 0.6, Old North 0.75 / 0.25."""
    summary = run(grid, tmp_path, "--weights", "population")
    check_outputs(tmp_path, {N1, N2, N3, N4})
    cw, _, new = read_outputs(tmp_path)
    got = {(a, b): s for a, b, s in cw.itertuples(index=False)}
    assert got == pytest.approx({(O1, N1): 0.4, (O1, N2): 0.6, (O2, N2): 0.75, (O2, N3): 0.25, (O3, N4): 1.0})
    # constables 0.8, 2.7, 0.5 -> 1, 3, 0 ; PCSOs 0.4, 1.35, 0.25 -> 1, 1, 0
    assert new.set_index("ward_code")["constables"].to_dict() == {N1: 1, N2: 3, N3: 0, N4: 2}
    assert new.set_index("ward_code")["pcsos"].to_dict() == {N1: 1, N2: 1, N3: 0, N4: 1}
    assert summary["weights"] == "population" and [w["ward_code"] for w in summary["no_ward_officer"]] == [N3]


def test_current_2022_is_a_current_deployment(grid, tmp_path):
    run(grid, tmp_path)
    codes = np.array([N1, N2, N3, N4])
    wards = WardData(
        codes=codes, names=codes, borough=np.array([0, 0, 0, 1]),
        borough_codes=np.array(["E09000901", "E09000902"]), borough_names=np.array(["West", "East"]),
        borough_bcu=np.array(["", ""]), demand=np.ones(4), harm=np.ones(4), population=np.ones(4), need=np.ones(4),
        edges=np.zeros((0, 2)), area_km2=np.ones(4), x=np.zeros(4), y=np.zeros(4),
    )  # fmt: skip
    current = read_current(tmp_path / "current_2022.csv", wards, headcount={"constable": 6, "pcso": 3})
    assert current.constables.tolist() == [1, 2, 1, 2] and current.pcsos.tolist() == [1, 1, 0, 1]


def test_model_files_change_the_2018_model(grid, tmp_path):
    summary = run(grid, tmp_path / "yaml", "--model", str(HERE / "model_ok.yaml"))
    check_outputs(tmp_path / "yaml", {N1, N2, N3, N4})
    _, old, new = read_outputs(tmp_path / "yaml")
    assert old.set_index("ward_code")["constables"].to_dict() == {O1: 2, O2: 2, O3: 3}
    assert new.set_index("ward_code").loc[N4, "constables"] == 3
    assert summary["floor"]["needs"] == {"constables": 12, "pcsos": 4}  # the model's 3 + 1 floor
    assert summary["model_2018"]["wards_changed"] == 1
    run(grid, tmp_path / "csv", "--model", str(HERE / "model_ok.csv"))
    _, old, _ = read_outputs(tmp_path / "csv")
    assert old.set_index("ward_code")[["constables", "pcsos"]].to_dict("index") == {
        O1: {"constables": 2, "pcsos": 2}, O2: {"constables": 2, "pcsos": 1}, O3: {"constables": 3, "pcsos": 1},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("name", "fragments"),
    [
        (
            "model_bad.csv",
            [
                "line 2, column 'constables': '-1' is not a whole number",
                "line 3, column 'constables': '2.5' is not a whole number",
                "line 4: ward E05900003 is listed again (first on line 2)",
                "line 5: column 'ward_code' is empty",
                "line 6, column 'pcsos': 'many' is not a whole number",
            ],
        ),
        (
            "model_bad.yaml",
            [
                "defaults.constables: Input should be greater than or equal to 0",
                "defaults.pcso: unknown key",
                "wards.E05900001.constables: Input should be a valid integer",
                "colour: unknown key",
            ],
        ),
        ("model_unknown_ward.csv", ["1 ward code(s) are not among the 3 Met wards of 2018", "E05000026"]),
        ("model.txt", ["unknown kind of file '.txt'; give a .yaml or a .csv"]),
    ],
)
def test_bad_model_files(grid, tmp_path, capsys, name, fragments):
    out = tmp_path / "out"
    out.mkdir()
    (out / "current_2022.csv").write_text("kept\n")
    code = main(["transition", "--data-dir", str(grid), "--out", str(out), "--model", str(HERE / name)])
    err = capsys.readouterr().err
    assert code == 2
    for fragment in fragments:
        assert fragment in err
    assert (out / "current_2022.csv").read_text() == "kept\n"  # nothing half-written
    assert sorted(p.name for p in out.iterdir()) == ["current_2022.csv"]


def test_missing_inputs_are_named(grid, tmp_path, capsys):
    (tmp_path / FILES["wards_2018"]).write_bytes((grid / FILES["wards_2018"]).read_bytes())
    assert main(["transition", "--data-dir", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "london_wards_2022_bng.gpkg not found in the data folder" in capsys.readouterr().err
    assert main(["transition", "--data-dir", str(tmp_path / "nowhere")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    with pytest.raises(DataError, match=r"is a folder, not a file"):
        read_model(tmp_path)


def test_the_command_is_listed(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "transition" in capsys.readouterr().out


# ------------------------------------------------------------------ rounding


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.floats(0, 1e6, allow_nan=False, allow_subnormal=False), min_size=1, max_size=30),
    groups=st.lists(st.integers(0, 3), min_size=30, max_size=30),
)
def test_rounding_keeps_totals_and_moves_less_than_one(values, groups):
    v = np.array(values)
    r = largest_remainder(v)
    assert r.dtype == np.int64 and (r >= 0).all()
    assert r.sum() == int(np.rint(v.sum()))
    assert (np.abs(r - v) < 1 + 1e-9).all()
    g = np.array(groups[: len(v)])
    rg = round_within_groups(v, g)
    assert rg.sum() == int(np.rint(v.sum())) and (np.abs(rg - v) < 1 + 1e-9).all()
    whole = np.bincount(g, weights=np.floor(v), minlength=4)  # groups of whole numbers keep their totals exactly
    np.testing.assert_array_equal(np.bincount(g, weights=round_within_groups(np.floor(v), g), minlength=4), whole)


def test_rounding_exact_cases():
    assert largest_remainder(np.array([0.5, 1.0, 0.5])).tolist() == [1, 1, 0]  # tie: the earlier entry
    assert largest_remainder(np.array([0.2, 0.3, 0.5]), 1).tolist() == [0, 0, 1]
    assert largest_remainder(np.array([1 / 3] * 3)).tolist() == [1, 0, 0]
    assert round_within_groups(np.array([0.5, 0.5, 0.5, 0.5]), np.array(["a", "a", "b", "b"])).tolist() == [1, 0, 1, 0]
    with pytest.raises(DataError, match="cannot round"):
        largest_remainder(np.array([1.0, 1.0]), 3)
    with pytest.raises(DataError, match="finite and >= 0"):
        largest_remainder(np.array([-0.5, 1.0]))


# ------------------------------------------------------------------ real London


def test_london_by_area(london_data_dir, tmp_path, scenarios_dir):
    from planner.inputs.loader import load_inputs
    from planner.scenario import load_scenario

    result = build_transition(london_data_dir)
    assert len(result.wards_2018) == 632 and len(result.wards_2022) == 679
    write_transition(result, tmp_path)
    wards_2022 = gpd.read_file(london_data_dir / FILES["wards_2022"], layer="london_wards_2022")
    met = set(wards_2022.loc[wards_2022["LAD22CD"] != CITY, "WD22CD"])
    check_outputs(tmp_path, met)
    summary = result.summary()
    assert summary["model_2018"]["constables"] == 1264 and summary["carried_to_2022"]["pcsos"] == 632
    assert summary["carried_to_2022"]["shares_crossing_a_borough_boundary"] == 0
    assert summary["floor"]["beyond_old_model"] == {"constables": 94, "pcsos": 47}
    assert summary["split_teams"]["split"] > 300 and summary["no_share_of_any_2018_team"] == []
    # the shipped scenario plans from it
    scenario = load_scenario(scenarios_dir / "london-2022-from-2018.yaml")
    scenario = scenario.with_changes({"data.current": str(tmp_path / "current_2022.csv")})
    inputs = load_inputs(scenario, london_data_dir, scenario_dir=scenarios_dir)
    assert inputs.current is not None and inputs.current.totals()["constable"] == 1264
    assert inputs.baseline is not None and inputs.baseline[1].sum() == 632


def test_london_by_population(london_data_dir, tmp_path):
    result = build_transition(london_data_dir, weights="population")
    write_transition(result, tmp_path)
    wards_2022 = gpd.read_file(london_data_dir / FILES["wards_2022"], layer="london_wards_2022")
    check_outputs(tmp_path, set(wards_2022.loc[wards_2022["LAD22CD"] != CITY, "WD22CD"]))
    assert result.weights == "population"
