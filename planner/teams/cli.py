"""``planner teams SCENARIO``: design neighbourhood teams and write them out.

Wire into the ``planner`` command with :func:`add_teams_parser` (sets
``func=run_teams``). Exit codes follow ``planner solve``: 0 teams written,
2 bad input, 3 infeasible; the caller (``planner.cli.main``) turns
:class:`~planner.errors.PlannerError` into a message on stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_teams_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``teams`` subcommand."""
    p = subparsers.add_parser(
        "teams",
        help="group each borough's wards into contiguous, balanced neighbourhood teams "
        "(teams.csv, team_wards.csv, supervisors.csv, allocation.gpkg, summary.json)",
        description="Solve the allocation (unless teams.from: need), then partition every borough's wards "
        "into contiguous teams of balanced workload, led by sergeants and inspectors within their spans.",
    )
    p.add_argument("scenario", type=Path, help="scenario YAML file (settings in its teams: block)")
    p.add_argument("--data-dir", type=Path, default=None, help="folder the scenario's data paths are relative to")
    p.add_argument("--out", type=Path, default=Path("out"), help="output folder (default: out)")
    p.add_argument(
        "--time-limit", type=float, default=None, help="seconds for the allocation and for the team design each"
    )
    p.add_argument("--seed", type=int, default=None, help="random seed (same seed, same teams)")
    p.set_defaults(func=run_teams)
    return p


def _err(message: str) -> None:
    print(message, file=sys.stderr)


def run_teams(args: argparse.Namespace) -> int:
    """Run ``planner teams``; return the exit code (errors propagate as PlannerError)."""
    from planner.progress_bar import BarProgress
    from planner.scenario import load_scenario
    from planner.teams.api import design
    from planner.teams.outputs import write_teams

    scenario = load_scenario(args.scenario)
    bar = BarProgress()
    try:
        result, plan, inputs = design(
            scenario,
            args.data_dir,
            scenario_dir=args.scenario.parent,
            time_limit=args.time_limit,
            seed=args.seed,
            progress=bar,
            cache=True,
        )
    finally:
        bar.close()
    for note in (*(plan.notes if plan is not None else inputs.wards.notes), *result.notes):
        _err(f"note: {note}")
    files = write_teams(result, args.out, plan=plan, layer=inputs.layer, scenario=scenario.name)
    m = result.metrics()
    pp = m["polsby_popper"]
    sup = m["supervisors"]
    change = ""
    if "sergeants_ratio" in sup:
        change = (
            f" (borough ratio: {sup['sergeants_ratio']:,} and {sup['inspectors_ratio']:,}; "
            f"change {sup['sergeants_change']:+,} and {sup['inspectors_change']:+,})"
        )
    _err(
        f"{scenario.name}: {m['teams']} teams in {len(result.boroughs)} boroughs, all contiguous: "
        f"{m['all_contiguous']}; worst deviation {m['max_abs_deviation']:.1%} (tolerance {m['tolerance']:.0%}), "
        f"mean {m['mean_abs_deviation']:.1%}; "
        + (f"Polsby-Popper mean {pp['mean']:.3f}; " if pp else "")
        + f"{m['cut_edges']} cut edges; {m['seconds']:.1f} s\n"
        f"  teams need {sup['sergeants_teams']:,} sergeants and {sup['inspectors_teams']:,} inspectors{change}\n"
        f"  wrote {', '.join(str(f) for f in files)}"
    )
    return 0
