"""Helpers for the team tests: hand-made ward grids, a brute-force oracle, independent checks.

Nothing here uses the team code's own contiguity or span logic: contiguity is
rechecked with networkx from the adjacency edges, spans with plain arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import networkx as nx
import numpy as np

from planner.inputs.data import WardData
from planner.teams.problem import RegionProblem, Score, evaluate


def grid_edges(rows: int, cols: int, queen: bool = False) -> np.ndarray:
    """Edges of a rows x cols grid (rook, or queen with diagonals), node = r * cols + c."""
    out = []
    for r in range(rows):
        for c in range(cols):
            v = r * cols + c
            if c + 1 < cols:
                out.append((v, v + 1))
            if r + 1 < rows:
                out.append((v, v + cols))
            if queen and r + 1 < rows:
                if c + 1 < cols:
                    out.append((v, v + cols + 1))
                if c > 0:
                    out.append((v, v + cols - 1))
    return np.array(sorted((min(a, b), max(a, b)) for a, b in out), dtype=np.int64)


def make_wards(
    rows: int = 6,
    cols: int = 6,
    borough_cols: tuple[int, ...] = (3, 3),
    need: np.ndarray | None = None,
    edges: np.ndarray | None = None,
    seed: int = 3,
) -> WardData:
    """A grid of wards split into boroughs by column bands (queen adjacency)."""
    n = rows * cols
    band = np.repeat(np.arange(len(borough_cols)), borough_cols)
    borough = np.array([band[v % cols] for v in range(n)])
    if need is None:
        need = np.random.default_rng(seed).uniform(0.6, 1.6, n)
    nb = len(borough_cols)
    return WardData(
        codes=np.array([f"E05{v:06d}" for v in range(n)]),
        names=np.array([f"Ward {v}" for v in range(n)]),
        borough=borough,
        borough_codes=np.array([f"E09{b:06d}" for b in range(nb)]),
        borough_names=np.array([f"Borough {b}" for b in range(nb)]),
        borough_bcu=np.array(["Test BCU"] * nb),
        demand=need,
        harm=need,
        population=np.full(n, 10_000.0),
        need=need,
        edges=grid_edges(rows, cols, queen=True) if edges is None else edges,
        area_km2=np.ones(n),
        x=np.array([v % cols for v in range(n)], dtype=float),
        y=np.array([v // cols for v in range(n)], dtype=float),
    )


def grid_shapes(rows: int, cols: int, edges: np.ndarray) -> dict[str, np.ndarray]:
    """Unit squares: area 1e6 m2, perimeter 4 km, 1 km shared per rook edge, 0 per diagonal."""
    n = rows * cols
    shared = np.array([1000.0 if (b - a == 1 or b - a == cols) else 0.0 for a, b in edges.tolist()])
    return {"area_m2": np.full(n, 1e6), "perimeter_m": np.full(n, 4000.0), "shared_m": shared}


def set_partitions(n: int, k: int) -> Iterator[np.ndarray]:
    """Every assignment of ``n`` nodes to exactly ``k`` unlabelled blocks (restricted growth strings)."""

    def rec(i: int, labels: list[int], used: int) -> Iterator[np.ndarray]:
        if n - i < k - used:
            return
        if i == n:
            if used == k:
                yield np.array(labels, dtype=np.int64)
            return
        for t in range(min(used + 1, k)):
            labels.append(t)
            yield from rec(i + 1, labels, max(used, t + 1))
            labels.pop()

    yield from rec(0, [], 0)


def contiguous(n: int, edges: np.ndarray, team: np.ndarray) -> bool:
    """Every team connected, checked with networkx from the edges."""
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(edges.tolist())
    return all(nx.is_connected(g.subgraph(np.flatnonzero(team == t).tolist())) for t in np.unique(team))


def oracle(problem: RegionProblem) -> tuple[Score | None, list[np.ndarray]]:
    """Best score over all contiguous partitions meeting the hard rules, and every partition achieving it."""
    best: Score | None = None
    winners: list[np.ndarray] = []
    for team in set_partitions(problem.n, problem.k):
        if not contiguous(problem.n, problem.edges, team):
            continue
        score = evaluate(problem, team)
        if not score.feasible:
            continue
        if best is None or score < best:
            best, winners = score, [team]
        elif score == best:
            winners.append(team)
    return best, winners


def check_design(design) -> None:
    """Recompute every rule of a TeamDesign independently."""
    w = design.wards
    team_of = design.team_of
    assert (team_of >= 0).all() and team_of.max() == design.n_teams - 1
    g = nx.Graph()
    g.add_nodes_from(range(w.n_wards))
    g.add_edges_from(w.edges.tolist())
    span_s = design.supervision.sergeant_span
    cap_i = math.floor(design.supervision.inspector_span + 1e-9)
    inspector_load: dict[str, float] = {}
    for t in range(design.n_teams):
        members = np.flatnonzero(team_of == t)
        assert len(members) > 0
        assert nx.is_connected(g.subgraph(members.tolist())), design.team_ids[t]
        assert len(set(w.borough[members].tolist())) == 1
        sup = float(design.supervisees[t])
        assert design.sergeants[t] == max(math.ceil(sup / span_s - 1e-9), 1)
        assert sup <= design.sergeants[t] * span_s + 1e-6
        for ident in design.inspectors[t]:
            inspector_load[ident] = inspector_load.get(ident, 0.0) + design.sergeants[t] / len(design.inspectors[t])
    assert all(v <= cap_i + 1e-9 for v in inspector_load.values())
    for b in np.unique(design.team_borough):
        teams = np.flatnonzero(design.team_borough == b)
        loads = design.load[teams]
        mean = loads.sum() / len(teams)
        free = ~design.team_locked[teams]
        assert (np.abs(loads[free] / mean - 1) <= design.spec.tolerance + 1e-9).all()
    assert len(set(design.team_ids)) == design.n_teams


def all_small_partitions(n: int, k: int) -> int:
    """Stirling number of the second kind (to size the oracle)."""
    return sum((-1) ** j * math.comb(k, j) * (k - j) ** n for j in range(k + 1)) // math.factorial(k)


__all__ = ["check_design", "contiguous", "grid_edges", "grid_shapes", "make_wards", "oracle"]
