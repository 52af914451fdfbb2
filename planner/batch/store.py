"""The results store: batches, runs and per-ward / per-borough results (SQLAlchemy 2 Core).

A SQLite file by default; PostgreSQL by URL (``postgresql+psycopg://user@host/db``;
``postgresql://`` and ``postgres://`` are read as psycopg 3). Tables:

``batches``          one row per batch: id, name, sweep file, sweep and base scenario (JSON),
                     planned runs, software version, created time.
``runs``             one row per (batch, run id): parameters (JSON), status (ok, infeasible,
                     failed, lost), solver status, objective, bound, gap, cost, need covered,
                     worst-served load, totals by rank, seed, timings (solve, run, CPU), worker, attempts,
                     input hash, scenario digest, software version, error message.
``ward_results``     (batch, run, ward): constables, PCSOs.
``borough_results``  (batch, run, borough): constables, PCSOs, sergeants, inspectors, pay cost.

Each run is written in one transaction (its old row and results, if any, are
replaced), so a run is stored fully or not at all; the primary key
(batch_id, run_id) means a run can never be stored twice. A finished run
(``ok`` or ``infeasible``) is never overwritten by a later failure.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from planner.batch.work import DONE_STATUSES, RunResult
from planner.errors import InputError

metadata = sa.MetaData()

batches = sa.Table(
    "batches",
    metadata,
    sa.Column("batch_id", sa.String(200), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("sweep_path", sa.Text),
    sa.Column("sweep", sa.JSON, nullable=False),
    sa.Column("base_scenario", sa.JSON, nullable=False),
    sa.Column("n_runs", sa.Integer, nullable=False),
    sa.Column("data_dir", sa.Text),
    sa.Column("software_version", sa.String(200)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("batch_id", sa.String(200), sa.ForeignKey("batches.batch_id"), primary_key=True),
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("solver_status", sa.String(20)),
    sa.Column("objective", sa.Double),
    sa.Column("bound", sa.Double),
    sa.Column("gap", sa.Double),
    sa.Column("cost_annual", sa.Double),
    sa.Column("need_covered", sa.Double),
    sa.Column("worst_load", sa.Double),
    sa.Column("wards_below_standard", sa.Integer),
    sa.Column("constables", sa.Integer),
    sa.Column("pcsos", sa.Integer),
    sa.Column("sergeants", sa.Integer),
    sa.Column("inspectors", sa.Integer),
    sa.Column("seed", sa.BigInteger),
    sa.Column("solve_seconds", sa.Double),
    sa.Column("run_seconds", sa.Double),
    sa.Column("cpu_seconds", sa.Double),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("worker", sa.String(200)),
    sa.Column("attempts", sa.Integer, nullable=False, default=1),
    sa.Column("input_hash", sa.String(128)),
    sa.Column("scenario_digest", sa.String(128)),
    sa.Column("software_version", sa.String(200)),
    sa.Column("error", sa.Text),
    sa.Index("ix_runs_batch_status", "batch_id", "status"),
)


def _run_key() -> list[sa.Column[Any]]:
    return [
        sa.Column("batch_id", sa.String(200), primary_key=True),
        sa.Column("run_id", sa.String(64), primary_key=True),
    ]


ward_results = sa.Table(
    "ward_results",
    metadata,
    *_run_key(),
    sa.Column("ward_code", sa.String(64), primary_key=True),
    sa.Column("constables", sa.Integer, nullable=False),
    sa.Column("pcsos", sa.Integer, nullable=False),
    sa.ForeignKeyConstraint(["batch_id", "run_id"], ["runs.batch_id", "runs.run_id"]),
)

borough_results = sa.Table(
    "borough_results",
    metadata,
    *_run_key(),
    sa.Column("borough_code", sa.String(64), primary_key=True),
    sa.Column("borough_name", sa.String(200)),
    sa.Column("constables", sa.Integer, nullable=False),
    sa.Column("pcsos", sa.Integer, nullable=False),
    sa.Column("sergeants", sa.Integer, nullable=False),
    sa.Column("inspectors", sa.Integer, nullable=False),
    sa.Column("cost", sa.Double),
    sa.ForeignKeyConstraint(["batch_id", "run_id"], ["runs.batch_id", "runs.run_id"]),
)

RUN_FIELDS = [c.name for c in runs.columns if c.name not in ("batch_id",)]


def store_url(store: str | Path) -> str:
    """A SQLAlchemy URL for a store argument: a URL as given, or a path to a SQLite file.

    ``postgresql://`` and ``postgres://`` are mapped to the psycopg 3 driver.
    """
    text = str(store)
    if "://" not in text:
        return f"sqlite:///{Path(text).expanduser().resolve()}"
    for prefix in ("postgresql://", "postgres://"):
        if text.startswith(prefix):
            return "postgresql+psycopg://" + text[len(prefix) :]
    return text


def _utc(epoch: float | None) -> dt.datetime | None:
    return None if epoch is None else dt.datetime.fromtimestamp(epoch, dt.timezone.utc)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class Store:
    """A results store (see the module docstring).

    Parameters
    ----------
    url : str or Path
        SQLAlchemy URL or a SQLite file path.
    create : bool
        Create the file and tables if missing (the batch runner does); readers
        pass False and get an :class:`InputError` for a store that does not exist.
    """

    def __init__(self, url: str | Path, *, create: bool = True) -> None:
        self.url = store_url(url)
        if not create and self.url.startswith("sqlite:///"):
            path = Path(self.url.removeprefix("sqlite:///"))
            if not path.is_file():
                raise InputError(f"results store {path} not found (run 'planner batch' first)")
        self.engine: Engine = _engine(self.url)
        try:
            if create:
                _create_tables(self.engine)
            elif not sa.inspect(self.engine).has_table("runs"):
                raise InputError(f"{self}: not a batch results store (no 'runs' table)")
        except sa.exc.DatabaseError as exc:  # unreachable server, or a file that is not a database
            raise InputError(f"cannot open results store {self}: {exc.orig}") from None

    def __str__(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------- batches
    def add_batch(self, batch_id: str, row: dict[str, Any]) -> None:
        """Create the batch row (no-op if it exists)."""
        values = {"batch_id": batch_id, "created_at": dt.datetime.now(dt.timezone.utc), **row}
        try:
            with self.engine.begin() as conn:
                if conn.execute(sa.select(batches.c.batch_id).where(batches.c.batch_id == batch_id)).first():
                    return
                conn.execute(batches.insert().values(**values))
        except sa.exc.IntegrityError:
            if self.batch(batch_id) is None:  # not a race with another driver: a real fault
                raise

    def drop_empty_batch(self, batch_id: str) -> bool:
        """Delete the batch row if no run of it is stored (a batch that never started); return whether it went."""
        with self.engine.begin() as conn:
            if conn.execute(sa.select(runs.c.run_id).where(runs.c.batch_id == batch_id).limit(1)).first():
                return False
            conn.execute(batches.delete().where(batches.c.batch_id == batch_id))
        return True

    def batch(self, batch_id: str) -> dict[str, Any] | None:
        """The batch row, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(batches).where(batches.c.batch_id == batch_id)).mappings().first()
            return dict(row) if row else None

    def batch_ids(self) -> list[str]:
        """Every batch id, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(batches.c.batch_id).order_by(batches.c.created_at))
            return [r[0] for r in rows]

    def resolve_batch(self, batch_id: str | None) -> str:
        """``batch_id`` if stored, else the newest batch when None; InputError otherwise."""
        ids = self.batch_ids()
        if not ids:
            raise InputError(f"{self}: the store holds no batches")
        if batch_id is None:
            return ids[-1]
        if batch_id not in ids:
            raise InputError(f"{self}: no batch {batch_id!r} (stored: {', '.join(ids)})")
        return batch_id

    # ---------------------------------------------------------------- runs
    def run_statuses(self, batch_id: str) -> dict[str, str]:
        """run_id -> status for every stored run of a batch."""
        with self.engine.connect() as conn:
            q = sa.select(runs.c.run_id, runs.c.status).where(runs.c.batch_id == batch_id)
            return {r.run_id: r.status for r in conn.execute(q)}

    def done_ids(self, batch_id: str) -> set[str]:
        """Run ids of the batch that are finished (ok or infeasible)."""
        return {k for k, v in self.run_statuses(batch_id).items() if v in DONE_STATUSES}

    def record(self, batch_id: str, result: RunResult) -> bool:
        """Store one run, with its ward and borough results, in one transaction.

        Replaces an earlier failed or lost row of the same run; never replaces a
        finished (ok / infeasible) row. Returns True if the run was written.
        """
        try:
            return self._record(batch_id, result)
        except sa.exc.IntegrityError:
            # another driver resuming the same batch stored this run first: keep theirs
            if self.run_statuses(batch_id).get(result.run_id) in DONE_STATUSES:
                return False
            raise

    def _record(self, batch_id: str, result: RunResult) -> bool:
        with self.engine.begin() as conn:
            where = (runs.c.batch_id == batch_id) & (runs.c.run_id == result.run_id)
            old = conn.execute(sa.select(runs.c.status, runs.c.attempts).where(where)).first()
            if old is not None and old.status in DONE_STATUSES:
                return False
            attempts = result.attempt + (old.attempts if old is not None else 0)
            if old is not None:
                self._delete_run(conn, batch_id, result.run_id)
            conn.execute(runs.insert().values(**_run_row(batch_id, result, attempts)))
            _insert_many(conn, ward_results, batch_id, result.run_id, result.wards)
            _insert_many(conn, borough_results, batch_id, result.run_id, result.boroughs)
        return True

    @staticmethod
    def _delete_run(conn: Connection, batch_id: str, run_id: str) -> None:
        for table in (ward_results, borough_results, runs):
            conn.execute(table.delete().where((table.c.batch_id == batch_id) & (table.c.run_id == run_id)))

    # ------------------------------------------------------------- reading
    def runs_rows(self, batch_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Every run row (as dicts), optionally of some batches only, in stored order."""
        q = sa.select(runs).order_by(runs.c.batch_id, runs.c.started_at, runs.c.run_id)
        if batch_ids is not None:
            q = q.where(runs.c.batch_id.in_(list(batch_ids)))
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def result_rows(self, table: str, batch_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Rows of ``ward_results`` or ``borough_results``."""
        tab = {"wards": ward_results, "boroughs": borough_results}[table]
        q = sa.select(tab).order_by(*tab.primary_key.columns)
        if batch_ids is not None:
            q = q.where(tab.c.batch_id.in_(list(batch_ids)))
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def count(self, table: str, batch_id: str) -> int:
        """Rows of ``table`` (runs, wards, boroughs) in a batch."""
        tab = {"runs": runs, "wards": ward_results, "boroughs": borough_results}[table]
        with self.engine.connect() as conn:
            q = sa.select(sa.func.count()).select_from(tab).where(tab.c.batch_id == batch_id)
            return int(conn.execute(q).scalar_one())


def _create_tables(engine: Engine, tries: int = 3) -> None:
    """Create missing tables; tolerate another process creating them at the same moment."""
    for attempt in range(tries):
        try:
            metadata.create_all(engine)
            return
        except (sa.exc.OperationalError, sa.exc.ProgrammingError, sa.exc.IntegrityError):
            if attempt == tries - 1:
                raise
            time.sleep(0.2 * (attempt + 1))


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url)

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    try:
        return sa.create_engine(url, pool_pre_ping=True)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        raise InputError(f"results store URL {url!r} is not usable: {exc}") from None
    except ImportError as exc:  # the URL names a database driver that is not installed
        package = exc.name or str(exc)
        raise InputError(f"results store URL {url!r} needs the Python package {package}, not installed") from None


def _run_row(batch_id: str, result: RunResult, attempts: int) -> dict[str, Any]:
    row: dict[str, Any] = {"batch_id": batch_id, "attempts": attempts}
    for name in RUN_FIELDS:
        if name in ("attempts", "started_at", "finished_at"):
            continue
        row[name] = _clean(getattr(result, name))
    row["started_at"] = _utc(result.started_at)
    row["finished_at"] = _utc(result.finished_at)
    return row


def _insert_many(conn: Connection, table: sa.Table, batch_id: str, run_id: str, cols: dict[str, Any]) -> None:
    if not cols:
        return
    names = list(cols)
    columns = [_py(cols[n]) for n in names]
    rows = [{"batch_id": batch_id, "run_id": run_id, **dict(zip(names, values))} for values in zip(*columns)]
    if rows:
        conn.execute(table.insert(), rows)


def _py(values: Iterable[Any]) -> list[Any]:
    """numpy scalars to Python ones (drivers want plain int / float / str)."""
    out = []
    for v in values:
        item = v.item() if hasattr(v, "item") else v
        out.append(_clean(item))
    return out
