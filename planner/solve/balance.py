"""The "balance workload" objective: minimise the largest need per effective officer.

Stage 1 finds the largest ``t`` such that every ward can get at least
``t * need`` effective officers, by bisection on ``t`` with a number of probes
fixed by the gap target (never by the clock). Each probe runs the
allocation solver with that floor on every ward: an integer plan found raises
the lower end; the column-generation LP having no solution at all (a proof)
lowers the upper end; when neither is settled, CP-SAT is asked whether an
integer plan exists in which each ward takes one of its minimal (PCSOs,
constables) pairs for that ``t`` (or more). The bracket is a certificate: the
objective ``1 / t_lo`` is within ``1 - t_lo / t_hi`` of the best possible.

Stage 2 then deploys everyone left by the value objective, with each ward's
``t_lo * need`` as a floor (:func:`planner.solve.pipeline.solve_allocation`).
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
from ortools.sat.python import cp_model

from planner.errors import InfeasibleError
from planner.problem import AllocationProblem
from planner.ranks import CONSTABLE, PCSO
from planner.solve import cpsat
from planner.solve.pipeline import Allocation, Status, solve_allocation
from planner.solve.primal import PlanState, improve


def _staircase(prob: AllocationProblem, w: int, t: float) -> tuple[np.ndarray, np.ndarray] | None:
    """Minimal (x, p) pairs giving ward ``w`` at least ``t * need`` effective officers."""
    target = t * prob.need[w]
    p_hi = int(min(prob.hi_p[w], prob.lo_p[w] + max(0, np.ceil((target - prob.eff_x * prob.lo_x[w]) / prob.eff_p))))
    ps = np.arange(int(prob.lo_p[w]), p_hi + 1)
    xs = np.maximum(prob.lo_x[w], np.ceil((target - prob.eff_p * ps) / prob.eff_x - 1e-12)).astype(np.int64)
    ok = (xs <= prob.hi_x[w]) & (prob.eff_x * xs + prob.eff_p * ps >= target - 1e-12)
    if not ok.any():
        return None
    return xs[ok], ps[ok]


def feasible_at(
    prob: AllocationProblem, t: float, *, time_limit: float, seed: int, workers: int
) -> tuple[bool | None, tuple[np.ndarray, np.ndarray] | None]:
    """Whether every ward can get ``t * need`` effective officers (None: unknown in time)."""
    model = cp_model.CpModel()
    xs, ps = [], []
    cap_x = int(prob.headcount[CONSTABLE])
    cap_p = int(prob.headcount[PCSO])
    for w in range(prob.n_wards):
        stair = _staircase(prob, w, t)
        if stair is None:
            return False, None
        sx, sp = stair
        pick = [model.new_bool_var(f"b{w}_{k}") for k in range(len(sx))]
        model.add_exactly_one(pick)
        x = model.new_int_var(int(prob.lo_x[w]), int(min(prob.hi_x[w], cap_x)), f"x{w}")
        p = model.new_int_var(int(prob.lo_p[w]), int(min(prob.hi_p[w], cap_p)), f"p{w}")
        model.add(p == cp_model.LinearExpr.weighted_sum(pick, sp.tolist()))
        model.add(x >= cp_model.LinearExpr.weighted_sum(pick, sx.tolist()))
        xs.append(x)
        ps.append(p)
    cpsat.add_count_rules(model, prob, xs, ps)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, time_limit)  # a safety net: the work limit decides
    solver.parameters.max_deterministic_time = FEASIBILITY_WORK
    solver.parameters.random_seed = seed
    solver.parameters.num_workers = workers
    status = solver.solve(model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return True, (
            np.array([solver.value(e) for e in xs], dtype=np.int64),
            np.array([solver.value(e) for e in ps], dtype=np.int64),
        )
    if status == cp_model.INFEASIBLE:
        return False, None
    return None, None


def probe(
    prob: AllocationProblem, t: float, *, time_limit: float, seed: int, workers: int
) -> tuple[bool | None, tuple[np.ndarray, np.ndarray] | None]:
    """Whether every ward can get ``t * need`` effective officers: True (with a plan), False (proved), None."""
    floor_prob = dataclasses.replace(prob, min_eff=t * prob.need)
    res = solve_allocation(floor_prob, time_limit=max(0.2, 0.5 * time_limit), gap_target=1e-2, seed=seed, polish=False)
    if res.status.has_plan:
        return True, (res.x, res.p)
    if res.proven_infeasible:
        return False, None
    return feasible_at(prob, t, time_limit=max(0.1, 0.5 * time_limit), seed=seed, workers=workers)


FEASIBILITY_WORK = 10.0
"""CP-SAT's deterministic time (its own work units) for one feasibility question: repeatable on any machine."""

MAX_PROBES = 60
"""Most bisection probes (each halves the bracket: 60 reach any gap target above 1e-18)."""

UNREACHABLE = 1e-9
"""A floor of this many effective officers per unit of need is tried first: if no plan meets it, some ward
cannot get any officer and the objective has no finite value."""


