"""Command-line parts of batches: ``planner batch``, ``planner results``, ``planner report``.

The lead's ``planner/cli.py`` wires them in::

    from planner.batch import cli as batch_cli
    batch_cli.add_batch_parser(subparsers)    # sets func=run_batch
    batch_cli.add_results_parser(subparsers)  # sets func=run_results
    batch_cli.add_report_parser(subparsers)   # sets func=run_report

Each ``run_*`` returns the exit code: 0 done, 1 some runs failed or were lost
(they are stored; ``--resume`` runs them again), 2 bad input, 130 interrupted.
User errors are printed on stderr, never as a traceback.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from typing import Any

from planner.errors import InputError

DEFAULT_STORE = "batches.sqlite"
CONFIRM_ABOVE = 1000
"""A batch with more runs than this asks for --yes (or a yes at the terminal)."""


def add_batch_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``planner batch SWEEP ...`` and ``planner batch --status STORE``."""
    p = subparsers.add_parser(
        "batch",
        help="run a parameter sweep in parallel and store every run",
        description="Expand a sweep file into runs, solve them on local processes or a Dask cluster, "
        "and store each run (SQLite file by default, PostgreSQL by URL). Several drivers, on any "
        "machines, can share one batch: start the others with --resume.",
    )
    p.add_argument("sweep", nargs="?", help="sweep YAML file (base scenario + axes)")
    p.add_argument("--data-dir", default=None, help="folder the scenario's data paths are relative to")
    p.add_argument("--workers", type=int, default=None, help="local worker processes (default: one per core)")
    p.add_argument(
        "--scheduler", default=None, metavar="ADDRESS",
        help="Dask scheduler, e.g. tcp://host:8786, or 'local' for a throw-away local Dask cluster",
    )  # fmt: skip
    p.add_argument(
        "--store", default=DEFAULT_STORE, metavar="URL",
        help=f"SQLite file or postgresql+psycopg:// URL (default: {DEFAULT_STORE})",
    )  # fmt: skip
    p.add_argument("--resume", action="store_true", help="finish a stored batch or join its drivers; retry failures")
    p.add_argument("--batch-id", default=None, metavar="ID", help="batch id (default: sweep name + hash)")
    p.add_argument("--dry-run", action="store_true", help="list the runs, estimate time and store size; write nothing")
    p.add_argument(
        "--yes", action="store_true", help=f"start a batch of more than {CONFIRM_ABOVE:,} runs without asking"
    )
    p.add_argument(
        "--run-timeout", type=float, default=None, metavar="SECONDS",
        help="stop a run that takes longer (default: 3 x its solver time limit + 120 s; 0: never)",
    )  # fmt: skip
    p.add_argument(
        "--lease", type=float, default=None, metavar="SECONDS",
        help="how long a driver's claim on its runs lasts without a heartbeat (default 60)",
    )  # fmt: skip
    p.add_argument("--status", default=None, metavar="STORE", help="show done, running, failed and left per batch")
    p.add_argument("--quiet", action="store_true", help="no progress line")
    p.set_defaults(func=run_batch)
    return p


def add_results_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``planner results STORE ...``."""
    p = subparsers.add_parser(
        "results",
        help="export a results store as a tidy table",
        description="One row per run (or per run and ward / borough), with each parameter as a column. "
        "Streams: memory stays bounded whatever the size of the batch.",
    )
    p.add_argument("store", help="SQLite file or database URL")
    p.add_argument("--batch", default=None, metavar="ID", help="only this batch (default: all)")
    p.add_argument("--format", default="csv", choices=("csv", "parquet"))
    p.add_argument("--level", default="runs", choices=("runs", "wards", "boroughs"))
    p.add_argument("--out", default=None, metavar="FILE", help="output file (CSV default: stdout)")
    p.set_defaults(func=run_results)
    return p


def add_report_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``planner report STORE --out DIR``."""
    p = subparsers.add_parser(
        "report",
        help="a batch's options for planners: table, plots, what limits each plan",
        description="A table of the options (cost, need covered, worst-served wards and what limits "
        "each plan), infeasible runs with their reasons, and plots that show every axis of the sweep.",
    )
    p.add_argument("store", help="SQLite file or database URL")
    p.add_argument("--batch", default=None, metavar="ID", help="the batch (default: the newest)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the figures, options.csv and report.md")
    p.add_argument(
        "--data-dir",
        default=None,
        metavar="DIR",
        help="data folder for the equity figures (default: the one the batch was run with)",
    )
    p.set_defaults(func=run_report)
    return p


def _positive(value: float | None, flag: str, *, zero: bool = False) -> None:
    if value is None:
        return
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero):
        raise InputError(f"{flag}: expected a positive number of seconds, got {value:g}")


