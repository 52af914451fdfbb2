"""Ward boundaries: every broken input gives a DataError naming the fault; real London loads."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.adjacency import queen_edges, ward_arrays
from geo.boundaries import FRAME_COLUMNS, read_borough_bcu, read_wards
from geo.projection import to_bng
from planner.errors import DataError

DATA = Path(__file__).resolve().parent / "data" / "geo"
BCU = {"E09999991": "Test West BCU", "E09999992": "Test East BCU"}


# ---------------------------------------------------------------- small files
def test_good_file_gives_the_frame_contract():
    layer = read_wards(DATA / "good_wards.geojson", borough_bcu=BCU)
    frame = layer.frame
    assert tuple(frame.columns) == FRAME_COLUMNS
    assert frame.crs.to_epsg() == 27700
    assert list(frame.index) == [0, 1, 2, 3]
    assert list(frame["ward_code"]) == ["E05999991", "E05999993", "E05999992", "E05999994"]  # borough first
    assert list(frame["bcu"]) == ["Test West BCU"] * 2 + ["Test East BCU"] * 2
    assert np.allclose(ward_arrays(frame)["area_km2"], 1.0)
    assert layer.notes == ()


def test_bowtie_is_repaired_and_reported():
    layer = read_wards(DATA / "bowtie.geojson", borough_bcu=BCU)
    geoms = layer.frame.geometry
    assert geoms.is_valid.all()
    fixed = layer.frame.set_index("ward_code").geometry["E05999994"]
    assert fixed.geom_type == "MultiPolygon" and fixed.area == pytest.approx(0.5e6)
    (note,) = [n for n in layer.notes if "repaired" in n]
    assert "E05999994 (Test Ward 4)" in note and "Self-intersection" in note


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("duplicate_codes.geojson", "ward code E05999991 (column 'WD22CD') appears in rows 1, 3"),
        ("missing_code.geojson", "rows 2, 4: ward code (column 'WD22CD') is missing"),
        ("missing_column.geojson", "column 'LAD22CD' (the borough code column) not found"),
        ("empty.geojson", "has no features"),
        ("empty_file.geojson", "is empty (0 bytes)"),
        ("corrupt.gpkg", "cannot be read as GeoJSON, GeoPackage or shapefile"),
        ("point_geometry.geojson", "row 1 (ward E05999991): geometry is a Point"),
        ("null_geometry.geojson", "row 2: no geometry"),
        ("empty_geometry.geojson", "row 3: empty geometry"),
        ("no_crs.shp", "has no CRS; set one, e.g. EPSG:4326 for lon/lat GeoJSON"),
        ("bng_without_crs_member.geojson", "are not degrees"),
        ("does_not_exist.gpkg", "file not found"),
    ],
)
def test_broken_file_names_the_fault(name, expected):
    with pytest.raises(DataError) as err:
        read_wards(DATA / name)
    message = str(err.value)
    assert str(DATA / name) in message
    assert expected in message


def test_missing_column_lists_the_available_ones():
    with pytest.raises(DataError, match="available columns: WD22CD, WD22NM, LAD22NM"):
        read_wards(DATA / "missing_column.geojson")


def test_column_mapping_and_optional_names():
    layer = read_wards(DATA / "good_wards.geojson", ward_name=None, borough_name=None)
    assert list(layer.frame["ward_name"]) == list(layer.frame["ward_code"])
    assert list(layer.frame["borough_name"]) == list(layer.frame["borough_code"])
    with pytest.raises(DataError, match="'WARD' \\(the ward code column\\) not found"):
        read_wards(DATA / "good_wards.geojson", ward_code="WARD")


def test_excluded_borough_is_dropped_with_a_note():
    layer = read_wards(DATA / "good_wards.geojson", exclude_boroughs=("E09999991",))
    assert set(layer.frame["borough_code"]) == {"E09999992"}
    assert any("excluded the 2 wards of borough E09999991 (West Testborough)" in n for n in layer.notes)
    with pytest.raises(DataError, match="no wards left"):
        read_wards(DATA / "good_wards.geojson", exclude_boroughs=("E09999991", "E09999992"))


def test_borough_missing_from_the_bcu_table_is_named():
    with pytest.raises(DataError, match=r"borough E09999992 \(East Testborough\) has no BCU"):
        read_wards(DATA / "good_wards.geojson", borough_bcu={"E09999991": "Test West BCU"})


def test_multilayer_geopackage_needs_a_layer(tmp_path):
    gdf = gpd.read_file(DATA / "good_wards.geojson")
    path = tmp_path / "two.gpkg"
    gdf.to_file(path, layer="a")
    gdf.to_file(path, layer="b")
    with pytest.raises(DataError, match=r"has 2 layers \(a, b\); choose one"):
        read_wards(path)
    with pytest.raises(DataError, match="has no layer 'c'"):
        read_wards(path, layer="c")
    assert read_wards(path, layer="b").n_wards == 4


def test_geometry_collection_keeps_its_polygons(tmp_path):
    gdf = gpd.read_file(DATA / "good_wards.geojson")
    first = gdf.geometry.iloc[0]
    gdf.loc[0, "geometry"] = shapely.GeometryCollection([first, shapely.LineString([(0, 0), (1, 1)])])
    path = tmp_path / "mixed.gpkg"
    gdf.to_file(path)
    layer = read_wards(path)
    assert layer.frame.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    assert any("GeometryCollection" in n and "E05999991" in n for n in layer.notes)


def test_to_bng_reprojects_lonlat_and_refuses_no_crs():
    gdf = gpd.read_file(DATA / "good_wards.geojson")
    lonlat = gdf.to_crs(4326)
    back = to_bng(lonlat, "x")
    assert back.crs.to_epsg() == 27700
    assert np.allclose(back.area, gdf.area, rtol=1e-6)
    with pytest.raises(DataError, match="memory: has no CRS"):
        to_bng(gdf.set_crs(None, allow_override=True), "memory")


# ---------------------------------------------------------------- borough -> BCU
def test_borough_bcu_skips_empty_bcu_rows():
    assert read_borough_bcu(DATA / "bcu_ok.csv") == BCU


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bcu_duplicate.csv", "borough E09999991 appears on lines 2, 3"),
        (
            "bcu_wrong_columns.csv",
            "column 'borough_code' and 'bcu_name' not found; available columns: code, bcu",
        ),
        ("empty_file.geojson", "is empty"),
        ("nope.csv", "file not found"),
    ],
)
def test_bad_borough_bcu_file_names_the_fault(name, expected):
    with pytest.raises(DataError, match=None) as err:
        read_borough_bcu(DATA / name)
    assert expected in str(err.value)


# ---------------------------------------------------------------- real London
@pytest.fixture(scope="module")
def london(london_data_dir):
    bcu = read_borough_bcu(london_data_dir / "borough_bcu.csv")
    gpkg = read_wards(london_data_dir / "london_wards_2022_bng.gpkg", borough_bcu=bcu)
    geojson = read_wards(london_data_dir / "london_wards_2022.geojson", borough_bcu=bcu)
    return bcu, gpkg, geojson


@pytest.mark.london
def test_real_london_is_679_met_wards_in_32_boroughs_and_12_bcus(london):
    bcu, layer, _ = london
    frame = layer.frame
    assert len(bcu) == 32 and "E09000001" not in bcu
    assert layer.n_wards == 679
    assert frame["borough_code"].nunique() == 32
    assert "E09000001" not in set(frame["borough_code"])
    assert frame["bcu"].nunique() == 12
    assert (frame["bcu"] != "").all()
    assert frame["ward_code"].is_unique
    assert frame.geometry.is_valid.all()
    heathrow = frame.set_index("ward_code").loc["E05013570"]
    assert heathrow["borough_name"] == "Hillingdon" and heathrow["bcu"] == "West BCU"
    assert any("excluded the 25 wards of borough E09000001 (City of London)" in n for n in layer.notes)


@pytest.mark.london
def test_real_geojson_and_geopackage_agree(london):
    _, gpkg, geojson = london
    a, b = gpkg.frame, geojson.frame
    assert list(a["ward_code"]) == list(b["ward_code"])
    assert b.crs.to_epsg() == 27700
    area_a, area_b = ward_arrays(a)["area_km2"], ward_arrays(b)["area_km2"]
    assert np.allclose(area_a, area_b, rtol=0.005)
    assert np.array_equal(queen_edges(a), queen_edges(b))
    # the GeoJSON copy has five wards stored as GeometryCollections with a stray line: reported
    assert any("GeometryCollection" in n for n in geojson.notes)
