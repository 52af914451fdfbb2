"""Seeded region growing plus contiguity-keeping local search (an AZP-style heuristic).

Each restart grows ``k`` teams from spread-out seeds (farthest-first on the
graph, like k-means++), always extending the lightest team by the
neighbouring ward that shares most of its border with it. A local search then
moves boundary wards between adjacent teams and swaps pairs of wards across a
boundary, accepting only changes that keep both teams contiguous (checked by a
search of the graph on every move) and lower the penalty

    1e6 * (excess over tolerance + excess over capacity)
    + 1e4 * sergeants (when counted: ceil(supervisees / span) per team)
    + 1e3 * sum over teams of (excess of |deviation| over target)
    + cut border / total border.

Perturbation rounds (random contiguity-keeping moves, then local search again)
escape local optima. Everything random comes from one seeded generator: the
same seed gives the same teams.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass

import numpy as np

from planner.teams.graph import components, connected_without
from planner.teams.problem import RegionProblem, Score, evaluate

BIG = 1e6
SGT = 1e4
MID = 1e3
_EPS = 1e-9


@dataclass(frozen=True)
class HeuristicResult:
    """Best assignment found, its score, and how the search went."""

    team: np.ndarray
    score: Score
    restarts: int
    seconds: float
    stopped_by_time: bool


def allocate_teams(sizes: list[int], loads: list[float], k: int) -> list[int]:
    """Share ``k`` teams between connected components (at least one each).

    Extra teams go one at a time to the component with the heaviest load per
    team (D'Hondt), never more teams than wards.
    """
    count = [1] * len(sizes)
    for _ in range(k - len(sizes)):
        best, best_q = -1, -1.0
        for c, (size, load) in enumerate(zip(sizes, loads)):
            if count[c] < size and load / count[c] > best_q:
                best, best_q = c, load / count[c]
        if best < 0:
            break
        count[best] += 1
    return count


class _State:
    """A mutable assignment with incremental loads, supervisees, link weights and cut weight."""

    def __init__(self, problem: RegionProblem, team: np.ndarray) -> None:
        self.p = problem
        self.team: list[int] = [int(t) for t in team]
        k = problem.k
        self.wl: list[float] = problem.load.tolist()
        self.ws: list[float] = problem.supervisees.tolist()
        self.inv_mean = 1.0 / problem.mean
        self.cap = float(problem.capacity)
        self.has_cap = bool(np.isfinite(problem.capacity))
        self.inv_cap = 1.0 / max(self.cap, 1.0) if self.has_cap else 0.0
        self.tol, self.target = float(problem.tolerance), float(problem.target)
        self.inv_total = 1.0 / problem.total_weight
        self.span = float(problem.sergeant_span)
        self.members: list[set[int]] = [set() for _ in range(k)]
        self.load = [0.0] * k
        self.sup = [0.0] * k
        for i, t in enumerate(self.team):
            self.members[t].add(i)
            self.load[t] += self.wl[i]
            self.sup[t] += self.ws[i]
        # links[i][t]: border weight between ward i and the wards of team t
        self.links: list[dict[int, float]] = [{} for _ in range(problem.n)]
        self.cut = 0.0
        for i, row in enumerate(problem.edge_weight_of):
            for j, w in row.items():
                t = self.team[j]
                self.links[i][t] = self.links[i].get(t, 0.0) + w
                if i < j and t != self.team[i]:
                    self.cut += w
        self.pens = [self.pen(lo, s) for lo, s in zip(self.load, self.sup)]

    def pen(self, load: float, sup: float) -> float:
        dev = abs(load * self.inv_mean - 1.0)
        hard = dev - self.tol if dev > self.tol else 0.0
        if self.has_cap and sup > self.cap:
            hard += (sup - self.cap) * self.inv_cap
        soft = dev - self.target if dev > self.target else 0.0
        if self.span > 0:
            return BIG * hard + SGT * max(math.ceil(sup / self.span - 1e-9), 1) + MID * soft
        return BIG * hard + MID * soft

    def value(self) -> float:
        return sum(self.pens) + self.cut * self.inv_total

    def link(self, i: int, t: int) -> float:
        """Border weight between ward ``i`` and team ``t``."""
        return self.links[i].get(t, 0.0)

    def move_delta(self, i: int, b: int) -> float:
        a = self.team[i]
        wl, ws = self.wl[i], self.ws[i]
        after = self.pen(self.load[a] - wl, self.sup[a] - ws) + self.pen(self.load[b] + wl, self.sup[b] + ws)
        dcut = self.link(i, a) - self.link(i, b)
        return after - self.pens[a] - self.pens[b] + dcut * self.inv_total

    def can_move(self, i: int) -> bool:
        return connected_without(self.members[self.team[i]], i, self.p.nbrs)

    def apply_move(self, i: int, b: int) -> None:
        a = self.team[i]
        self.cut += self.link(i, a) - self.link(i, b)
        self.team[i] = b
        self.members[a].discard(i)
        self.members[b].add(i)
        self.load[a] -= self.wl[i]
        self.load[b] += self.wl[i]
        self.sup[a] -= self.ws[i]
        self.sup[b] += self.ws[i]
        self.pens[a] = self.pen(self.load[a], self.sup[a])
        self.pens[b] = self.pen(self.load[b], self.sup[b])
        for j, w in self.p.edge_weight_of[i].items():
            row = self.links[j]
            left = row[a] - w
            if left > 1e-12:
                row[a] = left
            else:
                del row[a]
            row[b] = row.get(b, 0.0) + w

    def swap_delta(self, i: int, j: int) -> float:
        a, b = self.team[i], self.team[j]
        dl = self.wl[j] - self.wl[i]
        ds = self.ws[j] - self.ws[i]
        after = self.pen(self.load[a] + dl, self.sup[a] + ds) + self.pen(self.load[b] - dl, self.sup[b] - ds)
        # i leaves a for b, j leaves b for a; the edge i-j stays cut
        w_ij = self.p.edge_weight_of[i].get(j, 0.0)
        dcut = (self.link(i, a) - (self.link(i, b) - w_ij)) + (self.link(j, b) - (self.link(j, a) - w_ij))
        return after - self.pens[a] - self.pens[b] + dcut * self.inv_total

    def can_swap(self, i: int, j: int) -> bool:
        a, b = self.team[i], self.team[j]
        nbrs = self.p.nbrs
        new_a = (self.members[a] - {i}) | {j}
        new_b = (self.members[b] - {j}) | {i}
        return _connected(new_a, nbrs) and _connected(new_b, nbrs)

    def apply_swap(self, i: int, j: int) -> None:
        a, b = self.team[i], self.team[j]
        self.apply_move(i, b)
        self.apply_move(j, a)

    def array(self) -> np.ndarray:
        return np.array(self.team, dtype=np.int64)


def _connected(nodes: set[int], nbrs: list[list[int]]) -> bool:
    if not nodes:
        return False
    start = next(iter(nodes))
    seen = {start}
    stack = [start]
    while stack:
        u = stack.pop()
        for v in nbrs[u]:
            if v in nodes and v not in seen:
                seen.add(v)
                stack.append(v)
    return len(seen) == len(nodes)


def _hops(start: int, nodes: set[int], nbrs: list[list[int]]) -> dict[int, int]:
    dist = {start: 0}
    queue = deque([start])
    while queue:
        u = queue.popleft()
        for v in nbrs[u]:
            if v in nodes and v not in dist:
                dist[v] = dist[u] + 1
                queue.append(v)
    return dist


def _pick_seeds(
    comp: list[int],
    free: list[int],
    anchors: list[int],
    count: int,
    problem: RegionProblem,
    rng: np.random.Generator,
) -> list[int]:
    """``count`` seeds among ``free`` wards of one component, far from ``anchors`` and each other.

    Farthest-first on graph hops with k-means++ sampling (probability proportional
    to the squared distance to the nearest seed); the first at random if there is
    no anchor.
    """
    nodes = set(comp)
    seeds: list[int] = []
    best = np.full(len(free), np.inf)
    for s in anchors:
        d = _hops(s, nodes, problem.nbrs)
        best = np.minimum(best, [d.get(v, np.inf) for v in free])
    while len(seeds) < min(count, len(free)):
        if not anchors and not seeds:
            pick = int(rng.integers(len(free)))
        else:
            weights = np.where(np.isfinite(best), best, 0.0) ** 2
            if weights.sum() <= 0:
                break
            pick = int(rng.choice(len(free), p=weights / weights.sum()))
        seeds.append(free[pick])
        d = _hops(free[pick], nodes, problem.nbrs)
        best = np.minimum(best, [d.get(v, np.inf) for v in free])
    return seeds


def _usable_start(problem: RegionProblem, start: np.ndarray | None) -> np.ndarray:
    """The start assignment if it leaves room for a team in every component, else all free."""
    n, k = problem.n, problem.k
    empty = np.full(n, -1, dtype=np.int64)
    if start is None:
        return empty
    team = np.asarray(start, dtype=np.int64).copy()
    if len(team) != n or team.max(initial=-1) >= k:
        return empty
    need = 0
    for comp in problem.components:
        labels = set(team[comp].tolist()) - {-1}
        need += max(len(labels), 1)
        for t in labels:  # a start team must lie in one component
            if not set(np.flatnonzero(team == t).tolist()) <= set(comp):
                return empty
    return team if need <= k else empty


def grow(problem: RegionProblem, rng: np.random.Generator, start: np.ndarray | None = None) -> np.ndarray:
    """One region-growing construction; ``start`` (values -1 or a team) is kept and extended.

    Returns
    -------
    np.ndarray of int, shape (n,)
        A complete assignment of teams ``0..k-1``, each grown along edges (so
        contiguous when ``start`` teams are).
    """
    n, k = problem.n, problem.k
    team = _usable_start(problem, start)
    comps = problem.components
    fresh = [t for t in range(k) if t not in set(team.tolist())]
    want = allocate_teams([len(c) for c in comps], [float(problem.load[c].sum()) for c in comps], k)
    for c, comp in enumerate(comps):
        labels = sorted(set(team[comp].tolist()) - {-1})
        anchors = [v for v in comp if team[v] >= 0]
        free = [v for v in comp if team[v] < 0]
        extra = min(max(0, want[c] - len(labels)), len(fresh))
        if not labels:
            extra = max(extra, 1)
        for s in _pick_seeds(comp, free, anchors, extra, problem, rng):
            if fresh:  # none left only when there are more separate pieces than teams
                team[s] = fresh.pop(0)
    load = np.bincount(team[team >= 0], weights=problem.load[team >= 0], minlength=k)
    border = np.array([sum(problem.edge_weight_of[i].values()) for i in range(n)]) + 1e-9
    while (team < 0).any():
        best: tuple[float, float, int, int] | None = None
        for t in np.argsort(load, kind="stable").tolist():
            cands: dict[int, float] = {}
            for i in np.flatnonzero(team == t).tolist():
                for j in problem.nbrs[i]:
                    if team[j] < 0:
                        cands[j] = cands.get(j, 0.0) + problem.edge_weight_of[i][j]
            for j, shared in cands.items():
                key = (-shared / border[j], float(rng.random()), j, t)
                if best is None or key < best:
                    best = key
            if cands:
                break
        if best is None:  # more separate pieces than teams: not contiguous, scored as a violation
            j = int(np.flatnonzero(team < 0)[0])
            t = int(np.argmin(load))
            team[j] = t
            load[t] += problem.load[j]
            continue
        _, _, j, t = best
        team[j] = t
        load[t] += problem.load[j]
    return team


def local_search(state: _State, rng: np.random.Generator, deadline: float) -> None:
    """Improve ``state`` in place by moves and swaps until neither helps."""
    p = state.p
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for i in rng.permutation(p.n).tolist():
            a = state.team[i]
            best_b, best_d = -1, -_EPS * (1.0 + state.pens[a])
            for b in sorted(state.links[i]):
                if b == a:
                    continue
                d = state.move_delta(i, b)
                if d < best_d:
                    best_b, best_d = b, d
            if best_b >= 0 and state.can_move(i):
                state.apply_move(i, best_b)
                improved = True
        if improved:
            continue
        order = rng.permutation(len(p.edges)).tolist()
        for e in order:
            i, j = (int(v) for v in p.edges[e])
            if state.team[i] == state.team[j]:
                continue
            scale = 1.0 + state.pens[state.team[i]] + state.pens[state.team[j]]
            if state.swap_delta(i, j) < -_EPS * scale and state.can_swap(i, j):
                state.apply_swap(i, j)
                improved = True


def _perturb(state: _State, rng: np.random.Generator, moves: int) -> None:
    p = state.p
    done = 0
    for i in rng.permutation(p.n).tolist():
        if done >= moves:
            break
        a = state.team[i]
        targets = sorted(t for t in state.links[i] if t != a)
        if targets and state.can_move(i):
            state.apply_move(i, int(rng.choice(targets)))
            done += 1


def solve_heuristic(
    problem: RegionProblem,
    *,
    seed: int,
    restarts: int = 16,
    time_limit: float = 5.0,
    start: np.ndarray | None = None,
    perturbations: int = 12,
) -> HeuristicResult:
    """Best of ``restarts`` region-growing starts, each improved by local search.

    Parameters
    ----------
    problem : RegionProblem
    seed : int
        Seed of the one random generator used.
    restarts : int
        Number of constructions (the first extends ``start`` if given).
    time_limit : float
        Seconds; restarts stop early once spent (reported).
    start : np.ndarray of int, optional
        A partial assignment (-1 for free wards) to seed the first restart.
    perturbations : int
        Perturb-and-improve rounds after each restart.

    Returns
    -------
    HeuristicResult
        Always a complete assignment with contiguous teams (rechecked by
        :func:`~planner.teams.problem.evaluate`); its score says whether the
        tolerance and capacity were met.
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    rng = np.random.default_rng(seed)
    best_team: np.ndarray | None = None
    best_score: Score | None = None
    best_value = np.inf
    done = 0
    stopped = False
    for r in range(restarts):
        if r > 0 and time.perf_counter() > deadline:
            stopped = True
            break
        team = grow(problem, rng, start if r == 0 else None)
        state = _State(problem, team)
        local_search(state, rng, deadline)
        cur_team, cur_value = state.array(), state.value()
        for _ in range(perturbations):
            if time.perf_counter() > deadline:
                break
            trial = _State(problem, cur_team)
            _perturb(trial, rng, moves=int(rng.integers(1, 4)))
            local_search(trial, rng, deadline)
            if trial.value() < cur_value - _EPS * (1.0 + cur_value):
                cur_team, cur_value = trial.array(), trial.value()
        score = evaluate(problem, cur_team)
        done += 1
        if best_score is None or (score, cur_value) < (best_score, best_value):
            best_team, best_score, best_value = cur_team, score, cur_value
    assert best_team is not None
    assert best_score is not None
    return HeuristicResult(best_team, best_score, done, time.perf_counter() - t0, stopped)


def piece_count(problem: RegionProblem, team: np.ndarray) -> int:
    """Total number of connected pieces over all teams (k when all are contiguous)."""
    return sum(len(components(np.flatnonzero(team == t).tolist(), problem.nbrs)) for t in range(problem.k))
