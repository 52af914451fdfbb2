"""Reading a results store as tidy tables (``planner results``).

One row per run (``level="runs"``): batch_id, run_id, one column per swept or
fixed parameter (named by its dotted scenario field, e.g.
``workforce.pcso.headcount``), then status, solver status, objective, bound,
gap, cost, need covered, worst-served load, totals by rank, timings and
provenance. ``level="wards"`` and ``level="boroughs"`` give one row per run and
ward / borough, with the run's parameters alongside.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

from planner.batch.store import Store
from planner.errors import InputError
from planner.textsafe import safe_frame

LEVELS = ("runs", "wards", "boroughs")
FORMATS = ("csv", "parquet")


def _batch_ids(store: Store, batch: str | None) -> list[str]:
    return [store.resolve_batch(batch)] if batch is not None else store.batch_ids()


def _param_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    params = [dict(r.get("params") or {}) for r in rows]
    return pd.DataFrame(params, index=range(len(rows)))


def runs_table(store: Store, batch: str | None = None) -> pd.DataFrame:
    """One row per stored run (see the module docstring).

    Parameters
    ----------
    store : Store
        The results store.
    batch : str, optional
        Only this batch (default: every batch).
    """
    rows = store.runs_rows(_batch_ids(store, batch))
    if not rows:
        return pd.DataFrame(columns=["batch_id", "run_id", "status"])
    base = pd.DataFrame(rows).drop(columns=["params"])
    params = _param_frame(rows)
    front = base[["batch_id", "run_id"]]
    return pd.concat([front, params, base.drop(columns=["batch_id", "run_id"])], axis=1)


def detail_table(store: Store, level: str, batch: str | None = None) -> pd.DataFrame:
    """One row per run and ward (``level="wards"``) or borough (``"boroughs"``), with parameters."""
    ids = _batch_ids(store, batch)
    detail = pd.DataFrame(store.result_rows(level, ids))
    runs = store.runs_rows(ids)
    if detail.empty or not runs:
        return detail
    keys = pd.DataFrame([{"batch_id": r["batch_id"], "run_id": r["run_id"]} for r in runs])
    params = pd.concat([keys, _param_frame(runs)], axis=1)
    return params.merge(detail, on=["batch_id", "run_id"], how="inner")


def table(store: Store, level: str = "runs", batch: str | None = None) -> pd.DataFrame:
    """The tidy table of ``level`` (runs, wards or boroughs)."""
    if level not in LEVELS:
        raise InputError(f"--level: expected one of {', '.join(LEVELS)}, got {level!r}")
    return runs_table(store, batch) if level == "runs" else detail_table(store, level, batch)


def export(frame: pd.DataFrame, out: str | Path | None, fmt: str, stdout: TextIO | None = None) -> None:
    """Write ``frame`` as CSV or Parquet to ``out`` (CSV may go to ``stdout`` when out is None).

    The file is written to a temporary name first and renamed, so a failed
    export leaves nothing half-written.
    """
    if fmt not in FORMATS:
        raise InputError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    frame = _plain_times(frame)
    if out is None:
        if fmt == "parquet":
            raise InputError("--format parquet needs --out FILE (Parquet is binary)")
        safe_frame(frame).to_csv(stdout or sys.stdout, index=False)
        return
    path = Path(out)
    if not path.parent.is_dir():
        raise InputError(f"--out: folder {path.parent} does not exist")
    tmp = path.with_name(f".{path.name}.part")
    try:
        if fmt == "csv":
            safe_frame(frame).to_csv(tmp, index=False)
        else:
            frame.to_parquet(tmp, index=False)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _plain_times(frame: pd.DataFrame) -> pd.DataFrame:
    """Timestamps as UTC (stores differ in whether they keep the zone)."""
    out = frame.copy()
    for col in ("started_at", "finished_at"):
        if col in out.columns:
            out[col] = pd.to_datetime(out[col], utc=True)
    return out
