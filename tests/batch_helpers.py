"""Shared pieces of the batch tests: store fixtures for SQLite and PostgreSQL, sweeps in a folder, driver scripts."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO, TypedDict

import batch_standin as standin
import pytest
import yaml

from planner.batch.pgdetail import detail_metadata
from planner.batch.store import Store, metadata

DATA = Path(__file__).resolve().parent / "data" / "batch"
REPO = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("PLANNER_TEST_PG_URL")


class Fake(TypedDict):
    """The keyword arguments of ``run_batch`` that swap in the stand-in solver and loader."""

    solve: Callable[..., Any]
    load: Callable[..., Any]
    progress: TextIO | None


FAKE: Fake = {"solve": standin.solve, "load": standin.load_inputs, "progress": None}
NEEDS_PG = [
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="PLANNER_TEST_PG_URL not set (source .ci/postgres.sh to start one)"),
]
BACKENDS = ["sqlite", pytest.param("postgres", marks=NEEDS_PG)]


def fresh_pg() -> Store:
    """The test PostgreSQL database, emptied."""
    store = Store(PG_URL)  # type: ignore[arg-type]
    detail_metadata.drop_all(store.engine)
    metadata.drop_all(store.engine)
    store.close()
    return Store(PG_URL)  # type: ignore[arg-type]


def store_url_for(backend: str, tmp_path: Path) -> str:
    """A fresh store of ``backend``: a SQLite file in ``tmp_path`` or the emptied PostgreSQL database."""
    if backend == "sqlite":
        return str(tmp_path / "batches.sqlite")
    fresh_pg().close()
    return PG_URL  # type: ignore[return-value]


def write_sweep(folder: Path, axes: dict, name: str = "t", base: str = "tiny.yaml", **extra: object) -> Path:
    """A sweep file over ``axes`` next to a copy of the tiny test city."""
    (folder / "tiny.yaml").write_text((DATA / "tiny.yaml").read_text())
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"name": name, "base": base, "axes": axes, **extra}))
    return path


DRIVER = textwrap.dedent(
    """
    import sys
    import batch_standin as standin
    from planner.batch import Store, load_sweep, run_batch
    sweep, store, lease, workers = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    with Store(store) as s:
        summary = run_batch(load_sweep(sweep), s, workers=workers, solve=standin.solve, load=standin.load_inputs,
                            progress=None, resume=True, lease=lease, flush_runs=25, flush_seconds=0.5)
    print(summary.finished, summary.failed, summary.lost, summary.by_others)
    """
)


def start_driver(sweep: Path, store: str, *, lease: float = 60.0, workers: int = 1, env: dict | None = None):
    """A driver process on ``sweep`` (with ``--resume``: it creates or joins the batch), using the stand-in."""
    paths = os.pathsep.join([str(REPO), str(REPO / "tests"), os.environ.get("PYTHONPATH", "")])
    full = {**os.environ, "PYTHONPATH": paths, **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(sweep), store, str(lease), str(workers)],
        env=full,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for(predicate, timeout: float = 120.0, what: str = "the condition") -> None:
    """Poll ``predicate`` until true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    pytest.fail(f"{what} not reached after {timeout:.0f} s")
