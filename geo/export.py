"""Write plans out for GIS and web maps.

* :func:`write_layers` writes one or more layers to a GeoPackage atomically:
  to a temporary file in the same folder, then :func:`os.replace`, so a
  reader never sees half a file and a failure leaves nothing behind.
* :func:`plan_layer` joins a per-ward table (a plan) onto the ward polygons.
* :func:`dissolve_groups` merges wards into team, borough or BCU polygons.
* :func:`to_wgs84_geojson` makes a light GeoJSON dict for web maps.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo.projection import WGS84, require_bng
from planner.errors import DataError, Problems

LayerSpec: TypeAlias = "gpd.GeoDataFrame | tuple[gpd.GeoDataFrame, pd.DataFrame]"


def _table_by_code(table: pd.DataFrame, code: str) -> pd.DataFrame:
    if code in table.columns:
        table = table.set_index(code)
    out = table.copy()
    out.index = pd.Index(out.index.astype(str), name=code)
    return out


def plan_layer(frame: gpd.GeoDataFrame, table: pd.DataFrame, *, code: str = "ward_code") -> gpd.GeoDataFrame:
    """Join a per-ward table onto the ward polygons.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Ward polygons with a ``code`` column (e.g. :attr:`WardLayer.frame`).
    table : pandas.DataFrame
        One row per ward, keyed by a ``code`` column or indexed by ward code
        (e.g. ``plan.ward_table()``).
    code : str
        The ward code column.

    Returns
    -------
    geopandas.GeoDataFrame
        The frame's rows and order: ``code``, the frame's other columns not
        in ``table``, then ``table``'s columns, then ``geometry``.

    Raises
    ------
    planner.errors.DataError
        If ``table`` lists a ward twice, names wards not in ``frame``, or
        misses wards of ``frame``.
    """
    by_code = _table_by_code(table, code)
    codes = frame[code].astype(str)
    found = Problems("plan table", DataError)
    if by_code.index.has_duplicates:
        found.add(f"wards listed twice: {', '.join(sorted(set(by_code.index[by_code.index.duplicated()]))[:10])}")
    extra = by_code.index.difference(pd.Index(codes))
    if len(extra):
        found.add(f"{len(extra)} wards are not in the boundaries: {', '.join(extra[:10])}")
    lacking = pd.Index(codes).difference(by_code.index)
    if len(lacking):
        found.add(f"{len(lacking)} wards have no row: {', '.join(lacking[:10])}")
    found.raise_if_any()
    geom = frame.geometry.name
    keep = [c for c in frame.columns if c not in by_code.columns and c not in (code, geom)]
    joined = by_code.reindex(codes.to_numpy()).reset_index(drop=True)
    body = pd.concat([frame[[code, *keep]].reset_index(drop=True), joined], axis=1)
    return gpd.GeoDataFrame(body, geometry=frame.geometry.to_numpy(), crs=frame.crs)


def write_layers(path: str | Path, layers: Mapping[str, LayerSpec]) -> Path:
    """Write one or more layers to a GeoPackage, atomically.

    Parameters
    ----------
    path : str or pathlib.Path
        The GeoPackage to create or replace (its folder must exist).
    layers : mapping of str to GeoDataFrame or (GeoDataFrame, DataFrame)
        Layer name -> frame, or -> (ward frame, per-ward table) joined with
        :func:`plan_layer`. Polygons are written as MultiPolygons.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        If ``layers`` is empty or a name is blank.
    planner.errors.DataError
        From :func:`plan_layer`. On any error the target is left untouched
        and the temporary file removed.
    """
    target = Path(path)
    if not layers:
        raise ValueError("no layers to write")
    frames: dict[str, gpd.GeoDataFrame] = {}
    for name, spec in layers.items():
        if not str(name).strip():
            raise ValueError("layer names must not be blank")
        frames[str(name)] = plan_layer(*spec) if isinstance(spec, tuple) else spec
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp.gpkg")
    tmp.unlink(missing_ok=True)  # a leftover of a crashed run must not gain layers
    try:
        for name, gdf in frames.items():
            pyogrio.write_dataframe(gdf, tmp, layer=name, driver="GPKG", promote_to_multi=True)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def dissolve_groups(
    frame: gpd.GeoDataFrame, group_of_ward: pd.Series, *, code: str = "ward_code", name: str = "group"
) -> gpd.GeoDataFrame:
    """Merge ward polygons into one polygon per group (team, borough, BCU).

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Ward polygons with a ``code`` column.
    group_of_ward : pandas.Series
        Group of each ward, indexed by ward code, or aligned with ``frame``'s
        index.
    code : str
        The ward code column.
    name : str
        Name of the group column in the result.

    Returns
    -------
    geopandas.GeoDataFrame
        ``name, n_wards, geometry``, one row per group, sorted by group.

    Raises
    ------
    planner.errors.DataError
        If some ward has no group.
    """
    codes = frame[code].astype(str)
    index = pd.Index(group_of_ward.index.astype(str))
    if index.isin(codes).all() and not index.has_duplicates:
        groups = pd.Series(group_of_ward.to_numpy(), index=index).reindex(codes.to_numpy())
    else:
        groups = group_of_ward.reindex(frame.index)
    lacking = codes.to_numpy()[groups.isna().to_numpy()]
    if len(lacking):
        raise DataError(f"{len(lacking)} wards have no group: {', '.join(lacking[:10])}", "dissolve_groups")
    geoms = frame.geometry.to_numpy()
    rows = []
    for label, pos in pd.Series(np.arange(len(frame)), index=groups.to_numpy()).groupby(level=0, sort=True):
        rows.append((label, len(pos), shapely.union_all(geoms[pos.to_numpy()])))
    out = pd.DataFrame(rows, columns=[name, "n_wards", "geometry"])
    return gpd.GeoDataFrame(out, geometry="geometry", crs=frame.crs)


def _simplify(geoms: np.ndarray, tolerance_m: float) -> np.ndarray:
    """Simplify a polygon coverage keeping shared edges shared; per polygon if that fails."""
    if tolerance_m <= 0:
        return geoms
    try:
        out = np.asarray(shapely.coverage_simplify(geoms, tolerance_m), dtype=object)
        if shapely.is_valid(out).all() and not shapely.is_empty(out).any():
            return out
    except shapely.errors.GEOSException:
        pass
    return np.asarray(shapely.simplify(geoms, tolerance_m, preserve_topology=True), dtype=object)


def to_wgs84_geojson(
    frame: gpd.GeoDataFrame,
    columns: Sequence[str],
    *,
    tolerance_m: float = 20.0,
    precision: int = 6,
) -> dict[str, Any]:
    """A light GeoJSON FeatureCollection (EPSG:4326) for web maps.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Polygons in EPSG:27700.
    columns : sequence of str
        Columns to carry as feature properties.
    tolerance_m : float
        Simplification tolerance in metres, applied in British National Grid
        before reprojecting (shared edges stay shared when the polygons form
        a valid coverage). 0 keeps every vertex.
    precision : int
        Decimal places of the lon/lat coordinates (6 is about 0.1 m).

    Returns
    -------
    dict
        A GeoJSON FeatureCollection (json-serialisable).

    Raises
    ------
    planner.errors.DataError
        If ``frame`` is not in EPSG:27700 or a column is missing.
    """
    require_bng(frame)
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise DataError(f"no column {', '.join(map(repr, absent))}", "to_wgs84_geojson")
    simple = _simplify(frame.geometry.to_numpy(), tolerance_m)
    lonlat = gpd.GeoSeries(simple, crs=frame.crs).to_crs(WGS84)
    rounded = shapely.transform(lonlat.to_numpy(), lambda xy: np.round(xy, precision))
    out = gpd.GeoDataFrame(frame[list(columns)].reset_index(drop=True), geometry=rounded, crs=WGS84)
    return dict(json.loads(out.to_json(na="null", drop_id=True)))
