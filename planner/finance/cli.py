"""Command-line parts of finance: ``planner cost`` and ``planner phase``.

The lead's ``planner/cli.py`` wires them in::

    from planner.finance import cli as finance_cli
    finance_cli.add_cost_parser(subparsers)    # sets func=run_cost
    finance_cli.add_phase_parser(subparsers)   # sets func=run_phase

Each ``run_*`` returns the exit code: 0 done, 2 bad input (scenario, data,
finance block, unwritable output), 3 infeasible. Messages go to stderr; the
table goes to stdout; output files are written atomically.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from planner.errors import ScenarioError
from planner.scenario import RANKS
from planner.scenario.base import seconds_argument, seed_argument
from planner.textsafe import terminal_text


def add_cost_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``planner cost SCENARIO...``."""
    p = subparsers.add_parser(
        "cost",
        help="compare what options cost: per year, per unit of need served, marginal PCSOs",
        description="Solve each scenario and compare: annual cost by rank of everyone in post (those "
        "not deployed included), cost per financial year in cash and real terms, cost per unit of need "
        "and harm served, the marginal cost of the last 100 PCSOs, what the same money buys as "
        "constables instead, and how that conclusion moves as the value assumptions move (a band).",
    )
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario YAML files")
    p.add_argument("--data-dir", default=None, help="folder the scenarios' data paths are relative to")
    p.add_argument("--out", default=None, metavar="DIR", help="write finance.xlsx, CSVs and charts here")
    p.add_argument("--time-limit", type=seconds_argument, default=None, help="seconds per solve (default: scenario)")
    p.add_argument("--seed", type=seed_argument, default=None, help="solver seed (default: scenario)")
    p.add_argument("--no-marginal", action="store_true", help="skip the re-solves (last 100 PCSOs, and the band)")
    p.add_argument(
        "--band",
        action="append",
        default=None,
        metavar="PATH=LO:HI[:STEP]",
        help="an assumption to vary, re-solving at each value (repeatable; default "
        "objective.pcso_effectiveness=0.3:0.9:0.1); also PATH=V1,V2,...",
    )
    p.add_argument("--no-band", action="store_true", help="do not vary the assumptions (3 solves per value)")
    p.add_argument("--no-charts", action="store_true", help="no PNG charts")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=run_cost)
    return p


