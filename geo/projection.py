"""Coordinate reference systems: everything is measured in British National Grid metres.

Boundary files arrive in lon/lat (GeoJSON is always EPSG:4326 by RFC 7946) or
in BNG. :func:`to_bng` insists that a file declares its CRS and reprojects it
to EPSG:27700, so that areas, distances, centroids and tolerances downstream
are in metres, never degrees.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from planner.errors import DataError

#: The British National Grid, the one CRS every measurement is made in.
BNG = "EPSG:27700"
#: Lon/lat (WGS84), the CRS of GeoJSON and web maps.
WGS84 = "EPSG:4326"

_NO_CRS = "has no CRS; set one, e.g. EPSG:4326 for lon/lat GeoJSON"


def is_bng(crs: object) -> bool:
    """Whether ``crs`` is the British National Grid (EPSG:27700).

    Parameters
    ----------
    crs : pyproj.CRS or None
        A CRS as held by ``GeoDataFrame.crs``.

    Returns
    -------
    bool
    """
    if crs is None:
        return False
    to_epsg = getattr(crs, "to_epsg", None)
    return bool(to_epsg is not None and to_epsg() == 27700)


def to_bng(gdf: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    """Return ``gdf`` in EPSG:27700, refusing data without a CRS.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Geometries as read from a file.
    source : str
        The file (or object) they came from, named in any error.

    Returns
    -------
    geopandas.GeoDataFrame
        The same rows in British National Grid metres (``gdf`` itself when it
        already is).

    Raises
    ------
    planner.errors.DataError
        If ``gdf`` has no CRS, if lon/lat coordinates are out of range (a file
        holding metres but declaring EPSG:4326, typically GeoJSON written
        without a ``crs`` member), or if reprojection gives non-finite
        coordinates.
    """
    if gdf.crs is None:
        raise DataError(_NO_CRS, source=source)
    if is_bng(gdf.crs):
        return gdf
    if gdf.crs.is_geographic and len(gdf):
        xmin, ymin, xmax, ymax = gdf.total_bounds
        if xmin < -180 or xmax > 180 or ymin < -90 or ymax > 90:
            raise DataError(
                f"declares the lon/lat CRS {gdf.crs.to_string()} but its coordinates "
                f"(x {xmin:,.0f} to {xmax:,.0f}, y {ymin:,.0f} to {ymax:,.0f}) are not degrees; "
                "if they are British National Grid metres, declare EPSG:27700 "
                '(in GeoJSON: "crs": {"type": "name", "properties": {"name": "EPSG:27700"}})',
                source=source,
            )
    out = gdf.to_crs(BNG)
    coords = shapely.get_coordinates(out.geometry.values)
    if len(coords) and not np.isfinite(coords).all():
        raise DataError(
            f"reprojecting from {gdf.crs.to_string()} to {BNG} gave non-finite coordinates; "
            "check that the declared CRS matches the coordinates",
            source=source,
        )
    return out


def require_bng(gdf: gpd.GeoDataFrame, what: str = "ward layer") -> None:
    """Raise unless ``gdf`` is in EPSG:27700 (used before measuring anything).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The frame about to be measured.
    what : str
        How to name it in the error.

    Raises
    ------
    planner.errors.DataError
        If the CRS is missing or not EPSG:27700.
    """
    if not is_bng(gdf.crs):
        found = "no CRS" if gdf.crs is None else gdf.crs.to_string()
        raise DataError(
            f"must be in {BNG} (British National Grid metres) but has {found}; pass it through geo.to_bng first",
            source=what,
        )
