"""Daytime load: station footfall read, checked (broken files name their line) and put on wards.

A toy layer of four 1 km squares gives hand-computed answers; hypothesis checks
that both methods keep every station's footfall; real London is recomputed from
the raw file with plain pandas and shapely.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.points import containing_ward, point_load, radius_load
from planner.errors import DataError
from planner.inputs.visitors import read_stations, ward_visitors
from planner.scenario import VisitorsSpec

# four 1 km squares: W1 (SW), W2 (SE), W3 (NW), W4 (NE) of the square 500000..502000 x 180000..182000
BOXES = [(500000, 180000), (501000, 180000), (500000, 181000), (501000, 181000)]


@pytest.fixture
def folder(test_data_dir: Path) -> Path:
    return test_data_dir / "visitors"


@pytest.fixture
def layer() -> gpd.GeoDataFrame:
    geoms = [shapely.box(x, y, x + 1000, y + 1000) for x, y in BOXES]
    return gpd.GeoDataFrame({"ward_code": ["W1", "W2", "W3", "W4"]}, geometry=geoms, crs="EPSG:27700")


def spec(**kw: object) -> VisitorsSpec:
    return VisitorsSpec.model_validate({"path": "stations.csv", "exclude_stations": ["airport"], **kw})


# ------------------------------------------------------------------ by hand


def test_point_assignment_by_hand(folder: Path, layer: gpd.GeoDataFrame) -> None:
    s = spec()
    v = ward_visitors(read_stations(folder / "stations.csv", s), layer, s)
    # W1: Centre (the corner of all four: first ward) 1.0M + West on two modes 2.0M + 0.5M + Edge (on the
    # W1/W2 boundary: first ward) 0.8M; W4: Riverside 0.6M; Far is outside every ward
    np.testing.assert_array_equal(v.values, [4_300_000, 0, 0, 600_000])
    st = v.stations
    assert st.set_index("station").loc["Far", "ward_code"] == ""
    assert "Airport" not in set(st.station) and "Newline" not in set(st.station) and "Nowhere" not in set(st.station)
    notes = " | ".join(v.notes)
    assert "2 row(s) have no 2019 footfall (blank or 0), skipped (EZL 1, LO 1)" in notes
    assert "1 row(s) left out (data.visitors.exclude_stations): Airport (LU, 5.0 million a year)" in notes
    assert "1 station row(s) stand in no ward planned" in notes and "3 million" in notes
    assert "5 station row(s), 5 million entries and exits in 2019" in notes


def test_radius_assignment_by_hand(folder: Path, layer: gpd.GeoDataFrame) -> None:
    s = spec(assign="radius", radius_m=400)
    v = ward_visitors(read_stations(folder / "stations.csv", s), layer, s)
    # Centre: a quarter to each; West: all in W1; Edge: half W1, half W2; Riverside: the part of its
    # circle beyond the layer is left out and the rest (all in W4) rescaled
    expected = [250_000 + 2_500_000 + 400_000, 250_000 + 400_000, 250_000, 250_000 + 600_000]
    np.testing.assert_allclose(v.values, expected, rtol=1e-9)
    assert v.values.sum() == pytest.approx(4_900_000)


def test_another_year(folder: Path, layer: gpd.GeoDataFrame) -> None:
    s = spec(year=2021)
    v = ward_visitors(read_stations(folder / "stations.csv", s), layer, s)
    np.testing.assert_array_equal(v.values, [500_000 + 900_000 + 100_000, 0, 0, 4000])


def test_exclude_by_nlc(folder: Path, layer: gpd.GeoDataFrame) -> None:
    s = spec(exclude_stations=[104, "101"])  # an integer NLC and a text NLC: both modes of 101 go
    v = ward_visitors(read_stations(folder / "stations.csv", s), layer, s)
    np.testing.assert_array_equal(v.values, [1_800_000, 0, 0, 600_000])


def test_values_are_read_only(folder: Path, layer: gpd.GeoDataFrame) -> None:
    s = spec()
    v = ward_visitors(read_stations(folder / "stations.csv", s), layer, s)
    with pytest.raises(ValueError, match="read-only"):
        v.values[0] = 1


# ------------------------------------------------------------------ broken files

BROKEN = [
    ("missing_coordinates.csv", {}, ["column 'EASTING': missing", "at line 3 ('')", "data.visitors.exclude_stations"]),
    (
        "bad_coordinates.csv",
        {},
        ["column 'EASTING'", "line 2 ('abc')", "line 4 ('900000')", "column 'NORTHING'", "line 3 ('-5')"],
    ),
    ("name_mismatch.csv", {}, ["line 3: station 'Hayes & Harlington' has the coordinates of 'Headstone Lane'"]),
    ("duplicate.csv", {}, ["lines 2, 3: mode LU and NLC 100 repeated"]),
    (
        "bad_footfall.csv",
        {},
        ["is negative at line 2 ('-5')", "is not a number at line 3 ('lots')", "is infinite at line 4 ('inf')"],
    ),
    ("no_year.csv", {}, ["no column 'annualised_enex_2019' for data.visitors.year 2019; the file has the years 2021"]),
    ("ragged.csv", {}, ["line 2: has 7 fields but the header has 8"]),
    ("stations.csv", {"exclude_stations": ["Heathrow", 999]}, ["'Heathrow' matches no row", "999 matches no row"]),
]


@pytest.mark.parametrize(("name", "settings_", "expected"), BROKEN)
def test_broken_file_names_the_line(folder: Path, name: str, settings_: dict[str, object], expected: list[str]) -> None:
    with pytest.raises(DataError) as err:
        read_stations(folder / name, VisitorsSpec.model_validate({"path": name, **settings_}))
    text = str(err.value)
    assert str(folder / name) in text
    for part in expected:
        assert part in text


def test_excluded_station_needs_no_coordinates(folder: Path) -> None:
    table = read_stations(folder / "missing_coordinates.csv", spec(exclude_stations=[1434]))
    assert table.frame["station"].tolist() == ["Centre"]


def test_a_mismatch_can_be_left_out(folder: Path) -> None:
    table = read_stations(folder / "name_mismatch.csv", spec(exclude_stations=[3186]))
    assert table.frame["station"].tolist() == ["Centre"]


def test_layer_must_be_bng(layer: gpd.GeoDataFrame) -> None:
    with pytest.raises(DataError, match="EPSG:27700"):
        point_load(layer.to_crs("EPSG:4326"), np.array([0.0]), np.array([0.0]), np.array([1.0]))


def test_points_must_be_finite(layer: gpd.GeoDataFrame) -> None:
    with pytest.raises(ValueError, match="missing coordinate"):
        point_load(layer, np.array([np.nan]), np.array([0.0]), np.array([1.0]))
    with pytest.raises(ValueError, match="radius_m must be a positive"):
        radius_load(layer, np.array([500500.0]), np.array([180500.0]), np.array([1.0]), 0.0)


# ------------------------------------------------------------------ properties

coordinate = st.floats(499_500, 502_500)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(coordinate, st.floats(179_500, 182_500), st.floats(0, 1e8)), min_size=1, max_size=30),
    st.floats(10, 3000),
)
def test_both_methods_keep_every_station_inside(points: list[tuple[float, float, float]], radius: float) -> None:
    geoms = [shapely.box(x, y, x + 1000, y + 1000) for x, y in BOXES]
    frame = gpd.GeoDataFrame({"ward_code": ["W1", "W2", "W3", "W4"]}, geometry=geoms, crs="EPSG:27700")
    x, y, value = (np.array(c, dtype=float) for c in zip(*points, strict=True))
    a = point_load(frame, x, y, value)
    b = radius_load(frame, x, y, value, radius)
    inside = (x >= 500_000) & (x <= 502_000) & (y >= 180_000) & (y <= 182_000)
    np.testing.assert_array_equal(a.ward >= 0, inside)
    np.testing.assert_array_equal(a.ward, b.ward)
    for k in np.flatnonzero(inside):
        assert shapely.intersects(geoms[a.ward[k]], shapely.Point(x[k], y[k]))
    total = value[inside].sum()
    assert a.per_ward.sum() == pytest.approx(total, rel=1e-9, abs=1e-6)
    assert b.per_ward.sum() == pytest.approx(total, rel=1e-9, abs=1e-6)
    assert (b.per_ward >= 0).all()


# ------------------------------------------------------------------ real London


@pytest.mark.slow
def test_real_london_recomputed_from_the_raw_file(london_data_dir: Path) -> None:
    from geo.boundaries import read_wards

    layer = read_wards(
        london_data_dir / "london_wards_2022_bng.gpkg",
        layer="london_wards_2022",
        exclude_boroughs=("E09000001",),
    ).frame
    drop = [780, 781, 783, 7090, 7091, 9846, 1434, 3186]
    s = VisitorsSpec(path="x", exclude_stations=tuple(drop))
    got = ward_visitors(read_stations(london_data_dir / "tfl_station_entry_exit_2019_2021_derived.csv", s), layer, s)
    # plain pandas and shapely: every row with a 2019 figure, not left out, in the ward whose polygon contains it
    raw = pd.read_csv(london_data_dir / "tfl_station_entry_exit_2019_2021_derived.csv")
    raw = raw[raw["annualised_enex_2019"].notna() & (raw["annualised_enex_2019"] > 0) & ~raw["NLC"].isin(drop)]
    expected = np.zeros(len(layer))
    for i, geom in enumerate(layer.geometry):
        inside = shapely.contains_xy(geom, raw["EASTING"].to_numpy(), raw["NORTHING"].to_numpy())
        expected[i] = raw.loc[inside, "annualised_enex_2019"].sum()
    np.testing.assert_allclose(got.values, expected, rtol=1e-12)
    names = layer["ward_name"].tolist()
    assert got.values[names.index("West End")] == pytest.approx(181_550_350, rel=1e-6)
    assert got.values[names.index("Heathrow Villages")] == pytest.approx(3_238_018, rel=1e-6)  # Hatton Cross only
    # the radius method keeps the same total
    r = VisitorsSpec(path="x", exclude_stations=tuple(drop), assign="radius", radius_m=800)
    spread = ward_visitors(read_stations(london_data_dir / "tfl_station_entry_exit_2019_2021_derived.csv", r), layer, r)
    assert spread.values.sum() == pytest.approx(got.values.sum(), rel=1e-9)
    assert (spread.values > 0).sum() > (got.values > 0).sum()
    assert len(np.unique(containing_ward(layer, raw["EASTING"].to_numpy(), raw["NORTHING"].to_numpy()))) > 200


# ------------------------------------------------------------------ through load_inputs


def test_load_inputs_puts_visitors_on_the_wards(tmp_path: Path, scenarios_dir: Path) -> None:
    from planner.inputs.loader import load_inputs
    from planner.scenario import load_scenario

    base = load_scenario(scenarios_dir / "demo.yaml").with_changes(
        {"data.synthetic.wards": 60, "data.synthetic.boroughs": 4, "data.synthetic.bcus": 2}
    )
    plain = load_inputs(base)
    assert plain.wards.visitors is None and plain.geography.visitors is None
    # stations at the centroids of three wards of the synthetic city (it is in British National Grid metres too)
    w0 = plain.wards
    rows = [f"LU,{100 + k},S{k},{(k + 1) * 1e6},,S{k},{w0.x[i]},{w0.y[i]}" for k, i in enumerate((3, 17, 42))]
    path = tmp_path / "stations.csv"
    path.write_text(
        "mode,NLC,station,annualised_enex_2019,annualised_enex_2021,NAME,EASTING,NORTHING\n" + "\n".join(rows)
    )
    scenario = base.with_changes({"data.visitors": {"path": str(path)}, "need.weights.visitors": 0.5})
    inputs = load_inputs(scenario)
    w = inputs.wards
    assert w.visitors is not None
    raw = pd.read_csv(path)
    xy_value = (raw[c].to_numpy() for c in ("EASTING", "NORTHING", "annualised_enex_2019"))
    expected = point_load(inputs.layer, *xy_value).per_ward
    np.testing.assert_array_equal(w.visitors, expected)
    assert w.visitors.sum() == 6e6 and (w.visitors > 0).sum() == 3
    assert "visitors" in w.frame().columns
    d, h, p, v = w.demand, w.harm, w.population, w.visitors
    mix = (0.3 * d / d.mean() + 0.5 * h / h.mean() + 0.2 * p / p.mean() + 0.5 * v / v.mean()) / 1.5
    np.testing.assert_allclose(w.need, mix, rtol=1e-12)
    assert inputs.digest != plain.digest
