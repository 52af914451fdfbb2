"""Neighbourhood team design for every borough: sizing, solving, checking, assembling.

:func:`design_teams` is the array-level entry point (no geometry library, no
scenario file): it sizes each borough's teams from the span of control, solves
each borough (heuristic, plus CP-SAT on small boroughs), rechecks every team's
contiguity from the adjacency edges, gives each team its sergeants and
inspector, and returns an immutable :class:`TeamDesign`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_all_start_methods, get_context

import numpy as np

from planner.errors import InfeasibleError, InputError, Problems
from planner.inputs.data import WardData
from planner.progress import Progress, track
from planner.scenario import Supervision
from planner.scenario.teams import TeamsSpec
from planner.teams.current import CurrentMap
from planner.teams.graph import components, local_edges, neighbour_lists
from planner.teams.report import BoroughReport, TeamDesign, verify_contiguity, ward_list
from planner.teams.solve import BoroughJob, BoroughResult, solve_borough
from planner.teams.spans import assign_inspectors, inspector_capacity, team_sergeants


@dataclass(frozen=True, eq=False)
class Workload:
    """Per-ward figures the design works from.

    Parameters
    ----------
    need : np.ndarray, shape (W,)
        Combined need of each ward.
    supervisees : np.ndarray, shape (W,)
        Constables plus PCSOs of each ward (an estimate when ``estimated``).
    constables, pcsos : np.ndarray, shape (W,), optional
        The allocation, when designing from a plan.
    balance_on : {"need", "officers"}
        Which workload the teams balance.
    """

    need: np.ndarray
    supervisees: np.ndarray
    constables: np.ndarray | None = None
    pcsos: np.ndarray | None = None
    balance_on: str = "need"
    notes: tuple[str, ...] = field(default=())

    @property
    def estimated(self) -> bool:
        """True when supervisees are estimated from need (no allocation)."""
        return self.constables is None

    @property
    def load(self) -> np.ndarray:
        """The balanced workload of each ward."""
        return self.supervisees if self.balance_on == "officers" else self.need

    @classmethod
    def from_plan(cls, need: np.ndarray, constables: np.ndarray, pcsos: np.ndarray, balance_on: str) -> Workload:
        """Workload after allocation: supervisees are the ward's constables plus PCSOs."""
        c = np.asarray(constables, dtype=float)
        p = np.asarray(pcsos, dtype=float)
        return cls(np.asarray(need, dtype=float), c + p, c, p, balance_on)

    @classmethod
    def from_need(cls, need: np.ndarray, supervisees_total: float) -> Workload:
        """Workload before allocation: supervisees estimated as a need share of the headcount."""
        need = np.asarray(need, dtype=float)
        share = need / need.sum() if need.sum() > 0 else np.full(len(need), 1 / len(need))
        note = (
            f"no allocation: each ward's supervisees estimated as its need share of "
            f"{supervisees_total:,.0f} constables and PCSOs"
        )
        return cls(need, supervisees_total * share, None, None, "need", (note,))


def check_islands(wards: WardData, locked: np.ndarray) -> None:
    """Every ward not in a locked team needs a neighbour in its own borough.

    Raises
    ------
    InputError
        Naming each island (no neighbour at all) and each ward cut off from the
        rest of its borough.
    """
    nbrs = neighbour_lists(wards.n_wards, wards.edges)
    found = Problems("ward adjacency", InputError)
    islands = [i for i in range(wards.n_wards) if not nbrs[i] and not locked[i]]
    if islands:
        found.add(
            f"ward(s) with no neighbour at all (islands): {ward_list(wards, islands)}; a team must be "
            "contiguous, so give each its own locked team in teams.current or fix the boundaries"
        )
    alone = [
        i
        for i in range(wards.n_wards)
        if nbrs[i] and not locked[i] and not any(wards.borough[j] == wards.borough[i] for j in nbrs[i])
    ]
    if alone:
        found.add(
            f"ward(s) with no neighbour in their own borough: {ward_list(wards, alone)}; give each its own "
            "locked team in teams.current or fix the boundaries"
        )
    found.raise_if_any()


