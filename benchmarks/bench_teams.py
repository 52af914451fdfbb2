"""Benchmark of neighbourhood team design against PySAL spopt regionalisation, on real London.

Usage::

    python benchmarks/bench_teams.py [--data-dir ../shared/data] [--time-limit 20]
                                     [--maxp-iterations 10,2] [--seed 0] [--workers 2]

On the 679 wards of the 32 Met boroughs (May 2022 boundaries, queen adjacency,
``scenarios/london-2022.yaml`` need), every method partitions each borough into
the same number of teams ``k`` (the count our sizing rule chose) with the same
balance target (every team within +-tolerance of the borough mean need):

* ``planner`` - planner.teams from need (heuristic + CP-SAT), default budget;
* ``planner-fast`` - the heuristic alone (``teams.method: heuristic``), no CP-SAT;
* ``spopt-azp`` - AZP with ``n_clusters=k`` on need;
* ``spopt-skater`` - SKATER with ``n_clusters=k`` on need;
* ``spopt-maxp`` - max-p with threshold ``(1 - tolerance) x mean`` (the
  lower side of the same target), so ``p`` may differ from ``k``;
  ``--maxp-iterations C,S`` sets its construction and annealing iterations
  (the library defaults, 99 and 10, take minutes per borough).

For each it prints wall time, teams, boroughs whose teams are all contiguous
(checked with networkx from the edges), the worst and mean absolute deviation
of a team's need from its borough mean (over that method's own teams), the
mean Polsby-Popper of the dissolved teams, and the cut edges inside boroughs;
then the ratios planner / best spopt. Data loading is timed separately and
not charged to any method. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from geo.compactness import ward_shape_arrays  # noqa: E402
from planner.inputs.loader import load_inputs  # noqa: E402
from planner.scenario import load_scenario  # noqa: E402
from planner.teams import design_for_need, parse_teams  # noqa: E402
from planner.teams import metrics as M  # noqa: E402


def evaluate(name: str, seconds: float, label: np.ndarray, wards: Any, shapes: dict, tol: float) -> dict:
    """Metrics of a ward -> team labelling (labels unique across boroughs)."""
    codes, team_of = np.unique(label, return_inverse=True)
    n = len(codes)
    g = nx.Graph()
    g.add_nodes_from(range(wards.n_wards))
    g.add_edges_from(wards.edges.tolist())
    team_borough = np.zeros(n, dtype=int)
    team_borough[team_of] = wards.borough
    contiguous_boroughs = set(range(wards.n_boroughs))
    for t in range(n):
        if not nx.is_connected(g.subgraph(np.flatnonzero(team_of == t).tolist())):
            contiguous_boroughs.discard(int(team_borough[t]))
    load = np.bincount(team_of, weights=wards.need, minlength=n)
    b_total = np.bincount(team_borough, weights=load, minlength=wards.n_boroughs)
    b_count = np.bincount(team_borough, minlength=wards.n_boroughs)
    dev = np.abs(M.deviation(load, (b_total / np.maximum(b_count, 1))[team_borough]))
    area, perim = M.team_area_perimeter(
        team_of, n, wards.edges, shapes["area_m2"], shapes["perimeter_m"], shapes["shared_m"]
    )
    pp = M.polsby_popper(area, perim)
    cut = int(M.cut_edges(team_of, wards.edges, wards.borough).sum())
    return {
        "method": name,
        "seconds": seconds,
        "teams": n,
        "contiguous": len(contiguous_boroughs),
        "worst_dev": float(dev.max()),
        "mean_dev": float(dev.mean()),
        "within_tol": float((dev <= tol + 1e-9).mean()),
        "pp_mean": float(pp.mean()),
        "pp_min": float(pp.min()),
        "cut": cut,
    }


def run_planner(scenario, inputs, tol: float, limit: float, seed: int, workers: int, method: str = "auto"):
    spec = parse_teams({"from": "need", "tolerance": tol, "time_limit": limit, "method": method})
    t0 = time.perf_counter()
    design = design_for_need(scenario, inputs, spec=spec, seed=seed, workers=workers)
    seconds = time.perf_counter() - t0
    label = np.array(design.team_ids, dtype=object)[design.team_of]
    return design, seconds, label


def borough_graphs(wards: Any) -> list[tuple[np.ndarray, dict[int, list[int]]]]:
    nbrs = wards.neighbours()
    out = []
    for b in range(wards.n_boroughs):
        idx = np.flatnonzero(wards.borough == b)
        pos = {int(v): i for i, v in enumerate(idx)}
        out.append((idx, {i: [pos[j] for j in nbrs[v] if j in pos] for i, v in enumerate(idx)}))
    return out


def run_spopt(
    kind: str, wards: Any, layer: Any, k_of: dict[int, int], tol: float, seed: int, maxp_iter: tuple[int, ...]
):
    import libpysal
    from spopt.region import AZP, MaxPHeuristic, Skater

    frame = layer.assign(need=wards.need)
    label = np.empty(wards.n_wards, dtype=object)
    t0 = time.perf_counter()
    for b, (idx, neigh) in enumerate(borough_graphs(wards)):
        w = libpysal.weights.W(neigh, silence_warnings=True)
        gdf = frame.iloc[idx].reset_index(drop=True)
        k = k_of[b]
        np.random.seed(seed)  # noqa: NPY002 - spopt draws from the global generators
        random.seed(seed)
        if kind == "azp":
            model = AZP(gdf, w, ["need"], n_clusters=k, random_state=seed)
        elif kind == "skater":
            model = Skater(gdf, w, ["need"], n_clusters=k)
        else:
            mean = gdf["need"].sum() / k
            model = MaxPHeuristic(
                gdf, w, ["need"], "need", (1 - tol) * mean, top_n=2,
                max_iterations_construction=maxp_iter[0], max_iterations_sa=maxp_iter[1],
            )  # fmt: skip
        model.solve()
        lab = np.asarray(model.labels_).astype(int)
        label[idx] = [f"{b}-{v}" for v in lab]
    return time.perf_counter() - t0, label


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--time-limit", type=float, default=20.0, help="planner budget, seconds (default 20)")

    ap.add_argument("--tolerance", type=float, default=0.15)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--maxp-iterations", default="10,2", help="max-p construction,annealing iterations")
    ap.add_argument("--skip", default="", help="comma-separated methods to skip (e.g. spopt-maxp)")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    skip = set(filter(None, args.skip.split(",")))
    maxp_iter = tuple(int(x) for x in args.maxp_iterations.split(","))

    t0 = time.perf_counter()
    scenario = load_scenario(REPO / "scenarios" / "london-2022.yaml")
    inputs = load_inputs(scenario, args.data_dir, scenario_dir=REPO / "scenarios")
    wards = inputs.wards
    shapes = ward_shape_arrays(inputs.layer, wards.edges)
    print(
        f"London 2022: {wards.n_wards} wards, {wards.n_boroughs} boroughs, {len(wards.edges)} adjacencies; "
        f"loaded in {time.perf_counter() - t0:.1f} s; {os.cpu_count()} CPUs, planner workers {args.workers}"
    )
    rows = []
    design, sec, label = run_planner(scenario, inputs, args.tolerance, args.time_limit, args.seed, args.workers)
    rows.append(evaluate("planner", sec, label, wards, shapes, args.tolerance))
    k_of = {int(b): int((design.team_borough == b).sum()) for b in range(wards.n_boroughs)}
    m = design.metrics()
    print(
        f"planner: {m['cp_sat']['boroughs_run']} boroughs through CP-SAT, balance proven optimal in "
        f"{m['cp_sat']['balance_proven_optimal']}, compactness proven optimal in "
        f"{m['cp_sat']['compactness_proven_optimal']}; methods {m['methods']}; notes: {'; '.join(design.notes)}"
    )
    if "planner-fast" not in skip:
        _, sec, label = run_planner(
            scenario, inputs, args.tolerance, args.time_limit, args.seed, args.workers, "heuristic"
        )
        rows.append(evaluate("planner-fast", sec, label, wards, shapes, args.tolerance))
    for kind in ("azp", "skater", "maxp"):
        if f"spopt-{kind}" in skip:
            continue
        sec, label = run_spopt(kind, wards, inputs.layer, k_of, args.tolerance, args.seed, maxp_iter)
        rows.append(evaluate(f"spopt-{kind}", sec, label, wards, shapes, args.tolerance))

    head = (
        f"{'method':<14}{'time s':>8}{'teams':>7}{'contig':>8}{'worst dev':>11}{'mean dev':>10}{'in tol':>8}"
        f"{'PP mean':>9}{'PP min':>8}{'cut':>6}"
    )
    print(head)
    for r in rows:
        print(
            f"{r['method']:<14}{r['seconds']:>8.1f}{r['teams']:>7}{r['contiguous']:>5}/{wards.n_boroughs:<2}"
            f"{r['worst_dev']:>11.1%}{r['mean_dev']:>10.1%}{r['within_tol']:>8.0%}{r['pp_mean']:>9.3f}"
            f"{r['pp_min']:>8.3f}{r['cut']:>6}"
        )
    spopt = [r for r in rows if r["method"].startswith("spopt")]
    if spopt:
        best_dev = min(spopt, key=lambda r: r["worst_dev"])
        best_pp = max(spopt, key=lambda r: r["pp_mean"])
        fastest = min(spopt, key=lambda r: r["seconds"])
        for ours in (r for r in rows if r["method"].startswith("planner")):
            print(
                f"{ours['method']}: worst deviation {ours['worst_dev']:.1%} vs best spopt {best_dev['worst_dev']:.1%} "
                f"({best_dev['method']}), ratio {ours['worst_dev'] / best_dev['worst_dev']:.2f}; "
                f"mean Polsby-Popper {ours['pp_mean']:.3f} vs {best_pp['pp_mean']:.3f} ({best_pp['method']}), "
                f"ratio {ours['pp_mean'] / best_pp['pp_mean']:.2f}; time {ours['seconds']:.1f} s vs fastest spopt "
                f"{fastest['seconds']:.1f} s ({fastest['method']}), ratio {ours['seconds'] / fastest['seconds']:.2f}"
            )


if __name__ == "__main__":
    main()
