"""The ``planner`` command line: a thin layer over the Python API.

Exit codes: 0 a plan (or a clean check), 1 an internal failure (a bug, or the
solver failing: reported in one line, never as a traceback; set PLANNER_DEBUG=1
to see it), 2 bad input, 3 no plan satisfies the rules. Messages go to stderr
with control characters shown as escapes; a user error never shows a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from planner.errors import InfeasibleError, PlannerError
from planner.scenario.base import seconds_argument, seed_argument

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_INFEASIBLE = 0, 1, 2, 3


def _err(message: str) -> None:
    from planner.textsafe import terminal_text

    print(terminal_text(message), file=sys.stderr)


def add_common(p: argparse.ArgumentParser) -> None:
    """Arguments every scenario command takes."""
    p.add_argument("scenario", type=Path, help="scenario YAML file")
    p.add_argument("--data-dir", type=Path, default=None, help="folder the scenario's data paths are relative to")


def _load(args: argparse.Namespace):
    from planner.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    changes = {}
    if getattr(args, "time_limit", None) is not None:
        changes["solver.time_limit"] = args.time_limit
    if getattr(args, "seed", None) is not None:
        changes["solver.seed"] = args.seed
    return scenario.with_changes(changes) if changes else scenario


def run_solve(args: argparse.Namespace) -> int:
    """``planner solve``: solve a scenario and write its outputs."""
    from planner.api import solve
    from planner.inputs.loader import load_inputs
    from planner.report.outputs import check_out_dir, write_plan

    check_out_dir(args.out)  # a bad --out is reported now, not after the solve
    scenario = _load(args)
    inputs = load_inputs(scenario, args.data_dir, scenario_dir=args.scenario.parent)
    plan = solve(scenario, args.data_dir, inputs=inputs, scenario_dir=args.scenario.parent)
    for note in plan.notes:
        _err(f"note: {note}")
    files = write_plan(plan, args.out, inputs.layer)
    t = plan.totals
    _err(
        f"{scenario.name}: {plan.status.value}, objective {plan.objective:.6f}, bound {plan.bound:.6f}, "
        f"gap {plan.gap:.2e}, {plan.solve_seconds:.2f} s\n"
        f"  constables {t['constable']:,}, PCSOs {t['pcso']:,}, sergeants {t['sergeant']:,}, "
        f"inspectors {t['inspector']:,}; annual cost £{plan.cost_annual:,.0f}\n"
        f"  wrote {', '.join(str(f) for f in files)}"
    )
    failed = [k for k, ok in plan.check().items() if not ok]
    if failed:  # a bug, not a user error: say so loudly
        _err(f"internal error: the plan breaks {', '.join(failed)}; please report this")
        return 1
    return EXIT_OK


def run_validate(args: argparse.Namespace) -> int:
    """``planner validate``: check the scenario and its data, report every problem."""
    from planner.api import check_rules, prepare

    scenario = _load(args)  # the teams and finance blocks are validated with the rest
    inputs, workforce, problem = prepare(scenario, args.data_dir, scenario_dir=args.scenario.parent)
    for note in inputs.wards.notes:
        _err(f"note: {note}")
    check_rules(problem, inputs)
    w = inputs.wards
    _err(
        f"{args.scenario}: OK: {w.n_wards} wards in {w.n_boroughs} boroughs and "
        f"{len(set(w.borough_bcu))} command units, {len(w.edges)} adjacencies; "
        f"workforce {_headcount_text(workforce.headcount.tolist())}"
    )
    return EXIT_OK


def _headcount_text(counts: list[int]) -> str:
    names = ("constables", "PCSOs", "sergeants", "inspectors")
    return ", ".join(f"{name} {count:,}" for name, count in zip(names, counts))


def _add_solve(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "solve", help="solve a scenario and write allocation.csv, boroughs.csv, allocation.gpkg, summary.json"
    )
    add_common(p)
    p.add_argument("--out", type=Path, default=Path("out"), help="output folder (default: out)")
    p.add_argument("--time-limit", type=seconds_argument, default=None, help="seconds (overrides solver.time_limit)")
    p.add_argument("--seed", type=seed_argument, default=None, help="random seed (overrides solver.seed)")
    p.set_defaults(func=run_solve)


def _add_validate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check a scenario and its data; report every problem")
    add_common(p)
    p.set_defaults(func=run_validate)


def _plugins() -> list[Callable[[argparse._SubParsersAction], None]]:
    """Subcommands that live with their own feature (teams, batches, finance)."""
    found: list[Callable[[argparse._SubParsersAction], None]] = []
    for module, names in (
        ("planner.teams.cli", ("add_teams_parser",)),
        ("planner.batch.cli", ("add_batch_parser", "add_results_parser", "add_report_parser")),
        ("planner.finance.cli", ("add_cost_parser", "add_phase_parser")),
    ):
        try:
            mod = __import__(module, fromlist=list(names))
        except ImportError:
            continue
        found += [getattr(mod, n) for n in names if hasattr(mod, n)]
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="planner",
        description="Neighbourhood policing resource planner: deploy constables, PCSOs, sergeants and "
        "inspectors to wards, with a certified optimality gap.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _add_solve(sub)
    _add_validate(sub)
    for add in _plugins():
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``planner`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except InfeasibleError as exc:
        _err(f"infeasible: {exc}")
        return EXIT_INFEASIBLE
    except PlannerError as exc:
        _err(f"error: {exc}")
        return exc.exit_code
    except OSError as exc:
        _err(f"error: {exc}")
        return EXIT_INPUT
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except Exception as exc:  # a bug or a solver failure, not a user error: one clear line, exit 1
        if os.environ.get("PLANNER_DEBUG"):
            traceback.print_exc()
        detail = " ".join(str(exc).split())
        detail = detail if len(detail) <= 300 else detail[:297] + "..."
        _err(
            f"internal error: {type(exc).__name__}: {detail}\n"
            "  please report this with the scenario (PLANNER_DEBUG=1 shows the traceback)"
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