def sized_team_count(
    spec: TeamsSpec, code: str, n_wards: int, supervisees: float, supervision: Supervision
) -> tuple[int, str]:
    """Teams for a borough from the sizing rule, and the rule in words."""
    size = spec.size
    if isinstance(size.teams_per_borough, int):
        return size.teams_per_borough, "teams.size.teams_per_borough"
    if isinstance(size.teams_per_borough, dict) and code in size.teams_per_borough:
        return size.teams_per_borough[code], f"teams.size.teams_per_borough.{code}"
    if size.wards_per_team:
        return max(1, round(n_wards / size.wards_per_team)), f"{size.wards_per_team:g} wards per team"
    per_team = size.sergeants_per_team or inspector_capacity(supervision.inspector_span)
    span = supervision.sergeant_span
    count = max(1, math.ceil(supervisees / (per_team * span) - 1e-9))
    return count, f"{per_team} sergeants x {span:g} supervisees per team"


def _k_candidates(
    k_total: int, n_locked: int, n_free: int, n_pieces: int, heavy_cap: int, adjust: bool
) -> tuple[list[int], str | None]:
    """Free-team counts to try, and a note when the count had to change."""
    lo, hi = n_pieces, n_free
    if n_free == 0:
        return [0], None
    want = k_total - n_locked
    note = None
    if adjust:
        first = min(max(want, lo), hi, max(heavy_cap - n_locked, lo))
        if first != want:
            note = f"{first + n_locked} teams instead of {k_total}"
        order = [first]
        for step in (1, 2):
            order += [first - step, first + step]
        return [k for k in dict.fromkeys(order) if lo <= k <= hi], note
    return [want], None


@dataclass(frozen=True)
class _Prepared:
    jobs: list[BoroughJob]
    locked_sets: dict[int, list[tuple[str, list[int]]]]
    free_index: dict[int, np.ndarray]
    rules: dict[int, str]
    sized: dict[int, int]
    notes: list[str]


