"""Benchmark "start from today" on real London, side by side with today's behaviour (issue: Start from today).

Targets, each printed beside what the planner did before it planned from today:

1. ``pcso-uplift-1600``: all 2,900 PCSOs deployed; at most 2 % of constables (84) change ward;
   certified gap <= 1e-4; solve <= 1 s. Before: the uplift was planned from scratch and compared
   with the london-2022 plan.
2. Re-planning from the Apr 2024 - Mar 2025 plan on Apr 2025 - Mar 2026 crime moves at most 3 % of
   constables and PCSOs. Before: a re-plan from scratch.
3. Phasing on ``london-phasing-2023-25.yaml`` (between-borough moves, base PCSO pool, trainees in the
   last quarter, both funded streams on time), from benchmarks/stability_phasing.py when present.

Usage::

    python benchmarks/bench_stability.py [--data-dir ../shared/data]

Timings are wall-clock on this machine (2 cores, shared): the solve time is the solver's own
(``Plan.solve_seconds``), the median of ``--repeats`` runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))


def _row(name: str, before: str, after: str, target: str, met: bool) -> str:
    return f"{name:48s} {before:>22s} {after:>22s} {target:>16s}  {'MET' if met else 'NOT MET'}"


def uplift(data_dir: str, repeats: int) -> list[str]:
    import planner
    from planner.problem import people_moved
    from planner.scenario import load_scenario

    scen = REPO / "scenarios"
    today = planner.solve(scen / "london-2022.yaml", data_dir)
    raw = load_scenario(scen / "pcso-uplift-1600.yaml")
    old = raw.with_changes({"data.current": None, "rules.stability": {}})
    before = planner.solve(old, data_dir, scenario_dir=scen)
    runs = [planner.solve(raw, data_dir, scenario_dir=scen) for _ in range(repeats)]
    plan = runs[-1]
    seconds = statistics.median(p.solve_seconds for p in runs)
    moved_before = people_moved(today.constables, before.constables)
    moved_after = people_moved(today.constables, plan.constables)
    limit = int(0.02 * today.constables.sum())
    return [
        _row("uplift: PCSOs deployed", f"{int(before.pcsos.sum()):,}", f"{int(plan.pcsos.sum()):,}", "2,900",
             int(plan.pcsos.sum()) == 2900),
        _row("uplift: constables changing ward", f"{moved_before:,}", f"{moved_after:,}", f"<= {limit}",
             moved_after <= limit),
        _row("uplift: certified gap", f"{before.gap:.1e}", f"{plan.gap:.1e}", "<= 1e-4", plan.gap <= 1e-4),
        _row("uplift: solve seconds (median)", f"{before.solve_seconds:.2f}", f"{seconds:.2f}", "<= 1 s",
             seconds <= 1.0),
    ]  # fmt: skip


def replan(data_dir: str) -> list[str]:
    import planner
    from planner.report.outputs import write_plan
    from planner.scenario import load_scenario

    scen = REPO / "scenarios"
    base = load_scenario(scen / "london-2022.yaml")
    earlier = planner.solve(base.with_changes({"data.crime.months": {"start": 202404, "end": 202503}}), data_dir,
                            scenario_dir=scen)  # fmt: skip
    later = base.with_changes({"data.crime.months": {"start": 202504, "end": 202603}})
    free = planner.solve(later, data_dir, scenario_dir=scen)
    with tempfile.TemporaryDirectory() as tmp:
        write_plan(earlier, tmp)
        current = {"path": str(Path(tmp) / "allocation.csv"), "boroughs": str(Path(tmp) / "boroughs.csv")}
        stable = planner.solve(later.with_changes({"data.current": current, "rules.stability.move_threshold": 0.1}),
                               data_dir, scenario_dir=scen)  # fmt: skip
    from planner.problem import people_moved

    people = int(earlier.constables.sum() + earlier.pcsos.sum())
    moved_free = people_moved(earlier.constables, free.constables) + people_moved(earlier.pcsos, free.pcsos)
    moved = people_moved(earlier.constables, stable.constables) + people_moved(earlier.pcsos, stable.pcsos)
    return [
        _row("re-plan on the next year's crime: people moved", f"{moved_free:,} ({100 * moved_free / people:.1f} %)",
             f"{moved:,} ({100 * moved / people:.1f} %)", "<= 3 %", moved <= 0.03 * people),
    ]  # fmt: skip


def phasing(data_dir: str) -> list[str]:
    """Issue 11's phasing targets, as benchmarks/stability_phasing.py measures and prints them (its own
    wider table: before is the phasing with continuity, additionality and the terminal condition off)."""
    try:
        from stability_phasing import format_targets, phasing_targets
    except ImportError:
        return ["phasing: benchmarks/stability_phasing.py not present (finance work not merged)"]
    table = format_targets(phasing_targets(data_dir)).splitlines()
    return ["", "phasing on london-phasing-2023-25.yaml (benchmarks/stability_phasing.py):", *table]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=os.environ.get("PLANNER_DATA_DIR", str(REPO.parent / "shared" / "data")))
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    if not (Path(args.data_dir) / "london_wards_2022_bng.gpkg").is_file():
        print(f"skipped: real London data not found in {args.data_dir}")
        return 0
    os.environ.setdefault("PLANNER_CACHE_DIR", tempfile.mkdtemp(prefix="bench-stability-"))
    print(f"{'measure':48s} {'before (from scratch)':>22s} {'after (from today)':>22s} {'target':>16s}")
    for line in [*uplift(args.data_dir, args.repeats), *replan(args.data_dir), *phasing(args.data_dir)]:
        print(line)
    print(f"machine load: {os.getloadavg()[0]:.1f} (2 cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
