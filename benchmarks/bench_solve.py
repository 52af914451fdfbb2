"""Benchmark the allocation solver against a plain CP-SAT model and the LP relaxation bound.

Instances:

* ``london``: the real 2022 London wards (679 wards, 32 boroughs) from
  ``scenarios/london-2022.yaml`` with ``--data-dir`` (default ``../shared/data``;
  skipped with a message if absent);
* ``demo``: the embedded synthetic London-scale city;
* ``ew``: a synthetic England-and-Wales-scale city (about 7,000 wards, 330
  boroughs) with the workforce scaled in proportion.

For each, side by side in one run: this project's solver (column generation +
marginal analysis, time includes building the model from the loaded inputs),
plain CP-SAT on the generic formulation (integer counts, value by table
lookup) with the same time limit, and the plain LP relaxation bound (GLOP,
continuous counts, concave value by tangent cuts). Each method runs in its
own process so that its peak memory (max RSS) is its own.

Usage::

    python benchmarks/bench_solve.py [--data-dir DIR] [--instances london,demo,ew] [--cpsat-limit S]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TARGETS = {"london": (1e-4, 1.0), "demo": (1e-4, 1.0), "ew": (1e-3, 10.0)}


def _scenario(name: str, data_dir: str | None):
    from planner.scenario import load_scenario

    if name == "london":
        return load_scenario(REPO / "scenarios" / "london-2022.yaml"), data_dir
    base = load_scenario(REPO / "scenarios" / "demo.yaml")
    if name == "demo":
        return base, None
    factor = 7000 / 680
    changes = {
        "data.synthetic.wards": 7000,
        "data.synthetic.boroughs": 330,
        "data.synthetic.bcus": 43,
        "solver.gap": 1e-3,
    }
    for rank in ("constable", "pcso", "sergeant", "inspector"):
        changes[f"workforce.{rank}.headcount"] = round(base.workforce.rank(rank).headcount * factor)
    return base.with_changes(changes), None


def _problem(name: str, data_dir: str | None):
    from planner.api import prepare

    scenario, ddir = _scenario(name, data_dir)
    t0 = time.perf_counter()
    inputs, _, problem = prepare(scenario, ddir, scenario_dir=REPO / "scenarios")
    return scenario, inputs, problem, time.perf_counter() - t0


def _ours(name: str, data_dir: str | None, limit: float) -> dict:
    from planner.inputs.workforce import workforce_from_scenario
    from planner.problem import build_problem
    from planner.solve.pipeline import solve_allocation

    scenario, inputs, _, load = _problem(name, data_dir)
    t0 = time.perf_counter()
    problem = build_problem(inputs.wards, scenario, workforce_from_scenario(scenario))
    res = solve_allocation(problem, time_limit=limit, gap_target=scenario.solver.gap, seed=0, workers=2)
    wall = time.perf_counter() - t0
    return {"objective": res.objective, "bound": res.bound, "gap": res.gap, "seconds": wall,
            "status": res.status.value, "load": load, "wards": problem.n_wards}  # fmt: skip


def _plain_cpsat(name: str, data_dir: str | None, limit: float) -> dict:
    from planner.solve import cpsat
    from planner.solve.pipeline import relative_gap, water_fill

    _, _, problem, load = _problem(name, data_dir)
    t0 = time.perf_counter()
    est_x, est_p = water_fill(problem)
    # a modeller's ranges: up to twice the proportional share (plus slack), capped by the rules
    hx = np.minimum(problem.hi_x, 2 * est_x + 4)
    hp = np.minimum(problem.hi_p, 2 * est_p + 4)
    model, v = cpsat.plain_model(problem, hx, hp)
    res = cpsat.run(model, v, problem, time_limit=limit, seed=0, workers=2)
    wall = time.perf_counter() - t0
    if res is None or res.status == "infeasible":
        return {"objective": float("nan"), "bound": float("nan"), "gap": float("nan"), "seconds": wall,
                "status": "no plan", "load": load, "wards": problem.n_wards}  # fmt: skip
    return {"objective": res.objective, "bound": res.bound, "gap": relative_gap(res.objective, res.bound),
            "seconds": wall, "status": res.status, "load": load, "wards": problem.n_wards}  # fmt: skip


def continuous_relaxation(prob, tol: float = 1e-9, max_rounds: int = 300, time_limit: float = 300.0) -> dict:
    """The exact optimum of the continuous relaxation of the stated model, by cutting planes at its own point.

    Every count (constables and PCSOs per ward, sergeants and inspectors per
    borough) is continuous; every rule of :class:`AllocationProblem` is kept
    (ward bounds, London-wide headcounts, spans with borough minimums,
    borough caps and share bounds, budget, moves from a baseline). The
    concave value ``need * log1p(e / kappa)`` of each ward is represented by
    a variable ``t`` under tangent cuts (Kelley's method): solve the LP (GLOP),
    evaluate the true concave objective at the LP's own solution (a feasible
    point, so a lower bound ``lb``), add at each ward the tangent at that
    point, and repeat until the LP's value ``ub`` (an upper bound: the
    tangents over-estimate a concave function) is within ``tol`` (relative)
    of ``lb``. Tangents only at whole officers, as before, stop short of the
    optimum and overstate it.

    Returns
    -------
    dict
        ``bound`` (the converged LP value), ``lower`` (the true objective at
        the final point), ``rounds``, ``cuts``, ``status``.
    """
    from ortools.linear_solver import pywraplp

    from planner.problem import INF_INT
    from planner.ranks import CONSTABLE, INSPECTOR, PCSO, SERGEANT

    t_start = time.perf_counter()
    w, nb = prob.n_wards, prob.n_boroughs
    solver = pywraplp.Solver.CreateSolver("GLOP")
    solver.SetSolverSpecificParametersAsString(
        "primal_feasibility_tolerance: 1e-11 dual_feasibility_tolerance: 1e-11"
    )
    inf = solver.infinity()
    cap = float(prob.headcount[CONSTABLE] + prob.headcount[PCSO])
    x = [solver.NumVar(float(prob.lo_x[k]), float(min(prob.hi_x[k], cap)), "") for k in range(w)]
    p = [solver.NumVar(float(prob.lo_p[k]), float(min(prob.hi_p[k], cap)), "") for k in range(w)]
    t = [solver.NumVar(-inf, inf, "") for _ in range(w)]
    s = [solver.NumVar(float(prob.min_sergeants[b]), float(min(prob.max_sergeants[b], INF_INT)), "") for b in range(nb)]
    i = [solver.NumVar(float(prob.min_inspectors[b]), float(min(prob.max_inspectors[b], INF_INT)), "") for b in range(nb)]
    solver.Add(sum(x) <= float(prob.headcount[CONSTABLE]))
    solver.Add(sum(p) <= float(prob.headcount[PCSO]))
    solver.Add(sum(s) <= float(prob.headcount[SERGEANT]))
    solver.Add(sum(i) <= float(prob.headcount[INSPECTOR]))
    for b in range(nb):
        members = np.flatnonzero(prob.borough == b)
        heads = sum(x[k] + p[k] for k in members)
        solver.Add(heads <= prob.span_sergeant * s[b])
        solver.Add(s[b] <= prob.span_inspector * i[b])
        solver.Add(sum(x[k] for k in members) <= float(prob.borough_cap_x[b]))
        solver.Add(sum(p[k] for k in members) <= float(prob.borough_cap_p[b]))
        if prob.borough_heads_lo[b] > 0:
            solver.Add(heads >= float(prob.borough_heads_lo[b]))
        if prob.borough_heads_hi[b] < INF_INT:
            solver.Add(heads <= float(prob.borough_heads_hi[b]))
    cost = prob.cost
    pay = cost[CONSTABLE] * sum(x) + cost[PCSO] * sum(p) + cost[SERGEANT] * sum(s) + cost[INSPECTOR] * sum(i)
    if prob.budget is not None:
        solver.Add(pay / 1e6 <= prob.budget / 1e6)
    if prob.max_moves is not None and prob.base_x is not None and prob.base_p is not None:
        moved = []
        for k in range(w):
            for var, base in ((x[k], float(prob.base_x[k])), (p[k], float(prob.base_p[k]))):
                d = solver.NumVar(0.0, inf, "")
                solver.Add(d >= var - base)
                solver.Add(d >= base - var)
                moved.append(d)
        solver.Add(sum(moved) <= 2.0 * prob.max_moves)
    if prob.min_eff is not None:
        for k in range(w):
            solver.Add(prob.eff_x * x[k] + prob.eff_p * p[k] >= float(prob.min_eff[k]))
    solver.Maximize(sum(t) - prob.cost_weight * pay)

    need, kappa, ex, ep = prob.need, prob.kappa, prob.eff_x, prob.eff_p
    cuts = 0

    def tangent(k: int, e0: float) -> None:
        nonlocal cuts
        f0 = need[k] * np.log1p(e0 / kappa)
        g0 = need[k] / (kappa + e0)
        solver.Add(t[k] <= f0 + g0 * (ex * x[k] + ep * p[k] - e0))
        cuts += 1

    e_hi = ex * np.minimum(prob.hi_x, cap) + ep * np.minimum(prob.hi_p, cap)
    for k in range(w):  # a coarse start: tangents at 0, 1, 2, 4, ... effective officers
        for e0 in [0.0, *np.geomspace(1.0, max(1.0, float(e_hi[k])), 12)]:
            tangent(k, float(e0))
    status, ub, lb, rounds = "not converged", np.nan, np.nan, 0
    while rounds < max_rounds and time.perf_counter() - t_start < time_limit:
        rounds += 1
        if solver.Solve() != pywraplp.Solver.OPTIMAL:
            status = "LP failed"
            break
        ub = solver.Objective().Value()
        xv = np.array([v.solution_value() for v in x])
        pv = np.array([v.solution_value() for v in p])
        tv = np.array([v.solution_value() for v in t])
        e = np.maximum(ex * xv + ep * pv, 0.0)
        true = need * np.log1p(e / kappa)
        lb = ub - float(np.sum(tv - true))
        if ub - lb <= tol * max(1.0, abs(ub)):
            status = "converged"
            break
        for k in np.flatnonzero(tv - true > 1e-13 * max(1.0, abs(ub))):
            tangent(int(k), float(e[k]))
    return {"bound": ub, "lower": lb, "rounds": rounds, "cuts": cuts, "status": status}


def _lp_bound(name: str, data_dir: str | None, limit: float) -> dict:
    """The continuous relaxation (see :func:`continuous_relaxation`); time includes every round."""
    _, _, prob, load = _problem(name, data_dir)
    t0 = time.perf_counter()
    res = continuous_relaxation(prob, time_limit=limit)
    wall = time.perf_counter() - t0
    ok = res["status"] == "converged"
    return {"objective": float("nan"), "bound": res["bound"] if ok else float("nan"), "gap": float("nan"),
            "seconds": wall, "status": "LP bound" if ok else res["status"], "load": load, "wards": prob.n_wards,
            "rounds": res["rounds"], "cuts": res["cuts"], "lower": res["lower"]}  # fmt: skip


METHODS = {"this solver": _ours, "plain CP-SAT": _plain_cpsat, "LP relaxation": _lp_bound}


def _child(method: str, name: str, data_dir: str | None, limit: float, queue: mp.Queue) -> None:
    try:
        out = METHODS[method](name, data_dir, limit)
        out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        queue.put(out)
    except Exception as exc:  # report, do not hide
        queue.put({"error": f"{type(exc).__name__}: {exc}"})


def run_one(method: str, name: str, data_dir: str | None, limit: float) -> dict:
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(method, name, data_dir, limit, queue))
    proc.start()
    out = queue.get()
    proc.join()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--instances", default="london,demo,ew")
    ap.add_argument("--cpsat-limit", type=float, default=10.0, help="seconds for plain CP-SAT (London and demo)")
    ap.add_argument("--cpsat-limit-ew", type=float, default=30.0, help="seconds for plain CP-SAT at E&W scale")
    args = ap.parse_args(argv)
    names = [n.strip() for n in args.instances.split(",") if n.strip()]
    if "london" in names and not (Path(args.data_dir) / "london_wards_2022_bng.gpkg").is_file():
        print(f"skipping london: no data at {args.data_dir} (pass --data-dir)")
        names.remove("london")
    header = f"{'instance':8} {'method':14} {'wards':>6} {'status':>10} {'objective':>14} {'bound':>14} " \
             f"{'gap':>10} {'seconds':>8} {'peak MiB':>9}"  # fmt: skip
    print(header)
    print("-" * len(header))
    summary = []
    for name in names:
        gap_target, time_target = TARGETS[name]
        results = {}
        for method in METHODS:
            limit = 30.0 if method == "this solver" else (args.cpsat_limit_ew if name == "ew" else args.cpsat_limit)
            if method == "LP relaxation":
                limit = 300.0
            r = run_one(method, name, args.data_dir, limit)
            results[method] = r
            if "error" in r:
                print(f"{name:8} {method:14} error: {r['error']}")
                continue
            print(
                f"{name:8} {method:14} {r['wards']:>6} {r['status']:>10} {r['objective']:>14.6f} {r['bound']:>14.6f} "
                f"{r['gap']:>10.2e} {r['seconds']:>8.2f} {r['peak_mib']:>9.0f}"
            )
        ours, plain, lp = results["this solver"], results["plain CP-SAT"], results["LP relaxation"]
        if "error" not in ours:
            met = ours["gap"] <= gap_target and ours["seconds"] <= time_target
            line = (
                f"{name}: gap {ours['gap']:.2e} (target {gap_target:.0e}), {ours['seconds']:.2f} s "
                f"(target {time_target:.0f} s), peak {ours['peak_mib']:.0f} MiB -> {'MET' if met else 'NOT MET'}"
            )
            if "error" not in plain and np.isfinite(plain["gap"]):
                line += f"; plain CP-SAT gap {plain['gap']:.2e} in {plain['seconds']:.1f} s " \
                        f"(x{plain['gap'] / max(ours['gap'], 1e-12):.0f} wider)"  # fmt: skip
            if "error" not in lp:
                line += (
                    f"; LP relaxation bound {lp['bound']:.4f} vs ours {ours['bound']:.4f} "
                    f"(gap to our plan {(lp['bound'] - ours['objective']) / abs(lp['bound']):.2e})"
                )
            summary.append(line)
    print()
    print("\n".join(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