def _prepare(
    wards: WardData,
    work: Workload,
    spec: TeamsSpec,
    supervision: Supervision,
    shapes: Mapping[str, np.ndarray] | None,
    current: CurrentMap | None,
    seed: int,
    per_job: float,
) -> _Prepared:
    locked = current.locked_mask() if current is not None else np.zeros(wards.n_wards, bool)
    nbrs = neighbour_lists(wards.n_wards, wards.edges)
    load = work.load
    weight = np.ones(len(wards.edges))
    if shapes is not None:
        weight = np.maximum(np.asarray(shapes["shared_m"], dtype=float), 1.0)
    jobs, notes, infeasible = [], [], []
    locked_sets: dict[int, list[tuple[str, list[int]]]] = {}
    free_index: dict[int, np.ndarray] = {}
    rules: dict[int, str] = {}
    sized: dict[int, int] = {}
    for b in range(wards.n_boroughs):
        idx = np.flatnonzero(wards.borough == b)
        if not len(idx):
            continue
        code, name = str(wards.borough_codes[b]), str(wards.borough_names[b])
        lk = []
        if current is not None:
            lk = [(t, np.flatnonzero((current.team == t) & (wards.borough == b)).tolist()) for t in current.locked]
        lk = [(t, m) for t, m in lk if m]
        locked_sets[b] = lk
        free = idx[~locked[idx]]
        free_index[b] = free
        pieces = components(free.tolist(), nbrs)
        k_total, rule = sized_team_count(spec, code, len(idx), float(work.supervisees[idx].sum()), supervision)
        rules[b], sized[b] = rule, k_total
        total = float(load[idx].sum())
        heavy = float(load[free].max()) if len(free) else 0.0
        heavy_cap = math.floor((1 + spec.tolerance) * total / heavy + 1e-9) if heavy > 0 else len(free) + len(lk)
        ks, note = _k_candidates(k_total, len(lk), len(free), len(pieces), heavy_cap, spec.size.adjust)
        if note:
            notes.append(f"{name}: {note} ({rule} gives {k_total}; adjusted to meet the tolerance and contiguity)")
        if not spec.size.adjust and len(free):
            mean = total / k_total
            too_heavy = [int(i) for i in free if load[i] > (1 + spec.tolerance) * mean]
            if too_heavy:
                infeasible.append(
                    f"{name}: ward(s) {ward_list(wards, too_heavy)} alone carry more than a team may "
                    f"(mean team workload + {spec.tolerance:.0%} with {k_total} teams)"
                )
            if not (len(pieces) <= k_total - len(lk) <= len(free)):
                infeasible.append(
                    f"{name}: {k_total} teams cannot hold {len(free)} free wards in {len(pieces)} separate "
                    f"piece(s) beside {len(lk)} locked team(s)"
                )
        le, rows = local_edges(free.tolist(), wards.edges)
        start = None
        if current is not None and spec.seed_from_current:
            start = tuple(str(current.team[i]) if not locked[i] else "" for i in free)
            if not any(start):
                start = None
        jobs.append(
            BoroughJob(
                borough=b,
                name=name,
                edges=le,
                edge_weight=weight[rows] if len(rows) else np.zeros(0),
                load=np.asarray(load[free], dtype=float),
                supervisees=np.asarray(work.supervisees[free], dtype=float),
                labels=tuple(f"{wards.names[i]} ({wards.codes[i]})" for i in free),
                k_candidates=tuple(ks),
                locked_load=float(sum(load[m].sum() for _, m in lk)),
                locked_teams=len(lk),
                tolerance=spec.tolerance,
                target=spec.balance_target,
                capacity=(spec.size.max_sergeants_per_team or math.inf) * supervision.sergeant_span,
                start=start,
                method=spec.method,
                exact_max_wards=spec.exact_max_wards,
                seed=int(np.random.SeedSequence([seed, b]).generate_state(1)[0]) % (2**31),
                time_limit=per_job,
                restarts=spec.restarts,
                sergeant_span=supervision.sergeant_span if spec.counts_sergeants else 0.0,
            )
        )
    if infeasible:
        raise InfeasibleError([*infeasible, "raise teams.tolerance, change teams.size, or set teams.size.adjust: true"])
    return _Prepared(jobs, locked_sets, free_index, rules, sized, notes)


def _run(jobs: list[BoroughJob], workers: int, progress: Progress | None = None) -> list[BoroughResult]:
    label = f"Designing teams in {len(jobs)} borough{'s' if len(jobs) != 1 else ''}"
    if workers <= 1 or len(jobs) <= 1:
        return [solve_borough(j) for j in track(jobs, progress, label)]
    method = "fork" if "fork" in get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context(method)) as pool:
        return list(track(pool.map(solve_borough, jobs), progress, label, total=len(jobs)))


def _failure(wards: WardData, job: BoroughJob, res: BoroughResult, spec: TeamsSpec) -> str:
    tried = "; ".join(
        f"{a.k + job.locked_teams} teams: {a.outcome} (best worst deviation {a.heuristic.balance:.1%})"
        for a in res.attempts
    )
    heavy = np.argsort(-job.load)[:3]
    names = ", ".join(job.labels[i] for i in heavy)
    return (
        f"{job.name}: no split into contiguous teams keeps every team within +-{spec.tolerance:.0%} of the "
        f"borough mean ({tried}); heaviest wards: {names}"
    )


