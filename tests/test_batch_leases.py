"""Shared work: claims under a lease, two drivers on one batch, a driver that dies; SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections import Counter

import pytest
from batch_helpers import BACKENDS, FAKE, start_driver, store_url_for, wait_for, write_sweep

from planner.batch.cli import main
from planner.batch.leases import add_runs, batch_status, claim, release, renew, reset_failed
from planner.batch.runner import run_batch
from planner.batch.store import Store
from planner.batch.sweep import RunSpec, load_sweep


@pytest.fixture(params=BACKENDS)
def url(request, tmp_path) -> str:
    return store_url_for(request.param, tmp_path)


def _batch(url: str, n: int) -> None:
    with Store(url) as store:
        store.add_batch("b", {"name": "b", "sweep": {}, "base_scenario": {}, "n_runs": n})
        add_runs(store, "b", [RunSpec(f"r{k:04d}", {"solver.seed": k}) for k in range(n)])


def test_concurrent_claims_never_hand_one_run_to_two_drivers(url):
    _batch(url, 300)
    got: dict[str, list[str]] = {}

    def driver(name: str) -> None:
        with Store(url) as store:
            mine: list[str] = []
            while True:
                batch = claim(store, "b", name, 7, 60)
                if not batch:
                    break
                mine += [c.run_id for c in batch]
            got[name] = mine

    threads = [threading.Thread(target=driver, args=(f"d{k}",)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [r for ids in got.values() for r in ids]
    assert len(every) == 300 and len(set(every)) == 300  # each run claimed exactly once
    assert sum(1 for ids in got.values() if ids) >= 2  # the work was shared
    with Store(url) as store:
        s = batch_status(store, "b")
        assert s.running == 300 and s.left == 0 and set(s.drivers) <= {"d0", "d1", "d2", "d3"}


def test_an_expired_lease_lets_another_driver_take_the_runs(url):
    _batch(url, 5)
    with Store(url) as store:
        dead = claim(store, "b", "dead", 3, 0.5)
        assert [c.attempts for c in dead] == [1, 1, 1]
        alive = claim(store, "b", "alive", 10, 60)
        assert [c.run_id for c in alive] == ["r0003", "r0004"]  # the dead driver's lease is still live
        s = batch_status(store, "b")
        assert (s.running, s.expired, s.pending) == (5, 0, 0) and s.drivers["dead"][0] == 3
        time.sleep(0.7)
        s = batch_status(store, "b")
        assert (s.running, s.expired, s.left) == (2, 3, 3)
        taken = claim(store, "b", "alive", 10, 60)
        assert [c.run_id for c in taken] == ["r0000", "r0001", "r0002"]
        assert [c.attempts for c in taken] == [2, 2, 2]  # the lost try counts
        assert renew(store, "b", "dead", 60) == 0  # it holds nothing any more
        assert renew(store, "b", "alive", 60) == 5


def test_release_gives_runs_back_and_resume_retries_failures(url):
    _batch(url, 4)
    with Store(url) as store:
        held = claim(store, "b", "me", 4, 60)
        release(store, "b", "me", unstarted=[held[0].run_id], started=[held[1].run_id])
        again = {c.run_id: c.attempts for c in claim(store, "b", "other", 10, 60)}
        assert again == {"r0000": 1, "r0001": 2}  # an unstarted run gets its attempt back
        assert reset_failed(store, "b") == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_drivers_at_once_share_one_batch_and_solve_each_run_once(backend, tmp_path):
    url = store_url_for(backend, tmp_path)
    axes = {"workforce.pcso.headcount": list(range(50, 110)), "description": ["standin_fault:sleep:0.1"]}
    path = write_sweep(tmp_path, axes, name="two")
    log = tmp_path / "solves.log"
    env = {"PLANNER_STANDIN_LOG": str(log)}
    drivers = [start_driver(path, url, workers=1, env=env) for _ in range(2)]
    outs = [d.communicate(timeout=300) for d in drivers]
    assert [d.returncode for d in drivers] == [0, 0], [o[1][-2000:] for o in outs]
    finished = [int(o[0].split()[0]) for o in outs]
    assert sum(finished) == 60 and min(finished) >= 5  # both drivers did a share of the work
    sweep = load_sweep(path)
    solves = Counter(line.split()[0] for line in log.read_text().splitlines())
    with Store(url) as store:
        rows = store.runs_rows()
        assert set(solves) == {r["scenario_digest"] for r in rows} and len(solves) == 60
        assert set(solves.values()) == {1}  # each run solved exactly once, whichever driver solved it
        assert sorted(r["run_id"] for r in rows) == sorted(r.run_id for r in sweep.runs())
        assert all(r["status"] == "ok" and r["attempts"] == 1 for r in rows)
        assert len({r["driver"] for r in rows}) == 2
        assert store.count("wards", sweep.batch_id()) == 60 * 40


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_killed_driver_loses_its_claims_when_its_lease_expires(backend, tmp_path):
    url = store_url_for(backend, tmp_path)
    axes = {"workforce.pcso.headcount": list(range(50, 130)), "description": ["standin_fault:sleep:0.05"]}
    path = write_sweep(tmp_path, axes, name="kill")
    sweep = load_sweep(path)
    first = start_driver(path, url, lease=3.0, workers=2)

    def stored() -> int:
        with contextlib.suppress(Exception), Store(url, create=False) as s:
            return len(s.runs_rows())
        return 0

    try:
        wait_for(lambda: stored() >= 10, what="10 runs stored by the first driver")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(first.pid, signal.SIGKILL)  # the driver and its workers, with claims held
        first.communicate()
    with Store(url) as store:
        before = batch_status(store, sweep.batch_id())
        assert before.running > 0  # the dead driver still holds runs, until its lease expires
        t0 = time.monotonic()
        summary = run_batch(sweep, store, workers=2, resume=True, lease=3.0, **FAKE)
        assert time.monotonic() - t0 >= 1.0  # it had to wait for the dead driver's lease
        assert summary.complete
        after = batch_status(store, sweep.batch_id())
        assert after.done == 80 and after.running == 0 and after.left == 0
        rows = store.runs_rows()
        assert sorted(r["run_id"] for r in rows) == sorted(r.run_id for r in sweep.runs())
        assert any(r["attempts"] == 2 for r in rows)  # the runs the dead driver held


def test_status_shows_done_running_failed_and_left(tmp_path, capsys):
    path = write_sweep(tmp_path, {"description": ["", "standin_fault:raise"], "workforce.pcso.headcount": [60, 80]})
    db = tmp_path / "b.sqlite"
    with Store(db) as store:
        summary = run_batch(load_sweep(path), store, workers=1, **FAKE)
        assert claim(store, summary.batch_id, "host:1:abc", 1, 60) == []  # failed runs wait for --resume
    assert main(["batch", "--status", str(db)]) == 0
    out = capsys.readouterr().out
    assert f"batch {summary.batch_id}" in out and "4 runs" in out
    assert "done             2" in out and "failed           2" in out and "left             0" in out
    assert main(["batch", "--status", str(tmp_path / "none.sqlite")]) == 2
    assert "not found" in capsys.readouterr().err


def test_a_driver_holding_runs_shows_in_the_status(tmp_path, capsys):
    db = str(tmp_path / "b.sqlite")
    _batch(db, 6)
    with Store(db) as store:
        claim(store, "b", "host:42:abc", 2, 60)
    assert main(["batch", "--status", db, "--batch-id", "b"]) == 0
    out = capsys.readouterr().out
    assert "running          2  (host:42:abc holds 2, lease" in out and "left             4" in out
