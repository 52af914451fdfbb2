"""Per-ward and per-borough results, and writing many run outcomes at once.

A London run has 679 ward rows; 100,000 runs have 68 million. Row-by-row SQL
inserts store about 48 runs a second, so ward results go where bulk data goes:

* beside a SQLite store, as **partitioned Parquet**:
  ``batches.sqlite.parts/{wards,boroughs}/<batch>/<part>.parquet``, one part per
  write of a few hundred runs (written, flushed to disk and renamed before the
  runs' rows are committed);
* in PostgreSQL, with a binary ``COPY`` in the same transaction as the runs'
  rows: one row per run whose columns are arrays in ward order
  (:mod:`planner.batch.pgdetail`).

Either way a run's row names where its detail is (``detail_part`` for
Parquet), and readers only take detail rows of finished runs whose row points
at that part: a part left by a driver that died before committing, or a run
another driver finished first, is never read. Readers stream one part (or a
few hundred runs) at a time, so memory stays bounded for any batch size.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import sqlalchemy as sa

from planner.batch.store import DONE, OK, OUTCOME_FIELDS, clean, runs, utc
from planner.batch.work import RunResult

if TYPE_CHECKING:
    from planner.batch.store import Store

SCHEMAS: dict[str, pa.Schema] = {
    "wards": pa.schema(
        [("run_id", pa.string()), ("ward_code", pa.string()), ("constables", pa.int32()), ("pcsos", pa.int32())]
    ),
    "boroughs": pa.schema(
        [
            ("run_id", pa.string()),
            ("borough_code", pa.string()),
            ("borough_name", pa.string()),
            ("constables", pa.int32()),
            ("pcsos", pa.int32()),
            ("sergeants", pa.int32()),
            ("inspectors", pa.int32()),
            ("cost", pa.float64()),
        ]
    ),
}
"""Columns of the detail levels (each row also carries its batch id when read)."""


def _columns(level: str) -> list[str]:
    return [f.name for f in SCHEMAS[level]]


def detail_frame(level: str, results: Sequence[RunResult]) -> dict[str, np.ndarray]:
    """The detail rows of many runs as columns (run_id repeated per row)."""
    attr = "wards" if level == "wards" else "boroughs"
    parts = [getattr(r, attr) for r in results if getattr(r, attr)]
    if not parts:
        return {name: np.array([], dtype=object) for name in _columns(level)}
    lengths = [len(next(iter(p.values()))) for p in parts]
    ids = [r.run_id for r in results if getattr(r, attr)]
    cols: dict[str, np.ndarray] = {"run_id": np.repeat(np.array(ids, dtype=object), lengths)}
    for name in _columns(level)[1:]:
        cols[name] = np.concatenate([np.asarray(p[name]) for p in parts])
        if len(cols[name]) != len(cols["run_id"]):
            raise ValueError(f"{level} results: column {name} has {len(cols[name])} rows, not {len(cols['run_id'])}")
    return cols


class Detail(Protocol):
    """Where a store keeps per-ward and per-borough rows."""

    def stage(self, batch_id: str, results: Sequence[RunResult]) -> str | None:
        """Before the transaction: write what can be written outside it; return the part name."""
        ...

    def write(self, conn: sa.Connection, batch_id: str, results: Sequence[RunResult]) -> None:
        """Inside the transaction that stores the runs' rows."""
        ...

    def frames(self, level: str, batch_ids: Sequence[str]) -> Iterator[pd.DataFrame]:
        """Detail rows of the finished runs, a bounded chunk at a time, with a batch_id column."""
        ...


def detail_for(store: Store) -> Detail:
    """Parquet parts beside a SQLite store; COPY into tables in PostgreSQL."""
    if store.path is not None:
        return ParquetDetail(store, Path(f"{store.path}.parts"))
    from planner.batch.pgdetail import CopyDetail

    return CopyDetail(store)


class ParquetDetail:
    """Partitioned Parquet files beside a SQLite store (see the module docstring)."""

    def __init__(self, store: Store, root: Path) -> None:
        self.store, self.root = store, root

    def folder(self, level: str, batch_id: str) -> Path:
        """The partition of one batch and level."""
        return self.root / level / quote(batch_id, safe="")

    def stage(self, batch_id: str, results: Sequence[RunResult]) -> str | None:
        """Write the runs' ward and borough rows as one Parquet part per level; the part's name, or None."""
        if not any(r.wards or r.boroughs for r in results):
            return None
        part = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:12]}"
        for level in SCHEMAS:
            table = pa.table(detail_frame(level, results), schema=SCHEMAS[level])
            folder = self.folder(level, batch_id)
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{part}.parquet"
            tmp = folder / f".{part}.parquet.tmp"
            try:
                with tmp.open("wb") as handle:
                    pq.write_table(table, handle, compression="zstd")
                    handle.flush()
                    os.fsync(handle.fileno())  # on disk before the rows that point at it are committed
                tmp.replace(path)
            finally:
                tmp.unlink(missing_ok=True)
        return part

    def write(self, conn: sa.Connection, batch_id: str, results: Sequence[RunResult]) -> None:
        """Nothing: the Parquet parts were written by :meth:`stage`."""

    def frames(self, level: str, batch_ids: Sequence[str]) -> Iterator[pd.DataFrame]:
        """The rows of the finished runs' Parquet parts, one part at a time, with a batch_id column."""
        for batch_id in batch_ids:
            for part, ids in self._parts(batch_id):
                path = self.folder(level, batch_id) / f"{part}.parquet"
                if not path.is_file():
                    continue
                table = pq.read_table(path)
                mask = pc.is_in(table["run_id"], value_set=pa.array(sorted(ids)))
                frame = table.filter(mask).to_pandas()
                frame.insert(0, "batch_id", batch_id)
                yield frame

    def _parts(self, batch_id: str) -> Iterator[tuple[str, set[str]]]:
        q = (
            sa.select(runs.c.detail_part, runs.c.run_id)
            .where((runs.c.batch_id == batch_id) & (runs.c.status == OK) & runs.c.detail_part.is_not(None))
            .order_by(runs.c.detail_part)
        )
        current: str | None = None
        ids: set[str] = set()
        with self.store.engine.connect() as conn:
            for part, run_id in conn.execution_options(stream_results=True, yield_per=10_000).execute(q):
                if part != current and current is not None:
                    yield current, ids
                    ids = set()
                current = part
                ids.add(run_id)
        if current is not None:
            yield current, ids


