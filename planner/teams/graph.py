"""Contiguity on the ward adjacency graph, checked from the edges themselves.

Everything here works on plain integer node ids and an ``(E, 2)`` edge array;
nothing assumes a result is contiguous because an algorithm said so.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence

import numpy as np


def neighbour_lists(n: int, edges: np.ndarray) -> list[list[int]]:
    """Adjacency lists of nodes ``0..n-1`` (each undirected edge both ways)."""
    out: list[list[int]] = [[] for _ in range(n)]
    for i, j in np.asarray(edges, dtype=np.int64).reshape(-1, 2):
        out[int(i)].append(int(j))
        out[int(j)].append(int(i))
    return out


def components(nodes: Iterable[int], nbrs: Sequence[Sequence[int]]) -> list[list[int]]:
    """Connected components of the subgraph induced by ``nodes``.

    Returns
    -------
    list of list of int
        Each component sorted, components ordered by their smallest node.
    """
    inside = set(int(v) for v in nodes)
    seen: set[int] = set()
    out: list[list[int]] = []
    for start in sorted(inside):
        if start in seen:
            continue
        seen.add(start)
        comp = [start]
        queue = deque([start])
        while queue:
            u = queue.popleft()
            for v in nbrs[u]:
                if v in inside and v not in seen:
                    seen.add(v)
                    comp.append(v)
                    queue.append(v)
        out.append(sorted(comp))
    return out


def is_connected(nodes: Iterable[int], nbrs: Sequence[Sequence[int]]) -> bool:
    """True if the induced subgraph on ``nodes`` is non-empty and connected."""
    nodes = list(nodes)
    return bool(nodes) and len(components(nodes, nbrs)) == 1


def connected_without(members: set[int], removed: int, nbrs: Sequence[Sequence[int]]) -> bool:
    """True if ``members - {removed}`` is non-empty and connected (a fast BFS)."""
    rest = len(members) - 1
    if rest <= 0:
        return False
    start = next(v for v in members if v != removed)
    seen = {start}
    stack = [start]
    while stack:
        u = stack.pop()
        for v in nbrs[u]:
            if v != removed and v in members and v not in seen:
                seen.add(v)
                stack.append(v)
    return len(seen) == rest


def split_groups(group: np.ndarray, edges: np.ndarray) -> dict[int, list[list[int]]]:
    """Groups (labels >= 0) whose members do not form one connected piece.

    Parameters
    ----------
    group : np.ndarray of int, shape (N,)
        Group label of each node; -1 means "in no group" and is ignored.
    edges : np.ndarray of int, shape (E, 2)
        The adjacency graph.

    Returns
    -------
    dict
        ``{label: [piece, piece, ...]}`` for every disconnected group, each
        piece a sorted list of node ids. Empty when every group is contiguous.
    """
    group = np.asarray(group)
    nbrs = neighbour_lists(len(group), edges)
    out: dict[int, list[list[int]]] = {}
    for label in np.unique(group[group >= 0]):
        pieces = components(np.flatnonzero(group == label).tolist(), nbrs)
        if len(pieces) > 1:
            out[int(label)] = pieces
    return out


def cut_mask(group: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Boolean mask of the edges whose ends are in different groups."""
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    group = np.asarray(group)
    return np.asarray(group[edges[:, 0]] != group[edges[:, 1]])


def local_edges(nodes: Sequence[int], edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Edges of the subgraph induced by ``nodes``, renumbered ``0..len(nodes)-1``.

    Returns
    -------
    local : np.ndarray of int, shape (e, 2)
        Renumbered edges, ``i < j``.
    index : np.ndarray of int, shape (e,)
        Row of each local edge in ``edges``.
    """
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    pos = {int(v): k for k, v in enumerate(nodes)}
    rows, pairs = [], []
    for row, (i, j) in enumerate(edges):
        a, b = pos.get(int(i)), pos.get(int(j))
        if a is not None and b is not None:
            rows.append(row)
            pairs.append((min(a, b), max(a, b)))
    local = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    return local, np.array(rows, dtype=np.int64)
