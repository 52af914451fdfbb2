"""The heuristic and the CP-SAT model against a brute-force oracle, on grids and random planar graphs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.spatial import Delaunay
from test_teams_support import contiguous, grid_edges, oracle

from planner.teams.exact import canonical, solve_exact
from planner.teams.graph import components, connected_without, local_edges, neighbour_lists, split_groups
from planner.teams.heuristic import allocate_teams, solve_heuristic
from planner.teams.problem import RegionProblem, evaluate


def problem(edges, load, k, tol=0.15, target=0.0, sup=None, span=0.0, weight=None) -> RegionProblem:
    load = np.asarray(load, dtype=float)
    return RegionProblem(
        edges=np.asarray(edges, dtype=np.int64),
        edge_weight=np.ones(len(edges)) if weight is None else np.asarray(weight, dtype=float),
        load=load,
        supervisees=load if sup is None else np.asarray(sup, dtype=float),
        k=k,
        mean=float(load.sum()) / k,
        tolerance=tol,
        target=target,
        sergeant_span=span,
    )


# ------------------------------------------------------------------- graph helpers


def test_graph_helpers_on_a_path_and_a_cycle() -> None:
    path = np.array([[0, 1], [1, 2], [2, 3]])
    nbrs = neighbour_lists(4, path)
    assert components([0, 1, 3], nbrs) == [[0, 1], [3]]
    assert connected_without({0, 1, 2}, 0, nbrs)
    assert not connected_without({0, 1, 2}, 1, nbrs)
    assert not connected_without({2}, 2, nbrs)
    assert split_groups(np.array([0, 1, 0, 1]), path) == {0: [[0], [2]], 1: [[1], [3]]}
    assert split_groups(np.array([0, 0, 1, 1]), path) == {}
    local, rows = local_edges([3, 2, 1], path)
    assert local.tolist() == [[1, 2], [0, 1]] and rows.tolist() == [1, 2]


def test_allocate_teams_between_pieces() -> None:
    assert allocate_teams([5, 5], [10.0, 30.0], 4) == [1, 3]
    assert allocate_teams([1, 9], [10.0, 10.0], 4) == [1, 3]  # never more teams than wards


# ------------------------------------------------------------- known optimum


def test_four_by_four_grid_splits_into_four_squares() -> None:
    """Uniform 4x4 grid into 4 teams: the optimum is four 2x2 blocks (8 cut edges, perfect balance)."""
    p = problem(grid_edges(4, 4), np.ones(16), 4, tol=0.0)
    heur = solve_heuristic(p, seed=5)
    assert heur.score.feasible and heur.score.cut == 8 and heur.score.balance == 0
    exact = solve_exact(p, seed=5, time_limit=10, hint=heur.team, workers=1)
    assert exact.balance_status == "optimal" and exact.cut_status == "optimal"
    assert exact.cut == pytest.approx(8) and exact.cut_bound == pytest.approx(8)
    assert exact.team is not None
    for team in (heur.team, exact.team):
        assert contiguous(16, p.edges, team)
        blocks = {frozenset(np.flatnonzero(team == t).tolist()) for t in range(4)}
        squares = [{0, 1, 4, 5}, {2, 3, 6, 7}, {8, 9, 12, 13}, {10, 11, 14, 15}]
        assert blocks == {frozenset(s) for s in squares}


def test_small_grid_matches_brute_force_oracle() -> None:
    rng = np.random.default_rng(11)
    edges = grid_edges(3, 3, queen=True)
    load = rng.integers(1, 6, 9).astype(float)
    p = problem(edges, load, 3, tol=0.3, target=0.0)
    best, winners = oracle(p)
    assert best is not None
    exact = solve_exact(p, seed=1, time_limit=20, workers=1)
    assert exact.balance_status == "optimal" and exact.cut_status == "optimal"
    assert exact.team is not None
    assert evaluate(p, exact.team) == best
    assert any((canonical(exact.team) == canonical(w)).all() for w in winners)
    heur = solve_heuristic(p, seed=1, restarts=30)
    assert evaluate(p, heur.team) == best


def test_sergeants_come_before_balance() -> None:
    """With a sergeant span, the split needing the fewest sergeants wins even if less balanced."""
    edges = grid_edges(2, 3)
    load = np.array([4.0, 4.0, 4.0, 4.0, 5.0, 3.0])  # supervisees; span 8
    p = problem(edges, load, 3, tol=0.5, target=0.0, span=8.0)
    best, _ = oracle(p)
    assert best is not None and best.sergeants == 3
    exact = solve_exact(p, seed=2, time_limit=10, workers=1)
    assert exact.team is not None
    assert evaluate(p, exact.team) == best and exact.sergeants == 3 and exact.sergeants_bound == 3
    assert evaluate(p, solve_heuristic(p, seed=2).team) == best


def test_infeasible_tolerance_is_proven() -> None:
    p = problem(grid_edges(1, 4), [10.0, 1.0, 1.0, 1.0], 2, tol=0.15)
    assert oracle(p)[0] is None
    exact = solve_exact(p, seed=0, time_limit=5, workers=1)
    assert exact.balance_status == "infeasible" and exact.team is None
    heur = solve_heuristic(p, seed=0)
    assert not heur.score.feasible and contiguous(4, p.edges, heur.team)


def test_contiguity_blocks_balanced_but_split_teams() -> None:
    """A path 2-1-1-2 into 2 teams of 3: only {0,1},{2,3} is contiguous; balanced splits are not."""
    p = problem(grid_edges(1, 4), [2.0, 1.0, 1.0, 2.0], 2, tol=0.0)
    best, winners = oracle(p)
    assert best is not None and len(winners) == 1
    exact = solve_exact(p, seed=0, time_limit=5, workers=1)
    assert exact.team is not None
    assert canonical(exact.team).tolist() == [0, 0, 1, 1]


def test_same_seed_same_teams() -> None:
    rng = np.random.default_rng(4)
    p = problem(grid_edges(4, 4, queen=True), rng.uniform(0.5, 2, 16), 4, target=0.05)
    a = solve_heuristic(p, seed=9)
    b = solve_heuristic(p, seed=9)
    assert (a.team == b.team).all()
    ea = solve_exact(p, seed=9, time_limit=0.5, hint=a.team, workers=1)
    eb = solve_exact(p, seed=9, time_limit=0.5, hint=a.team, workers=1)
    assert ea.team is not None
    assert (ea.team == eb.team).all()


def test_start_assignment_is_extended() -> None:
    p = problem(grid_edges(4, 4), np.ones(16), 4, tol=0.5, target=0.5)
    start = np.full(16, -1)
    start[[0, 1, 2, 3]] = 0  # the top row as one team
    res = solve_heuristic(p, seed=1, restarts=1, perturbations=0, start=start)
    assert contiguous(16, p.edges, res.team)


# ------------------------------------------------------------ property tests


@st.composite
def planar_instances(draw):
    n = draw(st.integers(5, 9))
    seed = draw(st.integers(0, 10_000))
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 1, (n, 2))
    tri = Delaunay(pts)
    pairs = {tuple(sorted((int(s[a]), int(s[b])))) for s in tri.simplices for a, b in ((0, 1), (1, 2), (0, 2))}
    edges = np.array(sorted(pairs), dtype=np.int64)
    keep = rng.uniform(size=len(edges)) > draw(st.sampled_from([0.0, 0.2, 0.4]))  # thin it: maybe disconnected
    edges = edges[keep] if keep.any() else edges[:1]
    k = draw(st.integers(2, 3))
    load = rng.integers(1, 6, n).astype(float)
    return problem(edges, load, k, tol=0.401, target=0.401)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(planar_instances())
def test_random_planar_graphs_against_oracle(p: RegionProblem) -> None:
    best, _ = oracle(p)
    heur = solve_heuristic(p, seed=3, restarts=6)
    # the heuristic always returns a full assignment of k teams, each grown along edges
    assert sorted(set(heur.team.tolist())) == list(range(p.k)) or len(p.components) > p.k
    if len(p.components) <= p.k:
        assert contiguous(p.n, p.edges, heur.team)
    exact = solve_exact(p, seed=3, time_limit=10, workers=1)
    if best is None:
        assert exact.balance_status == "infeasible"
        assert not heur.score.feasible
        return
    assert exact.balance_status == "optimal" and exact.cut_status == "optimal"
    assert exact.team is not None
    assert contiguous(p.n, p.edges, exact.team)
    assert evaluate(p, exact.team) == best
    assert evaluate(p, heur.team) >= best
