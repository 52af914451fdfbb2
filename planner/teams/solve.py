"""Solve one borough: the heuristic always, CP-SAT where the borough is small enough.

A :class:`BoroughJob` is plain data (picklable), so boroughs can be solved in
parallel processes; each job is deterministic given its seed, whatever the
order in which the jobs run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from planner.teams.exact import ExactResult, solve_exact
from planner.teams.graph import components, neighbour_lists
from planner.teams.heuristic import solve_heuristic
from planner.teams.problem import RegionProblem, Score, evaluate


@dataclass(frozen=True)
class BoroughJob:
    """The free wards of one borough and how to split them.

    ``k_candidates`` are numbers of free teams to try in order (the first is the
    sizing rule's; later ones only when ``adjust`` allowed other counts).
    ``locked_load`` and ``locked_teams`` enter the borough mean:
    ``mean = (free load + locked_load) / (k + locked_teams)``.
    """

    borough: int
    name: str
    edges: np.ndarray
    edge_weight: np.ndarray
    load: np.ndarray
    supervisees: np.ndarray
    labels: tuple[str, ...]
    k_candidates: tuple[int, ...]
    locked_load: float
    locked_teams: int
    tolerance: float
    target: float
    capacity: float
    start: tuple[str, ...] | None
    method: str
    exact_max_wards: int
    seed: int
    time_limit: float
    restarts: int
    sergeant_span: float = 0.0

    def problem(self, k: int) -> RegionProblem:
        """The partition problem with ``k`` free teams."""
        mean = (float(self.load.sum()) + self.locked_load) / (k + self.locked_teams)
        return RegionProblem(
            self.edges,
            self.edge_weight,
            self.load,
            self.supervisees,
            k,
            mean,
            self.tolerance,
            self.target,
            self.capacity,
            self.labels,
            self.sergeant_span,
        )


@dataclass(frozen=True)
class Attempt:
    """What happened for one team count."""

    k: int
    heuristic: Score
    exact: ExactResult | None
    outcome: str


@dataclass(frozen=True)
class BoroughResult:
    """The chosen split of a borough's free wards, or why there is none."""

    borough: int
    team: np.ndarray | None
    k: int
    method: str
    score: Score | None
    attempts: tuple[Attempt, ...] = field(default=())
    seconds: float = 0.0

    @property
    def exact(self) -> ExactResult | None:
        """The CP-SAT outcome for the chosen team count, if it ran."""
        for a in self.attempts:
            if a.k == self.k:
                return a.exact
        return None


def start_assignment(job: BoroughJob, problem: RegionProblem) -> np.ndarray | None:
    """Turn current team labels into a partial start for ``problem.k`` teams.

    Each current team keeps only its largest connected piece; the heaviest
    ``k`` teams are kept. None when there is no current map.
    """
    if job.start is None:
        return None
    labels = np.array(job.start, dtype=object)
    nbrs = neighbour_lists(problem.n, problem.edges)
    pieces: list[tuple[float, list[int]]] = []
    for lab in sorted(set(job.start) - {""}):
        parts = components(np.flatnonzero(labels == lab).tolist(), nbrs)
        best = max(parts, key=lambda p: (float(problem.load[p].sum()), -p[0]))
        pieces.append((float(problem.load[best].sum()), best))
    pieces.sort(key=lambda p: (-p[0], p[1][0]))
    start = np.full(problem.n, -1, dtype=np.int64)
    for t, (_, members) in enumerate(pieces[: problem.k]):
        start[members] = t
    return start


def solve_borough(job: BoroughJob) -> BoroughResult:
    """Try the team counts in order; return the first split that meets every hard rule."""
    t0 = time.perf_counter()
    n = len(job.load)
    if n == 0 or not job.k_candidates or job.k_candidates == (0,):
        return BoroughResult(job.borough, np.zeros(0, dtype=np.int64), 0, "locked", Score(0, 0, 0, 0))
    attempts: list[Attempt] = []
    for pos, k in enumerate(job.k_candidates):
        spent = time.perf_counter() - t0
        left = max(job.time_limit - spent, 0.05)
        budget = left * (0.6 if pos + 1 < len(job.k_candidates) else 1.0)
        problem = job.problem(k)
        rng_seed = (job.seed + 7919 * k) % (2**31 - 1)
        heur = solve_heuristic(
            problem,
            seed=rng_seed,
            restarts=job.restarts,
            time_limit=max(budget, 1.0),  # a safety net: the restarts normally finish well before
            start=start_assignment(job, problem),
        )
        best_team, best_score, method = heur.team, heur.score, "heuristic"
        ex: ExactResult | None = None
        if job.method == "exact" or (job.method == "auto" and n <= job.exact_max_wards):
            left = max(budget - heur.seconds, 0.05)
            hint = heur.team if heur.score.feasible else None
            # deterministic seconds run about half as fast as wall seconds on a busy machine
            ex = solve_exact(problem, seed=rng_seed, time_limit=max(0.5 * left, 0.2), hint=hint, workers=1)
            if ex.team is not None:
                ex_score = evaluate(problem, ex.team)
                if ex_score < best_score:
                    best_team, best_score, method = ex.team, ex_score, "cp-sat"
        if best_score.feasible:
            attempts.append(Attempt(k, heur.score, ex, "chosen"))
            return BoroughResult(
                job.borough, best_team, k, method, best_score, tuple(attempts), time.perf_counter() - t0
            )
        proven = ex is not None and ex.balance_status == "infeasible"
        attempts.append(Attempt(k, heur.score, ex, "proven infeasible" if proven else "none found"))
    return BoroughResult(job.borough, None, 0, "failed", None, tuple(attempts), time.perf_counter() - t0)
