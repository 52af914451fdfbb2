"""Benchmark the allocation solver against a plain CP-SAT model and the continuous relaxation bound.

Instances:

* ``london``: the real 2022 London wards (679 wards, 32 boroughs) from
  ``scenarios/london-2022.yaml`` with ``--data-dir`` (default ``../shared/data``;
  skipped with a message if absent);
* ``demo``: the embedded synthetic London-scale city;
* ``uplift``, ``supervision``: the shipped scenarios ``pcso-uplift-1600`` and
  ``supervision-rebalanced`` on the same data (not run unless named);
* ``ew``: a synthetic England-and-Wales-scale city (about 7,000 wards, 330
  boroughs) with the workforce scaled in proportion.

For each, side by side in one run: this project's solver (column generation +
marginal analysis, time includes building the model from the loaded inputs),
plain CP-SAT on the generic formulation (integer counts, value by table
lookup) with the same time limit, and the continuous relaxation of the same
model (every count continuous, the concave value exact: solved to a relative
1e-9 by cutting planes at its own point, see :func:`continuous_relaxation`).
Each method runs in its own process so that its peak memory (max RSS) is its
own; this solver runs ``--repeats`` times and its median time is reported,
with the machine and its load average before and after (the machine may be
shared: say so when quoting the times).

Usage::

    python benchmarks/bench_solve.py [--data-dir DIR] [--instances london,demo,ew] [--cpsat-limit S]
        [--relax-limit S] [--methods "this solver,plain CP-SAT,continuous relaxation"] [--repeats N]
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
REAL = {"london": "london-2022", "uplift": "pcso-uplift-1600", "supervision": "supervision-rebalanced"}
"""Instances on the real London data: the shipped scenarios of that name."""
TARGETS.update({name: TARGETS["london"] for name in REAL})


def _scenario(name: str, data_dir: str | None):
    from planner.scenario import load_scenario

    if name in REAL:
        return load_scenario(REPO / "scenarios" / f"{REAL[name]}.yaml"), data_dir
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
    from planner.rules import BuildContext, build_problem
    from planner.solve.pipeline import solve_allocation

    scenario, inputs, _, load = _problem(name, data_dir)
    t0, c0 = time.perf_counter(), time.process_time()
    problem = build_problem(BuildContext(inputs.wards, scenario, workforce_from_scenario(scenario)))
    res = solve_allocation(problem, time_limit=limit, gap_target=scenario.solver.gap, seed=0, workers=2)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"objective": res.objective, "bound": res.bound, "gap": res.gap, "seconds": wall, "cpu": cpu,
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


def _static_rows(prob) -> tuple[list, int]:
    """Every rule of the problem as sparse rows over (x, p, t, s, i[, moves]) with continuous counts."""
    from planner.problem import INF_INT
    from planner.ranks import CONSTABLE, INSPECTOR, PCSO, SERGEANT

    w, nb = prob.n_wards, prob.n_boroughs
    ix, ip, is_, ii, im = 0, w, 3 * w, 3 * w + nb, 3 * w + 2 * nb
    moves = prob.max_moves is not None and prob.base_x is not None and prob.base_p is not None
    n = im + (2 * w if moves else 0)
    rows: list[tuple[np.ndarray, np.ndarray, float, float]] = []  # (columns, values, lower, upper)
    wards = np.arange(w)
    ones = np.ones(w)
    for first, count, rank in ((ix, w, CONSTABLE), (ip, w, PCSO), (is_, nb, SERGEANT), (ii, nb, INSPECTOR)):
        rows.append((np.arange(first, first + count), np.ones(count), -np.inf, float(prob.headcount[rank])))
    for b in range(nb):
        m = np.flatnonzero(prob.borough == b)
        heads = np.concatenate([ix + m, ip + m])
        rows.append((np.append(heads, is_ + b), np.append(np.ones(2 * len(m)), -prob.span_sergeant), -np.inf, 0.0))
        rows.append((np.array([is_ + b, ii + b]), np.array([1.0, -prob.span_inspector]), -np.inf, 0.0))
        rows.append((ix + m, np.ones(len(m)), -np.inf, float(prob.borough_cap_x[b])))
        rows.append((ip + m, np.ones(len(m)), -np.inf, float(prob.borough_cap_p[b])))
        lo, hi = int(prob.borough_heads_lo[b]), int(prob.borough_heads_hi[b])
        if lo > 0 or hi < INF_INT:
            rows.append((heads, np.ones(2 * len(m)), float(lo), float(hi) if hi < INF_INT else np.inf))
    if prob.budget is not None:
        cost = np.concatenate([np.full(w, prob.cost[CONSTABLE]), np.full(w, prob.cost[PCSO]),
                               np.full(nb, prob.cost[SERGEANT]), np.full(nb, prob.cost[INSPECTOR])])  # fmt: skip
        cols = np.concatenate([ix + wards, ip + wards, is_ + np.arange(nb), ii + np.arange(nb)])
        rows.append((cols, cost / 1e6, -np.inf, prob.budget / 1e6))
    if moves:  # d >= |x - base|, d >= |p - base|, sum d <= 2 * max_moves
        for k, (col, base) in enumerate(((ix, prob.base_x), (ip, prob.base_p))):
            for kk in wards:
                d = im + k * w + kk
                rows.append((np.array([d, col + kk]), np.array([1.0, -1.0]), -float(base[kk]), np.inf))
                rows.append((np.array([d, col + kk]), np.array([1.0, 1.0]), float(base[kk]), np.inf))
        rows.append((np.arange(im, im + 2 * w), np.ones(2 * w), -np.inf, 2.0 * prob.max_moves))
    if prob.min_eff is not None:
        for kk in wards:
            rows.append((np.array([ix + kk, ip + kk]), np.array([prob.eff_x, prob.eff_p]), float(prob.min_eff[kk]),
                         np.inf))  # fmt: skip
    del ones
    return rows, n


def _edge_best(need, kappa, ex, ep, dx, dp, x0, p_lo, p_hi):
    """Best p on the edge x = x0 of ``need*log1p((ex x + ep p)/kappa) + dx x + dp p`` (vectorised, exact)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        e_star = np.where(dp < 0, -need * ep / dp - kappa, np.inf)  # where the derivative in p vanishes
        p = np.clip((e_star - ex * x0) / ep, p_lo, p_hi)
    p = np.where(np.isfinite(p), p, p_hi)
    return need * np.log1p((ex * x0 + ep * p) / kappa) + dx * x0 + dp * p


