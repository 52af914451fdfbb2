"""``planner backtest SCENARIO [--data-dir DIR] [--out DIR]``: plan on earlier crime, judge on later.

Registered by ``planner/cli.py`` (``add_backtest_parser``). Exit codes as for
every command: 0 done, 2 bad input, 3 infeasible. The table goes to stdout,
messages to stderr; the output files are written all or nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from planner.scenario.base import seconds_argument, seed_argument

SHOWN = {
    "method": "method",
    "gain_share_pct": "gain %",
    "later_value": "value",
    "harm_covered_pct": "harm covered %",
    "harm_per_officer_top": "harm/officer top",
    "residents_per_officer_top": "res/officer top",
    "residents_per_officer_bottom": "res/officer bottom",
    "moved_to_hindsight": "moved",
}


def add_backtest_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``planner backtest``."""
    p = subparsers.add_parser(
        "backtest",
        help="plan on earlier crime, judge the plan and simple rules on the crime that came after",
        description="Make the optimised plan on the scenario's backtest.earlier crime window and judge it, "
        "with officers proportional to crime, proportional to need, equal per ward and today's deployment "
        "(when given), on the scenario's own later window. Writes backtest.csv, backtest.json, backtest.png.",
    )
    p.add_argument("scenario", type=Path, help="scenario YAML file with a backtest: block")
    p.add_argument("--data-dir", type=Path, default=None, help="folder the scenario's data paths are relative to")
    p.add_argument("--out", type=Path, default=Path("out/backtest"), help="output folder (default: out/backtest)")
    p.add_argument(
        "--time-limit", type=seconds_argument, default=None, help="seconds per solve (overrides solver.time_limit)"
    )
    p.add_argument("--seed", type=seed_argument, default=None, help="solver seed (overrides solver.seed)")
    p.add_argument("--no-plot", action="store_true", help="do not draw backtest.png")
    p.set_defaults(func=run_backtest_command)
    return p


def format_table(table: pd.DataFrame) -> str:
    """The main columns of the backtest table as aligned text (methods in words)."""
    shown = table[list(SHOWN)].rename(columns=SHOWN)
    shown["method"] = shown["method"].str.replace("_", " ")
    return shown.to_string(
        index=False,
        formatters={
            "gain %": "{:.1f}".format,
            "value": "{:.2f}".format,
            "harm covered %": "{:.1f}".format,
            "harm/officer top": "{:,.0f}".format,
            "res/officer top": "{:,.0f}".format,
            "res/officer bottom": "{:,.0f}".format,
            "moved": "{:,}".format,
        },
    )


def run_backtest_command(args: argparse.Namespace) -> int:
    """Run ``planner backtest``."""
    from planner.backtest.run import run_backtest, write_backtest
    from planner.report.outputs import check_out_dir
    from planner.rules.words import rule_words
    from planner.scenario import load_scenario
    from planner.textsafe import terminal_text

    check_out_dir(args.out)  # a bad --out is reported now, not after the solves
    scenario = load_scenario(args.scenario)
    result = run_backtest(
        scenario, args.data_dir, scenario_dir=args.scenario.parent, time_limit=args.time_limit, seed=args.seed
    )
    files = write_backtest(result, args.out, plot=not args.no_plot)
    print(format_table(result.table))
    e, lt = result.earlier_months, result.later_months
    print(
        f"{scenario.name}: planned on {e[0]}..{e[-1]} ({len(e)} months), judged on {lt[0]}..{lt[-1]} "
        f"({len(lt)} months) in {result.seconds:.1f} s\n  wrote {', '.join(str(f) for f in files)}",
        file=sys.stderr,
    )
    broken = result.table.loc[result.table["rules_broken"] != "", ["method", "rules_broken"]]
    for method, rules in broken.itertuples(index=False):
        words = "; ".join(f"“{rule_words(r.strip())}”" for r in str(rules).split(",") if r.strip())
        print(terminal_text(f"note: {method.replace('_', ' ')} breaks {words} (the planner's own plans never do)"),
              file=sys.stderr)  # fmt: skip
    return 0
