"""Running sweeps on Dask with the stand-in solve: results, faults, data checks, worker deaths, the plugin."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")
import batch_standin as standin
from batch_helpers import DATA, FAKE, write_sweep
from distributed import Client, LocalCluster

from planner.batch.dask_executor import BatchWorkerPlugin, referenced_files, solver_threads
from planner.batch.runner import run_batch
from planner.batch.store import Store
from planner.batch.sweep import load_sweep
from planner.batch.work import OK, WorkerContext, load_count
from planner.errors import InputError
from planner.scenario import load_scenario


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


def _planner_plugins(client: Client) -> list[str]:
    found = client.run(lambda dask_worker: [p for p in dask_worker.plugins if p.startswith("planner-batch")])
    return sorted(p for names in found.values() for p in names)


def test_dask_runs_the_sweep_matches_local_workers_and_removes_its_plugin(client, tmp_path):
    sweep = load_sweep(DATA / "tiny-sweep.yaml")
    before = load_count()  # the workers are threads of this process: its loads so far
    with Store(tmp_path / "dask.sqlite") as store:
        summary = run_batch(sweep, store, scheduler=client, **FAKE)
        assert summary.complete and summary.ok == 9
        assert summary.loads_by_worker and max(summary.loads_by_worker.values()) - before <= 1
        assert all(r["attempts"] == 1 for r in store.runs_rows())
        dask_rows = _ward_rows(store)
    assert _planner_plugins(client) == []  # the data-loading plugin is gone with the batch
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
        assert sorted(r["attempts"] for r in store.runs_rows() if r["status"] == "failed") == [2, 2]


def test_solver_threads_share_the_cores(client):
    slots, threads = solver_threads(client)
    assert slots == 2 and threads >= 1


def test_an_unreachable_scheduler_is_an_input_error_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr("planner.batch.dask_executor.CONNECT_TIMEOUT", "1s")
    sweep = load_sweep(DATA / "tiny-sweep.yaml")
    path = tmp_path / "x.sqlite"
    with Store(path) as store, pytest.raises(InputError, match="cannot reach the Dask"):
        run_batch(sweep, store, scheduler="tcp://127.0.0.1:9", **FAKE)
    assert not path.exists()


def _load_not_on_workers(scenario, data_dir=None, **kwargs):
    """A loader that needs its data folder (absent on the workers, as on a cluster without shared storage)."""
    if not Path(data_dir).is_dir():
        raise FileNotFoundError(f"{data_dir}/wards.gpkg: no such file on this worker")
    return standin.load_inputs(scenario, data_dir, **kwargs)


def test_workers_without_the_data_stop_the_batch_with_a_clear_error(client, tmp_path):
    sweep = load_sweep(DATA / "tiny-sweep.yaml")
    path = tmp_path / "x.sqlite"
    with Store(path) as store, pytest.raises(InputError) as info:
        run_batch(sweep, store, scheduler=client, solve=standin.solve, load=_load_not_on_workers, progress=None,
                  data_dir=str(tmp_path / "absent"))  # fmt: skip
    message = str(info.value)
    assert "2 Dask worker(s) cannot load the base scenario's data" in message and "no such file" in message
    assert "as the workers see it" in message
    assert not path.exists()
    assert _planner_plugins(client) == []


def test_small_data_is_shipped_to_a_worker_and_loaded_from_its_own_folder(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "wards.gpkg").write_bytes(b"ward geometry")
    (tmp_path / "data" / "crime.csv").write_text("ward,month\n")
    scenario = load_scenario(DATA / "tiny.yaml").with_changes(
        {"data.source": "files", "data.wards": {"path": "wards.gpkg"}, "data.crime": {"path": "crime.csv"}}
    )
    found = referenced_files(scenario, str(tmp_path / "data"), None)
    assert found is not None and set(found) == {"wards.gpkg", "crime.csv"}
    assert referenced_files(scenario, str(tmp_path / "elsewhere"), None) is None
    files = {name: path.read_bytes() for name, path in found.items()}
    ctx = WorkerContext("b", scenario, "/not/on/this/worker", 1, solve=standin.solve, load=_load_seeing_files)
    plugin = BatchWorkerPlugin("planner-batch-test", ctx, files)
    error, used = plugin._load()  # noqa: SLF001 (what setup runs on a worker, without a Dask worker)
    try:
        assert error is None and used.data_dir is not None and used.data_dir != ctx.data_dir
        assert (Path(used.data_dir) / "wards.gpkg").read_bytes() == b"ward geometry"
    finally:
        plugin.teardown(None)
    assert not Path(used.data_dir).exists()  # removed with the plugin


def _load_seeing_files(scenario, data_dir=None, **kwargs):
    assert (Path(data_dir) / "wards.gpkg").is_file() and (Path(data_dir) / "crime.csv").is_file()
    return standin.StandInInputs(wards=standin.synthetic_wards(load_scenario(DATA / "tiny.yaml")))


@pytest.mark.slow
def test_a_killed_dask_worker_is_reported_and_its_run_counts_two_attempts(tmp_path):
    marker = tmp_path / "died-once"
    axes = {"description": ["", f"standin_fault:exit_once:{marker}"], "workforce.pcso.headcount": [60, 80, 100]}
    sweep = load_sweep(write_sweep(tmp_path, axes, name="s"))
    progress = io.StringIO()
    with Store(tmp_path / "dask.sqlite") as store:
        # --scheduler local: a throw-away LocalCluster of worker processes (with nannies)
        summary = run_batch(sweep, store, scheduler="local", workers=2, **(FAKE | {"progress": progress}))
        assert marker.exists()  # a worker process really died
        rows = store.runs_rows()
        assert summary.complete and summary.ok == 6 and summary.retried >= 1, [
            (r["error"], r["params"]) for r in rows if r["error"]
        ]
        assert sorted(r["run_id"] for r in rows) == sorted(r.run_id for r in sweep.runs())
        assert all(r["status"] == OK for r in rows)
        killer = [r for r in rows if r["params"]["description"].startswith("standin_fault:exit_once")]
        assert max(r["attempts"] for r in killer) == 2  # the run that killed its worker counts both tries
    assert "a worker died while running it" in progress.getvalue()


@pytest.mark.slow
def test_loading_the_data_does_not_block_the_worker_event_loop(tmp_path, monkeypatch):
    monkeypatch.setenv("PLANNER_STANDIN_LOAD_SLEEP", "8")  # a slow data load (London's takes 5 s)
    sweep = load_sweep(DATA / "tiny-sweep.yaml")
    with (
        LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
        Client(cluster) as c,
        Store(tmp_path / "dask.sqlite") as store,
    ):
        worker = next(iter(c.nthreads()))
        out: dict = {}
        batch = threading.Thread(target=lambda: out.update(s=run_batch(sweep, store, scheduler=c, **FAKE)))
        batch.start()
        waits = []  # how long the worker takes to answer while it loads the data
        while batch.is_alive():
            t0 = time.monotonic()
            c.run(lambda: None, workers=[worker])
            waits.append(time.monotonic() - t0)
            time.sleep(0.2)
        batch.join()
        assert out["s"].complete and out["s"].ok == 9
        # a load in the event loop would stall it for 8 s; importing the planner on a loaded machine takes a few
        assert len(waits) >= 10 and max(waits) < 6.0
        assert _planner_plugins(c) == []


def test_a_scheduler_address_is_connected_to(client, tmp_path):
    sweep = load_sweep(DATA / "tiny-sweep.yaml")
    with Store(tmp_path / "addr.sqlite") as store:
        summary = run_batch(sweep, store, scheduler=client.scheduler.address, **FAKE)
        assert summary.complete and summary.ok == 9 and summary.workers == 2
