"""Ward adjacency (queen contiguity) and per-ward measurements, in BNG metres.

Two wards are neighbours when their polygons share at least one boundary
point (queen contiguity: a shared edge or just a corner). Nothing is guessed:
the May 2022 ONS boundaries stop at the banks of the tidal Thames, so wards on
opposite banks do not touch and are not neighbours; above Teddington the
non-tidal river is inside the ward polygons and wards across it do touch.
A small snapping tolerance (metres) can bridge digitising slivers between
files that do not share vertices, but it is 0 by default and should stay far
below the width of a river (the tidal Thames is 200-700 m wide).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from geo.projection import require_bng


def queen_edges(frame: gpd.GeoDataFrame, *, tolerance_m: float = 0.0) -> np.ndarray:
    """Queen-contiguity edges between the rows of ``frame``.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Polygons in EPSG:27700; row ``i`` is node ``i``.
    tolerance_m : float
        Snapping tolerance in metres: polygons closer than this count as
        touching. 0 (default) means an exact shared point is required.

    Returns
    -------
    np.ndarray of int64, shape (E, 2)
        Each neighbouring pair once, ``i < j``, sorted lexicographically.

    Raises
    ------
    planner.errors.DataError
        If ``frame`` is not in EPSG:27700.
    ValueError
        If ``tolerance_m`` is negative.
    """
    require_bng(frame)
    if tolerance_m < 0:
        raise ValueError(f"tolerance_m must be >= 0 metres, got {tolerance_m}")
    geoms = frame.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    if tolerance_m > 0:
        left, right = tree.query(geoms, predicate="dwithin", distance=tolerance_m)
    else:
        left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    edges = np.column_stack([left[keep], right[keep]]).astype(np.int64)
    if len(edges) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    order = np.lexsort((edges[:, 1], edges[:, 0]))
    return np.ascontiguousarray(edges[order])


def degree(edges: np.ndarray, n: int) -> np.ndarray:
    """Number of neighbours of each of ``n`` nodes.

    Parameters
    ----------
    edges : np.ndarray of int, shape (E, 2)
    n : int

    Returns
    -------
    np.ndarray of int64, shape (n,)
    """
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    return np.bincount(edges.ravel(), minlength=n).astype(np.int64)


def islands(edges: np.ndarray, n: int) -> list[int]:
    """Nodes with no neighbour.

    Parameters
    ----------
    edges : np.ndarray of int, shape (E, 2)
    n : int
        Number of nodes.

    Returns
    -------
    list of int
        Sorted indices of the isolated nodes.
    """
    return [int(i) for i in np.flatnonzero(degree(edges, n) == 0)]


def components(edges: np.ndarray, n: int) -> np.ndarray:
    """Connected component of each node.

    Parameters
    ----------
    edges : np.ndarray of int, shape (E, 2)
    n : int
        Number of nodes.

    Returns
    -------
    np.ndarray of int64, shape (n,)
        Component labels ``0..k-1``, numbered in order of each component's
        first node, so node 0 is in component 0; ``labels.max() + 1`` is the
        number of components.
    """
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    graph = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    _, raw = connected_components(graph, directed=False)
    _, first = np.unique(raw, return_index=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first)] = np.arange(len(first))
    return rank[raw]


def split_groups(edges: np.ndarray, group: np.ndarray) -> list[Any]:
    """Groups (boroughs, BCUs, teams) whose wards are not contiguous.

    Parameters
    ----------
    edges : np.ndarray of int, shape (E, 2)
        Ward adjacency.
    group : array-like, shape (W,)
        Group label of each ward.

    Returns
    -------
    list
        Sorted labels of the groups that fall into more than one piece.
    """
    group = np.asarray(group)
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    inside = edges[group[edges[:, 0]] == group[edges[:, 1]]]
    labels = components(inside, len(group))
    pieces: dict[Any, set[int]] = {}
    for g, lab in zip(group.tolist(), labels.tolist()):
        pieces.setdefault(g, set()).add(lab)
    return sorted(g for g, labs in pieces.items() if len(labs) > 1)


def ward_arrays(frame: gpd.GeoDataFrame) -> dict[str, np.ndarray]:
    """Area and centroid of each ward, in British National Grid units.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Ward polygons in EPSG:27700.

    Returns
    -------
    dict of str to np.ndarray of float64, shape (W,)
        ``area_km2`` (km²), ``x`` and ``y`` (centroid easting / northing, m).
    """
    require_bng(frame)
    geoms = frame.geometry.to_numpy()
    cent = shapely.centroid(geoms)
    return {
        "area_km2": np.asarray(shapely.area(geoms), dtype=np.float64) / 1e6,
        "x": np.asarray(shapely.get_x(cent), dtype=np.float64),
        "y": np.asarray(shapely.get_y(cent), dtype=np.float64),
    }
