"""The results store: one transaction per run, no duplicates, SQLite and PostgreSQL alike."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest
import sqlalchemy as sa

from planner.batch.store import Store, metadata, store_url
from planner.batch.work import FAILED, OK, RunResult
from planner.errors import InputError

PG_URL = os.environ.get("PLANNER_TEST_PG_URL")


def _fresh_pg() -> Store:
    store = Store(PG_URL)  # type: ignore[arg-type]
    metadata.drop_all(store.engine)
    metadata.create_all(store.engine)
    return store


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgres",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(
                    not PG_URL, reason="PLANNER_TEST_PG_URL not set (source .ci/postgres.sh to start one)"
                ),
            ],
        ),
    ]
)
def store(request, tmp_path):
    s = Store(tmp_path / "store.sqlite") if request.param == "sqlite" else _fresh_pg()
    s.add_batch("b1", {"name": "b", "sweep": {"k": 1}, "base_scenario": {"name": "x"}, "n_runs": 3})
    yield s
    s.close()


def _result(run_id: str, status: str = OK, wards: int = 3, attempt: int = 1) -> RunResult:
    now = time.time()
    r = RunResult(run_id, {"workforce.pcso.headcount": 10}, attempt, status, started_at=now, finished_at=now)
    if status == OK:
        r.objective, r.gap, r.cost_annual = 1.5, float("nan"), 1e6
        r.wards = {
            "ward_code": np.array([f"W{i}" for i in range(wards)]),
            "constables": np.arange(wards, dtype=np.int64) + 2,
            "pcsos": np.ones(wards, dtype=np.int64),
        }
        r.boroughs = {
            "borough_code": np.array(["B0"]),
            "borough_name": np.array(["Borough 0"]),
            "constables": np.array([int(r.wards["constables"].sum())]),
            "pcsos": np.array([wards]),
            "sergeants": np.array([1]),
            "inspectors": np.array([1]),
            "cost": np.array([1e6]),
        }
    else:
        r.error = "RuntimeError: boom"
    return r


def test_a_run_is_stored_with_its_wards_and_boroughs(store):
    assert store.record("b1", _result("r1"))
    rows = store.runs_rows()
    assert len(rows) == 1 and rows[0]["params"] == {"workforce.pcso.headcount": 10}
    assert rows[0]["gap"] is None  # NaN is stored as missing
    wards = store.result_rows("wards")
    assert [w["constables"] for w in wards] == [2, 3, 4]
    assert store.count("boroughs", "b1") == 1


def test_a_failing_write_leaves_nothing_behind(store):
    bad = _result("r2")
    bad.wards["ward_code"] = np.array(["W0", "W0", "W1"])  # duplicate key: the insert fails
    with pytest.raises(sa.exc.IntegrityError):
        store.record("b1", bad)
    assert store.run_statuses("b1") == {}
    assert store.count("wards", "b1") == 0


def test_a_failed_run_is_replaced_by_its_retry_but_a_finished_one_is_kept(store):
    store.record("b1", _result("r3", FAILED))
    assert store.run_statuses("b1") == {"r3": FAILED}
    assert store.record("b1", _result("r3", OK))
    row = store.runs_rows()[0]
    assert row["status"] == OK and row["attempts"] == 2 and row["error"] is None
    assert not store.record("b1", _result("r3", FAILED))  # never overwrite a finished run
    assert not store.record("b1", _result("r3", OK))
    assert store.run_statuses("b1") == {"r3": OK}
    assert store.count("wards", "b1") == 3


def test_done_ids_and_batches(store):
    store.record("b1", _result("a"))
    store.record("b1", _result("b", FAILED))
    assert store.done_ids("b1") == {"a"}
    assert store.batch_ids() == ["b1"]
    assert store.resolve_batch(None) == "b1"
    with pytest.raises(InputError, match="no batch 'zz'"):
        store.resolve_batch("zz")
    store.add_batch("b1", {"name": "other", "sweep": {}, "base_scenario": {}, "n_runs": 0})  # no-op
    assert store.batch("b1")["name"] == "b"


def test_store_urls():
    assert store_url("x/y.sqlite").startswith("sqlite:////")
    assert store_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert store_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert store_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"


def test_readers_refuse_a_missing_store(tmp_path):
    with pytest.raises(InputError, match="not found"):
        Store(tmp_path / "missing.sqlite", create=False)
    other = tmp_path / "other.sqlite"
    eng = sa.create_engine(f"sqlite:///{other}")
    with eng.begin() as conn:
        conn.execute(sa.text("create table t (x int)"))
    eng.dispose()
    with pytest.raises(InputError, match="not a batch results store"):
        Store(other, create=False)