def add_phase_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``planner phase SCENARIO``."""
    p = subparsers.add_parser(
        "phase",
        help="phase recruitment and deployment quarter by quarter (e.g. the 1,600 PCSOs, 2023-25)",
        description="Decide how many to recruit each quarter and where to deploy them, within training "
        "places, training lag, attrition, funding streams and yearly budgets, maximising need served.",
    )
    p.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file with a finance.phasing block")
    p.add_argument("--data-dir", default=None, help="folder the scenario's data paths are relative to")
    p.add_argument("--out", default=None, metavar="DIR", help="write phasing.xlsx, CSVs and charts here")
    p.add_argument("--time-limit", type=seconds_argument, default=None, help="seconds (default: scenario)")
    p.add_argument("--seed", type=seed_argument, default=None, help="solver seed (default: scenario)")
    p.add_argument("--no-charts", action="store_true", help="no PNG charts")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=run_phase)
    return p


def _money(x: Any) -> str:
    from planner.report.plain import money

    return money(x, missing="–")


def fy_text(table: Any) -> str:
    """The financial-year table for people: money in £ millions with separators, a missing budget as "none"."""
    from planner.report.plain import money

    def m(x: Any) -> str:
        return money(x, missing="none")

    rename = {"fy": "Financial year", "quarters": "Quarters", "cash": "Cost (cash)", "real": "Cost (real terms)",
              "budget": "Budget"}  # fmt: skip
    shown = table.copy()
    for col in shown.columns:
        if col in ("cash", "real", "budget") or str(col).startswith("cost_"):
            shown[col] = shown[col].map(m)
    shown = shown.rename(columns={c: rename.get(c, f"Cost: {str(c)[5:]}") for c in shown.columns if c != "quarters"})
    shown = shown.rename(columns={"quarters": "Quarters"})
    return str(shown.to_string(index=False))


def stock_text(table: Any) -> str:
    """People in post per quarter and rank (whole people, separators)."""
    from planner.ranks import RANK_LABELS

    pivot = table.pivot(index="period", columns="rank", values="stock")
    order = [r for r in ("constable", "pcso", "sergeant", "inspector") if r in pivot.columns]

    def title(rank: object) -> str:
        words = RANK_LABELS.get(str(rank), str(rank))
        return words[:1].upper() + words[1:]

    pivot = pivot[order].rename(columns=title)
    pivot.index.name = "Quarter"
    pivot.columns.name = None
    return str(pivot.map(lambda v: f"{int(v):,}").to_string())


def run_cost(args: argparse.Namespace) -> int:
    """Run ``planner cost``."""
    from planner.finance.compare import compare_options
    from planner.finance.export import write_comparison
    from planner.progress_bar import BarProgress
    from planner.report.outputs import check_out_dir
    from planner.scenario import load_scenario
    from planner.scenario.finance import finance_of

    if args.out:
        check_out_dir(args.out)  # a bad --out is reported now, not after the solves
    scenarios = [load_scenario(p) for p in args.scenarios]
    for sc in scenarios:
        finance_of(sc)  # every finance block is checked before any solve
    bands = () if args.no_band else _bands(args.band, scenarios)
    bar = BarProgress()
    try:
        comp = compare_options(
            scenarios,
            scenario_dirs=[Path(p).parent for p in args.scenarios],
            data_dir=args.data_dir,
            time_limit=args.time_limit,
            seed=args.seed,
            marginal=not args.no_marginal,
            bands=bands,
            progress=bar,
        )
    finally:
        bar.close()
    from planner.finance.equity_lens import equity_line

    summary = comp.summary()
    written = write_comparison(comp, args.out, charts=not args.no_charts) if args.out else []
    if args.json:
        print(summary.to_json(orient="records", indent=2))
    else:
        for row in summary.to_dict(orient="records"):
            print(f"{row['option']}: {_money(row['annual_cost'])} a year for everyone in post "
                  f"({_money(row['horizon_cash'])} over the horizon, {_money(row['horizon_real'])} real); "
                  f"{_money(row['cost_per_need'])} per unit of need served")  # fmt: skip
            idle = {r: row[f"not_deployed_{r}"] for r in RANKS if row.get(f"not_deployed_{r}")}
            if idle:
                who = ", ".join(f"{n:,} {r}s" for r, n in idle.items())
                print(f"  in post, not deployed: {who}, costing {_money(row['annual_cost_not_deployed'])} a year "
                      "(included above)")  # fmt: skip
            equity = equity_line(row)
            if equity:
                print(equity)
            elif row.get("equity_note"):
                print(f"  deprivation: not shown: {row['equity_note']}")
            if row.get("marginal_basis"):
                print(f"  last 100 PCSOs: {row['marginal_basis']}")
            if row.get("marginal_note"):
                print(terminal_text(f"  last 100 PCSOs: {row['marginal_note']}"))
            elif "marginal_cost_last_100_pcsos" in row:
                cost, need = row["marginal_cost_last_100_pcsos"], row["marginal_need_last_100_pcsos"]
                per = f" ({_money(cost / need)} per unit)" if need > 0 else ""
                print(f"  the last 100 PCSOs cost {_money(cost)} a year (their pay; the sergeants who supervised "
                      f"them stay in post) and serve {need:.3f} units of need{per}")  # fmt: skip
            if row.get("constables_instead_note"):
                print(terminal_text(f"  constables instead: {row['constables_instead_note']}"))
            elif "constables_instead" in row:
                ref = row.get("marginal_reference_need", row["need_served"])
                print(f"  the same money buys {row['constables_instead']} constables instead: need served "
                      f"{row['constables_instead_need']:.3f} against {ref:.3f}")  # fmt: skip
        listed: list[Any] = []
        for opt in comp.options:
            listed = _print_option_basis(opt, listed)
    for path in written:
        print(f"wrote {path}", file=sys.stderr)
    return 0


def _bands(given: list[str] | None, scenarios: list[Any]) -> tuple[Any, ...]:
    """The assumptions to vary: ``--band`` values, else the default where every scenario has it."""
    from planner.finance.band import DEFAULT_BANDS, BandSpec, has_path

    if given:
        return tuple(BandSpec.parse(text) for text in given)
    return tuple(b for b in DEFAULT_BANDS if all(has_path(sc, b.path) for sc in scenarios))


def _print_option_basis(opt: Any, listed: list[Any]) -> list[Any]:
    """The option's effectiveness figures and how its conclusion moves.

    The figures say their source or assumption, unless the same as the option before. Returns the figures listed.
    """
    from planner.finance.band import assumptions
    from planner.finance.compare import value_model_words

    figures = assumptions(opt.scenario)
    print(f"{opt.name}: need served is the planner's value, {value_model_words(opt.plan)}")
    if figures != listed:
        print(f"{opt.name}: costs from the {opt.costs.source}; effectiveness figures:")
        for item in figures:
            print(f"  {item['path']} = {item['value']:g}: {item['status']}")
    else:
        print(f"{opt.name}: costs from the {opt.costs.source}; effectiveness figures as above")
    paths = {item["path"] for item in figures}
    for band in opt.band:
        for line in band.lines(with_status=band.path not in paths):
            print(line)
    return figures


def run_phase(args: argparse.Namespace) -> int:
    """Run ``planner phase``."""
    import planner
    from planner.finance.export import write_phasing
    from planner.finance.phasing import plan_phasing
    from planner.progress import step
    from planner.progress_bar import BarProgress
    from planner.report.outputs import check_out_dir
    from planner.scenario import load_scenario
    from planner.scenario.finance import finance_of

    if args.out:
        check_out_dir(args.out)  # a bad --out is reported now, not after the solve
    scenario = load_scenario(args.scenario)
    if finance_of(scenario).phasing is None:
        raise ScenarioError("finance.phasing: missing (add `phasing: {}` for the defaults)", source=args.scenario)
    bar = BarProgress()
    try:
        with step(bar, "Reading the data"):
            inputs = planner.load_inputs(scenario, args.data_dir, scenario_dir=Path(args.scenario).parent, cache=True)
        res = plan_phasing(scenario, inputs.wards, time_limit=args.time_limit, seed=args.seed, progress=bar)
    finally:
        bar.close()
    written = write_phasing(res, args.out, charts=not args.no_charts) if args.out else []
    if args.json:
        print(json.dumps(res.summary(), indent=2))
    else:
        print(fy_text(res.fy_table()))
        print()
        print(stock_text(res.period_table()))
        for note in res.notes:
            print(terminal_text(f"note: {note}"), file=sys.stderr)
    for path in written:
        print(f"wrote {path}", file=sys.stderr)
    return 0