def dual_bound(prob, y: np.ndarray, rows: list, n: int, obj: np.ndarray, var_lo, var_hi) -> float:
    """Weak-duality bound of the continuous problem for row prices ``y`` (any prices give a valid bound).

    The rows are priced out; what is left separates: each ward maximises its exact concave value plus
    its reduced costs over its box (the optimum has constables or PCSOs at a bound: for a fixed
    effective strength the rest is linear), every other variable sits at the bound its reduced cost
    favours.
    """
    w = prob.n_wards
    reduced = obj.copy()
    const = 0.0
    for (cols, vals, lo, hi), price in zip(rows, y):
        if price == 0.0:
            continue
        reduced[cols] -= price * vals
        side = hi if price > 0 else lo
        if not np.isfinite(side):
            return np.inf
        const += price * side
    dx, dp = reduced[:w], reduced[w : 2 * w]
    need, kappa, ex, ep = prob.need, prob.kappa, prob.eff_x, prob.eff_p
    lx, hx, lp, hp = var_lo[:w], var_hi[:w], var_lo[w : 2 * w], var_hi[w : 2 * w]
    edges = [_edge_best(need, kappa, ex, ep, dx, dp, x0, lp, hp) for x0 in (lx, hx)]  # constables at a bound
    edges += [_edge_best(need, kappa, ep, ex, dp, dx, p0, lx, hx) for p0 in (lp, hp)]  # PCSOs at a bound
    best = np.max(np.stack(edges), axis=0)
    rest = reduced[3 * w :]
    lo_r, hi_r = var_lo[3 * w :], var_hi[3 * w :]
    if np.any((rest > 1e-12) & ~np.isfinite(hi_r)) or np.any((rest < -1e-12) & ~np.isfinite(lo_r)):
        return np.inf
    others = np.where(rest > 0, rest * hi_r, np.where(rest < 0, rest * lo_r, 0.0))
    return float(const + best.sum() + np.nansum(others))


