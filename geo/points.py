"""Point figures (station footfall) onto wards, in British National Grid metres.

:func:`point_load` gives each point's value to the ward it stands in;
:func:`radius_load` spreads it over the wards within a walking radius, in
proportion to the area of the circle that falls in each ward. Either way the
answer is one figure per ward (row order of the ward layer) plus the ward each
point stands in. A point inside no ward (outside the area planned) gives
nothing to any ward; the caller reports it.

Containment is exact (no snapping): a point on the shared boundary of two
wards goes to the first of them in layer order. With ``radius_load`` the part
of a circle outside every ward (the Thames, land outside the area) is left out
and the rest is rescaled, so a station's whole value stays with the wards
planned around it: the two methods give the same total.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from geo.projection import require_bng

QUAD_SEGMENTS = 16
"""Segments per quarter circle of the radius discs (area within 0.2 % of the true circle)."""


@dataclass(frozen=True, eq=False)
class PointLoad:
    """Point values summed onto wards.

    Attributes
    ----------
    per_ward : np.ndarray of float, shape (W,)
        Sum of the values given to each ward.
    ward : np.ndarray of int, shape (P,)
        Index of the ward each point stands in, -1 for a point inside no ward.
    """

    per_ward: np.ndarray
    ward: np.ndarray


def _check(frame: gpd.GeoDataFrame, x: np.ndarray, y: np.ndarray, value: np.ndarray) -> None:
    require_bng(frame, "ward layer")
    if not (len(x) == len(y) == len(value)):
        raise ValueError(f"x, y and value must have the same length, got {len(x)}, {len(y)}, {len(value)}")
    bad = ~(np.isfinite(x) & np.isfinite(y) & np.isfinite(value)) | (value < 0)
    if bad.any():
        raise ValueError(f"{int(bad.sum())} point(s) with a missing coordinate or a negative or missing value")


def containing_ward(frame: gpd.GeoDataFrame, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Index of the ward each point stands in (first in layer order on a boundary), -1 if none.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Ward polygons in EPSG:27700.
    x, y : np.ndarray of float, shape (P,)
        Easting and northing, metres.

    Returns
    -------
    np.ndarray of int64, shape (P,)
    """
    require_bng(frame, "ward layer")
    points = shapely.points(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    tree = shapely.STRtree(frame.geometry.to_numpy())
    pts, wards = tree.query(points, predicate="intersects")
    out = np.full(len(points), -1, dtype=np.int64)
    order = np.lexsort((wards, pts))  # by point, then ward: the first ward of each point wins
    pts, wards = pts[order], wards[order]
    first = np.ones(len(pts), dtype=bool)
    first[1:] = pts[1:] != pts[:-1]
    out[pts[first]] = wards[first]
    return out


def point_load(frame: gpd.GeoDataFrame, x: np.ndarray, y: np.ndarray, value: np.ndarray) -> PointLoad:
    """Give each point's value to the ward it stands in.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Ward polygons in EPSG:27700; row ``i`` is ward ``i``.
    x, y : np.ndarray of float, shape (P,)
        Easting and northing of each point, metres (finite).
    value : np.ndarray of float, shape (P,)
        Each point's value (finite, ``>= 0``).

    Returns
    -------
    PointLoad

    Raises
    ------
    ValueError
        Arrays of different lengths, a missing coordinate, a negative or missing value.
    """
    x, y, value = (np.asarray(a, dtype=float) for a in (x, y, value))
    _check(frame, x, y, value)
    ward = containing_ward(frame, x, y)
    inside = ward >= 0
    per_ward = np.bincount(ward[inside], weights=value[inside], minlength=len(frame)).astype(float)
    return PointLoad(per_ward, ward)


def radius_load(frame: gpd.GeoDataFrame, x: np.ndarray, y: np.ndarray, value: np.ndarray, radius_m: float) -> PointLoad:
    """Spread each point's value over the wards within ``radius_m``, by area of the circle in each.

    Only points that stand in a ward are spread; the share of a circle
    outside every ward is left out and the rest rescaled, so each such
    point's whole value is given to the wards.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Ward polygons in EPSG:27700; row ``i`` is ward ``i``.
    x, y, value : np.ndarray of float, shape (P,)
        As for :func:`point_load`.
    radius_m : float
        Walking radius, metres (``> 0``).

    Returns
    -------
    PointLoad
    """
    if not (np.isfinite(radius_m) and radius_m > 0):
        raise ValueError(f"radius_m must be a positive number of metres, got {radius_m}")
    x, y, value = (np.asarray(a, dtype=float) for a in (x, y, value))
    _check(frame, x, y, value)
    ward = containing_ward(frame, x, y)
    inside = np.flatnonzero(ward >= 0)
    per_ward = np.zeros(len(frame))
    if len(inside) == 0:
        return PointLoad(per_ward, ward)
    geoms = frame.geometry.to_numpy()
    discs = shapely.buffer(shapely.points(x[inside], y[inside]), radius_m, quad_segs=QUAD_SEGMENTS)
    pts, wards = shapely.STRtree(geoms).query(discs, predicate="intersects")
    area = shapely.area(shapely.intersection(discs[pts], geoms[wards]))
    total = np.bincount(pts, weights=area, minlength=len(inside))
    share = area / total[pts]  # every disc holds its own point's ward, so total > 0
    np.add.at(per_ward, wards, value[inside][pts] * share)
    return PointLoad(per_ward, ward)
