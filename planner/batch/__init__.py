"""Solver batches: parameter sweeps shared by any number of drivers, on local processes or Dask.

Typical use::

    from planner.batch import Store, load_sweep, run_batch

    sweep = load_sweep("scenarios/sweeps/demo-uplift.yaml")
    with Store("batches.sqlite") as store:
        summary = run_batch(sweep, store, workers=2)
    print(summary.text())

See docs/batch.md for the sweep format, the store, the commands and the
plan for running 100,000 runs on a cluster.
"""

from planner.batch.executor import Executor
from planner.batch.local import plan_threads
from planner.batch.results import runs_table, table
from planner.batch.runner import BatchSummary, run_batch
from planner.batch.store import Store, store_url
from planner.batch.sweep import RunSpec, Sweep, load_sweep, run_id

__all__ = [
    "BatchSummary",
    "Executor",
    "RunSpec",
    "Store",
    "Sweep",
    "load_sweep",
    "plan_threads",
    "run_batch",
    "run_id",
    "runs_table",
    "store_url",
    "table",
]
