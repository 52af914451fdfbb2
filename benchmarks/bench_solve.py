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
from typing import Any

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


def _rule_system(prob):
    """Every rule of the problem (the rules registry's rows) over continuous counts.

    Variables: ``x, p, t, tq`` per ward (``t``, ``tq`` the value of the constables' and the PCSOs' parts),
    ``s, i`` per borough, and with a deployment today ``under_x, over_x, under_p, over_p`` per ward with
    ``under - over = today - count`` (any whole plan fits, with the shortfall and excess it has).
    Returns the sparse matrix, row bounds, column offsets and the number of variables.
    """
    import scipy.sparse as sp

    from planner.rules.rows import rows_of

    w, nb = prob.n_wards, prob.n_boroughs
    today = prob.base_x is not None and prob.base_p is not None
    at = {"x": 0, "p": w, "t": 2 * w, "tq": 3 * w, "s": 4 * w, "i": 4 * w + nb}
    n = 4 * w + 2 * nb
    if today:
        for k, term in enumerate(("under_x", "over_x", "under_p", "over_p")):
            at[term] = n + k * w
        n += 4 * w
    rows = rows_of(prob)
    blocks = []
    for term, a in rows.A.items():
        if term not in at:
            raise ValueError(f"a rule weighs {term} but the problem has no deployment today")
        placed = sp.csr_matrix(a)
        blocks.append(sp.csr_matrix((placed.data, placed.indices + at[term], placed.indptr), shape=(rows.n_rows, n)))
    matrix = blocks[0] if blocks else sp.csr_matrix((rows.n_rows, n))
    for blk in blocks[1:]:
        matrix = matrix + blk
    lo, hi = list(rows.lo), list(rows.hi)
    extra = []
    if today:  # count + under - over = today
        eye = sp.identity(w, format="csr")
        for count, under, over, base in (
            ("x", "under_x", "over_x", prob.base_x),
            ("p", "under_p", "over_p", prob.base_p),
        ):
            m = sp.lil_matrix((w, n))
            m[:, at[count] : at[count] + w] = eye
            m[:, at[under] : at[under] + w] = eye
            m[:, at[over] : at[over] + w] = -eye
            extra.append(m.tocsr())
            lo.extend(base.astype(float))
            hi.extend(base.astype(float))
    if prob.min_eff is not None:
        m = sp.lil_matrix((w, n))
        m[:, at["x"] : at["x"] + w] = prob.eff_x * sp.identity(w)
        m[:, at["p"] : at["p"] + w] = prob.eff_p * sp.identity(w)
        extra.append(m.tocsr())
        lo.extend(prob.min_eff.astype(float))
        hi.extend([np.inf] * w)
    if extra:
        matrix = sp.vstack([matrix, *extra], format="csr")
    return sp.csr_matrix(matrix), np.array(lo, dtype=float), np.array(hi, dtype=float), at, n


def _parts(prob):
    """The value of a ward as two concave parts of one variable each: ``need * log1p(u / kappa)`` with
    ``u = eff_x x + cp p`` (``cp = eff_p`` in the substitution model, 0 with PCSOs in a role of their own),
    and ``need_p * log1p(q / kappa_p)`` with ``q = eff_pp p`` (own role only)."""
    own = prob.need_p is not None
    cp = 0.0 if own else prob.eff_p
    need_q = prob.need_p if own else np.zeros(prob.n_wards)
    return cp, need_q, (prob.eff_pp if own else 0.0), (prob.kappa_p if own else 1.0)


