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
import sys
from collections.abc import Sequence
from typing import Any

from planner.errors import InputError

DEFAULT_STORE = "batches.sqlite"


def add_batch_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``planner batch SWEEP ...``."""
    p = subparsers.add_parser(
        "batch",
        help="run a parameter sweep in parallel and store every run",
        description="Expand a sweep file into runs, solve them on local processes or a Dask cluster, "
        "and store each run (SQLite file by default, PostgreSQL by URL).",
    )
    p.add_argument("sweep", help="sweep YAML file (base scenario + axes)")
    p.add_argument("--data-dir", default=None, help="folder the scenario's data paths are relative to")
    p.add_argument("--workers", type=int, default=None, help="local worker processes (default: one per core)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS", help="Dask scheduler, e.g. tcp://host:8786")
    p.add_argument(
        "--store", default=DEFAULT_STORE, metavar="URL",
        help=f"SQLite file or postgresql+psycopg:// URL (default: {DEFAULT_STORE})",
    )  # fmt: skip
    p.add_argument("--resume", action="store_true", help="finish a stored batch: run only what is missing")
    p.add_argument("--batch-id", default=None, metavar="ID", help="batch id (default: sweep name + hash)")
    p.add_argument("--quiet", action="store_true", help="no progress line")
    p.set_defaults(func=run_batch)
    return p  # type: ignore[no-any-return]


def add_results_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``planner results STORE ...``."""
    p = subparsers.add_parser(
        "results",
        help="export a results store as a tidy table",
        description="One row per run (or per run and ward / borough), with each parameter as a column.",
    )
    p.add_argument("store", help="SQLite file or database URL")
    p.add_argument("--batch", default=None, metavar="ID", help="only this batch (default: all)")
    p.add_argument("--format", default="csv", choices=("csv", "parquet"))
    p.add_argument("--level", default="runs", choices=("runs", "wards", "boroughs"))
    p.add_argument("--out", default=None, metavar="FILE", help="output file (CSV default: stdout)")
    p.set_defaults(func=run_results)
    return p  # type: ignore[no-any-return]


def add_report_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``planner report STORE --out DIR``."""
    p = subparsers.add_parser(
        "report",
        help="plot a batch's trade-offs",
        description="Plots of cost against need covered, PCSO uplift against worst-served wards, "
        "and span of control against sergeants needed.",
    )
    p.add_argument("store", help="SQLite file or database URL")
    p.add_argument("--batch", default=None, metavar="ID", help="the batch (default: the newest)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the figures and report.md")
    p.set_defaults(func=run_report)
    return p  # type: ignore[no-any-return]


def run_batch(args: argparse.Namespace) -> int:
    """``planner batch``: run the sweep; 0 when every run is finished."""
    from planner.batch.runner import run_batch as run
    from planner.batch.store import Store
    from planner.batch.sweep import load_sweep

    sweep = load_sweep(args.sweep)
    if args.workers is not None and args.workers < 1:
        raise InputError("--workers: must be at least 1")
    with Store(args.store) as store:
        summary = run(
            sweep,
            store,
            data_dir=args.data_dir,
            workers=args.workers,
            scheduler=args.scheduler,
            resume=args.resume,
            batch_id=args.batch_id,
            progress=None if getattr(args, "quiet", False) else sys.stderr,
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


def run_results(args: argparse.Namespace) -> int:
    """``planner results``: export the tidy table."""
    from planner.batch.results import export, table
    from planner.batch.store import Store

    with Store(args.store, create=False) as store:
        frame = table(store, args.level, args.batch)
    export(frame, args.out, args.format)
    if args.out:
        print(f"wrote {len(frame)} rows to {args.out}", file=sys.stderr)
    return 0


def run_report(args: argparse.Namespace) -> int:
    """``planner report``: write the plots and report.md."""
    from planner.batch.report import write_report
    from planner.batch.store import Store

    with Store(args.store, create=False) as store:
        files = write_report(store, args.out, args.batch)
    for path in files:
        print(path)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m planner.batch {batch,results,report} ...``: the planner command line, one error handler."""
    from planner.cli import main as planner_main

    return planner_main(argv)
