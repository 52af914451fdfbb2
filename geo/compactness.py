"""Ward measurements for compactness: area, perimeter and shared borders (BNG metres).

A team's polygon is the union of its wards, so its area is the sum of their
areas and its perimeter is the sum of their perimeters minus twice the border
they share with each other (exact when neighbouring polygons share vertices,
as the ONS boundary files do). With these three arrays the planner computes
Polsby-Popper compactness, ``4 pi A / P^2``, for any grouping without touching
geometry again.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from geo.projection import require_bng


def ward_shape_arrays(frame: gpd.GeoDataFrame, edges: np.ndarray) -> dict[str, np.ndarray]:
    """Area and perimeter of each ward and the length of border along each edge.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Ward polygons in EPSG:27700, row ``i`` is ward ``i``.
    edges : np.ndarray of int, shape (E, 2)
        Adjacency pairs (queen contiguity).

    Returns
    -------
    dict
        ``area_m2`` (W,), ``perimeter_m`` (W,), ``shared_m`` (E,): the length
        of common boundary of each edge's two wards (0 when they only touch at
        a corner).
    """
    require_bng(frame)
    geoms = np.asarray(frame.geometry.values)
    bounds = shapely.boundary(geoms)
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    shared = np.zeros(len(edges))
    if len(edges):
        common = shapely.intersection(bounds[edges[:, 0]], bounds[edges[:, 1]])
        shared = np.asarray(shapely.length(common), dtype=float)
    return {
        "area_m2": np.asarray(shapely.area(geoms), dtype=float),
        "perimeter_m": np.asarray(shapely.length(bounds), dtype=float),
        "shared_m": shared,
    }


def dissolved_polsby_popper(frame: gpd.GeoDataFrame, group: np.ndarray) -> dict[int, float]:
    """Polsby-Popper of each group's dissolved polygon (a slower check of the arithmetic).

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Ward polygons in EPSG:27700.
    group : np.ndarray of int, shape (W,)
        Group of each ward; negative values are left out.

    Returns
    -------
    dict
        ``{group: 4 pi area / perimeter^2}``.
    """
    require_bng(frame)
    geoms = np.asarray(frame.geometry.values)
    group = np.asarray(group)
    out: dict[int, float] = {}
    for g in np.unique(group[group >= 0]):
        shape = shapely.union_all(geoms[group == g])
        out[int(g)] = float(4 * np.pi * shape.area / shape.length**2) if shape.length > 0 else 0.0
    return out
