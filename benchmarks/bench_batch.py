"""Benchmark of solver batches: runs per minute, scaling, scheduling overhead, stop and resume.

Usage::

    python benchmarks/bench_batch.py [--data-dir ../shared/data] [--runs 60] [--workers 1,2]
                                     [--no-dask] [--standin] [--resume-runs 1000]

For each engine (local process pool, Dask LocalCluster with one thread per
worker process) and each worker count it runs the same PCSO x span sweep on
real London (``scenarios/london-2022.yaml`` with ``--data-dir``; the demo city
if the data folder is absent) into a fresh SQLite store, and prints:

* runs/min: runs over the whole wall time, start-up and data loading included;
* steady runs/min: from the first to the last stored run (start-up excluded);
* overhead/run: time lost to scheduling, storing and start-up per run,
  (wall x workers - sum of the runs' own times) / runs;
* cpu s: CPU seconds per run in the worker (all its threads);
* cpu-bound/min: 60 x workers / cpu s, the rate if every worker had a core to
  itself (what a quiet machine gives; compare with runs/min to see contention);
* scaling: runs/min on N workers / (N x runs/min on one worker);
* load: the machine's 1-minute load average before the configuration (other
  processes on the machine skew every figure; run it on a quiet machine).

Then it demonstrates stop and resume: a ``--resume-runs`` sweep run with the
fast stand-in solve is killed (SIGKILL of the driver and its pool) three
times at random points and resumed, and the store is checked for lost and
duplicated runs. ``--standin`` uses the stand-in solve for the throughput
part too (for a quick check of the machinery). Figures are printed, never
asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from planner.batch import Store, load_sweep, run_batch, standin  # noqa: E402
from planner.batch.runner import available_cores  # noqa: E402

DATA = REPO / "tests" / "data" / "batch"


def _write_sweep(folder: Path, base: Path, runs: int, name: str) -> Path:
    pcso = [1300 + 100 * i for i in range(max(1, runs // 4))]
    axes = {"workforce.pcso.headcount": pcso, "rules.supervision.sergeant_span": [6, 7, 8, 10]}
    sweep = {"name": name, "base": str(base.resolve()), "axes": axes}
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(sweep, sort_keys=False))
    return path


def _pick_base(data_dir: Path) -> tuple[Path, Path | None, str]:
    london = REPO / "scenarios" / "london-2022.yaml"
    if london.is_file() and (data_dir / "london_wards_2022_bng.gpkg").is_file():
        return london, data_dir, "London (679 wards, real data)"
    print(f"London data not found at {data_dir} (or no scenarios/london-2022.yaml): using the demo city")
    demo = REPO / "scenarios" / "demo.yaml"
    if demo.is_file():
        return demo, None, "demo city (synthetic, about 680 wards)"
    return DATA / "tiny.yaml", None, "tiny test city (40 wards; no scenarios/demo.yaml yet)"


def _stats(store: Store, summary: Any, workers: int) -> dict[str, float]:
    rows = [r for r in store.runs_rows() if r["status"] in ("ok", "infeasible")]
    n = len(rows)
    ends = sorted(r["finished_at"].timestamp() for r in rows if r["finished_at"] is not None)
    steady = (len(ends) - 1) / (ends[-1] - ends[0]) * 60 if len(ends) > 2 and ends[-1] > ends[0] else float("nan")
    busy = sum(r["run_seconds"] or 0.0 for r in rows)
    cpu = sum(r["cpu_seconds"] or 0.0 for r in rows)
    solve = sum(r["solve_seconds"] or 0.0 for r in rows)
    wall = summary.wall_seconds
    return {
        "runs": n,
        "wall": wall,
        "rate": n / wall * 60 if wall > 0 else float("nan"),
        "steady": steady,
        "overhead": (wall * workers - busy) / n if n else float("nan"),
        "solve": solve / n if n else float("nan"),
        "cpu": cpu / n if n else float("nan"),
        "gap": max((r["gap"] or 0.0) for r in rows) if rows else float("nan"),
        "failed": summary.failed + summary.lost,
    }


def _run(engine: str, workers: int, sweep_path: Path, data_dir: Path | None, fake: dict[str, Any]) -> dict:
    sweep = load_sweep(sweep_path)
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "bench.sqlite") as store:
        if engine == "local":
            summary = run_batch(sweep, store, data_dir=data_dir, workers=workers, progress=None, **fake)
        else:
            from distributed import Client, LocalCluster

            with (
                LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
                ) as cluster,
                Client(cluster) as client,
            ):
                summary = run_batch(sweep, store, data_dir=data_dir, scheduler=client, progress=None, **fake)
        out = _stats(store, summary, workers)
        out["threads"] = summary.solver_threads
        return out


def throughput(args: argparse.Namespace) -> None:
    base, data_dir, label = _pick_base(Path(args.data_dir))
    fake = {"solve": standin.solve, "load": standin.load_inputs} if args.standin else {}
    if args.standin:
        label += ", STAND-IN solve"
    workers_list = [int(w) for w in args.workers.split(",")]
    engines = ["local"] + ([] if args.no_dask else ["dask"])
    print(f"\nThroughput on {label}: {args.runs} runs per configuration, {available_cores()} cores")
    head = f"{'engine':7} {'workers':>7} {'threads':>7} {'runs':>5} {'wall s':>7} {'runs/min':>9} "
    head += f"{'steady/min':>10} {'solve s':>8} {'cpu s':>6} {'cpu-bound/min':>13} {'overhead/run s':>14} "
    head += f"{'max gap':>9} {'failed':>6} "
    head += f"{'scaling':>8} {'load':>5}"
    print(head)
    with tempfile.TemporaryDirectory() as tmp:
        sweep_path = _write_sweep(Path(tmp), base, args.runs, "bench")
        for engine in engines:
            one = None
            for w in workers_list:
                load = os.getloadavg()[0]  # other work on the machine skews the figures
                s = _run(engine, w, sweep_path, data_dir, fake)
                if w == 1:
                    one = s["rate"]
                scaling = f"{s['rate'] / (w * one):8.0%}" if one else f"{'-':>8}"
                print(
                    f"{engine:7} {w:>7} {s['threads']:>7} {s['runs']:>5} {s['wall']:>7.1f} {s['rate']:>9.0f} "
                    f"{s['steady']:>10.0f} {s['solve']:>8.3f} {s['cpu']:>6.3f} {60 * w / s['cpu']:>13.0f} "
                    f"{s['overhead']:>14.3f} {s['gap']:>9.2e} "
                    f"{s['failed']:>6} {scaling} {load:>5.1f}",
                    flush=True,
                )


_DRIVER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[3])
    from planner.batch import Store, load_sweep, run_batch
    from planner.batch import standin
    with Store(sys.argv[2]) as store:
        run_batch(load_sweep(sys.argv[1]), store, workers=2, solve=standin.solve,
                  load=standin.load_inputs, progress=None, resume=True)
    """
)