def design_teams(
    wards: WardData,
    work: Workload,
    spec: TeamsSpec,
    supervision: Supervision,
    *,
    shapes: Mapping[str, np.ndarray] | None = None,
    current: CurrentMap | None = None,
    seed: int = 0,
    time_limit: float | None = None,
    workers: int = 1,
    progress: Progress | None = None,
) -> TeamDesign:
    """Partition every borough's wards into contiguous, balanced, compact teams.

    Parameters
    ----------
    wards : WardData
        Wards, boroughs and the adjacency edges.
    work : Workload
        Need, supervisees (and the allocation, if any) per ward.
    spec : TeamsSpec
        The validated ``teams:`` block.
    supervision : Supervision
        ``rules.supervision`` (sergeant and inspector spans).
    shapes : mapping, optional
        ``area_m2``, ``perimeter_m`` (W,) and ``shared_m`` (E,) from
        :func:`geo.compactness.ward_shape_arrays`; without them compactness is
        judged by cut edges and Polsby-Popper is not reported.
    current : CurrentMap, optional
        The current team map (locked teams, seeds).
    seed : int
        Seed of every random choice; the same seed gives the same teams.
    time_limit : float, optional
        Seconds for the whole design (default ``spec.time_limit``).
    workers : int
        Processes solving boroughs side by side (each job is deterministic).
    progress : Progress, optional
        Advanced as each borough is done; silent by default.

    Returns
    -------
    TeamDesign

    Raises
    ------
    InputError
        Islands, wards cut off from their borough, bad team maps.
    InfeasibleError
        A borough with no split meeting the tolerance, naming its heaviest wards.
    """
    t0 = time.perf_counter()
    limit = spec.time_limit if time_limit is None else time_limit
    locked = current.locked_mask() if current is not None else np.zeros(wards.n_wards, bool)
    check_islands(wards, locked)
    n_jobs = int(np.unique(wards.borough).size)
    per_job = max(limit * max(workers, 1) / max(n_jobs, 1) * 0.85, 0.1)
    prep = _prepare(wards, work, spec, supervision, shapes, current, seed, per_job)
    results = _run(prep.jobs, workers, progress)
    failures = [_failure(wards, job, res, spec) for job, res in zip(prep.jobs, results) if res.team is None]
    if failures:
        raise InfeasibleError([*failures, "raise teams.tolerance or change teams.size"])
    return _assemble(wards, work, spec, supervision, shapes, prep, results, time.perf_counter() - t0)


def _assemble(
    wards: WardData,
    work: Workload,
    spec: TeamsSpec,
    supervision: Supervision,
    shapes: Mapping[str, np.ndarray] | None,
    prep: _Prepared,
    results: list[BoroughResult],
    seconds: float,
) -> TeamDesign:
    team_of = np.full(wards.n_wards, -1, dtype=np.int64)
    ids: list[str] = []
    borough_of: list[int] = []
    is_locked: list[bool] = []
    reports: list[BoroughReport] = []
    for job, res in zip(prep.jobs, results):
        b = job.borough
        code = str(wards.borough_codes[b])
        groups: list[tuple[str | None, list[int]]] = [(t, m) for t, m in prep.locked_sets[b]]
        free = prep.free_index[b]
        assert res.team is not None
        new = [free[res.team == t].tolist() for t in range(res.k)]
        new.sort(key=lambda m: min(str(wards.codes[i]) for i in m))
        taken = {t for t, _ in groups}
        counter = 0
        for members in new:
            counter += 1
            while f"{code}-T{counter:02d}" in taken:
                counter += 1
            groups.append((f"{code}-T{counter:02d}", members))
        for t, members in groups:
            team_of[members] = len(ids)
            ids.append(str(t))
            borough_of.append(b)
            is_locked.append(any(t == name for name, _ in prep.locked_sets[b]))
        reports.append(BoroughReport.from_result(job, res, prep.rules[b], prep.sized[b]))
    hit = [r.name for r in reports if r.wall_limit_hit]
    notes = list(prep.notes)
    if hit:
        notes.append(
            f"CP-SAT was stopped by the wall-clock safety limit in {', '.join(hit)} (a busy machine): "
            "a rerun with the same seed may differ there"
        )
    return TeamDesign.build(
        wards=wards,
        work=work,
        spec=spec,
        supervision=supervision,
        shapes=shapes,
        team_of=team_of,
        team_ids=tuple(ids),
        team_borough=np.array(borough_of, dtype=np.int64),
        team_locked=np.array(is_locked, dtype=bool),
        boroughs=tuple(reports),
        notes=tuple([*work.notes, *notes]),
        seconds=seconds,
    )


__all__ = [
    "TeamDesign",
    "Workload",
    "assign_inspectors",
    "check_islands",
    "design_teams",
    "sized_team_count",
    "team_sergeants",
    "verify_contiguity",
]