def continuous_relaxation(prob, tol: float = 1e-9, max_rounds: int = 200, time_limit: float = 600.0) -> dict:
    """The exact optimum of the continuous relaxation of the stated model, by cutting planes at its own point.

    Every count (constables and PCSOs per ward, sergeants and inspectors per
    borough) is continuous; every rule of the problem is kept (the rows of
    every registered rule, :func:`planner.rules.rows.rows_of`). Each ward's
    concave value is one or two variables under tangent cuts (Kelley's
    method): the constables' part ``need * log1p(u / kappa)`` (``u`` the
    effective officers; with PCSOs in a role of their own, the constables
    alone) and, in that model, the PCSOs' part ``need_p * log1p(q / kappa_p)``.
    Solve the LP (GLOP), evaluate the true concave objective at the LP's own
    solution (a feasible point: a lower bound ``lower``), add the tangents at
    that point, and repeat until the LP's value (an upper bound: tangents
    over-estimate a concave function) is within ``tol`` (relative) of
    ``lower``. Tangents only at whole officers stop short of the optimum and
    overstate the relaxation.

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
    a_rules, r_lo, r_hi, at, n = _rule_system(prob)
    cp, need_q, eq, kappa_q = _parts(prob)
    need, kappa, ex = prob.need, prob.kappa, prob.eff_x
    cap = float(prob.headcount[CONSTABLE] + prob.headcount[PCSO])
    hi_x, hi_p = np.minimum(prob.hi_x, cap).astype(float), np.minimum(prob.hi_p, cap).astype(float)
    var_lo, var_hi, obj = np.zeros(n), np.full(n, np.inf), np.zeros(n)
    for term, lo_v, hi_v in (("x", prob.lo_x, hi_x), ("p", prob.lo_p, hi_p), ("t", -np.inf, np.inf),
                             ("tq", -np.inf if prob.need_p is not None else 0.0, np.inf if prob.need_p is not None
                              else 0.0)):  # fmt: skip
        var_lo[at[term] : at[term] + w], var_hi[at[term] : at[term] + w] = lo_v, hi_v
    var_lo[at["s"] : at["s"] + nb], var_hi[at["s"] : at["s"] + nb] = (
        prob.min_sergeants,
        np.minimum(prob.max_sergeants, 1e12),
    )
    var_lo[at["i"] : at["i"] + nb], var_hi[at["i"] : at["i"] + nb] = (
        prob.min_inspectors,
        np.minimum(prob.max_inspectors, 1e12),
    )
    cw = prob.cost_weight
    for term, rank, count in (("x", CONSTABLE, w), ("p", PCSO, w), ("s", SERGEANT, nb), ("i", INSPECTOR, nb)):
        obj[at[term] : at[term] + count] = -cw * prob.cost[rank]
    obj[at["t"] : at["t"] + w] = 1.0
    obj[at["tq"] : at["tq"] + w] = 1.0
    if prob.move_cost and "under_x" in at:  # choice_value: move_cost per person below today's count
        obj[at["under_x"] : at["under_x"] + w] = -prob.move_cost
        obj[at["under_p"] : at["under_p"] + w] = -prob.move_cost
    u_hi, q_hi = ex * hi_x + cp * hi_p, eq * hi_p
    far = 4.0 ** np.arange(4, max(5, int(np.log(max(2.0, float(max(u_hi.max(), q_hi.max())))) / np.log(4)) + 2))
    grid = np.concatenate([[0.0], np.geomspace(0.25, 64.0, 12), far])
    # cuts: (ward, point, part) with part 0 the constables' (or the joint) value, 1 the PCSOs' own
    cut_w = np.tile(np.repeat(np.arange(w), len(grid)), 2)
    cut_v = np.concatenate([np.minimum(np.tile(grid, w), np.repeat(u_hi, len(grid))),
                            np.minimum(np.tile(grid, w), np.repeat(q_hi, len(grid)))])  # fmt: skip
    cut_k = np.repeat([0, 1], w * len(grid))
    if prob.need_p is None:
        keep = cut_k == 0
        cut_w, cut_v, cut_k = cut_w[keep], cut_v[keep], cut_k[keep]
    generated = len(cut_w)
    status, ub, lb, rounds = "not converged", np.nan, np.nan, 0
    while rounds < max_rounds and time.perf_counter() - t_start < time_limit:
        rounds += 1
        coef = np.where(cut_k == 0, need[cut_w], need_q[cut_w])
        scale = np.where(cut_k == 0, kappa, kappa_q)
        f0 = coef * np.log1p(cut_v / scale)
        g0 = coef / (scale + cut_v)
        m = len(cut_w)
        # part 0: t <= f0 + g0 (ex x + cp p - v0); part 1: tq <= f0 + g0 (eq p - v0)
        col_t = np.where(cut_k == 0, at["t"], at["tq"]) + cut_w
        cols = np.stack([col_t, at["x"] + cut_w, at["p"] + cut_w], axis=1).ravel()
        vals = np.stack([np.ones(m), np.where(cut_k == 0, -g0 * ex, 0.0), np.where(cut_k == 0, -g0 * cp, -g0 * eq)],
                        axis=1).ravel()  # fmt: skip
        cuts = sp.csr_matrix((vals, (np.repeat(np.arange(m), 3), cols)), shape=(m, n))
        matrix = sp.vstack([a_rules, cuts], format="csr")
        model = mb.Model()
        fill: Any = model.helper.fill_model_from_sparse_data  # as planner.solve.lp: its stub wants a float64 shape type
        fill(var_lo, var_hi, obj, np.concatenate([r_lo, np.full(m, -np.inf)]), np.concatenate([r_hi, f0 - g0 * cut_v]),
             matrix)  # fmt: skip
        model.helper.set_maximize(True)
        solver = mb.Solver("glop")
        solver.set_solver_specific_parameters("primal_feasibility_tolerance: 1e-11 dual_feasibility_tolerance: 1e-11")
        solver.set_time_limit_in_seconds(max(1.0, time_limit - (time.perf_counter() - t_start)))
        if solver.solve(model) != mb.SolveStatus.OPTIMAL:
            status = f"LP failed ({solver.status_string})"
            break
        # the whole-array accessor on OR-Tools' private solve helper, as planner.solve.lp reads it
        values = np.asarray(solver._Solver__solve_helper.variable_values())  # type: ignore[attr-defined]  # noqa: SLF001
        ub = float(solver.objective_value)
        xv, pv = values[at["x"] : at["x"] + w], values[at["p"] : at["p"] + w]
        tv, qv = values[at["t"] : at["t"] + w], values[at["tq"] : at["tq"] + w]
        u = np.clip(ex * xv + cp * pv, 0.0, None)
        q = np.clip(eq * pv, 0.0, None)
        short_t = tv - need * np.log1p(u / kappa)
        short_q = qv - need_q * np.log1p(q / kappa_q)
        lb = ub - float(np.sum(short_t) + np.sum(short_q))
        if ub - lb <= tol * max(1.0, abs(ub)):
            status = "converged"
            break
        small = 1e-13 * max(1.0, abs(ub))
        new_t, new_q = np.flatnonzero(short_t > small), np.flatnonzero(short_q > small)
        cut_w = np.concatenate([cut_w, new_t, new_q])  # every tangent is kept: dropping them makes points oscillate
        cut_v = np.concatenate([cut_v, u[new_t], q[new_q]])
        cut_k = np.concatenate([cut_k, np.zeros(len(new_t), dtype=int), np.ones(len(new_q), dtype=int)])
        generated += len(new_t) + len(new_q)
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
