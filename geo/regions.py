"""Contiguous regions on a graph by seeded region growing.

Used to group the synthetic city's wards into boroughs and its boroughs into
Basic Command Units. Every region is contiguous by construction (it only ever
grows into a neighbour of one of its members) and sizes are kept similar by
always growing the currently smallest region that can still grow.
"""

from __future__ import annotations

import heapq

import numpy as np


def neighbour_lists(edges: np.ndarray, n: int) -> list[list[int]]:
    """Adjacency lists of ``n`` nodes, each sorted.

    Parameters
    ----------
    edges : np.ndarray of int, shape (E, 2)
    n : int

    Returns
    -------
    list of list of int
    """
    out: list[list[int]] = [[] for _ in range(n)]
    for i, j in np.asarray(edges, dtype=np.int64).reshape(-1, 2).tolist():
        out[i].append(j)
        out[j].append(i)
    return [sorted(nb) for nb in out]


def spread_seeds(xy: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Pick ``k`` well spread nodes by farthest-point sampling.

    Parameters
    ----------
    xy : np.ndarray of float, shape (n, 2)
        Node positions.
    k : int
        Number of seeds, ``1 <= k <= n``.
    rng : numpy.random.Generator
        Chooses the first seed.

    Returns
    -------
    np.ndarray of int64, shape (k,)
        Distinct node indices.
    """
    n = len(xy)
    first = int(rng.integers(n))
    seeds = [first]
    dist = np.hypot(*(xy - xy[first]).T)
    for _ in range(k - 1):
        nxt = int(np.argmax(dist))
        seeds.append(nxt)
        dist = np.minimum(dist, np.hypot(*(xy - xy[nxt]).T))
    return np.array(seeds, dtype=np.int64)


def grow_regions(
    edges: np.ndarray,
    xy: np.ndarray,
    k: int,
    rng: np.random.Generator,
    *,
    size: np.ndarray | None = None,
) -> np.ndarray:
    """Partition a connected graph into ``k`` contiguous regions of similar size.

    Parameters
    ----------
    edges : np.ndarray of int, shape (E, 2)
        Graph edges over nodes ``0..n-1``; the graph must be connected.
    xy : np.ndarray of float, shape (n, 2)
        Node positions: seeds are spread apart and each region grows into the
        frontier node nearest its seed (compact regions).
    k : int
        Number of regions, ``1 <= k <= n``.
    rng : numpy.random.Generator
        Seeded generator (the only source of randomness).
    size : np.ndarray of float, shape (n,), optional
        Node sizes to balance (default 1 per node).

    Returns
    -------
    np.ndarray of int64, shape (n,)
        Region of each node, ``0..k-1`` (region ``r`` grew from seed ``r``).

    Raises
    ------
    ValueError
        If ``k`` is out of range or the graph is not connected.
    """
    xy = np.asarray(xy, dtype=float)
    n = len(xy)
    if not 1 <= k <= n:
        raise ValueError(f"cannot make {k} regions from {n} nodes")
    weight = np.ones(n) if size is None else np.asarray(size, dtype=float)
    nbrs = neighbour_lists(edges, n)
    seeds = spread_seeds(xy, k, rng)
    label = np.full(n, -1, dtype=np.int64)
    label[seeds] = np.arange(k)
    frontier: list[set[int]] = [set(nbrs[s]) for s in seeds]
    tiebreak = rng.permutation(k)
    heap = [(float(weight[s]), int(tiebreak[r]), r) for r, s in enumerate(seeds.tolist())]
    heapq.heapify(heap)
    while heap:
        total, tie, r = heapq.heappop(heap)
        cands = [c for c in frontier[r] if label[c] < 0]
        if not cands:
            continue  # enclosed: this region is complete
        arr = np.array(sorted(cands), dtype=np.int64)
        best = int(arr[np.argmin(np.hypot(*(xy[arr] - xy[seeds[r]]).T))])
        label[best] = r
        frontier[r] = {c for c in cands if c != best} | {c for c in nbrs[best] if label[c] < 0}
        heapq.heappush(heap, (total + float(weight[best]), tie, r))
    if (label < 0).any():
        raise ValueError("the graph is not connected: some nodes cannot be reached from any seed")
    return label
