"""Solver batches: parameter sweeps run in parallel or on a Dask cluster, with a results store.

Typical use::

    from planner.batch import Store, load_sweep, run_batch

    sweep = load_sweep("scenarios/sweeps/demo-uplift.yaml")
    with Store("batches.sqlite") as store:
        summary = run_batch(sweep, store, workers=2)
    print(summary.text())

See docs/batch.md for the sweep format, the store's tables and the commands.
"""

from planner.batch.results import runs_table, table
from planner.batch.runner import BatchSummary, plan_threads, prepare_batch, run_batch
from planner.batch.store import Store, store_url
from planner.batch.sweep import RunSpec, Sweep, load_sweep, run_id

__all__ = [
    "BatchSummary",
    "RunSpec",
    "Store",
    "Sweep",
    "load_sweep",
    "plan_threads",
    "prepare_batch",
    "run_batch",
    "run_id",
    "runs_table",
    "store_url",
    "table",
]
