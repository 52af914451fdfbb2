"""Shared work: runs claimed in the store under a lease, so any number of drivers split one batch.

When a batch starts, every run gets a row with status ``pending``. A driver
*claims* a few runs at a time: one ``UPDATE ... RETURNING`` turns them
``running`` with its name and a lease expiry, and counts an attempt. It renews
its leases while it works (a heartbeat) and writes each outcome when the run
ends. A driver that dies stops renewing; when its leases expire, any other
driver claims those runs again (their attempt counter goes up). No run is
claimed by two live drivers, so no run is solved twice while its lease lasts.

Claims are atomic on both databases: SQLite runs one writer at a time (the
claim takes the write lock at once); PostgreSQL locks the chosen rows with
``FOR UPDATE SKIP LOCKED`` and re-checks the status of each row it updates.
Lease times are compared on the database's clock (:meth:`Store.now`).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from planner.batch.store import DONE, FAILED, INFEASIBLE, LOST, OK, PENDING, RUNNING, Store, runs
from planner.batch.sweep import RunSpec

INSERT_CHUNK = 5000


def driver_name() -> str:
    """A name for this driver, unique across machines: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Claim:
    """A run this driver holds: its id, parameters, place in the sweep and attempts so far (this one included)."""

    run_id: str
    params: dict[str, Any]
    seq: int
    attempts: int


def add_runs(store: Store, batch_id: str, specs: Iterable[RunSpec]) -> int:
    """Insert a ``pending`` row for every run not stored yet; return how many rows were added."""
    store.ensure_schema()
    added = 0
    chunk: list[dict[str, Any]] = []
    for seq, spec in enumerate(specs):
        chunk.append({"batch_id": batch_id, "run_id": spec.run_id, "seq": seq, "params": spec.params})
        if len(chunk) >= INSERT_CHUNK:
            added += _insert_missing(store, chunk)
            chunk = []
    if chunk:
        added += _insert_missing(store, chunk)
    return added


def _insert_missing(store: Store, rows: list[dict[str, Any]]) -> int:
    rows = [{**r, "status": PENDING, "attempts": 0} for r in rows]
    dialect: Any = sqlite if store.sqlite else postgresql
    stmt = dialect.insert(runs).on_conflict_do_nothing(index_elements=["batch_id", "run_id"]).returning(runs.c.run_id)
    with store.writer.begin() as conn:
        return len(conn.execute(stmt, rows).all())


def _claimable(batch_id: str, now: float) -> Any:
    expired = (runs.c.status == RUNNING) & (runs.c.lease_expires < now)
    return (runs.c.batch_id == batch_id) & ((runs.c.status == PENDING) | expired)


def claim(store: Store, batch_id: str, owner: str, n: int, lease: float) -> list[Claim]:
    """Claim up to ``n`` runs (pending first, then running under an expired lease), in sweep order.

    Returns
    -------
    list of Claim
        The runs now held by ``owner`` until ``store.now() + lease`` (empty when none is left).
    """
    if n < 1:
        return []
    now = store.now()
    got = _claim_where(store, batch_id, owner, n, now + lease, runs.c.status == PENDING)
    if len(got) < n:  # a dead driver's runs, once its lease has expired
        expired = (runs.c.status == RUNNING) & (runs.c.lease_expires < now)
        got += _claim_where(store, batch_id, owner, n - len(got), now + lease, expired)
    return sorted(got, key=_seq)


def _claim_where(store: Store, batch_id: str, owner: str, n: int, until: float, which: Any) -> list[Claim]:
    """One ``UPDATE ... RETURNING`` that takes the first ``n`` runs matching ``which`` (one index range)."""
    where = (runs.c.batch_id == batch_id) & which
    pick = sa.select(runs.c.run_id).where(where).order_by(runs.c.seq).limit(n)
    if store.sqlite:
        chosen: Any = pick.scalar_subquery()
    else:  # a CTE is evaluated once; a plain subquery with LIMIT may be re-run per row and claim more
        picked = pick.with_for_update(skip_locked=True).cte("picked")
        chosen = sa.select(picked.c.run_id).scalar_subquery()
    stmt = (
        runs.update()
        .where(where & runs.c.run_id.in_(chosen))  # re-checked per row: a run taken meanwhile is skipped
        .values(status=RUNNING, lease_owner=owner, lease_expires=until, attempts=runs.c.attempts + 1)
        .returning(runs.c.run_id, runs.c.params, runs.c.seq, runs.c.attempts)
    )
    with store.writer.begin() as conn:
        rows = conn.execute(stmt).all()
    return [Claim(r.run_id, dict(r.params or {}), int(r.seq), int(r.attempts)) for r in rows]


