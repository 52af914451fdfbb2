"""``planner transition``: carry the 2018 neighbourhood model to the 2022 wards and write it out.

Wire into the ``planner`` command with :func:`add_transition_parser` (sets
``func=run_transition``). Exit codes follow ``planner solve``: 0 files
written, 2 bad input; :func:`planner.cli.main` turns
:class:`~planner.errors.PlannerError` into a message on stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_transition_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``transition`` subcommand."""
    p = subparsers.add_parser(
        "transition",
        help="rebuild the 2018 ward model (2 ward officers + 1 PCSO per ward) and carry it to the 2022 wards "
        "(transition.csv, current_2018.csv, current_2022.csv, summary.json)",
        description="Rebuild the neighbourhood model in force before May 2022 on the 632 Met wards of 2018, "
        "overlay the 2018 and 2022 wards in British National Grid and carry each 2018 team to the 2022 wards "
        "by its share of area (or residents). current_2022.csv is today's deployment for data.current.",
    )
    p.add_argument(
        "--data-dir", type=Path, default=None, help="the data folder with the 2018 and 2022 ward files (default: .)"
    )
    p.add_argument("--out", type=Path, default=Path("out/transition"), help="output folder (default: out/transition)")
    p.add_argument(
        "--model", type=Path, default=None, help="YAML or CSV changing the 2018 model (defaults, per-ward numbers)"
    )
    p.add_argument(
        "--weights",
        choices=("area", "population"),
        default="area",
        help="split each 2018 ward by area (default) or by Census 2021 residents of the 2022 wards",
    )
    p.set_defaults(func=run_transition)
    return p


def run_transition(args: argparse.Namespace) -> int:
    """Run ``planner transition``; return the exit code (errors propagate as PlannerError)."""
    from planner.transition.api import build_transition, write_transition

    result = build_transition(args.data_dir, model=args.model, weights=args.weights)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    files = write_transition(result, args.out)
    print(result.summary_text())
    print(f"wrote {', '.join(str(f) for f in files)}", file=sys.stderr)
    return 0
