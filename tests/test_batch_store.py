"""The results store: bulk outcomes, ward results beside it, nothing half-written, clear errors (SQLite, PostgreSQL)."""

from __future__ import annotations

import time

import numpy as np
import pytest
import sqlalchemy as sa
from batch_helpers import BACKENDS, fresh_pg

from planner.batch.cli import main
from planner.batch.detail import write_outcomes
from planner.batch.leases import add_runs, claim
from planner.batch.store import Store, runs, store_url
from planner.batch.sweep import RunSpec
from planner.batch.work import FAILED, OK, RunResult
from planner.errors import InputError


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    s = Store(tmp_path / "store.sqlite") if request.param == "sqlite" else fresh_pg()
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


def test_many_runs_are_stored_at_once_with_their_wards_and_boroughs(store):
    flags = write_outcomes(store, "b1", [_result("r1"), _result("r2", wards=5), _result("r3", FAILED)])
    assert flags == [True, True, True]
    rows = {r["run_id"]: r for r in store.runs_rows()}
    assert set(rows) == {"r1", "r2", "r3"} and rows["r1"]["params"] == {"workforce.pcso.headcount": 10}
    assert rows["r1"]["gap"] is None  # NaN is stored as missing
    wards = store.result_rows("wards")
    assert sorted((w["run_id"], w["ward_code"], w["constables"]) for w in wards if w["run_id"] == "r1") == [
        ("r1", "W0", 2),
        ("r1", "W1", 3),
        ("r1", "W2", 4),
    ]
    assert store.count("wards", "b1") == 8 and store.count("boroughs", "b1") == 2


def test_a_failed_run_is_replaced_by_its_retry_but_a_finished_one_is_kept(store):
    write_outcomes(store, "b1", [_result("r3", FAILED)])
    assert store.run_statuses("b1") == {"r3": FAILED}
    assert write_outcomes(store, "b1", [_result("r3", OK, attempt=2)]) == [True]
    row = store.runs_rows()[0]
    assert row["status"] == OK and row["attempts"] == 2 and row["error"] is None
    assert write_outcomes(store, "b1", [_result("r3", FAILED)]) == [False]  # never overwrite a finished run
    assert write_outcomes(store, "b1", [_result("r3", OK, wards=7)]) == [False]
    assert store.run_statuses("b1") == {"r3": OK}
    assert store.count("wards", "b1") == 3  # the second ok outcome's wards are never read


def test_a_failing_write_leaves_nothing_behind(store):
    bad = _result("r2")
    bad.wards["constables"] = np.array([1, 2])  # a column shorter than the others: the write fails
    with pytest.raises((ValueError, sa.exc.SQLAlchemyError)):
        write_outcomes(store, "b1", [_result("r1"), bad])
    assert store.run_statuses("b1") == {}
    assert store.count("wards", "b1") == 0


def test_a_parquet_part_that_no_run_points_at_is_never_read(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        store.add_batch("b1", {"name": "b", "sweep": {}, "base_scenario": {}, "n_runs": 2})
        write_outcomes(store, "b1", [_result("r1")])
        # a driver that died between writing its part and committing its rows leaves a stray part
        store.detail.stage("b1", [_result("r1", wards=9), _result("r9", wards=9)])
        assert len(list((tmp_path / "s.sqlite.parts" / "wards").rglob("*.parquet"))) == 2
        assert store.count("wards", "b1") == 3


def test_done_ids_and_batches(store):
    write_outcomes(store, "b1", [_result("a"), _result("b", FAILED)])
    assert store.done_ids("b1") == {"a"}
    assert store.batch_ids() == ["b1"]
    assert store.resolve_batch(None) == "b1"
    with pytest.raises(InputError, match="no batch 'zz'"):
        store.resolve_batch("zz")
    store.add_batch("b1", {"name": "other", "sweep": {}, "base_scenario": {}, "n_runs": 0})  # no-op
    assert store.batch("b1")["name"] == "b"


def test_pending_rows_keep_the_sweep_order_and_are_added_once(store):
    specs = [RunSpec(f"r{k}", {"solver.seed": k}) for k in range(7)]
    assert add_runs(store, "b1", specs) == 7
    assert add_runs(store, "b1", specs) == 0  # a second driver adds nothing
    got = claim(store, "b1", "me", 3, 60)
    assert [c.run_id for c in got] == ["r0", "r1", "r2"] and [c.seq for c in got] == [0, 1, 2]
    assert all(c.attempts == 1 for c in got)


def test_store_urls():
    assert store_url("x/y.sqlite").startswith("sqlite:////")
    assert store_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert store_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert store_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"


def test_opening_a_store_writes_nothing_until_a_batch_starts(tmp_path):
    path = tmp_path / "new.sqlite"
    with Store(path) as store:
        assert store.batch_ids() == [] and store.batch("x") is None
    assert not path.exists()


def test_readers_refuse_a_missing_store_or_another_database(tmp_path):
    with pytest.raises(InputError, match="not found"):
        Store(tmp_path / "missing.sqlite", create=False)
    other = tmp_path / "other.sqlite"
    eng = sa.create_engine(f"sqlite:///{other}")
    with eng.begin() as conn:
        conn.execute(sa.text("create table t (x int)"))
    eng.dispose()
    with pytest.raises(InputError, match="not a batch results store"):
        Store(other, create=False)
    with pytest.raises(InputError, match="not a batch results store"):
        Store(other)  # a batch would not write into someone else's database either


def test_a_store_of_the_first_schema_is_named_as_such(tmp_path):
    old = tmp_path / "old.sqlite"
    eng = sa.create_engine(f"sqlite:///{old}")
    with eng.begin() as conn:
        conn.execute(sa.text("create table batches (batch_id text primary key)"))
        conn.execute(sa.text("create table runs (batch_id text, run_id text)"))
    eng.dispose()
    with pytest.raises(InputError, match="older version of the planner"):
        Store(old, create=False)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["results", "{tmp}/notes.txt"], "cannot open results store"),
        (["results", "mysql://user@localhost/db"], "needs a database driver that is not installed"),
        (["results", "nosuchdialect://user@localhost/db"], "is not usable"),
        (["batch", "--status", "{tmp}/notes.txt"], "cannot open results store"),
        (["results", "{tmp}"], "is not a file"),
    ],
)
def test_store_faults_are_clear_errors_without_a_traceback(argv, message, tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("these are not the results you are looking for\n" * 50)
    code = main([a.replace("{tmp}", str(tmp_path)) for a in argv])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert (tmp_path / "notes.txt").read_text().startswith("these are not")  # untouched


def test_runs_rows_do_not_show_runs_without_an_outcome(store):
    add_runs(store, "b1", [RunSpec("p1", {}), RunSpec("p2", {})])
    write_outcomes(store, "b1", [_result("p1")])
    assert [r["run_id"] for r in store.runs_rows()] == ["p1"]
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(runs)).scalar_one() == 2
