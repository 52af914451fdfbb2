"""GeoPackage and GeoJSON output: atomic writes, strict joins, dissolves, web-map GeoJSON."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from geo.adjacency import queen_edges
from geo.export import dissolve_groups, plan_layer, to_wgs84_geojson, write_layers
from geo.synthetic import synthetic_city
from planner.errors import DataError


@pytest.fixture(scope="module")
def small():
    return synthetic_city(seed=3, wards=60, boroughs=6, bcus=3).layer.frame


def plan_table(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    n = len(frame)
    return pd.DataFrame(
        {"ward_code": frame["ward_code"], "constables": np.arange(n) % 7 + 2, "pcsos": np.ones(n, dtype=int)}
    )


def test_plan_layer_joins_by_code_in_frame_order(small):
    table = plan_table(small).iloc[::-1]  # order does not matter
    out = plan_layer(small, table)
    assert list(out["ward_code"]) == list(small["ward_code"])
    assert list(out.columns) == [
        "ward_code",
        "ward_name",
        "borough_code",
        "borough_name",
        "bcu",
        "constables",
        "pcsos",
        "geometry",
    ]
    assert (out["constables"].to_numpy() == np.arange(len(small)) % 7 + 2).all()
    assert out.crs == small.crs
    indexed = plan_layer(small, plan_table(small).set_index("ward_code"))
    pd.testing.assert_frame_equal(
        pd.DataFrame(indexed.drop(columns="geometry")), pd.DataFrame(out.drop(columns="geometry"))
    )


def test_plan_layer_refuses_missing_extra_and_duplicate_wards(small):
    table = plan_table(small)
    with pytest.raises(DataError, match="1 wards have no row"):
        plan_layer(small, table.iloc[1:])
    extra = pd.concat([table, pd.DataFrame({"ward_code": ["E05000000"], "constables": [1], "pcsos": [1]})])
    with pytest.raises(DataError, match="1 wards are not in the boundaries: E05000000"):
        plan_layer(small, extra)
    with pytest.raises(DataError, match="wards listed twice"):
        plan_layer(small, pd.concat([table, table.iloc[:1]]))


def test_write_layers_round_trips_several_layers(small, tmp_path):
    boroughs = dissolve_groups(small, small.set_index("ward_code")["borough_name"], name="borough")
    path = write_layers(tmp_path / "plan.gpkg", {"wards": (small, plan_table(small)), "boroughs": boroughs})
    assert [name for name, _ in pyogrio.list_layers(path)] == ["wards", "boroughs"]
    wards = gpd.read_file(path, layer="wards")
    assert wards.crs.to_epsg() == 27700
    assert list(wards["ward_code"]) == list(small["ward_code"])
    assert np.allclose(wards.area, small.area)
    assert list(gpd.read_file(path, layer="boroughs")["borough"]) == sorted(small["borough_name"].unique())
    assert [p.name for p in tmp_path.iterdir()] == ["plan.gpkg"]  # no temporary file left


def test_failed_write_leaves_the_old_file_untouched(small, tmp_path, monkeypatch):
    path = tmp_path / "plan.gpkg"
    write_layers(path, {"wards": small})
    before = path.read_bytes()
    with pytest.raises(DataError):
        write_layers(path, {"wards": small, "plan": (small, plan_table(small).iloc[1:])})
    assert path.read_bytes() == before

    real_write = pyogrio.write_dataframe

    def failing_write(gdf, target, layer, **kwargs):
        if layer == "second":
            raise OSError("disk full")
        real_write(gdf, target, layer=layer, **kwargs)

    monkeypatch.setattr(pyogrio, "write_dataframe", failing_write)
    with pytest.raises(OSError, match="disk full"):
        write_layers(path, {"wards": small, "second": small})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["plan.gpkg"]  # the half-written temp file is gone
    with pytest.raises(ValueError, match="no layers"):
        write_layers(path, {})


def test_dissolve_groups_by_code_or_position(small):
    by_code = dissolve_groups(small, small.set_index("ward_code")["bcu"], name="bcu")
    assert list(by_code["bcu"]) == sorted(small["bcu"].unique())
    assert by_code["n_wards"].sum() == len(small)
    assert by_code.area.sum() == pytest.approx(small.area.sum(), rel=1e-9)
    assert (by_code.geom_type == "Polygon").all()  # contiguous groups of a clean coverage
    by_position = dissolve_groups(small, small["bcu"], name="bcu")
    assert by_position.geometry.geom_equals(by_code.geometry).all()
    with pytest.raises(DataError, match="1 wards have no group"):
        dissolve_groups(small, small.set_index("ward_code")["bcu"].iloc[1:])


def test_wgs84_geojson_is_light_and_keeps_the_coverage(small):
    doc = to_wgs84_geojson(small, ["ward_code", "ward_name"], tolerance_m=50)
    json.dumps(doc)  # serialisable
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == len(small)
    first = doc["features"][0]
    assert set(first["properties"]) == {"ward_code", "ward_name"}
    back = gpd.GeoDataFrame.from_features(doc["features"], crs=4326)
    lon, lat = shapely.get_coordinates(back.geometry.to_numpy()).T
    assert lon.min() > -1 and lon.max() < 1
    assert lat.min() > 51 and lat.max() < 52
    assert np.all(np.round(lon, 6) == lon)
    bng = back.to_crs(27700)
    assert bng.is_valid.all()
    assert np.allclose(bng.area, small.area, rtol=0.05)
    # shared edges stay shared after simplification: the same adjacency
    assert np.array_equal(queen_edges(bng, tolerance_m=0.5), queen_edges(small))
    assert (
        shapely.get_num_coordinates(back.geometry.to_numpy()).sum()
        < shapely.get_num_coordinates(small.geometry.to_numpy()).sum()
    )
    with pytest.raises(DataError, match="no column 'nope'"):
        to_wgs84_geojson(small, ["nope"])
