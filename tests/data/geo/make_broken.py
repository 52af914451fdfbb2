"""Write the small (mostly broken) ward files the geo tests read.

Run from the repository root: ``python tests/data/geo/make_broken.py``. The
outputs are committed; rerunning rewrites them (only the .dbf header date
changes). Every file is a tiny 2 x 2 grid of 1 km square "wards" in British National Grid near
E 530000 N 180000, in two boroughs, with one fault each (named by the file).
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import shapely

HERE = Path(__file__).resolve().parent
X0, Y0, KM = 530_000.0, 180_000.0, 1000.0
CRS_27700 = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}}


def _square(col: int, row: int) -> list[list[float]]:
    x, y = X0 + col * KM, Y0 + row * KM
    return [[x, y], [x + KM, y], [x + KM, y + KM], [x, y + KM], [x, y]]


def _features() -> list[dict]:
    out = []
    for i, (col, row) in enumerate([(0, 0), (1, 0), (0, 1), (1, 1)]):
        out.append(
            {
                "type": "Feature",
                "properties": {
                    "WD22CD": f"E0599999{i + 1}",
                    "WD22NM": f"Test Ward {i + 1}",
                    "LAD22CD": "E09999991" if col == 0 else "E09999992",
                    "LAD22NM": "West Testborough" if col == 0 else "East Testborough",
                },
                "geometry": {"type": "Polygon", "coordinates": [_square(col, row)]},
            }
        )
    return out


def _write(name: str, features: list[dict], crs: dict | None = CRS_27700) -> None:
    doc: dict = {"type": "FeatureCollection"}
    if crs is not None:
        doc["crs"] = crs
    doc["features"] = features
    (HERE / name).write_text(json.dumps(doc, indent=1) + "\n")


def main() -> None:
    _write("good_wards.geojson", _features())

    bow = _features()  # ward 4 drawn as a self-intersecting bow-tie (corners in the wrong order)
    x, y = X0 + KM, Y0 + KM
    bow[3]["geometry"]["coordinates"] = [[[x, y], [x + KM, y + KM], [x + KM, y], [x, y + KM], [x, y]]]
    _write("bowtie.geojson", bow)

    dup = _features()
    dup[2]["properties"]["WD22CD"] = dup[0]["properties"]["WD22CD"]
    _write("duplicate_codes.geojson", dup)

    miss = _features()
    miss[1]["properties"]["WD22CD"] = None
    miss[3]["properties"]["WD22CD"] = "  "
    _write("missing_code.geojson", miss)

    nocol = _features()
    for f in nocol:
        del f["properties"]["LAD22CD"]
    _write("missing_column.geojson", nocol)

    _write("empty.geojson", [])
    (HERE / "empty_file.geojson").write_text("")
    (HERE / "corrupt.gpkg").write_text("this is not a GeoPackage\n")

    point = _features()
    point[0]["geometry"] = {"type": "Point", "coordinates": [X0 + 500, Y0 + 500]}
    nogeom = _features()
    nogeom[1]["geometry"] = None
    empty_geom = _features()
    empty_geom[2]["geometry"] = {"type": "Polygon", "coordinates": []}
    _write("empty_geometry.geojson", empty_geom)
    _write("point_geometry.geojson", point)
    _write("null_geometry.geojson", nogeom)

    # BNG metres but no "crs" member: GeoJSON then means lon/lat (RFC 7946)
    _write("bng_without_crs_member.geojson", _features(), crs=None)

    # A shapefile with no .prj: no CRS at all
    gdf = gpd.GeoDataFrame.from_features(_features())
    gdf.geometry = gdf.geometry.apply(shapely.normalize)
    for ext in ("shp", "shx", "dbf", "cpg", "prj"):
        (HERE / f"no_crs.{ext}").unlink(missing_ok=True)
    gdf.to_file(HERE / "no_crs.shp", engine="pyogrio")

    (HERE / "bcu_ok.csv").write_text(
        "borough_code,borough_name,bcu_name\n"
        "E09999991,West Testborough,Test West BCU\n"
        "E09999992,East Testborough,Test East BCU\n"
        "E09999990,City of Test,\n"
    )
    (HERE / "bcu_duplicate.csv").write_text(
        "borough_code,borough_name,bcu_name\n"
        "E09999991,West Testborough,Test West BCU\n"
        "E09999991,West Testborough,Test East BCU\n"
    )
    (HERE / "bcu_wrong_columns.csv").write_text("code,bcu\nE09999991,Test West BCU\n")


if __name__ == "__main__":
    main()