def run_batch(args: argparse.Namespace) -> int:
    """``planner batch``: run the sweep (or show ``--status``); 0 when every run is finished."""
    if args.status is not None:
        return run_status(args)
    if args.sweep is None:
        raise InputError("give a sweep file to run, or --status STORE to see where batches stand")
    from planner.batch.sweep import load_sweep

    sweep = load_sweep(args.sweep)
    if args.workers is not None and args.workers < 1:
        raise InputError("--workers: must be at least 1")
    _positive(args.run_timeout, "--run-timeout", zero=True)
    _positive(args.lease, "--lease")
    if args.dry_run:
        return run_dry(args, sweep)
    return _run(args, sweep)


def _confirmed(n_runs: int) -> bool:
    """Ask at a terminal; never when stdin is not one (scripts must say --yes)."""
    if not sys.stdin.isatty():
        return False
    answer = input(f"This batch has {n_runs:,} runs. Start it? (tip: --dry-run estimates its time) [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def _run(args: argparse.Namespace, sweep: Any) -> int:
    from planner.batch.runner import LEASE_SECONDS
    from planner.batch.runner import run_batch as run
    from planner.batch.store import Store

    with Store(args.store) as store:  # opening writes nothing
        batch_id = args.batch_id or sweep.batch_id()
        new = store.batch(batch_id) is None
        if new and sweep.n_runs > CONFIRM_ABOVE and not args.yes and not _confirmed(sweep.n_runs):
            raise InputError(
                f"the sweep has {sweep.n_runs:,} runs (more than {CONFIRM_ABOVE:,}): add --yes to start it, "
                "or --dry-run first to see its estimated time and store size"
            )
        summary = run(
            sweep,
            store,
            data_dir=args.data_dir,
            workers=args.workers,
            scheduler=args.scheduler,
            resume=args.resume,
            batch_id=args.batch_id,
            progress=None if getattr(args, "quiet", False) else sys.stderr,
            run_timeout=args.run_timeout,
            lease=args.lease or LEASE_SECONDS,
        )
    print(summary.text())
    if summary.interrupted:
        return 130
    if not summary.complete:
        print(
            f"planner: {summary.failed + summary.lost} run(s) did not finish (see 'planner results "
            f"{args.store} --batch {summary.batch_id}'); add --resume to run them again",
            file=sys.stderr,
        )
        return 1
    return 0


def run_dry(args: argparse.Namespace, sweep: Any) -> int:
    """``planner batch --dry-run``: list, time and size the batch; write nothing."""
    from planner.batch import dryrun

    runs = sweep.runs()
    slots, where = dryrun.slots_for(args.workers, args.scheduler)
    est = dryrun.estimate(sweep, runs, slots, data_dir=args.data_dir)
    dryrun.report(sweep, runs, est, where, args.store, sys.stdout)
    return 0


def run_status(args: argparse.Namespace) -> int:
    """``planner batch --status STORE``: done, running, failed and left of each batch."""
    from planner.batch.leases import batch_status
    from planner.batch.store import Store

    with Store(args.status, create=False) as store:
        ids = [store.resolve_batch(args.batch_id)] if args.batch_id else store.batch_ids()
        if not ids:
            raise InputError(f"{store}: the store holds no batches")
        for batch_id in ids:
            print(status_text(batch_status(store, batch_id), (store.batch(batch_id) or {}).get("name", "")))
    return 0


def status_text(s: Any, name: str = "") -> str:
    """The ``--status`` block of one batch."""
    lines = [f"batch {s.batch_id}{f' ({name})' if name and name not in s.batch_id else ''}: {s.planned:,} runs"]
    lines.append(f"  done     {s.done:>9,}  ({s.ok:,} ok, {s.infeasible:,} infeasible)")
    drivers = "; ".join(f"{d} holds {n:,}, lease {left:.0f} s left" for d, (n, left) in sorted(s.drivers.items()))
    lines.append(f"  running  {s.running:>9,}" + (f"  ({drivers})" if drivers else ""))
    lines.append(
        f"  failed   {s.failed + s.lost:>9,}  ({s.failed:,} failed, {s.lost:,} lost; --resume runs them again)"
    )
    detail = f"{s.pending:,} not started" + (f", {s.expired:,} whose driver's lease expired" if s.expired else "")
    lines.append(f"  left     {s.left:>9,}  ({detail})")
    return "\n".join(lines)


def run_results(args: argparse.Namespace) -> int:
    """``planner results``: stream the tidy table."""
    from planner.batch.results import export_table
    from planner.batch.store import Store

    with Store(args.store, create=False) as store:
        rows = export_table(store, args.level, args.batch, args.out, args.format)
    if args.out:
        print(f"wrote {rows:,} rows to {args.out}", file=sys.stderr)
    return 0


def run_report(args: argparse.Namespace) -> int:
    """``planner report``: write the options table, the plots and report.md."""
    from planner.batch.report import write_report
    from planner.batch.store import Store

    with Store(args.store, create=False) as store:
        files = write_report(store, args.out, args.batch, data_dir=args.data_dir)
    for path in files:
        print(path)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m planner.batch {batch,results,report} ...``: the planner command line, one error handler."""
    from planner.cli import main as planner_main

    return planner_main(argv)