# ------------------------------------------------------------------ writing outcomes


def _row(result: RunResult, driver: str | None) -> dict[str, Any]:
    row: dict[str, Any] = {"b_run_id": result.run_id, "status": result.status, "attempts": result.attempt}
    for name in OUTCOME_FIELDS:
        if name in ("started_at", "finished_at", "detail_part", "driver"):
            continue
        row[name] = clean(getattr(result, name))
    row["started_at"] = utc(result.started_at)
    row["finished_at"] = utc(result.finished_at)
    row["driver"] = driver
    row["lease_owner"] = None
    row["lease_expires"] = None
    return row


def write_outcomes(store: Store, batch_id: str, results: Sequence[RunResult], driver: str | None = None) -> list[bool]:
    """Store many runs' outcomes at once; a finished run is never overwritten.

    One transaction for the run rows (and, in PostgreSQL, the ``COPY`` of their
    ward and borough rows); beside SQLite, one Parquet part per level written
    first. A run with no row yet gets one (at the end of the sweep order).
    ``result.attempt`` is stored as the run's attempt count.

    Returns
    -------
    list of bool
        Per result: True if it was written, False if the run was already finished.
    """
    if not results:
        return []
    store.ensure_schema()
    part = store.detail.stage(batch_id, results)
    ids = [r.run_id for r in results]
    with store.writer.begin() as conn:
        q = sa.select(runs.c.run_id, runs.c.status).where((runs.c.batch_id == batch_id) & runs.c.run_id.in_(ids))
        if not store.sqlite:
            q = q.with_for_update()
        status = {r.run_id: r.status for r in conn.execute(q)}
        missing = [r for r in results if r.run_id not in status]
        if missing:
            _insert_rows(conn, batch_id, missing)
        fresh = [r for r in results if status.get(r.run_id) not in DONE]
        fresh = list({r.run_id: r for r in fresh}.values())  # one outcome per run
        if fresh:
            rows = [{**_row(r, driver), "detail_part": part if (r.wards or r.boroughs) else None} for r in fresh]
            if store.sqlite:  # executemany: the SET clause comes from the keys of the rows
                where = (runs.c.batch_id == batch_id) & (runs.c.run_id == sa.bindparam("b_run_id"))
                conn.execute(runs.update().where(where), rows)
            else:
                _update_from_copy(conn, batch_id, rows)
            store.detail.write(conn, batch_id, fresh)
    written = {r.run_id for r in fresh}
    return [r.run_id in written for r in results]


def _update_from_copy(conn: sa.Connection, batch_id: str, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: ``COPY`` the outcomes into a temporary table, then one ``UPDATE ... FROM`` it.

    One statement for all the runs, instead of one per run (the server's per-statement cost is what
    limits an executemany on a busy machine).
    """
    raw: Any = conn.connection.dbapi_connection
    names = [k for k in rows[0] if k != "b_run_id"]
    dialect = conn.dialect
    columns = ", ".join(f"{n} {runs.c[n].type.compile(dialect=dialect)}" for n in names)
    sets = ", ".join(f"{n} = t.{n}" for n in names)
    with raw.cursor() as cur:
        cur.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS planner_outcome (b_run_id varchar(64), {columns}) "
            "ON COMMIT DELETE ROWS"
        )
        with cur.copy(f"COPY planner_outcome (b_run_id, {', '.join(names)}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row([r["b_run_id"], *(r[n] for n in names)])
        cur.execute(
            f"UPDATE runs SET {sets} FROM planner_outcome t WHERE runs.batch_id = %s AND runs.run_id = t.b_run_id",
            (batch_id,),
        )
        cur.execute("DELETE FROM planner_outcome")  # this transaction may go on


def _insert_rows(conn: sa.Connection, batch_id: str, results: Sequence[RunResult]) -> None:
    last = conn.execute(sa.select(sa.func.max(runs.c.seq)).where(runs.c.batch_id == batch_id)).scalar()
    start = -1 if last is None else int(last)
    rows = [
        {"batch_id": batch_id, "run_id": r.run_id, "seq": start + k + 1, "params": r.params, "status": "pending"}
        for k, r in enumerate(results)
    ]
    conn.execute(runs.insert(), rows)
