"""Ward and borough results in PostgreSQL: one row per run, arrays in ward order, binary ``COPY``.

One row per run and ward would be 68 million rows for 100,000 London runs,
each with a tuple header and an index entry. Here a run is one row per level:

``ward_results``     batch_id, run_id, labels_key, constables int[], pcsos int[]
``borough_results``  batch_id, run_id, labels_key, constables, pcsos, sergeants, inspectors int[], cost float8[]
``detail_labels``    labels_key, level, codes text[], names text[]: the ward (borough) codes and
                     names, stored once per distinct list (a batch's runs share one)

The rows are written with a binary ``COPY`` built with numpy (no Python loop
per ward), in the same transaction as the runs' rows; the arrays are
compressed with lz4 where the server has it. ``planner results`` unrolls a
few hundred runs at a time into one row per ward.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from planner.batch.detail import SCHEMAS
from planner.batch.store import OK
from planner.batch.work import RunResult

if TYPE_CHECKING:
    from planner.batch.store import Store

READ_RUNS = 200
"""Runs per chunk when streaming detail rows."""
LABELS = {"wards": ("ward_code",), "boroughs": ("borough_code", "borough_name")}
VALUES = {"wards": ("constables", "pcsos"), "boroughs": ("constables", "pcsos", "sergeants", "inspectors", "cost")}

detail_metadata = sa.MetaData()

detail_labels = sa.Table(
    "detail_labels",
    detail_metadata,
    sa.Column("labels_key", sa.String(64), primary_key=True),
    sa.Column("level", sa.String(20), nullable=False),
    sa.Column("codes", postgresql.ARRAY(sa.Text), nullable=False),
    sa.Column("names", postgresql.ARRAY(sa.Text)),
)


def _value_type(level: str, name: str) -> Any:
    return sa.Double if str(SCHEMAS[level].field(name).type) == "double" else sa.Integer


def _results_table(name: str, level: str) -> sa.Table:
    return sa.Table(
        name,
        detail_metadata,
        sa.Column("batch_id", sa.String(200), primary_key=True),
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("labels_key", sa.String(64), nullable=False),
        *(sa.Column(v, postgresql.ARRAY(_value_type(level, v)), nullable=False) for v in VALUES[level]),
    )


ward_results = _results_table("ward_results", "wards")
borough_results = _results_table("borough_results", "boroughs")


def use_lz4(engine: sa.Engine) -> bool:
    """Compress the arrays with lz4 (PostgreSQL 14+ built with it).

    It is faster to write than the default pglz for a similar size. Returns False when the server cannot (pglz stays).
    """
    try:
        with engine.begin() as conn:
            for table in (ward_results, borough_results):
                for col in table.columns:
                    if isinstance(col.type, postgresql.ARRAY):
                        conn.execute(sa.text(f"ALTER TABLE {table.name} ALTER COLUMN {col.name} SET COMPRESSION lz4"))
    except sa.exc.DBAPIError:
        return False
    return True


# ------------------------------------------------------------------ binary COPY

_ELEMENT = {"int32": (23, ">i4"), "double": (701, ">f8")}
"""Arrow type -> (PostgreSQL element type oid, big-endian numpy type of one element)."""
_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)


def _array(values: Any, kind: str) -> bytes:
    """A one-dimensional PostgreSQL array of numbers in binary COPY format (built with numpy)."""
    oid, dtype = _ELEMENT[kind]
    values = np.asarray(values)
    cells = np.empty(len(values), dtype=[("n", ">i4"), ("v", dtype)])
    cells["n"], cells["v"] = np.dtype(dtype).itemsize, values
    return struct.pack(">iiiii", 1, 0, oid, len(values), 1) + cells.tobytes()


def _field(data: bytes) -> bytes:
    return struct.pack(">i", len(data)) + data


def _check_lengths(level: str, cols: dict[str, Any]) -> None:
    lengths = {name: len(values) for name, values in cols.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"{level} results: columns of different lengths {lengths}")


def _strings(values: Any) -> list[str]:
    array = np.asarray(values)
    items = array.tolist()
    return items if array.dtype.kind == "U" else [str(v) for v in items]


def labels_of(level: str, cols: dict[str, Any]) -> tuple[str, list[str], list[str] | None]:
    """(key, codes, names) of a run's ward (borough) list; the key is a hash of the list."""
    codes = _strings(cols[LABELS[level][0]])
    names = _strings(cols[LABELS[level][1]]) if len(LABELS[level]) > 1 else None
    text = "\x1f".join(codes) + "\x1e" + ("\x1f".join(names) if names is not None else "")
    return hashlib.sha256(f"{level}\x1d{text}".encode()).hexdigest()[:32], codes, names


