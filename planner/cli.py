"""The ``planner`` command line: a thin layer over the Python API.

Exit codes: 0 a plan (or a clean check), 1 an internal failure (a bug, or the
solver failing: reported in one line, never as a traceback; set PLANNER_DEBUG=1
to see it), 2 bad input, 3 no plan satisfies the rules. Messages go to stderr
with control characters shown as escapes; a user error never shows a traceback.

Importing this module is light (argparse and the errors): the engine and each
feature's own subcommands are imported only when their command runs, so
``planner --help`` prints at once. Steps that take a while show progress
(:mod:`planner.progress_bar`).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.errors import InfeasibleError, PlannerError

if TYPE_CHECKING:
    from planner.problem import AllocationProblem
    from planner.progress_bar import BarProgress

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_INFEASIBLE = 0, 1, 2, 3


def _idle_words(plan: Any) -> str:
    """`` (in post, not deployed: 2 sergeants, 10 inspectors)`` or nothing."""
    from planner.report.plain import count

    idle = [count(n, rank if rank != "pcso" else "PCSO") for rank, n in plan.not_deployed.items() if n > 0]
    return f" (in post, not deployed: {', '.join(idle)})" if idle else ""


def seconds_argument(text: str) -> float:
    """The argparse type of ``--time-limit`` (:data:`planner.scenario.base.seconds_argument`, imported when used)."""
    from planner.scenario.base import seconds_argument as parse

    return float(parse(text))


def seed_argument(text: str) -> int:
    """The argparse type of ``--seed`` (:data:`planner.scenario.base.seed_argument`, imported when used)."""
    from planner.scenario.base import seed_argument as parse

    return int(parse(text))


def _err(message: str) -> None:
    from planner.textsafe import terminal_text

    print(terminal_text(message), file=sys.stderr)


EXAMPLES = """\
examples:
  planner solve scenarios/demo.yaml --out out/demo
      solve the embedded demo city and write the plan to out/demo
  planner solve scenarios/london-2022.yaml --data-dir ../shared/data --out out/london
      real London, from the public data files
  planner validate scenarios/london-2022.yaml --data-dir ../shared/data
      check a scenario and its data files; report every problem at once
  planner app
      start the planner app in the browser (http://localhost:8501)
  planner teams scenarios/demo.yaml --out out/teams
      group each borough's wards into neighbourhood teams
  planner cost scenarios/demo.yaml --no-marginal
      what a plan costs a year and over the horizon
  planner phase scenarios/finance/phasing-2023-25.yaml
      recruit and deploy quarter by quarter within training places and budgets
  planner SUBCOMMAND --help
      the options of one command

exit codes: 0 done, 1 internal failure (one line; PLANNER_DEBUG=1 shows the traceback), 2 bad input (the message
names the file, line and column), 3 no plan satisfies the rules.
documentation: docs/index.md (or the site built by `mkdocs build`).
"""


def add_common(p: argparse.ArgumentParser) -> None:
    """Arguments every scenario command takes."""
    p.add_argument("scenario", type=Path, help="scenario YAML file")
    p.add_argument("--data-dir", type=Path, default=None, help="folder the scenario's data paths are relative to")
    p.add_argument(
        "--no-cache",
        action="store_true",
        help="read every data file afresh (by default parsed files are kept in ~/.cache/planner while unchanged; "
        "PLANNER_CACHE=off does the same)",
    )


def _load(args: argparse.Namespace):
    from planner.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    changes = {}
    if getattr(args, "time_limit", None) is not None:
        changes["solver.time_limit"] = args.time_limit
    if getattr(args, "seed", None) is not None:
        changes["solver.seed"] = args.seed
    return scenario.with_changes(changes) if changes else scenario


def progress() -> BarProgress:
    """The progress display of this run (bars on a terminal, one line per step in a log)."""
    from planner.progress_bar import BarProgress

    return BarProgress()


def run_solve(args: argparse.Namespace) -> int:
    """``planner solve``: solve a scenario and write its outputs."""
    from planner.progress import step

    bar = progress()
    price = None
    try:
        with step(bar, "Loading the engine"):
            from planner.api import solve
            from planner.inputs.loader import load_inputs
            from planner.report.outputs import check_out_dir, write_plan
            from planner.report.plain import certificate, count, duration, money, status_words

        check_out_dir(args.out)  # a bad --out is reported now, not after the solve
        scenario = _load(args)
        with step(bar, "Reading the data"):
            inputs = load_inputs(scenario, args.data_dir, scenario_dir=args.scenario.parent, cache=not args.no_cache)
        with step(bar, "Solving"):
            plan = solve(scenario, args.data_dir, inputs=inputs, scenario_dir=args.scenario.parent)
        if scenario.rules.fairness.tolerance is not None:
            from planner.report.fairness import price_of_fairness

            with step(bar, "Solving without the fairness rule"):
                price = price_of_fairness(plan)
        with step(bar, "Writing the plan"):
            files = write_plan(plan, args.out, inputs.layer)
    finally:
        bar.close()
    for note in plan.notes:
        _err(f"note: {note}")
    t = plan.totals
    where = Path(files[0]).parent if files else args.out
    _err(
        f"{scenario.name}: {status_words(plan.status)}, {certificate(plan.status, plan.gap)} "
        f"(solved in {duration(plan.solve_seconds)}; objective {plan.objective:,.4f}, bound {plan.bound:,.4f})\n"
        f"  deployed: {count(t['constable'], 'constable')}, {count(t['pcso'], 'PCSO')}, "
        f"{count(t['sergeant'], 'sergeant')}, {count(t['inspector'], 'inspector')}\n"
        f"  pay cost: {money(plan.cost_annual)} a year ({money(plan.cost_annual, exact=True)}) for those deployed; "
        f"{money(plan.cost_in_post_annual)} a year for everyone in post{_idle_words(plan)}\n"
        f"  wrote {where}: {', '.join(Path(f).name for f in files)}"
    )
    changes = plan.changes()
    if changes is not None:
        _err(f"  {changes.sentence()}")
    if scenario.rules.fairness.tolerance is not None and price is not None:
        _err(f"  {price.sentence()}")
    failed = [k for k, ok in plan.check().items() if not ok]
    if failed:  # a bug, not a user error: say so loudly
        _err(f"internal error: the plan breaks {', '.join(failed)}; please report this")
        return 1
    return EXIT_OK


def run_validate(args: argparse.Namespace) -> int:
    """``planner validate``: check the scenario and its data, report every problem."""
    from planner.api import check_rules, prepare
    from planner.inputs.loader import load_inputs

    scenario = _load(args)  # the teams and finance blocks are validated with the rest
    inputs = load_inputs(scenario, args.data_dir, scenario_dir=args.scenario.parent, cache=not args.no_cache)
    inputs, workforce, problem = prepare(scenario, args.data_dir, inputs=inputs, scenario_dir=args.scenario.parent)
    for note in inputs.wards.notes:
        _err(f"note: {note}")
    _print_overrides(problem)
    check_rules(problem, inputs)
    from planner.inputs.harm_choices import harm_choices
    from planner.inputs.loader import make_resolver

    for line in harm_choices(inputs, scenario, make_resolver(args.data_dir, args.scenario.parent)).lines():
        _err(line)
    w = inputs.wards
    _err(
        f"{args.scenario}: OK: {w.n_wards} wards in {w.n_boroughs} boroughs and "
        f"{len(set(w.borough_bcu))} command units, {len(w.edges)} adjacencies; "
        f"workforce {_headcount_text(workforce.headcount.tolist())}"
    )
    return EXIT_OK


def _print_overrides(problem: AllocationProblem) -> None:
    """One line per override of ``data.overrides``: the ward, its line, the override and its reason."""
    from planner.rules.overrides import describe, override_params

    par = override_params(problem)
    if par is None:
        return
    for w in par.wards:
        _err(f"override: {par.names[w]} (line {par.line[w]} of {par.source}): {describe(par, int(w))}; "
             f"reason: {par.reason[w]}")  # fmt: skip


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


def run_app(args: argparse.Namespace) -> int:
    """``planner app``: start the Streamlit app on this machine (``streamlit run``, the planner loaded meanwhile)."""
    import os

    entry = Path(__file__).resolve().parent / "app" / "main.py"
    env = dict(os.environ)
    if args.data_dir is not None:
        if not Path(args.data_dir).is_dir():
            _err(f"error: --data-dir {args.data_dir} is not a folder")
            return EXIT_INPUT
        env["PLANNER_DATA_DIR"] = str(Path(args.data_dir).resolve())
    if args.scenario is not None:
        env["PLANNER_SCENARIO"] = args.scenario
    cmd = [
        sys.executable, "-m", "planner.app.serve", "run", str(entry),
        "--server.port", str(args.port), "--server.address", args.address,
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "viewer", "--client.showErrorDetails", "none",
        "--server.fileWatcherType", "none",  # no reloading on edits: watching every loaded module costs seconds
    ]  # fmt: skip
    _err(f"the planner app: http://{args.address}:{args.port}/ (Ctrl+C stops it)")
    sys.stderr.flush()
    # Streamlit (through planner.app.serve) takes this process over: Ctrl+C and kill reach it directly
    os.execve(sys.executable, cmd, env)
    return EXIT_OK  # not reached (only when execve is replaced, as in tests)


def _add_app(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "app",
        help="start the planner app in the browser (Streamlit, this machine only)",
        description="Start the planner app (maps, scenarios, comparison, exports) at http://localhost:PORT/.",
    )
    p.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    p.add_argument("--address", default="localhost", help="address to listen on (default localhost: this machine)")
    p.add_argument("--data-dir", default=None, help="the public London data folder (else the demo city)")
    p.add_argument("--scenario", default=None, help="scenario file in scenarios/ to open with")
    p.set_defaults(func=run_app)


@dataclass(frozen=True)
class Plugin:
    """A subcommand that lives with its own feature, imported only when it runs (or its help is asked)."""

    command: str
    module: str
    adder: str
    help: str


PLUGINS: tuple[Plugin, ...] = (
    Plugin("teams", "planner.teams.cli", "add_teams_parser", "group each borough's wards into neighbourhood teams"),
    Plugin("batch", "planner.batch.cli", "add_batch_parser", "solve a sweep of scenarios (local pool or Dask)"),
    Plugin("results", "planner.batch.cli", "add_results_parser", "the table of a batch's results"),
    Plugin("report", "planner.batch.cli", "add_report_parser", "a report of a batch's results"),
    Plugin("cost", "planner.finance.cli", "add_cost_parser", "compare what options cost, per year and per need"),
    Plugin("phase", "planner.finance.cli", "add_phase_parser", "phase recruitment and deployment quarter by quarter"),
    Plugin(
        "transition",
        "planner.transition.cli",
        "add_transition_parser",
        "carry the 2018 ward model (2 ward officers + 1 PCSO per ward) to the 2022 wards",
    ),
    Plugin(
        "backtest", "planner.backtest.cli", "add_backtest_parser", "judge plans made on earlier crime on later crime"
    ),
    Plugin(
        "stability",
        "planner.replan.cli",
        "add_stability_parser",
        "how many people a re-plan moves when the crime window shifts",
    ),
)


def _chosen(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv`` (the first word that is not an option)."""
    return next((a for a in argv if not a.startswith("-")), None)


def _add_plugin(sub: argparse._SubParsersAction, plugin: Plugin, full: bool) -> None:
    """The plugin's own parser when ``full`` (imports its module), else a stub for the command list."""
    if full:
        try:
            mod = __import__(plugin.module, fromlist=[plugin.adder])
        except ImportError:
            return
        add: Callable[[argparse._SubParsersAction], object] | None = getattr(mod, plugin.adder, None)
        if add is not None:
            add(sub)
            return
    sub.add_parser(plugin.command, help=plugin.help, add_help=False)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The ``planner`` parser; only the subcommand named in ``argv`` imports its feature (all when None)."""
    parser = argparse.ArgumentParser(
        prog="planner",
        description="Neighbourhood policing resource planner: deploy constables, PCSOs, sergeants and "
        "inspectors to wards and boroughs, with a proof of how close each plan is to the best possible.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_solve(sub)
    _add_validate(sub)
    _add_app(sub)
    chosen = None if argv is None else _chosen(argv)
    for plugin in PLUGINS:
        _add_plugin(sub, plugin, full=argv is None or plugin.command == chosen)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``planner`` command."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
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
