"""Crosswalks between ward vintages: exact weights on small layouts, totals preserved on London."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.boundaries import read_wards
from geo.crosswalk import apportion, area_crosswalk, lookup_crosswalk, reweight_crosswalk
from planner.errors import DataError

X0, Y0 = 530_000.0, 180_000.0


def layer(boxes: dict[str, tuple[float, float, float, float]]) -> gpd.GeoDataFrame:
    codes = list(boxes)
    geoms = [shapely.box(X0 + a, Y0 + b, X0 + c, Y0 + d) for a, b, c, d in boxes.values()]
    return gpd.GeoDataFrame({"ward_code": codes}, geometry=geoms, crs=27700)


# old: two 1 km x 2 km wards side by side; new: three wards cutting them differently
OLD = layer({"A": (0, 0, 1000, 2000), "B": (1000, 0, 2000, 2000)})
NEW = layer({"P": (0, 0, 500, 2000), "Q": (500, 0, 2000, 1000), "R": (500, 1000, 2000, 2000)})


def test_area_weights_are_exact_on_rectangles():
    cw = area_crosswalk(OLD, NEW)
    got = {(o, n): w for o, n, w in cw.itertuples(index=False)}
    assert got == pytest.approx({("A", "P"): 0.5, ("A", "Q"): 0.25, ("A", "R"): 0.25, ("B", "Q"): 0.5, ("B", "R"): 0.5})
    assert list(cw.columns) == ["old_code", "new_code", "weight"]


def test_apportion_moves_values_and_preserves_totals():
    cw = area_crosswalk(OLD, NEW)
    moved = apportion(pd.Series({"A": 100.0, "B": 40.0}), cw)
    assert moved.to_dict() == pytest.approx({"P": 50.0, "Q": 45.0, "R": 45.0})
    assert moved.index.name == "new_code"
    table = apportion(pd.DataFrame({"x": [100.0, 40.0], "y": [1.0, 3.0]}, index=["A", "B"]), cw)
    assert table.sum().to_dict() == pytest.approx({"x": 140.0, "y": 4.0})


def test_uncovered_area_and_slivers_do_not_count():
    # old ward C half outside the new layer (e.g. river the new wards leave out); a 5 m sliver of D in P
    old = layer({"C": (0, 0, 1000, 4000), "D": (495, 0, 1500, 2000)})
    cw = area_crosswalk(old, NEW)
    got = {(o, n): w for o, n, w in cw.itertuples(index=False)}
    assert got[("C", "P")] == pytest.approx(0.5)  # of the covered 1 km x 2 km, half in P
    assert ("D", "P") not in got  # 5 m x 2 km sliver dropped
    assert sum(w for (o, _), w in got.items() if o == "D") == pytest.approx(1.0)
    kept = area_crosswalk(old, NEW, sliver_m=0)
    assert ("D", "P") in set(zip(kept["old_code"], kept["new_code"]))


def test_old_ward_outside_the_new_layer():
    old = layer({"A": (0, 0, 1000, 2000), "Z": (9000, 9000, 9500, 9500)})
    with pytest.raises(DataError, match="1 old wards overlap no new ward: Z"):
        area_crosswalk(old, NEW)
    assert set(area_crosswalk(old, NEW, unmatched="drop")["old_code"]) == {"A"}


def test_apportion_refuses_what_it_cannot_move():
    cw = area_crosswalk(OLD, NEW)
    with pytest.raises(DataError, match="1 old codes are not in the crosswalk: Z"):
        apportion(pd.Series({"A": 1.0, "Z": 2.0}), cw)
    with pytest.raises(DataError, match="missing entries"):
        apportion(pd.Series({"A": np.nan}), cw)
    bad = cw.assign(weight=cw["weight"] * 0.9)
    with pytest.raises(DataError, match="do not sum to 1 for old codes A, B"):
        apportion(pd.Series({"A": 1.0, "B": 1.0}), bad)


def test_lookup_crosswalk_splits_equally(tmp_path):
    path = tmp_path / "lookup.csv"
    path.write_text("WD11CD,WD22CD\nO1,N1\nO1,N2\nO1,N2\nO2,N2\nO3,N3\nO3,N4\nO3,N5\n")
    cw = lookup_crosswalk(path)
    got = {(o, n): w for o, n, w in cw.itertuples(index=False)}
    third = 1 / 3
    assert got == pytest.approx(
        {
            ("O1", "N1"): 0.5,
            ("O1", "N2"): 0.5,
            ("O2", "N2"): 1.0,
            ("O3", "N3"): third,
            ("O3", "N4"): third,
            ("O3", "N5"): third,
        }
    )
    (tmp_path / "bad.csv").write_text("WD11CD,WD22CD\nO1,\n,N2\n")
    with pytest.raises(DataError, match="line 3: column 'WD11CD' is empty"):
        lookup_crosswalk(tmp_path / "bad.csv")
    with pytest.raises(DataError, match="column 'OLD' not found; available columns: WD11CD, WD22CD"):
        lookup_crosswalk(path, old_col="OLD")


@settings(max_examples=20, deadline=None)
@given(
    cuts_old=st.lists(st.integers(1, 99), min_size=0, max_size=5, unique=True),
    cuts_new=st.lists(st.integers(1, 99), min_size=0, max_size=5, unique=True),
    values=st.lists(st.floats(0, 1e6), min_size=6, max_size=6),
)
def test_strips_preserve_totals(cuts_old, cuts_new, values):
    """Vertical strips cut at random places: weights are exact length ratios, totals kept."""

    def strips(cuts, prefix):
        edges = [0, *sorted(cuts), 100]
        pairs = enumerate(itertools.pairwise(edges))
        return layer({f"{prefix}{i}": (a * 100, 0, b * 100, 1000) for i, (a, b) in pairs})

    old, new = strips(cuts_old, "o"), strips(cuts_new, "n")
    cw = area_crosswalk(old, new, sliver_m=0)
    assert np.allclose(cw.groupby("old_code")["weight"].sum(), 1.0)
    vals = pd.Series(values[: len(old)], index=old["ward_code"])
    moved = apportion(vals, cw)
    assert moved.sum() == pytest.approx(vals.sum(), rel=1e-12, abs=1e-6)


@pytest.mark.london
def test_real_2018_to_2022_wards(london_data_dir):
    old = read_wards(
        london_data_dir / "london_wards_2018_bng.gpkg",
        ward_code="GSS_CODE",
        ward_name="NAME",
        borough_code="LAGSSCODE",
        borough_name="DISTRICT",
    )
    new = read_wards(london_data_dir / "london_wards_2022_bng.gpkg")
    assert old.n_wards == 632 and new.n_wards == 679  # City of London excluded from both
    cw = area_crosswalk(old.frame, new.frame)
    sums = cw.groupby("old_code")["weight"].sum()
    assert len(sums) == 632
    assert np.allclose(sums, 1.0, atol=1e-12)
    assert cw["weight"].between(0, 1).all()
    assert set(cw["new_code"]) == set(new.frame["ward_code"])  # every new ward receives something
    # boroughs did not change in 2022: no weight crosses a borough boundary
    b_old = old.frame.set_index("ward_code")["borough_code"]
    b_new = new.frame.set_index("ward_code")["borough_code"]
    assert (b_old[cw["old_code"]].to_numpy() == b_new[cw["new_code"]].to_numpy()).all()
    values = pd.Series(np.arange(1, 633, dtype=float) * 10.0, index=old.frame["ward_code"])
    moved = apportion(values, cw)
    assert moved.sum() == pytest.approx(values.sum(), rel=1e-12)
    # borough totals are preserved too
    by_borough_old = values.groupby(b_old[values.index].to_numpy()).sum()
    by_borough_new = moved.groupby(b_new[moved.index].to_numpy()).sum()
    pd.testing.assert_series_equal(by_borough_old, by_borough_new, check_names=False)


@pytest.mark.london
def test_real_ons_2011_to_2022_lookup(london_data_dir):
    cw = lookup_crosswalk(london_data_dir / "ward2011_to_ward2022_lookup_london.csv")
    assert cw["old_code"].nunique() == 649 and cw["new_code"].nunique() == 704
    assert np.allclose(cw.groupby("old_code")["weight"].sum(), 1.0)
    values = pd.Series(1.0, index=sorted(cw["old_code"].unique()))
    assert apportion(values, cw).sum() == pytest.approx(649.0)


def test_reweight_by_density_is_exact():
    """Each piece carries its new ward's density: A's halves in P (density 3) and Q+R (density 1)."""
    cw = area_crosswalk(OLD, NEW)  # A: P .5, Q .25, R .25; B: Q .5, R .5
    density = pd.Series({"P": 3.0, "Q": 1.0, "R": 1.0})
    got = {(o, n): w for o, n, w in reweight_crosswalk(cw, density).itertuples(index=False)}
    assert got == pytest.approx(
        {("A", "P"): 0.75, ("A", "Q"): 0.125, ("A", "R"): 0.125, ("B", "Q"): 0.5, ("B", "R"): 0.5}
    )
    # an old ward whose pieces are all empty keeps its area weights; a zero-density piece gets nothing
    empty = reweight_crosswalk(cw, pd.Series({"P": 0.0, "Q": 0.0, "R": 0.0}))
    assert empty["weight"].tolist() == pytest.approx(cw["weight"].tolist())
    some = {
        (o, n): w
        for o, n, w in reweight_crosswalk(cw, pd.Series({"P": 0.0, "Q": 1.0, "R": 3.0})).itertuples(index=False)
    }
    assert some[("A", "P")] == 0 and some[("A", "R")] == pytest.approx(0.75)
    with pytest.raises(DataError, match="1 new codes have no density: R"):
        reweight_crosswalk(cw, pd.Series({"P": 1.0, "Q": 1.0}))
    with pytest.raises(DataError, match="negative or not finite for Q"):
        reweight_crosswalk(cw, pd.Series({"P": 1.0, "Q": -1.0, "R": 1.0}))
