"""Running sweeps on local worker processes with the stand-in solve: storing, faults, watchdog, resume.

The stand-in (tests/batch_standin.py) is a fast deterministic allocation that can
misbehave on purpose through the sweep axis ``description`` (``standin_fault:raise`` and so on); the real
solver is exercised in test_batch_real.py.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import TextIO, cast

import batch_standin as standin
import numpy as np
import pytest
import sqlalchemy as sa
from batch_helpers import BACKENDS, DATA, FAKE, fresh_pg, write_sweep
from hypothesis import given
from hypothesis import strategies as st

from planner.batch.local import plan_threads
from planner.batch.runner import run_batch
from planner.batch.store import PENDING, Store, runs
from planner.batch.sweep import load_sweep
from planner.batch.work import FAILED, INFEASIBLE, LOST, OK, RunTask, WorkerContext, run_one
from planner.errors import DataError, InputError


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    s = Store(tmp_path / "batches.sqlite") if request.param == "sqlite" else fresh_pg()
    yield s
    s.close()


@pytest.fixture
def sqlite_store(tmp_path):
    with Store(tmp_path / "batches.sqlite") as s:
        yield s


def _sweep(tmp_path: Path, axes: dict, name: str = "t") -> Path:
    return write_sweep(tmp_path, axes, name)


def _check_plans(store: Store, sweep) -> None:
    """Recompute the rules from the stored ward and borough results of every ok run."""
    wards = store.result_rows("wards")
    boroughs = store.result_rows("boroughs")
    for row in store.runs_rows():
        if row["status"] != OK:
            continue
        scenario = sweep.scenario(row["params"])
        mine = [w for w in wards if w["run_id"] == row["run_id"]]
        c = np.array([w["constables"] for w in mine])
        p = np.array([w["pcsos"] for w in mine])
        assert len(mine) == scenario.data.synthetic.wards
        assert c.min() >= scenario.rules.ward_floor.constable and p.min() >= scenario.rules.ward_floor.pcso
        assert c.sum() == row["constables"] <= scenario.workforce.constable.headcount
        assert p.sum() == row["pcsos"] <= scenario.workforce.pcso.headcount
        span = scenario.rules.supervision.sergeant_span
        for b in (b for b in boroughs if b["run_id"] == row["run_id"]):
            assert b["sergeants"] * span >= b["constables"] + b["pcsos"]
        assert 0 <= row["need_covered"] <= 1


def test_local_pool_stores_every_run_once(store):
    sweep = load_sweep(DATA / "tiny-sweep.yaml")
    summary = run_batch(sweep, store, workers=2, **FAKE)
    assert summary.complete and summary.ok == 9 and summary.skipped == 0
    assert set(store.run_statuses(summary.batch_id)) == {r.run_id for r in sweep.runs()}
    assert store.count("wards", summary.batch_id) == 9 * 40
    assert store.count("boroughs", summary.batch_id) == 9 * 4
    assert summary.workers * summary.solver_threads <= (os.cpu_count() or 1)
    assert all(r["attempts"] == 1 and r["driver"] == summary.driver for r in store.runs_rows())
    # the data is loaded at most once per worker process, never once per run
    assert summary.loads_by_worker and max(summary.loads_by_worker.values()) <= 1
    _check_plans(store, sweep)


def test_same_sweep_gives_the_same_answers_on_one_or_two_workers(tmp_path):
    sweep = load_sweep(DATA / "tiny-sweep.yaml")
    tables = []
    for workers in (1, 2):
        with Store(tmp_path / f"w{workers}.sqlite") as s:
            run_batch(sweep, s, workers=workers, **FAKE)
            rows = s.result_rows("wards")
            tables.append(sorted((w["run_id"], w["ward_code"], w["constables"], w["pcsos"]) for w in rows))
    assert tables[0] == tables[1]


def test_faults_are_recorded_with_their_messages_and_the_batch_goes_on(store):
    sweep = load_sweep(DATA / "tiny-faults.yaml")
    summary = run_batch(sweep, store, workers=2, **FAKE)
    assert (summary.ok, summary.infeasible, summary.failed, summary.lost) == (4, 2, 2, 0)
    assert not summary.complete
    rows = {r["run_id"]: r for r in store.runs_rows()}
    for run in sweep.runs():
        row, fault = rows[run.run_id], run.params["description"].removeprefix("standin_fault:")
        if fault == "raise":
            assert row["status"] == FAILED and "RuntimeError: stand-in fault" in row["error"]
        elif fault == "infeasible":
            assert row["status"] == INFEASIBLE and "infeasible on purpose" in row["error"]
        elif fault == "time_limit":
            assert row["status"] == OK and row["solver_status"] == "time_limit" and row["gap"] > 0
        else:
            assert row["status"] == OK and row["solver_status"] == "optimal" and row["error"] is None
    # resume runs only the failed ones again (the infeasible ones are finished answers)
    again = run_batch(sweep, store, workers=2, resume=True, **FAKE)
    assert again.skipped == 6 and again.failed == 2 and again.ok == 0
    assert len(store.runs_rows()) == 8
    assert sorted(r["attempts"] for r in store.runs_rows() if r["status"] == FAILED) == [2, 2]


def test_a_worker_killed_mid_batch_is_replaced_and_its_runs_done_again(store, tmp_path):
    marker = tmp_path / "died-once"
    path = _sweep(
        tmp_path,
        {"description": ["", f"standin_fault:exit_once:{marker}"], "workforce.pcso.headcount": [60, 80, 100, 120]},
    )
    sweep = load_sweep(path)
    summary = run_batch(sweep, store, workers=2, **FAKE)
    assert marker.exists()  # a worker process really died
    assert summary.pool_restarts == 1 and summary.retried >= 1
    assert summary.complete and summary.ok == 8
    ids = [r["run_id"] for r in store.runs_rows()]
    assert sorted(ids) == sorted(r.run_id for r in sweep.runs())  # complete, no duplicates
    assert store.count("wards", summary.batch_id) == 8 * 40
    assert max(r["attempts"] for r in store.runs_rows()) == 2


def test_a_run_that_always_kills_its_worker_is_lost_without_taking_others(sqlite_store, tmp_path):
    path = _sweep(
        tmp_path,
        {
            "description": ["", "standin_fault:exit", "standin_fault:sleep:0.01", "standin_fault:sleep:0.02"],
            "workforce.pcso.headcount": [60, 100],
        },
    )
    sweep = load_sweep(path)
    summary = run_batch(sweep, sqlite_store, workers=2, **FAKE)
    assert summary.lost == 2 and summary.ok == 6 and summary.failed == 0
    rows = sqlite_store.runs_rows()
    lost = [r for r in rows if r["status"] == LOST]
    assert all(r["params"]["description"] == "standin_fault:exit" for r in lost)
    assert all("worker process died" in r["error"] for r in lost)
    again = run_batch(sweep, sqlite_store, workers=2, resume=True, **FAKE)
    assert again.skipped == 6 and again.lost == 2
    assert len(sqlite_store.runs_rows()) == 8


def test_resume_finishes_only_what_is_missing(store):
    sweep = load_sweep(DATA / "tiny-sweep.yaml")
    first = run_batch(sweep, store, workers=2, **FAKE)
    before = {r["run_id"]: r["finished_at"] for r in store.runs_rows()}
    gone = sorted(before)[:4]
    with store.writer.begin() as conn:  # as if the batch had stopped before these
        conn.execute(runs.update().where(runs.c.run_id.in_(gone)).values(status=PENDING, detail_part=None))
    assert store.count("wards", first.batch_id) == 5 * 40  # their ward rows are no longer read
    summary = run_batch(sweep, store, workers=2, resume=True, **FAKE)
    assert summary.skipped == 5 and summary.ok == 4 and summary.complete
    after = {r["run_id"]: r["finished_at"] for r in store.runs_rows()}
    assert sorted(after) == sorted(before)
    assert all(after[k] == before[k] for k in before if k not in gone)  # finished runs untouched
    assert store.count("wards", first.batch_id) == 9 * 40
    nothing = run_batch(sweep, store, workers=2, resume=True, **FAKE)
    assert nothing.skipped == 9 and nothing.finished == 0


def test_running_a_stored_batch_again_needs_resume(sqlite_store, tmp_path):
    sweep = load_sweep(DATA / "tiny-sweep.yaml")
    run_batch(sweep, sqlite_store, workers=1, **FAKE)
    with pytest.raises(InputError, match=r"already exists.*--resume"):
        run_batch(sweep, sqlite_store, workers=1, **FAKE)
    other = load_sweep(DATA / "tiny-faults.yaml")
    with pytest.raises(InputError, match="different sweep"):
        run_batch(other, sqlite_store, batch_id=sweep.batch_id(), resume=True, **FAKE)
    renamed = run_batch(sweep, sqlite_store, workers=1, batch_id="second", **FAKE)
    assert renamed.ok == 9 and set(sqlite_store.batch_ids()) == {sweep.batch_id(), "second"}


def _broken_load(scenario, data_dir=None, **kwargs):
    raise DataError("row 3: ward_code is missing", source="wards.gpkg")


def test_base_data_that_cannot_be_loaded_stops_the_batch_before_writing_anything(tmp_path):
    sweep = load_sweep(DATA / "tiny-sweep.yaml")
    path = tmp_path / "batches.sqlite"
    with Store(path) as store, pytest.raises(InputError, match=r"cannot load the data.*wards.gpkg: row 3: ward_code"):
        run_batch(sweep, store, workers=2, solve=standin.solve, load=_broken_load, progress=None)
    assert not path.exists()  # no store file, so no empty batch row


_SEEN: list[int] = []


def _recording_solve(scenario, data_dir=None, *, inputs=None, **kwargs):
    _SEEN.append(scenario.solver.workers)
    return standin.solve(scenario, data_dir, inputs=inputs)


def test_each_run_gets_the_solver_threads_its_share_of_the_cores():
    sweep = load_sweep(DATA / "tiny-sweep.yaml")
    ctx = WorkerContext("b", sweep.base, None, 3, solve=_recording_solve, load=standin.load_inputs)
    _SEEN.clear()
    result = run_one(ctx, RunTask("r", {"workforce.pcso.headcount": 80}))
    assert result.status == OK and _SEEN == [3]
    run_one(ctx, RunTask("s", {"solver.workers": 1}))  # a swept thread count is respected
    assert _SEEN == [3, 1]


@given(st.integers(1, 64), st.one_of(st.none(), st.integers(1, 200)))
def test_workers_times_threads_never_exceeds_the_cores(cores, workers):
    n, threads = plan_threads(workers, cores)
    assert 1 <= n <= cores and threads >= 1 and n * threads <= cores
    if workers is None:
        assert n == cores


def test_progress_line_reports_done_failed_rate_and_time_left(sqlite_store, tmp_path):
    out = tmp_path / "progress.txt"
    sweep = load_sweep(DATA / "tiny-faults.yaml")
    with out.open("w") as stream:
        run_batch(sweep, sqlite_store, workers=1, **(FAKE | {"progress": stream}))
    last = out.read_text().strip().splitlines()[-1]
    assert "8/8 done" in last and "2 failed" in last and "runs/s" in last and "left" in last


class _CtrlC:
    """A terminal-like progress stream whose n-th write is a Ctrl-C in the driver."""

    def __init__(self, n: int) -> None:
        self.n, self.writes = n, 0

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> None:
        self.writes += 1
        if self.writes == self.n:
            raise KeyboardInterrupt

    def flush(self) -> None:
        pass


def test_ctrl_c_keeps_what_finished_and_resume_completes(sqlite_store, tmp_path):
    faults = ["standin_fault:sleep:0.3", "standin_fault:sleep:0.31", "standin_fault:sleep:0.32"]
    sweep = load_sweep(_sweep(tmp_path, {"description": faults, "workforce.pcso.headcount": [60, 100]}))
    ctrl_c = cast(TextIO, _CtrlC(3))  # duck-typed: isatty, write and flush are all run_batch uses
    summary = run_batch(sweep, sqlite_store, workers=1, **(FAKE | {"progress": ctrl_c}))
    assert summary.interrupted and not summary.complete
    stored = sqlite_store.runs_rows()
    assert 1 <= len(stored) < 6 and all(r["status"] == OK for r in stored)
    assert sqlite_store.count("wards", summary.batch_id) == 40 * len(stored)  # no half-stored run
    again = run_batch(sweep, sqlite_store, workers=2, resume=True, **FAKE)
    assert again.complete and again.skipped == len(stored) and again.ok == 6 - len(stored)
    assert sorted(r["run_id"] for r in sqlite_store.runs_rows()) == sorted(r.run_id for r in sweep.runs())


# --------------------------------------------------------- stop and resume


_DRIVER = textwrap.dedent(
    """
    import sys
    from planner.batch import Store, load_sweep, run_batch
    import batch_standin as standin
    with Store(sys.argv[2]) as store:
        run_batch(load_sweep(sys.argv[1]), store, workers=2, solve=standin.solve,
                  load=standin.load_inputs, progress=None, resume=True)
    """
)


@pytest.mark.slow
def test_a_1000_run_sweep_killed_at_any_point_resumes_with_nothing_lost_or_duplicated(tmp_path):
    path = _sweep(
        tmp_path,
        {"workforce.pcso.headcount": {"start": 50, "stop": 299, "step": 1}, "solver.seed": [1, 2, 3, 4]},
        name="thousand",
    )
    sweep = load_sweep(path)
    assert sweep.n_runs == 1000
    db = tmp_path / "batches.sqlite"
    repo = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(repo), str(repo / "tests")])}
    for stop_at in (150, 600):  # stop twice, at different points
        proc = subprocess.Popen([sys.executable, "-c", _DRIVER, str(path), str(db)], env=env, start_new_session=True)
        try:
            _wait_for_runs(db, stop_at, proc)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # the driver and its workers, mid-batch
            proc.wait()
        with Store(db) as store, store.writer.begin() as conn:  # as if a minute had passed: leases expire
            conn.execute(runs.update().where(runs.c.status == "running").values(lease_expires=0.0))
    with Store(db) as store:
        stored = len(store.runs_rows())
        assert 150 <= stored < 1000
        summary = run_batch(sweep, store, workers=2, resume=True, **FAKE)
        assert summary.skipped == stored and summary.ok == 1000 - stored and summary.complete
        assert max(r["attempts"] for r in store.runs_rows()) >= 2  # runs the dead drivers held count their try
        with store.engine.connect() as conn:
            ids = [r[0] for r in conn.execute(sa.select(runs.c.run_id))]
        assert Counter(ids).most_common(1)[0][1] == 1 and len(ids) == 1000
        assert set(ids) == {r.run_id for r in sweep.runs()}
        assert store.count("wards", summary.batch_id) == 1000 * 40


def _wait_for_runs(db: Path, n: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the batch ended (code {proc.returncode}) before {n} runs were stored")
        if db.exists():
            try:
                with Store(db, create=False) as s:
                    if len(s.runs_rows()) >= n:
                        return
            except (InputError, sa.exc.OperationalError):  # not created yet, or busy
                pass
        time.sleep(0.05)
    pytest.fail(f"fewer than {n} runs stored after 120 s")


# --------------------------------------------------------- watchdog


def test_the_watchdog_stops_a_run_that_hangs_and_the_batch_goes_on(sqlite_store, tmp_path):
    path = _sweep(tmp_path, {"description": ["", "standin_fault:hang"], "workforce.pcso.headcount": [60, 100]})
    sweep = load_sweep(path)
    t0 = time.monotonic()
    summary = run_batch(sweep, sqlite_store, workers=2, run_timeout=1.5, **FAKE)
    assert time.monotonic() - t0 < 60  # the hanging runs sleep an hour
    assert summary.ok == 2 and summary.failed == 2 and summary.stopped == 2
    rows = {r["run_id"]: r for r in sqlite_store.runs_rows()}
    for run in sweep.runs():
        row = rows[run.run_id]
        if run.params["description"] == "standin_fault:hang":
            assert row["status"] == FAILED and "stopped by the watchdog" in row["error"] and "limit" in row["error"]
            assert row["run_seconds"] >= 1.5
        else:
            assert row["status"] == OK


def test_the_default_watchdog_follows_the_solver_time_limit():
    from planner.batch.runner import watchdog_seconds

    assert watchdog_seconds(30) == 210 and watchdog_seconds(5) < watchdog_seconds(30)