def continuous_relaxation(prob, tol: float = 1e-9, max_rounds: int = 200, time_limit: float = 600.0) -> dict:
    """The exact optimum of the continuous relaxation of the stated model, by cutting planes at its own point.

    Every count (constables and PCSOs per ward, sergeants and inspectors per
    borough) is continuous; every rule of the problem is kept (ward bounds,
    London-wide headcounts, spans with borough minimums, borough caps and
    share bounds, budget, moves from a baseline). The concave value
    ``need * log1p(e / kappa)`` of each ward is a variable ``t`` under tangent
    cuts (Kelley's method): solve the LP (GLOP), evaluate the true concave
    objective at the LP's own solution (a feasible point: a lower bound
    ``lower``), add at each ward the tangent at that point, and repeat until
    an upper bound is within ``tol`` (relative) of ``lower``. The upper bound
    is the better of the LP's value (any set of tangents over-estimates a
    concave function) and the weak-duality bound at the LP's row prices with
    the exact concave value (:func:`dual_bound`), valid whatever the cuts.
    Tangents only at whole officers, as this benchmark used to, stop short
    of the optimum and overstate the relaxation.

    Returns
    -------
    dict
        ``bound`` (the converged LP value), ``lower`` (the true objective at
        its point), ``rounds``, ``cuts`` (tangents generated), ``status``.
    """
    import scipy.sparse as sp
    from ortools.linear_solver.python import model_builder as mb

    from planner.ranks import CONSTABLE, INSPECTOR, PCSO, SERGEANT

    t_start = time.perf_counter()
    w, nb = prob.n_wards, prob.n_boroughs
    rows, n = _static_rows(prob)
    cap = float(prob.headcount[CONSTABLE] + prob.headcount[PCSO])
    hi_x, hi_p = np.minimum(prob.hi_x, cap).astype(float), np.minimum(prob.hi_p, cap).astype(float)
    var_lo = np.concatenate([prob.lo_x, prob.lo_p, np.full(w, -np.inf), prob.min_sergeants, prob.min_inspectors,
                             np.zeros(n - 3 * w - 2 * nb)]).astype(float)  # fmt: skip
    var_hi = np.concatenate([hi_x, hi_p, np.full(w, np.inf), np.minimum(prob.max_sergeants, 1e12),
                             np.minimum(prob.max_inspectors, 1e12), np.full(n - 3 * w - 2 * nb, np.inf)])  # fmt: skip
    cw = prob.cost_weight
    obj = np.concatenate([np.full(w, -cw * prob.cost[CONSTABLE]), np.full(w, -cw * prob.cost[PCSO]), np.ones(w),
                          np.full(nb, -cw * prob.cost[SERGEANT]), np.full(nb, -cw * prob.cost[INSPECTOR]),
                          np.zeros(n - 3 * w - 2 * nb)])  # fmt: skip
    s_cols = np.concatenate([c for c, _, _, _ in rows])
    s_vals = np.concatenate([v for _, v, _, _ in rows])
    s_rows = np.repeat(np.arange(len(rows)), [len(c) for c, _, _, _ in rows])
    s_lo = np.array([lo for _, _, lo, _ in rows])
    s_hi = np.array([hi for _, _, _, hi in rows])
    need, kappa, ex, ep = prob.need, prob.kappa, prob.eff_x, prob.eff_p
    e_hi = ex * hi_x + ep * hi_p
    # the first tangents: at 0 and on a geometric grid up to each ward's largest effective officers
    far = 4.0 ** np.arange(4, max(5, int(np.log(max(2.0, float(e_hi.max()))) / np.log(4)) + 2))
    grid = np.concatenate([[0.0], np.geomspace(0.25, 64.0, 12), far])
    cut_w = np.repeat(np.arange(w), len(grid))
    cut_e = np.minimum(np.tile(grid, w), np.repeat(e_hi, len(grid)))
    generated = len(cut_w)
    status, ub, lb, rounds = "not converged", np.nan, np.nan, 0
    while rounds < max_rounds and time.perf_counter() - t_start < time_limit:
        rounds += 1
        f0 = need[cut_w] * np.log1p(cut_e / kappa)
        g0 = need[cut_w] / (kappa + cut_e)
        m = len(cut_w)
        r = len(rows) + np.repeat(np.arange(m), 3)
        c = np.stack([2 * w + cut_w, cut_w, w + cut_w], axis=1).ravel()
        v = np.stack([np.ones(m), -g0 * ex, -g0 * ep], axis=1).ravel()
        entries = (np.concatenate([s_vals, v]), (np.concatenate([s_rows, r]), np.concatenate([s_cols, c])))
        matrix = sp.csr_matrix(entries, shape=(len(rows) + m, n))
        model = mb.Model()
        model.helper.fill_model_from_sparse_data(var_lo, var_hi, obj, np.concatenate([s_lo, np.full(m, -np.inf)]),
                                                 np.concatenate([s_hi, f0 - g0 * cut_e]), matrix)  # fmt: skip
        model.helper.set_maximize(True)
        solver = mb.Solver("glop")
        solver.set_solver_specific_parameters("primal_feasibility_tolerance: 1e-11 dual_feasibility_tolerance: 1e-11")
        solver.set_time_limit_in_seconds(max(1.0, time_limit - (time.perf_counter() - t_start)))
        if solver.solve(model) != mb.SolveStatus.OPTIMAL:
            status = f"LP failed ({solver.status_string})"
            break
        helper = solver._Solver__solve_helper  # as planner.solve.master
        values = np.asarray(helper.variable_values())
        y = np.asarray(helper.dual_values())[: len(rows)]
        ub = min(float(solver.objective_value), dual_bound(prob, y, rows, n, obj, var_lo, var_hi))
        xv, pv, tv = values[:w], values[w : 2 * w], values[2 * w : 3 * w]
        e = np.clip(ex * xv + ep * pv, 0.0, None)
        lb = ub - float(np.sum(tv - need * np.log1p(e / kappa)))
        if ub - lb <= tol * max(1.0, abs(ub)):
            status = "converged"
            break
        short = np.flatnonzero(tv - need * np.log1p(e / kappa) > 1e-13 * max(1.0, abs(ub)))
        cut_w = np.concatenate([cut_w, short])  # every tangent is kept: dropping them makes the points oscillate
        cut_e = np.concatenate([cut_e, e[short]])
        generated += len(short)
    return {"bound": ub, "lower": lb, "rounds": rounds, "cuts": generated, "status": status}


