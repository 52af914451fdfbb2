"""Batches with the real solver: every stored plan rechecked, and equal to a direct solve."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import yaml

from planner.batch.runner import run_batch
from planner.batch.store import Store, metadata
from planner.batch.sweep import load_sweep
from planner.batch.work import OK

api = pytest.importorskip("planner.api", reason="the real solver (planner.api) is not in this tree yet")
from planner.rules import check_plan  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "batch"
REPO = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("PLANNER_TEST_PG_URL")


def _stored_plan(store: Store, run_id: str, wards) -> tuple[np.ndarray, ...]:
    w = {r["ward_code"]: r for r in store.result_rows("wards") if r["run_id"] == run_id}
    b = {r["borough_code"]: r for r in store.result_rows("boroughs") if r["run_id"] == run_id}
    x = np.array([w[c]["constables"] for c in wards.codes])
    p = np.array([w[c]["pcsos"] for c in wards.codes])
    s = np.array([b[c]["sergeants"] for c in wards.borough_codes])
    i = np.array([b[c]["inspectors"] for c in wards.borough_codes])
    return x, p, s, i


def _check_every_plan(store: Store, sweep, threads: int, compare: int = 2) -> None:
    """Recompute every rule from the stored results; re-solve a few runs directly and compare."""
    rows = [r for r in store.runs_rows() if r["status"] == OK]
    assert rows
    inputs = None
    for k, row in enumerate(rows):
        scenario = sweep.scenario({**row["params"], "solver.workers": threads})
        inputs, _, problem = api.prepare(scenario, scenario_dir=sweep.base_path.parent, inputs=inputs)
        x, p, s, i = _stored_plan(store, row["run_id"], inputs.wards)
        assert all(check_plan(problem, x, p, s, i).values()), row["params"]
        assert row["constables"] == x.sum() and row["sergeants"] == s.sum()
        assert row["cost_annual"] == pytest.approx(problem.annual_cost(x, p, s, i))
        assert row["input_hash"] and row["gap"] is not None and row["gap"] <= 1e-3
        if k < compare:  # same scenario, same seed: the same answer as a direct solve
            plan = api.solve(scenario, inputs=inputs)
            assert np.array_equal(plan.constables, x) and np.array_equal(plan.pcsos, p)
            assert row["objective"] == pytest.approx(plan.objective, rel=1e-9)


@pytest.fixture
def tiny_sweep():
    return load_sweep(DATA / "tiny-sweep.yaml")


def test_local_pool_with_the_real_solver(tiny_sweep, tmp_path):
    with Store(tmp_path / "b.sqlite") as store:
        summary = run_batch(tiny_sweep, store, workers=2, progress=None)
        assert summary.complete and summary.ok == 9
        assert max(summary.loads_by_worker.values()) <= 1
        _check_every_plan(store, tiny_sweep, summary.solver_threads)


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="PLANNER_TEST_PG_URL not set (source .ci/postgres.sh to start one)")
def test_the_same_sweep_into_postgresql(tiny_sweep):
    with Store(PG_URL) as store:  # type: ignore[arg-type]
        metadata.drop_all(store.engine)
        metadata.create_all(store.engine)
        summary = run_batch(tiny_sweep, store, workers=2, progress=None)
        assert summary.complete and summary.ok == 9
        _check_every_plan(store, tiny_sweep, summary.solver_threads, compare=1)


def test_dask_local_cluster_with_the_real_solver(tiny_sweep, tmp_path):
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster,
        Client(cluster) as client,
        Store(tmp_path / "b.sqlite") as store,
    ):
        summary = run_batch(tiny_sweep, store, scheduler=client, progress=None)
        assert summary.complete and summary.ok == 9
        _check_every_plan(store, tiny_sweep, summary.solver_threads, compare=1)


def test_an_infeasible_run_is_stored_with_the_reasons(tmp_path):
    (tmp_path / "tiny.yaml").write_text((DATA / "tiny.yaml").read_text())
    axes = {"workforce.constable.headcount": [300, 50]}  # 40 wards x floor 2 = 80 > 50
    (tmp_path / "s.yaml").write_text(yaml.safe_dump({"name": "inf", "base": "tiny.yaml", "axes": axes}))
    with Store(tmp_path / "b.sqlite") as store:
        summary = run_batch(load_sweep(tmp_path / "s.yaml"), store, workers=1, progress=None)
        assert summary.ok == 1 and summary.infeasible == 1 and summary.complete
        bad = next(r for r in store.runs_rows() if r["status"] == "infeasible")
        assert "constable" in bad["error"] and bad["params"]["workforce.constable.headcount"] == 50


@pytest.mark.parametrize("engine", ["local", "dask"])
def test_demo_uplift_sweep_on_the_demo_city(engine, tmp_path):
    path = REPO / "scenarios" / "sweeps" / "demo-uplift.yaml"
    if not (REPO / "scenarios" / "demo.yaml").is_file():
        pytest.skip("scenarios/demo.yaml is not in this tree yet")
    full = load_sweep(path)
    raw = yaml.safe_load(path.read_text())
    raw["base"] = str(full.base_path)
    raw["axes"] = {k: list(v[: 2 if k.startswith("workforce") else 1]) for k, v in full.axes.items()}
    raw.setdefault("fixed", {})["solver.time_limit"] = 5
    small = tmp_path / "demo-small.yaml"
    small.write_text(yaml.safe_dump(raw))
    sweep = load_sweep(small)
    with Store(tmp_path / "b.sqlite") as store:
        if engine == "local":
            summary = run_batch(sweep, store, workers=2, progress=None)
        else:
            from distributed import Client, LocalCluster

            with (
                LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as c,
                Client(c) as client,
            ):
                summary = run_batch(sweep, store, scheduler=client, progress=None)
        assert summary.finished + summary.failed == sweep.n_runs and summary.failed == 0
        _check_every_plan(store, sweep, summary.solver_threads, compare=0)


@pytest.mark.london
def test_london_uplift_sweep_on_real_data(london_data_dir, tmp_path):
    """Two runs of the London sweep: data paths from --data-dir, the harm mapping beside the scenario."""
    full = load_sweep(REPO / "scenarios" / "sweeps" / "london-uplift.yaml")
    raw = yaml.safe_load((REPO / "scenarios" / "sweeps" / "london-uplift.yaml").read_text())
    raw["base"] = str(full.base_path)
    raw["axes"] = {"workforce.pcso.headcount": [1300, 2900]}
    small = tmp_path / "london-small.yaml"
    small.write_text(yaml.safe_dump(raw))
    sweep = load_sweep(small)
    with Store(tmp_path / "b.sqlite") as store:
        summary = run_batch(sweep, store, data_dir=london_data_dir, workers=2, progress=None)
        assert summary.complete and summary.ok == 2
        assert store.count("wards", summary.batch_id) == 2 * 679
        rows = sorted(store.runs_rows(), key=lambda r: r["params"]["workforce.pcso.headcount"])
        assert rows[1]["pcsos"] > rows[0]["pcsos"]  # the uplift is deployed
        # PCSOs have a role of their own (their own need), so "need covered" by effective officers need not rise
        assert rows[1]["objective"] >= rows[0]["objective"] - 1e-6
