"""One borough's partition problem, and the one score every method is judged by.

The free wards of a borough (those not in a locked team) are split into ``k``
contiguous teams. Hard rules: every team contiguous, its workload within
``tolerance`` of ``mean`` (the borough's mean team workload, locked teams
included), its supervisees at most ``capacity``. Then, in order: the fewest
sergeants (``sum ceil(supervisees / sergeant_span)``, when a span is given),
the smallest worst deviation counting anything up to ``target`` as perfect,
and the least cut border (sum of edge weights between teams).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from planner.teams.graph import components, neighbour_lists

EPS = 1e-9


@dataclass(frozen=True)
class RegionProblem:
    """Split ``n`` wards into ``k`` contiguous, balanced, compact teams.

    Parameters
    ----------
    edges : np.ndarray of int, shape (e, 2)
        Adjacency between the wards, local ids ``0..n-1``.
    edge_weight : np.ndarray of float, shape (e,)
        Cost of cutting each edge (shared border in metres, or 1).
    load : np.ndarray of float, shape (n,)
        Workload of each ward.
    supervisees : np.ndarray of float, shape (n,)
        Constables plus PCSOs of each ward (an estimate before allocation).
    k : int
        Number of teams.
    mean : float
        Target workload of a team.
    tolerance, target : float
        Hard and soft limits on ``|team load / mean - 1|``.
    capacity : float
        Most supervisees a team may have (``inf`` for none).
    labels : tuple of str
        Ward names for messages, ``"Name (code)"``.
    sergeant_span : float
        When positive, fewer sergeants (``ceil(supervisees / span)`` per team)
        come before balance and compactness; 0 ignores sergeants.
    """

    edges: np.ndarray
    edge_weight: np.ndarray
    load: np.ndarray
    supervisees: np.ndarray
    k: int
    mean: float
    tolerance: float
    target: float
    capacity: float = float("inf")
    labels: tuple[str, ...] = field(default=())
    sergeant_span: float = 0.0

    @property
    def n(self) -> int:
        """Number of wards."""
        return len(self.load)

    @cached_property
    def nbrs(self) -> list[list[int]]:
        """Adjacency lists."""
        return neighbour_lists(self.n, self.edges)

    @cached_property
    def edge_weight_of(self) -> list[dict[int, float]]:
        """``edge_weight_of[i][j]``: weight of edge ``{i, j}``."""
        out: list[dict[int, float]] = [{} for _ in range(self.n)]
        for (i, j), w in zip(self.edges.tolist(), self.edge_weight.tolist()):
            out[i][j] = w
            out[j][i] = w
        return out

    @cached_property
    def components(self) -> list[list[int]]:
        """Connected components of the wards."""
        return components(range(self.n), self.nbrs)

    @cached_property
    def total_weight(self) -> float:
        """Sum of all edge weights (at least 1)."""
        return max(float(self.edge_weight.sum()), 1.0)

    def label(self, i: int) -> str:
        """Ward ``i`` for a message."""
        return self.labels[i] if i < len(self.labels) else f"ward {i}"


@dataclass(frozen=True, order=True)
class Score:
    """Lexicographic quality of a partition; smaller is better.

    ``violation``: how far teams exceed the tolerance, capacity or contiguity
    (0 for an acceptable partition); ``sergeants``: sergeants the teams need
    (0 when not counted); ``balance``: ``max(worst deviation, target)``;
    ``cut``: cut weight.
    """

    violation: float
    sergeants: int
    balance: float
    cut: float

    @property
    def feasible(self) -> bool:
        """True if no hard rule is broken."""
        return self.violation <= EPS


def deviations(problem: RegionProblem, team: np.ndarray) -> np.ndarray:
    """Relative deviation of each team's load from ``problem.mean``, shape (k,)."""
    loads = np.bincount(team, weights=problem.load, minlength=problem.k)
    return np.asarray(loads / problem.mean - 1.0)


def evaluate(problem: RegionProblem, team: np.ndarray) -> Score:
    """Score an assignment ``team`` (shape (n,), values ``0..k-1``), from scratch.

    Contiguity is recomputed from the edges: a team in several pieces adds one
    unit of violation per extra piece, an empty team one unit.
    """
    team = np.asarray(team, dtype=np.int64)
    k = problem.k
    dev = deviations(problem, team)
    sup = np.bincount(team, weights=problem.supervisees, minlength=k)
    violation = float(np.maximum(np.abs(dev) - problem.tolerance, 0).sum())
    if np.isfinite(problem.capacity):
        violation += float(np.maximum(sup - problem.capacity, 0).sum() / max(problem.capacity, 1.0))
    for t in range(k):
        members = np.flatnonzero(team == t).tolist()
        pieces = len(components(members, problem.nbrs)) if members else 2
        violation += pieces - 1
    cut = 0.0
    if len(problem.edges):
        mask = team[problem.edges[:, 0]] != team[problem.edges[:, 1]]
        cut = float(problem.edge_weight[mask].sum())
    worst = float(np.abs(dev).max()) if k else 0.0
    sergeants = count_sergeants(sup, problem.sergeant_span)
    return Score(round(violation, 9), sergeants, round(max(worst, problem.target), 9), round(cut, 6))


def count_sergeants(supervisees: np.ndarray, span: float) -> int:
    """``sum ceil(supervisees / span)`` (at least one per team); 0 when ``span`` is 0."""
    if span <= 0:
        return 0
    return int(np.maximum(np.ceil(np.asarray(supervisees) / span - 1e-9), 1).sum())