def _lp_bound(name: str, data_dir: str | None, limit: float) -> dict:
    """The continuous relaxation (see :func:`continuous_relaxation`); time includes every round."""
    _, _, prob, load = _problem(name, data_dir)
    t0 = time.perf_counter()
    res = continuous_relaxation(prob, time_limit=limit)
    wall = time.perf_counter() - t0
    ok = res["status"] == "converged"
    return {"objective": float("nan"), "bound": res["bound"], "gap": float("nan"), "seconds": wall,
            "status": "converged" if ok else "bracketed", "load": load, "wards": prob.n_wards,
            "rounds": res["rounds"], "cuts": res["cuts"], "lower": res["lower"]}  # fmt: skip


METHODS = {"this solver": _ours, "plain CP-SAT": _plain_cpsat, "continuous relaxation": _lp_bound}


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


def machine() -> str:
    """CPU model, cores and load averages (the machine is shared: timings depend on its load)."""
    import os
    import platform

    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, load average {load}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--instances", default="london,demo,ew")
    ap.add_argument("--cpsat-limit", type=float, default=10.0, help="seconds for plain CP-SAT (London and demo)")
    ap.add_argument("--cpsat-limit-ew", type=float, default=30.0, help="seconds for plain CP-SAT at E&W scale")
    ap.add_argument("--relax-limit", type=float, default=900.0, help="seconds for the continuous relaxation")
    ap.add_argument("--methods", default=",".join(METHODS), help="methods to run (comma-separated)")
    ap.add_argument("--repeats", type=int, default=5, help="runs of this solver per instance (median reported)")
    args = ap.parse_args(argv)
    names = [n.strip() for n in args.instances.split(",") if n.strip()]
    methods = [m.strip() for m in args.methods.split(",") if m.strip() in METHODS]
    if not (Path(args.data_dir) / "london_wards_2022_bng.gpkg").is_file():
        for name in [n for n in names if n in REAL]:
            print(f"skipping {name}: no data at {args.data_dir} (pass --data-dir)")
            names.remove(name)
    print(f"machine: {machine()}")
    print(f"this solver: {args.repeats} runs per instance, each in a fresh process; seconds = median (min-max)")
    header = f"{'instance':8} {'method':22} {'wards':>6} {'status':>10} {'objective':>14} {'bound':>14} " \
             f"{'gap':>10} {'seconds':>18} {'peak MiB':>9}"  # fmt: skip
    print(header)
    print("-" * len(header))
    summary = []
    for name in names:
        gap_target, time_target = TARGETS[name]
        results = {}
        for method in methods:
            limit = 30.0 if method == "this solver" else (args.cpsat_limit_ew if name == "ew" else args.cpsat_limit)
            if method == "continuous relaxation":
                limit = args.relax_limit
            runs = [run_one(method, name, args.data_dir, limit) for _ in range(args.repeats if method == "this solver"
                                                                                 else 1)]  # fmt: skip
            r = runs[0]
            if "error" in r:
                results[method] = r
                print(f"{name:8} {method:22} error: {r['error']}")
                continue
            secs = sorted(x["seconds"] for x in runs)
            r["seconds"] = float(np.median(secs))
            cpu = f"; CPU {np.median([x['cpu'] for x in runs]):.2f} s median (all threads)" if "cpu" in r else ""
            r["peak_mib"] = max(x["peak_mib"] for x in runs)
            results[method] = r
            spread = f"{r['seconds']:.2f} ({secs[0]:.2f}-{secs[-1]:.2f})" if len(secs) > 1 else f"{r['seconds']:.2f}"
            print(
                f"{name:8} {method:22} {r['wards']:>6} {r['status']:>10} {r['objective']:>14.6f} {r['bound']:>14.6f} "
                f"{r['gap']:>10.2e} {spread:>18} {r['peak_mib']:>9.0f}"
            )
            if cpu:
                print(f"{'':8} {'':22} wall {r['seconds']:.2f} s median of {len(secs)}{cpu}")
            if method == "continuous relaxation":
                print(f"{'':8} {'':22} true value in [{r['lower']:.6f}, {r['bound']:.6f}] after {r['rounds']} rounds, "
                      f"{r['cuts']:,} tangents")  # fmt: skip
        missing = {"error": "not run"}
        ours, plain = results.get("this solver", missing), results.get("plain CP-SAT", missing)
        lp = results.get("continuous relaxation", missing)
        if "error" not in ours:
            met = ours["gap"] <= gap_target and ours["seconds"] <= time_target
            line = (
                f"{name}: gap {ours['gap']:.2e} (target {gap_target:.0e}), {ours['seconds']:.2f} s median "
                f"(target {time_target:.0f} s), peak {ours['peak_mib']:.0f} MiB -> {'MET' if met else 'NOT MET'}"
            )
            if "error" not in plain and np.isfinite(plain["gap"]):
                line += f"; plain CP-SAT gap {plain['gap']:.2e} in {plain['seconds']:.1f} s " \
                        f"(x{plain['gap'] / max(ours['gap'], 1e-12):.0f} wider)"  # fmt: skip
            if "error" not in lp:
                above = lp["bound"] - ours["objective"]
                ratio = above / max(ours["bound"] - ours["objective"], 1e-12)
                line += (
                    f"; continuous relaxation {lp['bound']:.4f} ({lp['status']}), {above / abs(lp['bound']):.2e} "
                    f"above our plan; our bound {ours['bound']:.4f} is {ratio:.1f} times tighter"
                )
            summary.append(line)
    print()
    print("\n".join(summary))
    print(f"machine at the end: {machine()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
