"""Reading a results store as tidy tables (``planner results``), streamed.

One row per run (``level="runs"``): batch_id, run_id, one column per swept or
fixed parameter (named by its dotted scenario field, e.g.
``workforce.pcso.headcount``, so that the table joins back to scenarios),
then status, solver status, objective, bound, gap, cost, need covered,
worst-served load and wards, deployed and available by rank, budget, timings
and provenance. ``level="wards"`` and ``level="boroughs"`` give one row per
run and ward / borough, with the run's parameters alongside.

:func:`export_table` never holds the whole table: it reads a few thousand
runs, or one Parquet part / a few hundred runs of ward rows, at a time and
appends them to the CSV or to the Parquet file (one row group per chunk), so
10 million ward rows export in well under 500 MiB. The column types are fixed
before the first chunk from the store's schema and the sweeps' values, so
every chunk has the same columns and types.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

from planner.batch.detail import SCHEMAS
from planner.batch.store import Store, runs
from planner.errors import InputError
from planner.textsafe import safe_frame

LEVELS = ("runs", "wards", "boroughs")
FORMATS = ("csv", "parquet")
HIDDEN = ("params", "seq", "lease_owner", "lease_expires", "detail_part")
"""Run columns that are store mechanics, not results."""


def _batch_ids(store: Store, batch: str | None) -> list[str]:
    return [store.resolve_batch(batch)] if batch is not None else store.batch_ids()


# ------------------------------------------------------------------ column types


def _value_type(values: list[Any]) -> pa.DataType:
    values = [v for v in values if v is not None]
    if values and all(isinstance(v, bool) for v in values):
        return pa.bool_()
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return pa.int64()
    if values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return pa.float64()
    return pa.string()


def param_types(store: Store, batch_ids: Sequence[str]) -> dict[str, pa.DataType]:
    """Parameter column -> type, from the sweeps' fixed values and axes (in sweep order)."""
    seen: dict[str, list[Any]] = {}
    for batch_id in batch_ids:
        sweep = (store.batch(batch_id) or {}).get("sweep") or {}
        for key, value in (sweep.get("fixed") or {}).items():
            seen.setdefault(key, []).append(value)
        for key, values in (sweep.get("axes") or {}).items():
            seen.setdefault(key, []).extend(values)
    return {key: _value_type(values) for key, values in seen.items()}


def _sql_type(column: sa.Column[Any]) -> pa.DataType:
    t = column.type
    if isinstance(t, sa.DateTime):
        return pa.timestamp("us", tz="UTC")
    if isinstance(t, sa.Integer):
        return pa.int64()
    if isinstance(t, sa.Double | sa.Float):
        return pa.float64()
    return pa.string()


def schema(store: Store, level: str, batch_ids: Sequence[str]) -> pa.Schema:
    """The columns of a tidy table of ``level``, with their types."""
    fields = [pa.field("batch_id", pa.string()), pa.field("run_id", pa.string())]
    fields += [pa.field(k, t) for k, t in param_types(store, batch_ids).items()]
    if level == "runs":
        skip = ("batch_id", "run_id", *HIDDEN)
        fields += [pa.field(c.name, _sql_type(c)) for c in runs.columns if c.name not in skip]
    else:
        fields += [f for f in SCHEMAS[level] if f.name != "run_id"]
    return pa.schema(fields)


# ------------------------------------------------------------------ chunks


def _param_columns(frame: pd.DataFrame, params: Sequence[dict[str, Any]], types: dict[str, pa.DataType]) -> None:
    for key, kind in types.items():
        values = [p.get(key) for p in params]
        if kind == pa.string():
            values = [None if v is None else v if isinstance(v, str) else json.dumps(v) for v in values]
        frame[key] = pd.Series(values, index=frame.index, dtype=object)


def _run_frame(rows: list[dict[str, Any]], types: dict[str, pa.DataType]) -> pd.DataFrame:
    base = pd.DataFrame(rows)
    out = base[["batch_id", "run_id"]].copy()
    _param_columns(out, [r.get("params") or {} for r in rows], types)
    rest = base.drop(columns=[c for c in ("batch_id", "run_id", *HIDDEN) if c in base.columns])
    out = pd.concat([out, rest], axis=1)
    for col in ("started_at", "finished_at"):
        if col in out.columns:  # stores differ in whether they keep the zone
            out[col] = pd.to_datetime(out[col], utc=True)
    return out