def stop_and_resume(args: argparse.Namespace) -> None:
    n = args.resume_runs
    print(f"\nStop and resume: a {n}-run sweep (stand-in solve), killed 3 times at random points")
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "tiny.yaml").write_text((DATA / "tiny.yaml").read_text())
        per = max(1, n // 4)
        axes = {"workforce.pcso.headcount": list(range(50, 50 + per)), "solver.seed": [1, 2, 3, 4]}
        path = folder / "resume.yaml"
        path.write_text(yaml.safe_dump({"name": "resume", "base": "tiny.yaml", "axes": axes}))
        sweep = load_sweep(path)
        db = folder / "resume.sqlite"
        for k in range(3):
            target = rng.randint(1 + k * sweep.n_runs // 4, (k + 1) * sweep.n_runs // 4)
            proc = subprocess.Popen(
                [sys.executable, "-c", _DRIVER, str(path), str(db), str(REPO)], start_new_session=True
            )
            stored = _wait_then_kill(proc, db, target)
            print(f"  kill {k + 1}: driver and pool killed with {stored} runs stored")
        with Store(db) as store:
            before = len(store.runs_rows())
            summary = run_batch(sweep, store, workers=2, resume=True, progress=None,
                                solve=standin.solve, load=standin.load_inputs)  # fmt: skip
            ids = [r["run_id"] for r in store.runs_rows()]
        dup = sum(c - 1 for c in Counter(ids).values())
        missing = len({r.run_id for r in sweep.runs()} - set(ids))
        print(
            f"  resume: {summary.skipped} already stored (had {before}), {summary.finished} run now; "
            f"total {len(ids)}/{sweep.n_runs} stored, {missing} lost, {dup} duplicated"
        )


def _wait_then_kill(proc: subprocess.Popen, db: Path, target: int) -> int:
    count = 0
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        with contextlib.suppress(Exception), Store(db, create=False) as s:
            count = len(s.runs_rows())
        if count >= target:
            break
        time.sleep(0.02)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    with contextlib.suppress(Exception), Store(db, create=False) as s:
        count = len(s.runs_rows())
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--runs", type=int, default=60, help="runs per configuration (a multiple of 4)")
    parser.add_argument("--workers", default="1,2", help="worker counts to compare, e.g. 1,2")
    parser.add_argument("--no-dask", action="store_true", help="local pool only")
    parser.add_argument("--standin", action="store_true", help="use the fast stand-in solve for throughput too")
    parser.add_argument("--resume-runs", type=int, default=1000, help="size of the stop/resume sweep (0: skip)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the kill points")
    args = parser.parse_args()
    throughput(args)
    if args.resume_runs:
        stop_and_resume(args)


if __name__ == "__main__":
    main()