def _seq(c: Claim) -> int:
    return c.seq


def renew(store: Store, batch_id: str, owner: str, lease: float) -> int:
    """Extend every lease ``owner`` holds in the batch; return how many runs it still holds."""
    stmt = (
        runs.update()
        .where((runs.c.batch_id == batch_id) & (runs.c.lease_owner == owner) & (runs.c.status == RUNNING))
        .values(lease_expires=store.now() + lease)
    )
    with store.writer.begin() as conn:
        return int(conn.execute(stmt).rowcount or 0)


def release(store: Store, batch_id: str, owner: str, unstarted: Iterable[str], started: Iterable[str]) -> None:
    """Give runs back (``pending``) so other drivers take them at once, e.g. after Ctrl-C.

    A run that never reached a worker gets its attempt back; one that started keeps it.
    """
    mine = (runs.c.batch_id == batch_id) & (runs.c.lease_owner == owner) & (runs.c.status == RUNNING)
    back = {"status": PENDING, "lease_owner": None, "lease_expires": None}
    with store.writer.begin() as conn:
        for ids, attempts in ((list(unstarted), runs.c.attempts - 1), (list(started), runs.c.attempts)):
            for k in range(0, len(ids), 500):
                part = ids[k : k + 500]
                conn.execute(runs.update().where(mine & runs.c.run_id.in_(part)).values(**back, attempts=attempts))


def reset_failed(store: Store, batch_id: str) -> int:
    """``--resume``: make failed and lost runs pending again; return how many."""
    stmt = (
        runs.update()
        .where((runs.c.batch_id == batch_id) & runs.c.status.in_([FAILED, LOST]))
        .values(status=PENDING, lease_owner=None, lease_expires=None)
    )
    with store.writer.begin() as conn:
        return int(conn.execute(stmt).rowcount or 0)


@dataclass(frozen=True)
class BatchStatus:
    """Where a batch stands (``planner batch --status``)."""

    batch_id: str
    planned: int
    ok: int
    infeasible: int
    failed: int
    lost: int
    running: int
    """Runs held by a driver whose lease is live."""
    expired: int
    """Runs whose driver's lease expired: another driver will take them."""
    pending: int
    drivers: dict[str, tuple[int, float]]
    """Driver name -> (runs held, seconds until its lease expires)."""

    @property
    def done(self) -> int:
        """Finished runs (ok or infeasible)."""
        return self.ok + self.infeasible

    @property
    def left(self) -> int:
        """Runs nobody is running: pending, or under an expired lease."""
        return self.pending + self.expired


def batch_status(store: Store, batch_id: str) -> BatchStatus:
    """Count a batch's runs by state (one grouped query)."""
    now = store.now()
    live = sa.case(((runs.c.status == RUNNING) & (runs.c.lease_expires < now), "expired"), else_=runs.c.status)
    q = sa.select(live.label("state"), sa.func.count()).where(runs.c.batch_id == batch_id).group_by(live)
    held = (
        sa.select(runs.c.lease_owner, sa.func.count(), sa.func.max(runs.c.lease_expires))
        .where((runs.c.batch_id == batch_id) & (runs.c.status == RUNNING) & (runs.c.lease_expires >= now))
        .group_by(runs.c.lease_owner)
    )
    with store.engine.connect() as conn:
        counts = {state: int(n) for state, n in conn.execute(q)}
        drivers = {str(o): (int(n), float(e) - now) for o, n, e in conn.execute(held)}
    row = store.batch(batch_id) or {}
    return BatchStatus(
        batch_id=batch_id,
        planned=int(row.get("n_runs") or sum(counts.values())),
        ok=counts.get(OK, 0),
        infeasible=counts.get(INFEASIBLE, 0),
        failed=counts.get(FAILED, 0),
        lost=counts.get(LOST, 0),
        running=counts.get(RUNNING, 0),
        expired=counts.get("expired", 0),
        pending=counts.get(PENDING, 0),
        drivers=drivers,
    )


def finished_elsewhere(store: Store, batch_id: str, run_ids: list[str]) -> set[str]:
    """Of ``run_ids``, those already finished (by any driver)."""
    out: set[str] = set()
    with store.engine.connect() as conn:
        for k in range(0, len(run_ids), 500):
            q = sa.select(runs.c.run_id).where(
                (runs.c.batch_id == batch_id) & runs.c.run_id.in_(run_ids[k : k + 500]) & runs.c.status.in_(DONE)
            )
            out |= {r[0] for r in conn.execute(q)}
    return out