def binary_copy(level: str, batch_id: str, rows: Sequence[tuple[str, str, dict[str, Any]]]) -> bytes:
    """A binary COPY stream of (batch_id, run_id, labels_key, one array per value column) rows."""
    kinds = [str(SCHEMAS[level].field(v).type) for v in VALUES[level]]
    out = [_HEADER]
    for run_id, key, cols in rows:
        fields = [batch_id.encode(), run_id.encode(), key.encode()]
        fields += [_array(cols[v], kind) for v, kind in zip(VALUES[level], kinds)]
        out.append(struct.pack(">h", len(fields)) + b"".join(_field(f) for f in fields))
    out.append(struct.pack(">h", -1))
    return b"".join(out)


class CopyDetail:
    """Detail tables in PostgreSQL (see the module docstring)."""

    TABLES: ClassVar[dict[str, sa.Table]] = {"wards": ward_results, "boroughs": borough_results}

    def __init__(self, store: Store) -> None:
        self.store = store

    def stage(self, batch_id: str, results: Sequence[RunResult]) -> str | None:
        """Nothing before the transaction: the rows are copied inside it."""
        return None

    def write(self, conn: sa.Connection, batch_id: str, results: Sequence[RunResult]) -> None:
        """Replace the runs' ward and borough rows with COPY, inside the transaction."""
        raw: Any = conn.connection.dbapi_connection
        ids = [r.run_id for r in results]
        for table in self.TABLES.values():  # rows a run may have from an outcome that was reset
            conn.execute(table.delete().where((table.c.batch_id == batch_id) & table.c.run_id.in_(ids)))
        for level, table in self.TABLES.items():
            rows, labels = [], {}
            for r in results:
                cols = r.wards if level == "wards" else r.boroughs
                if not cols:
                    continue
                _check_lengths(level, cols)
                key, codes, names = labels_of(level, cols)
                labels[key] = {"labels_key": key, "level": level, "codes": codes, "names": names}
                rows.append((r.run_id, key, cols))
            if not rows:
                continue
            new = postgresql.insert(detail_labels).on_conflict_do_nothing(index_elements=["labels_key"])
            conn.execute(new, list(labels.values()))
            columns = ", ".join(["batch_id", "run_id", "labels_key", *VALUES[level]])
            sql = f"COPY {table.name} ({columns}) FROM STDIN (FORMAT BINARY)"
            with raw.cursor() as cur, cur.copy(sql) as copy:
                copy.write(binary_copy(level, batch_id, rows))

    def frames(self, level: str, batch_ids: Sequence[str]) -> Iterator[pd.DataFrame]:
        """The finished runs' detail rows, a bounded chunk of runs at a time, with a batch_id column."""
        table = self.TABLES[level]
        known: dict[str, tuple[list[str], list[str] | None]] = {}
        for batch_id in batch_ids:
            for chunk in self.store.iter_runs([batch_id], statuses=(OK,), chunk=READ_RUNS):
                ids = [r["run_id"] for r in chunk]
                q = sa.select(table).where((table.c.batch_id == batch_id) & table.c.run_id.in_(ids))
                with self.store.engine.connect() as conn:
                    rows = conn.execute(q).mappings().all()
                    missing = {r["labels_key"] for r in rows} - set(known)
                    if missing:
                        found = sa.select(detail_labels).where(detail_labels.c.labels_key.in_(missing))
                        known.update({r.labels_key: (list(r.codes), r.names) for r in conn.execute(found)})
                yield self._unroll(level, batch_id, rows, known)

    @staticmethod
    def _unroll(
        level: str, batch_id: str, rows: Sequence[Any], known: dict[str, tuple[list[str], list[str] | None]]
    ) -> pd.DataFrame:
        lengths = [len(known[r["labels_key"]][0]) for r in rows]
        frame = pd.DataFrame({"batch_id": batch_id, "run_id": np.repeat([r["run_id"] for r in rows], lengths)})
        frame[LABELS[level][0]] = [c for r in rows for c in known[r["labels_key"]][0]]
        if len(LABELS[level]) > 1:
            frame[LABELS[level][1]] = [n for r in rows for n in (known[r["labels_key"]][1] or [])]
        for v in VALUES[level]:
            dtype = SCHEMAS[level].field(v).type.to_pandas_dtype()
            frame[v] = np.concatenate([np.asarray(r[v], dtype=dtype) for r in rows]) if rows else np.array([], dtype)
        return frame
