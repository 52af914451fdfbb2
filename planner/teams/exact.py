"""Exact team design with OR-Tools CP-SAT: contiguity by a single-commodity flow.

Model (one borough's free wards ``0..n-1``, ``k`` teams):

- ``x[i, t]``: ward ``i`` is in team ``t``; each ward in exactly one team.
- ``r[i, t]``: ward ``i`` is the root of team ``t``, defined as the team's
  smallest ward; roots increase with ``t`` (so ``x[i, t]`` exists only for
  ``t <= i``). This removes the ``k!`` relabellings of every partition.
- ``same[e]``: both ends of edge ``e`` are in the same team.
- Flow ``f[u -> v]`` in ``[0, n-1]`` only along ``same`` edges; every ward that
  is not a root receives at least one unit net. A team in two pieces would need
  a piece without a root to create flow from nothing, so every team is
  contiguous by construction (and :func:`planner.teams.problem.evaluate`
  checks it again from the edges).
- Loads scaled so the mean team load is 10,000: hard ``|load_t - 10,000| <=
  tolerance x 10,000``; supervisees at most the capacity.

Stage 1 minimises the worst deviation ``D`` (counting anything up to the
target as perfect) and proves it optimal or reports a bound; when sergeants are
counted it first minimises ``sum sgt[t]`` with ``span x sgt[t] >= supervisees
of t`` (objective ``10,000 x sergeants + D``, lexicographic because ``D <
10,000``). Stage 2 keeps the sergeants and ``D <= max(D*, target)`` and
minimises the cut border.
Both stages are hinted with the best heuristic answer. Runs use CP-SAT's
deterministic parallel mode with a deterministic time limit (and a generous
wall-clock safety limit), so the same seed gives the same teams.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from planner.teams.problem import RegionProblem, count_sergeants

SCALE = 10_000
_STATUS = {
    cp_model.OPTIMAL: "optimal",
    cp_model.FEASIBLE: "feasible",
    cp_model.INFEASIBLE: "infeasible",
    cp_model.MODEL_INVALID: "invalid",
    cp_model.UNKNOWN: "unknown",
}


@dataclass(frozen=True)
class ExactResult:
    """Outcome of the two CP-SAT stages on one borough.

    ``balance`` and ``balance_bound`` are the worst relative deviation found
    and the proven lower bound on it (equal when ``balance_status`` is
    ``"optimal"``); ``cut`` and ``cut_bound`` likewise for the cut weight (in
    the problem's edge-weight units) of stage 2.
    """

    team: np.ndarray | None
    balance_status: str
    balance: float | None
    balance_bound: float | None
    cut_status: str
    cut: float | None
    cut_bound: float | None
    seconds: float
    hit_wall_limit: bool
    sergeants: int | None = None
    sergeants_bound: int | None = None


def _int_weights(problem: RegionProblem) -> tuple[np.ndarray, np.ndarray, int, np.ndarray, float]:
    load = np.rint(problem.load * SCALE / problem.mean).astype(np.int64)
    if np.isfinite(problem.capacity):
        sup = np.rint(problem.supervisees * 100).astype(np.int64)
        cap = int(np.floor(problem.capacity * 100 + 1e-6))
    else:
        sup, cap = np.zeros(problem.n, dtype=np.int64), -1
    w = problem.edge_weight
    unit = float(w.mean()) / 1000 if len(w) and w.mean() > 0 else 1.0
    ew = np.maximum(np.rint(w / unit), 1).astype(np.int64)
    return load, sup, cap, ew, unit


class _Model:
    """The CP-SAT model of one stage."""

    def __init__(self, problem: RegionProblem, d_limit: int | None, sgt_limit: int | None = None) -> None:  # noqa: C901
        n, k = problem.n, problem.k
        load, sup, cap, ew, self.unit = _int_weights(problem)
        m = cp_model.CpModel()
        self.m = m
        self.x = {(i, t): m.new_bool_var(f"x{i}_{t}") for i in range(n) for t in range(min(i + 1, k))}
        self.r = {(i, t): m.new_bool_var(f"r{i}_{t}") for (i, t) in self.x}
        x, r = self.x, self.r
        for i in range(n):
            m.add_exactly_one(x[i, t] for t in range(min(i + 1, k)))
        for t in range(k):
            m.add_exactly_one(r[i, t] for i in range(t, n))
            for i in range(t, n):
                earlier = [x[j, t] for j in range(t, i)]
                m.add_implication(r[i, t], x[i, t])
                if earlier:
                    m.add_bool_and([v.Not() for v in earlier]).only_enforce_if(r[i, t])
                m.add_bool_or([r[i, t], x[i, t].Not(), *earlier])
        for t in range(k - 1):
            m.add(sum(i * r[i, t] for i in range(t, n)) + 1 <= sum(i * r[i, t + 1] for i in range(t + 1, n)))
        edges = problem.edges.tolist()
        self.same = [m.new_bool_var(f"s{e}") for e in range(len(edges))]
        for e, (u, v) in enumerate(edges):
            for t in range(k):
                xu, xv = x.get((u, t)), x.get((v, t))
                if xu is not None and xv is not None:
                    m.add(xu == xv).only_enforce_if(self.same[e])
                elif xu is not None or xv is not None:
                    m.add_implication(self.same[e], (xu if xu is not None else xv).Not())  # type: ignore[union-attr]
        self.flow: dict[tuple[int, int], cp_model.IntVar] = {}
        inflow: list[list[cp_model.IntVar]] = [[] for _ in range(n)]
        outflow: list[list[cp_model.IntVar]] = [[] for _ in range(n)]
        for e, (u, v) in enumerate(edges):
            for a, b in ((u, v), (v, u)):
                f = m.new_int_var(0, n - 1, f"f{a}_{b}")
                m.add(f <= (n - 1) * self.same[e])
                self.flow[a, b] = f
                outflow[a].append(f)
                inflow[b].append(f)
        for v in range(n):
            is_root = sum(r[v, t] for t in range(min(v + 1, k)))
            m.add(sum(inflow[v]) - sum(outflow[v]) >= 1 - n * is_root)
        slack = int(np.floor(problem.tolerance * SCALE))
        floor = min(int(np.floor(problem.target * SCALE)), slack)
        self.d_range = (floor, slack if d_limit is None else max(floor, min(slack, d_limit)))
        self.d = m.new_int_var(*self.d_range, "D")
        for t in range(k):
            lt = sum(int(load[i]) * x[i, t] for i in range(t, n))
            m.add(lt - SCALE <= self.d)
            m.add(SCALE - lt <= self.d)
            if cap >= 0:
                m.add(sum(int(sup[i]) * x[i, t] for i in range(t, n)) <= cap)
        self.cut = sum(int(ew[e]) * (1 - self.same[e]) for e in range(len(edges)))
        self.sgt: list[cp_model.IntVar] = []
        if problem.sergeant_span > 0:
            span = round(problem.sergeant_span * 100)
            sup100 = np.rint(problem.supervisees * 100).astype(np.int64)
            top = int(np.ceil(sup100.sum() / span)) + 1
            for t in range(k):
                s = m.new_int_var(1, top, f"sgt{t}")
                m.add(span * s >= sum(int(sup100[i]) * x[i, t] for i in range(t, n)))
                self.sgt.append(s)
            if sgt_limit is not None:
                m.add(sum(self.sgt) <= sgt_limit)
        self.stage1 = SCALE * sum(self.sgt) + self.d if self.sgt else self.d

    def hint(self, problem: RegionProblem, team: np.ndarray) -> None:
        """Hint a complete solution (relabelled canonically, flows on BFS trees)."""
        canon = canonical(team)
        n, k = problem.n, problem.k
        for (i, t), var in self.x.items():
            self.m.add_hint(var, int(canon[i] == t))
        roots = {t: int(np.flatnonzero(canon == t)[0]) for t in range(k)}
        for (i, t), var in self.r.items():
            self.m.add_hint(var, int(roots.get(t) == i))
        for e, (u, v) in enumerate(problem.edges.tolist()):
            self.m.add_hint(self.same[e], int(canon[u] == canon[v]))
        flows = _tree_flows(problem, canon, roots)
        for arc, var in self.flow.items():
            self.m.add_hint(var, flows.get(arc, 0))
        load = np.rint(problem.load * SCALE / problem.mean).astype(np.int64)
        team_load = np.bincount(canon, weights=load, minlength=k)
        lo, hi = self.d_range
        self.m.add_hint(self.d, int(min(max(np.abs(team_load - SCALE).max(), lo), hi)))
        if self.sgt:
            span = round(problem.sergeant_span * 100)
            sup100 = np.bincount(canon, weights=np.rint(problem.supervisees * 100), minlength=k)
            for t, var in enumerate(self.sgt):
                self.m.add_hint(var, max(int(np.ceil(sup100[t] / span - 1e-9)), 1))
        del n

    def team(self, solver: cp_model.CpSolver, problem: RegionProblem) -> np.ndarray:
        out = np.full(problem.n, -1, dtype=np.int64)
        for (i, t), var in self.x.items():
            if solver.value(var):
                out[i] = t
        return out


def canonical(team: np.ndarray) -> np.ndarray:
    """Relabel teams in order of their smallest ward (the model's symmetry breaking)."""
    team = np.asarray(team, dtype=np.int64)
    order: dict[int, int] = {}
    for t in team.tolist():
        if t not in order:
            order[t] = len(order)
    return np.array([order[t] for t in team.tolist()], dtype=np.int64)


def _tree_flows(problem: RegionProblem, team: np.ndarray, roots: dict[int, int]) -> dict[tuple[int, int], int]:
    """Flow on a BFS tree of each team: the subtree size below each arc."""
    flows: dict[tuple[int, int], int] = {}
    for t, root in roots.items():
        members = set(np.flatnonzero(team == t).tolist())
        parent = {root: -1}
        order = [root]
        for u in order:
            for v in problem.nbrs[u]:
                if v in members and v not in parent:
                    parent[v] = u
                    order.append(v)
        size = dict.fromkeys(order, 1)
        for v in reversed(order[1:]):
            size[parent[v]] += size[v]
            flows[parent[v], v] = size[v]
    return flows


def _solver(seconds: float, seed: int, workers: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.max_deterministic_time = max(seconds, 0.05)
    p.max_time_in_seconds = 10 * max(seconds, 0.05) + 1.0  # a safety net; the deterministic limit governs
    p.random_seed = seed
    p.num_workers = workers
    p.interleave_search = workers > 1
    p.log_search_progress = False
    return solver


def solve_exact(
    problem: RegionProblem,
    *,
    seed: int,
    time_limit: float,
    hint: np.ndarray | None = None,
    workers: int = 2,
) -> ExactResult:
    """Run both CP-SAT stages on ``problem``.

    Parameters
    ----------
    problem : RegionProblem
    seed : int
        CP-SAT random seed.
    time_limit : float
        Deterministic-time budget for both stages together (about seconds);
        stage 1 gets half and passes on what it does not use.
    hint : np.ndarray, optional
        A complete assignment to start from (the heuristic's best).
    workers : int
        CP-SAT workers (searched in deterministic interleaved mode).

    Returns
    -------
    ExactResult
        ``team`` is None when no solution was found (``balance_status`` then
        says whether infeasibility was proven).
    """
    t0 = time.perf_counter()
    wall_hit = False
    stage1 = _Model(problem, None)
    if hint is not None:
        stage1.hint(problem, hint)
    stage1.m.minimize(stage1.stage1)
    s1 = _solver(time_limit / 2, seed, workers)
    code = s1.solve(stage1.m)
    status1 = _STATUS.get(code, "unknown")
    wall_hit |= s1.wall_time >= s1.parameters.max_time_in_seconds * 0.99
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return ExactResult(None, status1, None, None, "not run", None, None, time.perf_counter() - t0, wall_hit)
    team1 = stage1.team(s1, problem)
    d_best = int(s1.value(stage1.d))
    sgt_best = sgt_lb = None
    d_bound: float | None = float(s1.best_objective_bound) / SCALE
    if stage1.sgt:
        sgt_best = int(sum(s1.value(v) for v in stage1.sgt))
        sgt_lb = int(np.floor(s1.best_objective_bound / SCALE + 1e-9))
        rest = float(s1.best_objective_bound) - SCALE * sgt_best
        d_bound = max(rest, problem.target * SCALE) / SCALE if sgt_lb >= sgt_best else None
    used = s1.deterministic_time
    target = int(np.floor(problem.target * SCALE))
    stage2 = _Model(problem, max(d_best, target), sgt_best)
    fits = hint is not None and _fits(problem, hint, max(d_best, target), sgt_best)
    stage2.hint(problem, hint if fits and hint is not None else team1)
    stage2.m.minimize(stage2.cut)
    s2 = _solver(max(time_limit - used, time_limit / 4), seed, workers)
    code2 = s2.solve(stage2.m)
    wall_hit |= s2.wall_time >= s2.parameters.max_time_in_seconds * 0.99
    status2 = _STATUS.get(code2, "unknown")
    if code2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        team = stage2.team(s2, problem)
        cut = float(s2.objective_value) * stage2.unit
        cut_bound = float(s2.best_objective_bound) * stage2.unit
    else:
        team, cut, cut_bound = team1, None, None
    loads = np.bincount(team, weights=problem.load, minlength=problem.k)
    worst = float(np.abs(loads / problem.mean - 1).max())
    return ExactResult(
        team, status1, worst, d_bound, status2, cut, cut_bound, time.perf_counter() - t0, wall_hit, sgt_best, sgt_lb
    )


def _fits(problem: RegionProblem, team: np.ndarray, d_limit: int, sgt_limit: int | None) -> bool:
    load, _sup, _cap, _, _ = _int_weights(problem)
    team = np.asarray(team, dtype=np.int64)
    loads = np.bincount(team, weights=load, minlength=problem.k)
    if sgt_limit is not None:
        sup = np.bincount(team, weights=problem.supervisees, minlength=problem.k)
        if count_sergeants(sup, problem.sergeant_span) > sgt_limit:
            return False
    return bool(np.abs(loads - SCALE).max() <= d_limit)
