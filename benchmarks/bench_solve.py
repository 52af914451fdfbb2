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
    from planner.rules import BuildContext, build_problem
    from planner.solve.pipeline import solve_allocation

    scenario, inputs, _, load = _problem(name, data_dir)
    t0 = time.perf_counter()
    problem = build_problem(BuildContext(inputs.wards, scenario, workforce_from_scenario(scenario)))
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


def _lp_bound(name: str, data_dir: str | None, limit: float) -> dict:
    """Plain LP relaxation: continuous counts, concave value from above by tangents at whole officers."""
    import scipy.sparse as sp
    from ortools.linear_solver.python import model_builder as mb

    from planner.ranks import CONSTABLE, INSPECTOR, PCSO, SERGEANT

    _, _, prob, load = _problem(name, data_dir)
    t0 = time.perf_counter()
    w, nb = prob.n_wards, prob.n_boroughs
    # variables: x (W), p (W), t (W), s (B), i (B)
    ix, ip, it, is_, ii = 0, w, 2 * w, 3 * w, 3 * w + nb
    n = 3 * w + 2 * nb
    rows, cols, vals, lo, hi = [], [], [], [], []

    def row(c: list[int], v: list[float], lb: float, ub: float) -> None:
        r = len(lo)
        rows.extend([r] * len(c))
        cols.extend(c)
        vals.extend(v)
        lo.append(lb)
        hi.append(ub)

    # tangents of need*log1p(e/kappa) at whole officers (every one up to 40, then every 8th)
    e_pts = np.concatenate([np.arange(0, 40), np.arange(40, 240, 8)]).astype(float)
    kk, ee = np.meshgrid(np.arange(w), e_pts, indexing="ij")
    kk, ee = kk.ravel(), ee.ravel()
    f0 = prob.need[kk] * np.log1p(ee / prob.kappa)
    g0 = prob.need[kk] / (prob.kappa + ee)
    first = len(lo)
    r = first + np.arange(len(kk))
    # t <= f0 + g0 * (eff_x x + eff_p p - e0)
    rows.extend(np.repeat(r, 3).tolist())
    cols.extend(np.stack([it + kk, ix + kk, ip + kk], axis=1).ravel().tolist())
    vals.extend(np.stack([np.ones(len(kk)), -g0 * prob.eff_x, -g0 * prob.eff_p], axis=1).ravel().tolist())
    lo.extend([-np.inf] * len(kk))
    hi.extend((f0 - g0 * ee).tolist())
    row(list(range(ix, ix + w)), [1.0] * w, -np.inf, float(prob.headcount[CONSTABLE]))
    row(list(range(ip, ip + w)), [1.0] * w, -np.inf, float(prob.headcount[PCSO]))
    row(list(range(is_, is_ + nb)), [1.0] * nb, -np.inf, float(prob.headcount[SERGEANT]))
    row(list(range(ii, ii + nb)), [1.0] * nb, -np.inf, float(prob.headcount[INSPECTOR]))
    for b in range(nb):
        members = np.flatnonzero(prob.borough == b).tolist()
        row([ix + k for k in members] + [ip + k for k in members] + [is_ + b], [1.0] * (2 * len(members)) +
            [-prob.span_sergeant], -np.inf, 0.0)  # fmt: skip
        row([is_ + b, ii + b], [1.0, -prob.span_inspector], -np.inf, 0.0)
    cw = prob.cost_weight
    obj = np.concatenate([
        np.full(w, -cw * prob.cost[CONSTABLE]), np.full(w, -cw * prob.cost[PCSO]), np.ones(w),
        np.full(nb, -cw * prob.cost[SERGEANT]), np.full(nb, -cw * prob.cost[INSPECTOR]),
    ])  # fmt: skip
    var_lo = np.concatenate([prob.lo_x, prob.lo_p, np.full(w, -1e9), prob.min_sergeants, prob.min_inspectors])
    var_hi = np.concatenate([np.minimum(prob.hi_x, 1e6), np.minimum(prob.hi_p, 1e6), np.full(w, 1e9),
                             prob.max_sergeants, prob.max_inspectors]).astype(float)  # fmt: skip
    matrix = sp.csr_matrix((vals, (rows, cols)), shape=(len(lo), n))
    model = mb.Model()
    model.helper.fill_model_from_sparse_data(var_lo.astype(float), var_hi, obj, np.array(lo), np.array(hi), matrix)
    model.helper.set_maximize(True)
    solver = mb.Solver("glop")
    solver.set_time_limit_in_seconds(limit)
    status = solver.solve(model)
    wall = time.perf_counter() - t0
    ok = status == mb.SolveStatus.OPTIMAL
    return {"objective": float("nan"), "bound": float(solver.objective_value) if ok else float("nan"),
            "gap": float("nan"), "seconds": wall, "status": "LP bound" if ok else "no bound",
            "load": load, "wards": w}  # fmt: skip


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