def probes_needed(t_lo: float, t_hi: float, gap_target: float) -> int:
    """Bisection steps that bring the bracket's relative width ``(t_hi - t_lo) / t_hi`` to ``gap_target / 2``."""
    width = (t_hi - t_lo) / t_hi
    if width <= gap_target * 0.5:
        return 0
    return min(MAX_PROBES, int(np.ceil(np.log2(width / (gap_target * 0.5)))))


def _no_officer_reason(prob: AllocationProblem) -> str:
    """Why some ward cannot get any officer: the arithmetic a user can check."""
    needy = prob.need > 0
    unfloored = needy & (prob.lo_x + prob.lo_p == 0)
    heads = int(prob.headcount[CONSTABLE] + prob.headcount[PCSO])
    floors = int((prob.lo_x + prob.lo_p)[needy].sum())
    return (
        "the balance objective (the largest need per effective officer) has no finite value: no plan gives every "
        f"ward with need an officer ({int(needy.sum()):,} wards have need, {int(unfloored.sum()):,} of them with "
        f"no floor; {heads:,} constables and PCSOs are available and the floors take {floors:,}, and the spans "
        "of control, caps and budget limit how many can be deployed). Use the value objective, or raise the "
        "floors or the headcount."
    )


def solve_balance(
    prob: AllocationProblem,
    *,
    time_limit: float = 30.0,
    gap_target: float = 1e-4,
    seed: int = 0,
    workers: int = 1,
) -> Allocation:
    """Minimise the largest need per effective officer, then deploy the rest by value.

    The bisection takes a fixed number of probes (:func:`probes_needed`),
    never a number that depends on the wall clock, so the same problem and seed
    give the same bracket on any machine; the time limit is only a safety net
    (a probe cut short by it ends the bisection, and the status says so).

    The returned objective is the largest need per effective officer of the
    plan; the bound is the proven least possible; the gap is relative.

    Raises
    ------
    InfeasibleError
        When no plan gives every ward with need an officer (the objective has
        no finite value), with the arithmetic that shows it.
    """
    t0 = time.perf_counter()
    need = np.maximum(prob.need, 1e-12)
    total = prob.eff_x * prob.headcount[CONSTABLE] + prob.eff_p * prob.headcount[PCSO]
    t_lo = float(np.min((prob.eff_x * prob.lo_x + prob.eff_p * prob.lo_p) / need))
    t_hi = float(total / need.sum()) * (1 + 1e-9)
    log = [f"balance: bracket [{t_lo:.6g}, {t_hi:.6g}] effective officers per unit of need"]
    unknown = False
    witness: tuple[np.ndarray, np.ndarray] | None = None

    def run_probe(t: float) -> bool | None:
        nonlocal t_lo, t_hi, witness
        left = max(0.05, 0.6 * time_limit - (time.perf_counter() - t0))
        ok, plan = probe(prob, t, time_limit=left, seed=seed, workers=workers)
        if ok:
            t_lo, witness = t, plan
        elif ok is False:
            t_hi = t
        return ok

    if t_lo <= 0:
        tiny = min(UNREACHABLE, 0.5 * t_hi)
        if run_probe(tiny) is False:
            raise InfeasibleError(_no_officer_reason(prob))
    steps = probes_needed(t_lo, t_hi, gap_target)
    probes = 0
    for _ in range(steps):
        if (t_hi - t_lo) / t_hi <= gap_target * 0.5:
            break
        probes += 1
        if run_probe(0.5 * (t_lo + t_hi)) is None:
            unknown = True
            break
    log.append(f"balance: {probes} probes, t in [{t_lo:.6g}, {t_hi:.6g}]")
    floor_prob = dataclasses.replace(prob, min_eff=t_lo * prob.need)
    rest = solve_allocation(
        floor_prob,
        time_limit=max(0.5, time_limit - (time.perf_counter() - t0)),
        gap_target=gap_target,
        seed=seed,
        workers=workers,
    )
    if rest.status is Status.INFEASIBLE and witness is not None:
        # the LP rounding could not keep every ward at its floor: start from the proved plan instead
        state = PlanState(floor_prob, *witness)
        improve(state)
        rest = dataclasses.replace(
            rest, status=Status.FEASIBLE, plan=state.deployment(), objective=state.objective(),
            method="marginal analysis from the CP-SAT plan",
        )  # fmt: skip
    seconds = time.perf_counter() - t0
    if rest.status is Status.INFEASIBLE:
        return dataclasses.replace(rest, seconds=seconds, log=tuple(log) + rest.log)
    eff = prob.eff_x * rest.x + prob.eff_p * rest.p
    worst = float(np.max(prob.need / np.maximum(eff, 1e-12)))
    best_possible = 1.0 / t_hi
    gap = max(0.0, (worst - best_possible) / worst)
    if gap <= gap_target:
        status = Status.OPTIMAL
    elif unknown or seconds >= time_limit:
        status = Status.TIME_LIMIT
    else:
        status = Status.FEASIBLE
    return dataclasses.replace(
        rest,
        status=status,
        objective=worst,
        bound=best_possible,
        gap=gap,
        seconds=seconds,
        method="bisection with CP-SAT feasibility proofs, then " + rest.method,
        log=tuple(log) + rest.log,
    )
