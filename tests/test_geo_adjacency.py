"""Queen adjacency checked against exact oracles; real London respects the Thames."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.adjacency import components, degree, islands, queen_edges, split_groups, ward_arrays
from geo.boundaries import read_borough_bcu, read_wards
from planner.errors import DataError

X0, Y0 = 530_000.0, 180_000.0


def grid(cols: int, rows: int, size: float = 1000.0, gap: float = 0.0) -> gpd.GeoDataFrame:
    """Squares in row-major order, ``gap`` metres apart."""
    step = size + gap
    boxes = [
        shapely.box(X0 + c * step, Y0 + r * step, X0 + c * step + size, Y0 + r * step + size)
        for r in range(rows)
        for c in range(cols)
    ]
    return gpd.GeoDataFrame(geometry=boxes, crs=27700)


def queen_oracle(cols: int, rows: int) -> np.ndarray:
    """Neighbours on a grid of squares: any of the 8 surrounding cells."""
    pairs = []
    for (r1, c1), (r2, c2) in itertools.combinations(itertools.product(range(rows), range(cols)), 2):
        if max(abs(r1 - r2), abs(c1 - c2)) == 1:
            pairs.append(sorted((r1 * cols + c1, r2 * cols + c2)))
    return np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)


@settings(max_examples=15, deadline=None)
@given(cols=st.integers(1, 7), rows=st.integers(1, 7))
def test_queen_edges_match_the_grid_oracle(cols, rows):
    edges = queen_edges(grid(cols, rows))
    assert edges.dtype == np.int64
    assert np.array_equal(edges, queen_oracle(cols, rows))


def test_corner_contact_counts_and_edges_are_sorted_pairs():
    edges = queen_edges(grid(2, 2))
    assert edges.tolist() == [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]  # 0-3 and 1-2 are corners


def test_a_gap_is_not_bridged_unless_a_tolerance_asks():
    separated = grid(2, 1, gap=5.0)
    assert queen_edges(separated).shape == (0, 2)
    assert queen_edges(separated, tolerance_m=4.9).shape == (0, 2)
    assert queen_edges(separated, tolerance_m=5.1).tolist() == [[0, 1]]
    with pytest.raises(ValueError, match="tolerance_m"):
        queen_edges(separated, tolerance_m=-1)


def test_measuring_requires_bng():
    lonlat = grid(2, 1).to_crs(4326)
    with pytest.raises(DataError, match="must be in EPSG:27700"):
        queen_edges(lonlat)
    with pytest.raises(DataError, match=r"geo\.to_bng"):
        ward_arrays(lonlat)


def test_ward_arrays_area_and_centroid():
    arrays = ward_arrays(grid(2, 1, size=2000.0))
    assert np.allclose(arrays["area_km2"], [4.0, 4.0])
    assert np.allclose(arrays["x"], [X0 + 1000, X0 + 3000])
    assert np.allclose(arrays["y"], [Y0 + 1000, Y0 + 1000])


def test_islands_components_and_split_groups():
    edges = np.array([[0, 1], [1, 2], [3, 4]])
    assert islands(edges, 6) == [5]
    assert degree(edges, 6).tolist() == [1, 2, 1, 1, 1, 0]
    assert components(edges, 6).tolist() == [0, 0, 0, 1, 1, 2]
    assert components(np.zeros((0, 2), dtype=np.int64), 3).tolist() == [0, 1, 2]
    # group "a" = {0, 2} is split (1 lies between them, in "b"); "b" = {1}; "c" = {3, 4}
    assert split_groups(edges, np.array(["a", "b", "a", "c", "c", "d"])) == ["a"]
    assert split_groups(edges, np.array(["a", "a", "a", "c", "c", "d"])) == []


# ---------------------------------------------------------------- real London
@pytest.fixture(scope="module")
def london(london_data_dir):
    bcu = read_borough_bcu(london_data_dir / "borough_bcu.csv")
    frame = read_wards(london_data_dir / "london_wards_2022_bng.gpkg", borough_bcu=bcu).frame
    return frame, queen_edges(frame)


def borough_pairs(frame, edges):
    names = frame["borough_name"].to_numpy()
    pairs = set(zip(names[edges[:, 0]], names[edges[:, 1]]))
    return pairs | {(b, a) for a, b in pairs}


@pytest.mark.london
def test_london_has_no_islands_and_is_connected(london):
    frame, edges = london
    assert islands(edges, len(frame)) == []
    assert components(edges, len(frame)).max() == 0
    assert split_groups(edges, frame["borough_code"].to_numpy()) == []
    assert split_groups(edges, frame["bcu"].to_numpy()) == []
    assert len(edges) == 1937  # measured on the ONS 2022 BGC boundaries


# Borough pairs facing each other across the tidal Thames, with the measured
# gap between them (metres): the river, not land.
ACROSS_THE_THAMES = [
    ("Westminster", "Lambeth", 208),
    ("Westminster", "Southwark", 324),
    ("Tower Hamlets", "Southwark", 204),
    ("Tower Hamlets", "Greenwich", 302),
    ("Tower Hamlets", "Lewisham", 314),
    ("Newham", "Greenwich", 416),
    ("Hammersmith and Fulham", "Wandsworth", 168),
    ("Kensington and Chelsea", "Wandsworth", 203),
    ("Barking and Dagenham", "Bexley", 623),
    ("Havering", "Bexley", 642),
]


@pytest.mark.london
def test_london_wards_do_not_touch_across_the_tidal_thames(london):
    frame, edges = london
    pairs = borough_pairs(frame, edges)
    shapes = frame.dissolve("borough_name").geometry
    for north, south, gap in ACROSS_THE_THAMES:
        assert (north, south) not in pairs, f"{north} - {south} are on opposite banks"
        assert shapes[north].distance(shapes[south]) == pytest.approx(gap, abs=1.0)
    # guessing across the water with a generous tolerance would have joined them
    bridged = borough_pairs(frame, queen_edges(frame, tolerance_m=800))
    assert all((n, s) in bridged for n, s, _ in ACROSS_THE_THAMES)
    # above Teddington Lock the river lies inside the wards, so wards across it do meet:
    # Kingston Town (Surrey bank) and Hampton Wick & South Teddington (Middlesex bank)
    names = frame["ward_name"].to_numpy()
    ward_pairs = {frozenset((names[i], names[j])) for i, j in edges}
    assert frozenset(("Kingston Town", "Hampton Wick & South Teddington")) in ward_pairs
