"""The synthetic city: London-like structure, contiguous groups, a respected river, MPS-format crime."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.adjacency import components, islands, queen_edges, split_groups, ward_arrays
from geo.boundaries import FRAME_COLUMNS
from geo.synthetic import CENTRE, synthetic_city
from geo.synthetic_crime import ID_COLUMNS, MONTHS, PARTIAL_MONTH
from planner.errors import ScenarioError

MET_BCUS = {
    f"{d} BCU"
    for d in (
        "Central North", "Central East", "Central South", "Central West", "North", "North East",
        "East", "South East", "South", "South West", "West", "North West",
    )
}  # fmt: skip


@pytest.fixture(scope="module")
def city():
    return synthetic_city()


@pytest.fixture(scope="module")
def edges(city):
    return queen_edges(city.layer.frame)


def ward_totals(crime: pd.DataFrame) -> pd.Series:
    return crime.groupby("WardCode")[list(MONTHS)].sum().sum(axis=1)


# ---------------------------------------------------------------- structure
def test_default_city_is_london_sized(city):
    frame = city.layer.frame
    assert tuple(frame.columns) == FRAME_COLUMNS
    assert frame.crs.to_epsg() == 27700
    assert len(frame) == 680 and list(frame.index) == list(range(680))
    assert frame["borough_code"].nunique() == 32
    assert frame["bcu"].nunique() == 12
    assert set(frame["bcu"]) == MET_BCUS
    area = ward_arrays(frame)["area_km2"]
    assert area.sum() + city.water.area / 1e6 == pytest.approx(1570, rel=0.02)
    assert (area > 0.1).all()
    cx, cy = shapely.centroid(shapely.union_all(frame.geometry.to_numpy())).coords[0]
    assert abs(cx - CENTRE[0]) < 5000 and abs(cy - CENTRE[1]) < 5000
    assert frame.geometry.is_valid.all()
    assert frame.geom_type.eq("Polygon").all()


def test_codes_are_real_format_but_never_real(city):
    frame = city.layer.frame
    assert frame["ward_code"].str.fullmatch(r"X05\d{6}").all() and frame["ward_code"].is_unique
    assert frame["borough_code"].str.fullmatch(r"X09\d{6}").all()
    assert frame["ward_name"].is_unique
    assert list(frame.sort_values(["borough_code", "ward_code"]).index) == list(frame.index)
    # codes follow names alphabetically, as ONS codes do
    boroughs = frame.drop_duplicates("borough_code")
    assert list(boroughs["borough_name"]) == sorted(boroughs["borough_name"])
    for _, wards in frame.groupby("borough_code"):
        assert list(wards["ward_name"]) == sorted(wards["ward_name"])
    assert all(re.fullmatch(r"[A-Z][a-z]+( and [A-Z][a-z]+)?", n) for n in boroughs["borough_name"])


def test_every_ward_has_a_neighbour_and_groups_are_contiguous(city, edges):
    frame = city.layer.frame
    n = len(frame)
    assert islands(edges, n) == []
    assert components(edges, n).max() == 0
    assert split_groups(edges, frame["borough_code"].to_numpy()) == []
    assert split_groups(edges, frame["bcu"].to_numpy()) == []
    # each borough lies in one BCU, as the borough -> BCU table says
    assert frame.groupby("borough_code")["bcu"].nunique().eq(1).all()
    assert city.borough_bcu == dict(zip(frame["borough_code"], frame["bcu"]))
    sizes = frame.groupby("borough_code").size()
    assert sizes.min() >= 8 and sizes.max() <= 45


def test_the_tidal_river_separates_the_banks(city, edges):
    frame = city.layer.frame
    geoms = frame.geometry.to_numpy()
    assert shapely.area(shapely.intersection(geoms, city.water)).sum() < 1.0  # no ward covers water
    line = shapely.get_coordinates(city.river)
    point = shapely.get_coordinates(frame.geometry.representative_point().to_numpy())
    north = point[:, 1] > np.interp(point[:, 0], line[:, 0], line[:, 1])
    assert 0.25 < north.mean() < 0.75
    crossing = edges[north[edges[:, 0]] != north[edges[:, 1]]]
    assert len(crossing) > 0  # the banks meet upstream of the tidal limit
    # a ward lying wholly east of where the tidal river starts cannot reach around it
    tidal = frame.geometry.bounds["minx"].to_numpy() > city.water.bounds[0]
    assert tidal.sum() > 100
    assert not (tidal[crossing[:, 0]] & tidal[crossing[:, 1]]).any()
    # and nothing near the water was bridged: a tolerance wider than the river would be
    bridged = queen_edges(frame, tolerance_m=800)
    across = bridged[north[bridged[:, 0]] != north[bridged[:, 1]]]
    assert (tidal[across[:, 0]] & tidal[across[:, 1]]).any()


# ---------------------------------------------------------------- crime, harm, population
def test_crime_is_in_the_exact_mps_layout(city):
    crime = city.crime
    assert list(crime.columns) == [*ID_COLUMNS, PARTIAL_MONTH, *MONTHS]
    assert MONTHS[0] == "202404" and MONTHS[-1] == "202603" and len(MONTHS) == 24
    for col in [PARTIAL_MONTH, *MONTHS]:
        assert crime[col].dtype == np.int64
    assert (crime[[PARTIAL_MONTH, *MONTHS]] >= 0).all().all()
    assert (crime[[PARTIAL_MONTH, *MONTHS]].sum(axis=1) > 0).all()  # like the real file: no empty rows
    frame = city.layer.frame.set_index("ward_code")
    assert set(crime["WardCode"]) == set(frame.index)
    assert (crime["WardName"].to_numpy() == frame.loc[crime["WardCode"], "ward_name"].to_numpy()).all()
    boroughs = frame.loc[crime["WardCode"], "borough_name"].to_numpy()
    assert (crime["LookUp_BoroughName"].to_numpy() == boroughs).all()
    keys = crime[["LookUp_BoroughName", "WardName", "MajorText", "MinorText"]]
    assert keys.equals(keys.sort_values(list(keys.columns)).reset_index(drop=True))
    assert not crime.duplicated(["WardCode", "MinorText"]).any()
    assert crime["MinorText"].nunique() == 33
    assert crime.groupby("MinorText")["MajorText"].nunique().eq(1).all()


def test_partial_first_month_is_tiny(city):
    totals = city.crime[[PARTIAL_MONTH, *MONTHS]].sum()
    assert 0 < totals[PARTIAL_MONTH] < 0.005 * totals[list(MONTHS)].median()
    assert totals[list(MONTHS)].min() > 0.8 * totals[list(MONTHS)].max()


def test_crime_is_skewed_like_a_real_city(city):
    totals = ward_totals(city.crime).sort_values(ascending=False)
    top = totals.iloc[: len(totals) // 10].sum() / totals.sum()
    assert top > 0.25  # London 2024-26: 0.29
    assert totals.iloc[0] > 10 * totals.median()
    assert 1.5e6 < totals.sum() < 2.1e6  # London 2024-26: 1.78 million in 24 months
    # theft peaks in the central business district, burglary does not
    by_offence = city.crime.groupby(["WardCode", "MinorText"])[list(MONTHS)].sum().sum(axis=1).unstack(fill_value=0)
    theft = by_offence["THEFT FROM THE PERSON"]
    burglary = by_offence["RES BURGLARY OF A HOME"]
    assert theft.max() / theft.sum() > 5 * burglary.max() / burglary.sum()


def test_harm_weights_and_population(city):
    harm = city.harm_weights
    assert list(harm.columns) == ["offence", "weight"]
    assert set(harm["offence"]) == set(city.crime["MinorText"])
    assert (harm["weight"] > 0).all()
    assert harm.set_index("offence").loc["HOMICIDE", "weight"] > harm.set_index("offence").loc["SHOPLIFTING", "weight"]
    pop = city.population
    assert list(pop.columns) == ["ward_code", "population"]
    assert list(pop["ward_code"]) == list(city.layer.frame["ward_code"])
    assert pop["population"].dtype == np.int64 and (pop["population"] > 0).all()
    assert pop["population"].sum() == pytest.approx(8.8e6, rel=0.01)


@pytest.mark.london
def test_offence_names_and_header_match_the_real_mps_file(city, london_data_dir):
    real = pd.read_csv(london_data_dir / "mps_ward_crime_2024_2026.csv", nrows=20000)
    assert list(real.columns) == list(city.crime.columns)
    pairs = set(map(tuple, real[["MajorText", "MinorText"]].drop_duplicates().to_numpy()))
    assert pairs == set(map(tuple, city.crime[["MajorText", "MinorText"]].drop_duplicates().to_numpy()))


# ---------------------------------------------------------------- determinism
def test_same_seed_same_city_different_seed_different_city(city):
    again = synthetic_city()
    pd.testing.assert_frame_equal(city.layer.frame.drop(columns="geometry"), again.layer.frame.drop(columns="geometry"))
    assert (
        shapely.to_wkb(city.layer.frame.geometry.to_numpy()) == shapely.to_wkb(again.layer.frame.geometry.to_numpy())
    ).all()
    pd.testing.assert_frame_equal(city.crime, again.crime)
    pd.testing.assert_frame_equal(city.population, again.population)
    pd.testing.assert_frame_equal(city.harm_weights, again.harm_weights)
    assert city.borough_bcu == again.borough_bcu
    assert city.crime.to_csv(index=False) == again.crime.to_csv(index=False)
    other = synthetic_city(seed=7)
    assert not other.layer.frame.geometry.geom_equals(city.layer.frame.geometry).all()
    assert not other.crime.equals(city.crime)
    assert set(other.layer.frame["ward_name"]) != set(city.layer.frame["ward_name"])


def test_bad_sizes_are_refused():
    # a ScenarioError (exit 2 on the command line) naming the sizes, never a bare ValueError
    with pytest.raises(ScenarioError, match="at least 4 wards"):
        synthetic_city(wards=3, boroughs=1, bcus=1)
    with pytest.raises(ScenarioError, match=r"bcus \(4\) is more than boroughs \(3\)"):
        synthetic_city(wards=20, boroughs=3, bcus=4)
    with pytest.raises(ScenarioError, match=r"boroughs \(21\) is more than wards \(20\)"):
        synthetic_city(wards=20, boroughs=21, bcus=4)
    with pytest.raises(ScenarioError, match="seed"):
        synthetic_city(seed=-1, wards=20, boroughs=2, bcus=1)


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    wards=st.integers(4, 160),
    data=st.data(),
)
def test_random_small_cities_always_have_contiguous_groups(seed, wards, data):
    boroughs = data.draw(st.integers(1, min(12, wards)), label="boroughs")
    bcus = data.draw(st.integers(1, boroughs), label="bcus")
    city = synthetic_city(seed=seed, boroughs=boroughs, wards=wards, bcus=bcus)
    frame = city.layer.frame
    edges = queen_edges(frame)
    assert len(frame) == wards
    assert frame["borough_code"].nunique() == boroughs
    assert frame["bcu"].nunique() == bcus
    assert islands(edges, wards) == []
    assert split_groups(edges, frame["borough_code"].to_numpy()) == []
    assert split_groups(edges, frame["bcu"].to_numpy()) == []
    assert set(city.crime["WardCode"]) <= set(frame["ward_code"])


def test_england_and_wales_scale_city():
    city = synthetic_city(seed=1, wards=7000, boroughs=330, bcus=43)
    frame = city.layer.frame
    edges = queen_edges(frame)
    assert len(frame) == 7000 and frame["bcu"].nunique() == 43
    assert islands(edges, 7000) == []
    assert split_groups(edges, frame["borough_code"].to_numpy()) == []
    assert split_groups(edges, frame["bcu"].to_numpy()) == []
