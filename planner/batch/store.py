"""The results store: batches and runs in a SQL database, ward results beside it.

A SQLite file by default; PostgreSQL by URL (``postgresql+psycopg://user@host/db``;
``postgresql://`` and ``postgres://`` are read as psycopg 3). Tables:

``batches``    one row per batch: id, name, sweep file, sweep and base scenario (JSON),
               planned runs, data folder, software version, created time.
``runs``       one row per (batch, run id), written when the batch starts (``pending``):
               its place in the sweep, parameters (JSON), status, the lease of the
               driver running it, attempts, then the outcome: solver status, objective,
               bound, gap, cost, need covered, worst-served load and wards, deployed and
               available by rank, budget, timings, worker, provenance, error message.
``store_meta`` the schema version.

Per-ward and per-borough results (:mod:`planner.batch.detail`) are partitioned
Parquet files beside a SQLite store (``batches.sqlite.parts/``) and tables
filled with ``COPY`` in PostgreSQL.

A run's status moves ``pending`` -> ``running`` (claimed under a lease by one
driver, see :mod:`planner.batch.leases`) -> ``ok`` / ``infeasible`` (finished:
never overwritten) or ``failed`` / ``lost`` (``--resume`` runs them again).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from planner.batch.work import DONE, FAILED, INFEASIBLE, LOST, OK, OUTCOMES, PENDING, RUNNING
from planner.errors import InputError

__all__ = ["DONE", "FAILED", "INFEASIBLE", "LOST", "OK", "OUTCOMES", "PENDING", "RUNNING", "Store", "store_url"]

SCHEMA_VERSION = 2

metadata = sa.MetaData()

store_meta = sa.Table(
    "store_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
)

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

RANK_COLUMNS = ("constables", "pcsos", "sergeants", "inspectors")
AVAILABLE_COLUMNS = tuple(f"available_{c}" for c in RANK_COLUMNS)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("batch_id", sa.String(200), sa.ForeignKey("batches.batch_id"), primary_key=True),
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("lease_owner", sa.String(200)),
    sa.Column("lease_expires", sa.Double),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("solver_status", sa.String(20)),
    sa.Column("objective", sa.Double),
    sa.Column("bound", sa.Double),
    sa.Column("gap", sa.Double),
    sa.Column("cost_annual", sa.Double),
    sa.Column("need_covered", sa.Double),
    sa.Column("worst_load", sa.Double),
    sa.Column("wards_below_standard", sa.Integer),
    sa.Column("worst_wards", sa.Text),
    *(sa.Column(c, sa.Integer) for c in RANK_COLUMNS),
    *(sa.Column(c, sa.Integer) for c in AVAILABLE_COLUMNS),
    sa.Column("budget", sa.Double),
    sa.Column("seed", sa.BigInteger),
    sa.Column("solve_seconds", sa.Double),
    sa.Column("run_seconds", sa.Double),
    sa.Column("cpu_seconds", sa.Double),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("worker", sa.String(200)),
    sa.Column("driver", sa.String(200)),
    sa.Column("input_hash", sa.String(128)),
    sa.Column("scenario_digest", sa.String(128)),
    sa.Column("software_version", sa.String(200)),
    sa.Column("error", sa.Text),
    sa.Column("detail_part", sa.String(100)),
    sa.Index("ix_runs_claim", "batch_id", "status", "seq"),
    sa.Index("ix_runs_part", "batch_id", "detail_part"),
)

OUTCOME_FIELDS = [
    c.name
    for c in runs.columns
    if c.name not in ("batch_id", "run_id", "seq", "params", "status", "lease_owner", "lease_expires", "attempts")
]
"""Columns a finished run fills in (besides status and attempts)."""


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


def utc(epoch: float | None) -> dt.datetime | None:
    """Epoch seconds as an aware UTC datetime (None stays None)."""
    return None if epoch is None else dt.datetime.fromtimestamp(epoch, dt.timezone.utc)


def clean(value: Any) -> Any:
    """NumPy scalars as Python ones; NaN and infinities as None (SQL NULL)."""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class Store:
    """A results store (see the module docstring).

    Opening checks that the URL is usable, the server reachable and, for an
    existing database, that it is a store of this version; nothing is created
    until :meth:`ensure_schema` (so a batch that cannot start leaves no file).

    Parameters
    ----------
    url : str or Path
        SQLAlchemy URL or a SQLite file path.
    create : bool
        True for the batch runner (the file and tables are created by
        :meth:`ensure_schema`, on the first write); readers pass False and get
        an :class:`InputError` for a store that does not exist.
    """

    def __init__(self, url: str | Path, *, create: bool = True) -> None:
        self.url = store_url(url)
        self.path: Path | None = (
            Path(self.url.removeprefix("sqlite:///")) if self.url.startswith("sqlite:///") else None
        )
        self._check_path(create)
        self.engine: Engine = _engine(self.url)
        self.writer: Engine = self.engine.execution_options(planner_write=True) if self.sqlite else self.engine
        self._offset = 0.0
        self._schema_checked = False
        self._guard(self._open, create)
        from planner.batch.detail import detail_for

        self.detail = detail_for(self)

    # ------------------------------------------------------------ opening
    @property
    def sqlite(self) -> bool:
        """True for a SQLite file store."""
        return self.path is not None

    def _check_path(self, create: bool) -> None:
        if self.path is None:
            return
        if self.path.exists() and not self.path.is_file():
            raise InputError(f"results store {self.path} is not a file")
        if not create and not self.path.is_file():
            raise InputError(f"results store {self.path} not found (run 'planner batch' first)")
        if create and not self.path.parent.is_dir():
            raise InputError(f"results store {self.path}: folder {self.path.parent} does not exist")

    def _open(self, create: bool) -> None:
        exists = self.path is None or self.path.is_file()
        if exists:
            with self.engine.connect() as conn:
                if not self.sqlite:
                    server = conn.execute(sa.text("select extract(epoch from clock_timestamp())")).scalar_one()
                    self._offset = float(server) - time.time()
                tables = set(sa.inspect(conn).get_table_names())
            self._check_tables(tables, create)

    def _check_tables(self, tables: set[str], create: bool) -> None:
        if "runs" not in tables:
            if create and (not self.sqlite or not tables - {"batches", "store_meta"}):
                return  # a new store (a PostgreSQL database may hold other tables too)
            if create and tables:
                raise InputError(f"{self}: this file is another database, not a batch results store")
            raise InputError(f"{self}: not a batch results store (no 'runs' table)")
        if "store_meta" not in tables:
            raise InputError(
                f"{self}: a results store from an older version of the planner (schema 1); "
                "export it with that version, or start a new store"
            )
        with self.engine.connect() as conn:
            version = conn.execute(sa.select(store_meta.c.value).where(store_meta.c.key == "schema")).scalar()
        if version != str(SCHEMA_VERSION):
            raise InputError(f"{self}: store schema {version}, this planner reads schema {SCHEMA_VERSION}")
        self._schema_checked = True

    def ensure_schema(self) -> None:
        """Create the tables (and the version row) if missing; tolerate a driver doing the same."""
        if self._schema_checked:
            return
        from planner.batch.pgdetail import detail_metadata, use_lz4

        def create() -> None:
            for attempt in range(3):
                try:
                    metadata.create_all(self.engine)
                    if not self.sqlite:
                        detail_metadata.create_all(self.engine)
                        use_lz4(self.engine)
                    with self.writer.begin() as conn:
                        found = conn.execute(sa.select(store_meta.c.value).where(store_meta.c.key == "schema"))
                        if found.first() is None:
                            conn.execute(store_meta.insert().values(key="schema", value=str(SCHEMA_VERSION)))
                    return
                except (sa.exc.OperationalError, sa.exc.ProgrammingError, sa.exc.IntegrityError):
                    if attempt == 2:
                        raise
                    time.sleep(0.2 * (attempt + 1))

        self._guard(create)
        self._schema_checked = True

    def _guard(self, fn: Any, *args: Any) -> Any:
        """Run ``fn``; database faults become an :class:`InputError` naming the store."""
        try:
            return fn(*args)
        except InputError:
            raise
        except sa.exc.DBAPIError as exc:
            raise InputError(f"cannot open results store {self}: {_first_line(exc.orig)}") from None
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            raise InputError(f"cannot open results store {self}: {_first_line(exc)}") from None

    def __str__(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def now(self) -> float:
        """Epoch seconds on the database's clock (PostgreSQL) or this machine's (SQLite).

        Leases are compared with this clock, so drivers on machines whose clocks
        disagree still agree on when a lease expires.
        """
        return time.time() + self._offset

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
        self.ensure_schema()
        values = {"batch_id": batch_id, "created_at": dt.datetime.now(dt.timezone.utc), **row}
        try:
            with self.writer.begin() as conn:
                if conn.execute(sa.select(batches.c.batch_id).where(batches.c.batch_id == batch_id)).first():
                    return
                conn.execute(batches.insert().values(**values))
        except sa.exc.IntegrityError:
            if self.batch(batch_id) is None:  # not a race with another driver: a real fault
                raise

    def batch(self, batch_id: str) -> dict[str, Any] | None:
        """The batch row, or None."""
        if not self._has_tables():
            return None
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(batches).where(batches.c.batch_id == batch_id)).mappings().first()
            return dict(row) if row else None

    def _has_tables(self) -> bool:
        if self._schema_checked:
            return True
        if self.path is not None and not self.path.is_file():
            return False
        with self.engine.connect() as conn:
            return bool(sa.inspect(conn).has_table("runs"))

    def batch_ids(self) -> list[str]:
        """Every batch id, oldest first."""
        if not self._has_tables():
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(batches.c.batch_id).order_by(batches.c.created_at, batches.c.batch_id))
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
        """run_id -> status for every run row of a batch (pending and running included)."""
        with self.engine.connect() as conn:
            q = sa.select(runs.c.run_id, runs.c.status).where(runs.c.batch_id == batch_id)
            return {r.run_id: r.status for r in conn.execute(q)}

    def done_ids(self, batch_id: str) -> set[str]:
        """Run ids of the batch that are finished (ok or infeasible)."""
        return {k for k, v in self.run_statuses(batch_id).items() if v in DONE}

    def iter_runs(
        self,
        batch_ids: Sequence[str] | None = None,
        *,
        statuses: Sequence[str] = OUTCOMES,
        chunk: int = 5000,
    ) -> Iterator[list[dict[str, Any]]]:
        """Run rows in sweep order, ``chunk`` at a time (bounded memory for any batch size)."""
        ids = list(batch_ids) if batch_ids is not None else self.batch_ids()
        for batch_id in ids:
            last = -1
            while True:
                q = (
                    sa.select(runs)
                    .where((runs.c.batch_id == batch_id) & (runs.c.seq > last) & runs.c.status.in_(list(statuses)))
                    .order_by(runs.c.seq)
                    .limit(chunk)
                )
                with self.engine.connect() as conn:
                    rows = [dict(r) for r in conn.execute(q).mappings()]
                if not rows:
                    break
                yield rows
                last = rows[-1]["seq"]

    def runs_rows(
        self, batch_ids: Sequence[str] | None = None, statuses: Sequence[str] = OUTCOMES
    ) -> list[dict[str, Any]]:
        """Every run row with an outcome (as dicts), optionally of some batches only, in sweep order."""
        return [row for part in self.iter_runs(batch_ids, statuses=statuses) for row in part]

    def result_rows(self, level: str, batch_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Per-ward (``"wards"``) or per-borough (``"boroughs"``) rows as dicts (small batches, tests)."""
        out: list[dict[str, Any]] = []
        for frame in self.detail.frames(level, batch_ids if batch_ids is not None else self.batch_ids()):
            out += [{str(k): v for k, v in rec.items()} for rec in frame.to_dict("records")]
        return out

    def count(self, table: str, batch_id: str) -> int:
        """Stored runs with an outcome (``"runs"``), or ward / borough rows, of a batch."""
        if table == "runs":
            with self.engine.connect() as conn:
                q = sa.select(sa.func.count()).where((runs.c.batch_id == batch_id) & runs.c.status.in_(OUTCOMES))
                return int(conn.execute(q).scalar_one())
        return sum(len(f) for f in self.detail.frames(table, [batch_id]))


def _first_line(exc: BaseException | None) -> str:
    text = str(exc).strip() if exc is not None else "unknown error"
    return text.splitlines()[0] if text else type(exc).__name__


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    try:
        return sa.create_engine(url, pool_pre_ping=True)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        raise InputError(f"results store URL {url!r} is not usable: {_first_line(exc)}") from None
    except ImportError as exc:
        raise InputError(
            f"results store URL {url!r} needs a database driver that is not installed ({exc.name or exc}); "
            "use a SQLite file or postgresql+psycopg://"
        ) from None


def _sqlite_engine(url: str) -> Engine:
    engine = sa.create_engine(url, connect_args={"timeout": 60})

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # transactions are begun below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # a writer takes the write lock at once: two drivers never deadlock upgrading a read lock
        immediate = conn.get_execution_options().get("planner_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
