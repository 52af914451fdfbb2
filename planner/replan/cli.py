"""``planner stability``: how many people a re-plan moves when the crime window shifts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _shifts(text: str) -> list[int]:
    try:
        out = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shifts wants whole months separated by commas, got {text!r}") from None
    if not out or min(out) < 1 or max(out) > 60:
        raise argparse.ArgumentTypeError("--shifts wants months between 1 and 60")
    return out


def add_stability_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``stability`` subcommand."""
    p = subparsers.add_parser(
        "stability",
        help="how many people a re-plan moves when the crime window shifts by a month, a quarter and a year",
        description="Plan on a crime window ending some months earlier, then re-plan on the latest window from "
        "scratch and from that plan with the scenario's stability rules (or a move threshold of 0.1), and count "
        "the constables and PCSOs who change ward. Writes stability.csv and stability.json.",
    )
    p.add_argument("scenario", type=Path, help="scenario YAML file")
    p.add_argument("--data-dir", type=Path, default=None, help="folder the scenario's data paths are relative to")
    p.add_argument("--out", type=Path, default=Path("out/stability"), help="output folder (default: out/stability)")
    p.add_argument("--shifts", type=_shifts, default=[1, 3, 12], help="months to shift by (default: 1,3,12)")
    p.add_argument("--months", type=int, default=12, help="length of each crime window in months (default: 12)")
    p.set_defaults(func=run_stability)
    return p


def run_stability(args: argparse.Namespace) -> int:
    """Run ``planner stability``; return the exit code (errors propagate as PlannerError)."""
    from planner.replan.api import describe, window_stability, write_stability
    from planner.scenario import load_scenario

    scenario = load_scenario(args.scenario)

    def say(message: str) -> None:
        print(message, file=sys.stderr)

    results = window_stability(
        scenario, args.data_dir, scenario_dir=args.scenario.parent, shifts=args.shifts, months=args.months,
        progress=say,
    )  # fmt: skip
    files = write_stability(results, args.out)
    print(describe(results))
    say(f"wrote {', '.join(str(f) for f in files)}")
    return 0