def _params_of(store: Store, batch_id: str, run_ids: list[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    with store.engine.connect() as conn:
        for k in range(0, len(run_ids), 500):
            q = sa.select(runs.c.run_id, runs.c.params).where(
                (runs.c.batch_id == batch_id) & runs.c.run_id.in_(run_ids[k : k + 500])
            )
            out.update({r.run_id: dict(r.params or {}) for r in conn.execute(q)})
    return out


def iter_frames(store: Store, level: str, batch_ids: Sequence[str]) -> Iterator[pd.DataFrame]:
    """The tidy table of ``level``, a bounded chunk at a time."""
    types = param_types(store, batch_ids)
    if level == "runs":
        for rows in store.iter_runs(batch_ids):
            yield _run_frame(rows, types)
        return
    for frame in store.detail.frames(level, batch_ids):
        if frame.empty:
            continue
        batch_id = str(frame["batch_id"].iloc[0])
        ids = sorted(set(frame["run_id"]))
        params = _params_of(store, batch_id, ids)
        front = frame[["batch_id", "run_id"]].copy()
        _param_columns(front, [params.get(r, {}) for r in frame["run_id"]], types)
        yield pd.concat([front, frame.drop(columns=["batch_id", "run_id"])], axis=1)


def runs_table(store: Store, batch: str | None = None) -> pd.DataFrame:
    """One row per stored run, as one DataFrame (see the module docstring; for modest batches)."""
    return table(store, "runs", batch)


def table(store: Store, level: str = "runs", batch: str | None = None) -> pd.DataFrame:
    """The tidy table of ``level`` (runs, wards or boroughs) as one DataFrame (for modest batches)."""
    if level not in LEVELS:
        raise InputError(f"--level: expected one of {', '.join(LEVELS)}, got {level!r}")
    ids = _batch_ids(store, batch)
    frames = list(iter_frames(store, level, ids))
    columns = schema(store, level, ids).names
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------ export


def export_table(
    store: Store,
    level: str,
    batch: str | None,
    out: str | Path | None,
    fmt: str,
    stdout: TextIO | None = None,
) -> int:
    """Stream the tidy table of ``level`` as CSV or Parquet to ``out`` (CSV may go to stdout); return its rows.

    The file is written under a temporary name beside ``out`` and renamed at
    the end, so a failed export leaves nothing half-written.
    """
    if level not in LEVELS:
        raise InputError(f"--level: expected one of {', '.join(LEVELS)}, got {level!r}")
    if fmt not in FORMATS:
        raise InputError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    if out is None and fmt == "parquet":
        raise InputError("--format parquet needs --out FILE (Parquet is binary)")
    path = None if out is None else Path(out)
    if path is not None and not path.parent.is_dir():
        raise InputError(f"--out: folder {path.parent} does not exist")
    if path is not None and path.is_dir():
        raise InputError(f"--out: {path} is a folder; give a file name")
    ids = _batch_ids(store, batch)
    cols = schema(store, level, ids)
    frames = iter_frames(store, level, ids)
    if path is None:
        return _write_csv(frames, cols, stdout or sys.stdout)
    tmp = path.with_name(f".{path.name}.part")
    try:
        if fmt == "csv":
            with tmp.open("w", encoding="utf-8", newline="") as handle:
                n = _write_csv(frames, cols, handle)
        else:
            n = _write_parquet(frames, cols, tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return n


def _write_csv(frames: Iterator[pd.DataFrame], cols: pa.Schema, handle: TextIO) -> int:
    n = 0
    header = True
    for frame in frames:
        safe_frame(frame.reindex(columns=cols.names)).to_csv(handle, header=header, index=False)
        header = False
        n += len(frame)
    if header:
        handle.write(",".join(cols.names) + "\n")
    return n


def _write_parquet(frames: Iterator[pd.DataFrame], cols: pa.Schema, path: Path) -> int:
    n = 0
    with pq.ParquetWriter(path, cols, compression="zstd") as writer:
        for frame in frames:
            table = pa.Table.from_pandas(frame.reindex(columns=cols.names), schema=cols, preserve_index=False)
            writer.write_table(table)
            n += len(frame)
    return n
