"""Running sweeps on a Dask LocalCluster with the stand-in solve."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

pytest.importorskip("distributed")
from distributed import Client, LocalCluster

from planner.batch import standin
from planner.batch.dask_runner import solver_threads
from planner.batch.runner import run_batch
from planner.batch.store import Store
from planner.batch.sweep import load_sweep
from planner.batch.work import OK
from planner.errors import InputError

DATA = Path(__file__).resolve().parent / "data" / "batch"
FAKE = {"solve": standin.solve, "load": standin.load_inputs, "progress": None}


@pytest.fixture(scope="module")
def client():
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster,
        Client(cluster) as c,
    ):
        yield c


def _ward_rows(store: Store) -> list[tuple]:
    rows = store.result_rows("wards")
    return sorted((w["run_id"], w["ward_code"], w["constables"], w["pcsos"]) for w in rows)


def test_dask_runs_the_sweep_and_matches_the_local_pool(client, tmp_path):
    sweep = load_sweep(DATA / "tiny-sweep.yaml")
    with Store(tmp_path / "dask.sqlite") as store:
        summary = run_batch(sweep, store, scheduler=client, **FAKE)
        assert summary.complete and summary.ok == 9
        assert summary.loads_by_worker and max(summary.loads_by_worker.values()) <= 1
        dask_rows = _ward_rows(store)
    with Store(tmp_path / "local.sqlite") as store:
        run_batch(sweep, store, workers=1, **FAKE)
        local_rows = _ward_rows(store)
    assert dask_rows == local_rows


def test_dask_records_faults_and_resumes(client, tmp_path):
    sweep = load_sweep(DATA / "tiny-faults.yaml")
    with Store(tmp_path / "dask.sqlite") as store:
        summary = run_batch(sweep, store, scheduler=client, **FAKE)
        assert (summary.ok, summary.infeasible, summary.failed) == (4, 2, 2)
        errors = [r["error"] for r in store.runs_rows() if r["status"] == "failed"]
        assert all("RuntimeError: stand-in fault" in e for e in errors)
        again = run_batch(sweep, store, scheduler=client, resume=True, **FAKE)
        assert again.skipped == 6 and again.failed == 2
        assert len(store.runs_rows()) == 8


def test_solver_threads_share_the_cores(client):
    slots, threads = solver_threads(client)
    assert slots == 2 and threads >= 1


def test_an_unreachable_scheduler_is_an_input_error(tmp_path, monkeypatch):
    monkeypatch.setattr("planner.batch.dask_runner.CONNECT_TIMEOUT", "1s")
    sweep = load_sweep(DATA / "tiny-sweep.yaml")
    with Store(tmp_path / "x.sqlite") as store, pytest.raises(InputError, match="cannot reach the Dask"):
        run_batch(sweep, store, scheduler="tcp://127.0.0.1:9", **FAKE)


@pytest.mark.slow
def test_a_dask_worker_process_killed_mid_batch_is_replaced(tmp_path):
    marker = tmp_path / "died-once"
    (tmp_path / "tiny.yaml").write_text((DATA / "tiny.yaml").read_text())
    axes = {"description": ["", f"standin_fault:exit_once:{marker}"], "workforce.pcso.headcount": [60, 80, 100]}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump({"name": "s", "base": "tiny.yaml", "axes": axes}))
    sweep = load_sweep(tmp_path / "s.yaml")
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
        Client(cluster) as c,
        Store(tmp_path / "dask.sqlite") as store,
    ):
        summary = run_batch(sweep, store, scheduler=c, **FAKE)
        assert marker.exists()
        assert summary.complete and summary.ok == 6
        rows = store.runs_rows()
        assert sorted(r["run_id"] for r in rows) == sorted(r.run_id for r in sweep.runs())
        assert all(r["status"] == OK for r in rows)


def test_a_scheduler_address_is_connected_to(client, tmp_path):
    sweep = load_sweep(DATA / "tiny-sweep.yaml")
    with Store(tmp_path / "addr.sqlite") as store:
        summary = run_batch(sweep, store, scheduler=client.scheduler.address, **FAKE)
        assert summary.complete and summary.ok == 9 and summary.workers == 2
