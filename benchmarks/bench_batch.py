"""Benchmark of batches at cluster scale: issue 15's targets, side by side with the code before it.

Usage::

    python benchmarks/bench_batch.py [--before REF] [--only drivers,store,export,dask,guards,plan]
                                     [--runs 1000] [--export-rows 10000000] [--data-dir ../shared/data]

"Today" is the code at ``--before`` (default: the commit issue 15 started from), extracted with
``git archive`` into a temporary folder and run in subprocesses; "now" is this working tree. Both
run the same stand-in solve (a deterministic spread of officers over the wards, with an optional
fixed sleep per run: tests/batch_standin.py now, planner.batch.standin before), so the figures
measure the batch machinery, not the solver. Sections:

* **drivers**: a 1,000-run batch on the demo city (680 wards), 50 ms per run, one worker per
  driver: one driver, then two drivers at once on the same store; wall time (Python start-up
  included, the same on both sides), runs solved (summed over the drivers) and runs stored.
* **store**: runs stored per second with their ward results (680 wards), storing only (results
  made beforehand), SQLite and, with ``PLANNER_TEST_PG_URL``, PostgreSQL; then a whole batch with
  an instant solve on two workers (runs per second over the wall time).
* **export**: peak memory (RSS) of ``planner results --level wards`` on a store of 10 million ward
  rows now; today's is measured on 1 million rows and scaled (it holds every row in memory).
* **dask**: a LocalCluster of two worker processes, a data load that takes 4 s and a run that
  kills its worker once: is the death reported, how many attempts are stored, does the load block
  the worker's event loop ("Event loop was unresponsive"), is the plugin left registered.
* **guards**: the first time-left estimate against the true time left (start-up of 4 s, 300 runs);
  what a 100,000-run sweep does without --yes; ``--dry-run``.
* **plan**: the figures behind docs/batch.md's plan for 100,000 London runs on 50 nodes
  (London solve time and CPU, worker memory, bytes per run), if the London data is present.

The machine is shared and has 2 cores: wall-clock figures are noisy (the 1-minute load average
is printed). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
BEFORE_REF = "d20c2cb"
"""The commit issue 15 started from."""
SECTIONS = ("drivers", "store", "export", "dask", "guards", "plan")


# ------------------------------------------------------------------ the two code trees


class Side:
    """One code tree: its PYTHONPATH and how it imports the stand-in solve."""

    def __init__(self, name: str, root: Path, standin: str) -> None:
        self.name, self.root, self.standin = name, root, standin

    def env(self, extra: dict[str, str] | None = None, helper: Path | None = None) -> dict[str, str]:
        paths = [str(self.root), str(self.root / "tests")] + ([str(helper)] if helper else [])
        return {**os.environ, "PYTHONPATH": os.pathsep.join(paths), **(extra or {})}

    def run(self, code: str, *args: str, extra: dict[str, str] | None = None, helper: Path | None = None,
            timeout: float = 3600) -> dict[str, Any]:  # fmt: skip
        """Run a script on this side; it prints one JSON object on its last line."""
        script = f"import json, sys, time\n{self.standin}\n{textwrap.dedent(code)}"
        out = subprocess.run([sys.executable, "-c", script, *args], env=self.env(extra, helper), cwd=self.root,
                             capture_output=True, text=True, timeout=timeout)  # fmt: skip
        lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
        if out.returncode != 0 or not lines:
            raise RuntimeError(f"{self.name} script failed ({out.returncode}):\n{out.stderr[-3000:]}")
        return json.loads(lines[-1])


def sides(ref: str, tmp: Path) -> tuple[Side, Side]:
    """Today's code (``git archive`` of ``ref``) and this tree."""
    old = tmp / "before"
    old.mkdir()
    archive = subprocess.run(["git", "archive", ref, "planner", "geo", "scenarios"], cwd=REPO, capture_output=True,
                             check=True)  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
    before = Side("today", old, "from planner.batch import standin as S")
    now = Side("now", REPO, "import batch_standin as S")
    return before, now


def load_average() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def sweep_file(folder: Path, name: str, axes: dict[str, Any], fixed: dict[str, Any] | None = None,
               base: Path = REPO / "scenarios" / "demo.yaml") -> Path:  # fmt: skip
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"name": name, "base": str(base), "fixed": fixed or {}, "axes": axes}))
    return path


def table(head: list[str], rows: list[list[Any]]) -> None:
    widths = [max(len(str(h)), *(len(str(r[k])) for r in rows)) for k, h in enumerate(head)]
    print("  " + "  ".join(str(h).ljust(w) for h, w in zip(head, widths)))
    for r in rows:
        print("  " + "  ".join(str(c).ljust(w) for c, w in zip(r, widths)))


# ------------------------------------------------------------------ drivers

DRIVER = """
from planner.batch import Store, load_sweep, run_batch
t0 = time.perf_counter()
with Store(sys.argv[2]) as store:
    s = run_batch(load_sweep(sys.argv[1]), store, workers=1, solve=S.solve, load=S.load_inputs, progress=None,
                  resume=True)
print(json.dumps({"finished": s.finished, "wall": time.perf_counter() - t0}))
"""

COUNT = """
from planner.batch import Store
with Store(sys.argv[1], create=False) as store:
    rows = store.runs_rows()
starts = [r["started_at"].timestamp() for r in rows if r["started_at"] is not None]
ends = [r["finished_at"].timestamp() for r in rows if r["finished_at"] is not None]
print(json.dumps({"stored": len(rows), "distinct": len({r["run_id"] for r in rows}),
                  "busy": max(ends) - min(starts)}))
"""


def drivers(before: Side, now: Side, tmp: Path, runs: int) -> None:
    print(f"\n1. Two drivers on one {runs:,}-run demo batch (680 wards, 50 ms per run, 1 worker per driver); "
          f"load {load_average()}")  # fmt: skip
    per = max(1, runs // 4)
    axes = {"workforce.pcso.headcount": list(range(1000, 1000 + per)), "solver.seed": [1, 2, 3, 4]}
    path = sweep_file(tmp, "drivers", axes, {"description": "standin_fault:sleep:0.05"})
    rows = []
    for side in (before, now):
        one = None
        for n in (1, 2):
            db = tmp / f"drivers-{side.name}-{n}.sqlite"
            t0 = time.perf_counter()
            procs = [subprocess.Popen([sys.executable, "-c", f"import json, sys, time\n{side.standin}\n{DRIVER}",
                                       str(path), str(db)], env=side.env(), cwd=side.root, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True) for _ in range(n)]  # fmt: skip
            outs = [p.communicate() for p in procs]
            wall = time.perf_counter() - t0
            if any(p.returncode for p in procs):
                raise RuntimeError(f"driver failed: {[o[1][-2000:] for o in outs]}")
            solved = sum(json.loads(o[0].splitlines()[-1])["finished"] for o in outs)
            stored = side.run(COUNT, str(db))
            one = one or (wall, stored["busy"])
            rows.append([side.name, n, f"{wall:.1f}", f"{one[0] / wall:.2f}x", f"{stored['busy']:.1f}",
                         f"{one[1] / stored['busy']:.2f}x", solved, stored["distinct"],
                         "yes" if solved == stored["distinct"] == runs else "no"])  # fmt: skip
    table(["code", "drivers", "wall s", "speed-up", "first start to last end, s", "speed-up", "runs solved",
           "runs stored", "each run solved once"], rows)  # fmt: skip
    print("  wall: from starting the drivers to both exiting (Python start-up and data load included);")
    print("  first start to last end: from the stored runs (the part that two drivers can share)")
    print("  target: two drivers finish in about half the time of one, each run solved once")


# ------------------------------------------------------------------ storing

MAKE_RESULTS = """
from planner.batch.sweep import load_sweep
from planner.batch.work import RunTask, WorkerContext, run_one
sweep = load_sweep(sys.argv[1])
ctx = WorkerContext("b", sweep.base, None, 1, solve=S.solve, load=S.load_inputs)
results = [run_one(ctx, RunTask(r.run_id, r.params)) for r in sweep.runs()]
"""

STORE_BEFORE = (
    MAKE_RESULTS
    + """
from planner.batch import Store
from planner.batch.runner import prepare_batch
with Store(sys.argv[2]) as store:
    batch_id, _, _ = prepare_batch(sweep, store)
    t0 = time.perf_counter()
    for r in results:
        store.record(batch_id, r)
    dt = time.perf_counter() - t0
print(json.dumps({"runs": len(results), "seconds": dt}))
"""
)

STORE_NOW = (
    MAKE_RESULTS
    + """
from planner.batch import Store
from planner.batch.detail import write_outcomes
from planner.batch.runner import FLUSH_RUNS, create_batch
with Store(sys.argv[2]) as store:
    create_batch(sweep, store, sweep.batch_id(), None)
    t0 = time.perf_counter()
    for k in range(0, len(results), FLUSH_RUNS):
        write_outcomes(store, sweep.batch_id(), results[k : k + FLUSH_RUNS])
    dt = time.perf_counter() - t0
print(json.dumps({"runs": len(results), "seconds": dt}))
"""
)

WHOLE = """
from planner.batch import Store, load_sweep, run_batch
with Store(sys.argv[2]) as store:
    s = run_batch(load_sweep(sys.argv[1]), store, workers=2, solve=S.solve, load=S.load_inputs, progress=None)
print(json.dumps({"runs": s.finished, "wall": s.wall_seconds}))
"""


def _fresh_pg(side: Side, url: str) -> None:
    side.run("""
import sqlalchemy as sa
e = sa.create_engine(sys.argv[1])
with e.begin() as c:
    for t in ("ward_results", "borough_results", "detail_labels", "runs", "batches", "store_meta"):
        c.execute(sa.text(f"drop table if exists {t} cascade"))
print("{}")
""", url)  # fmt: skip


def store(before: Side, now: Side, tmp: Path) -> None:
    print(f"\n2. Storing runs with their ward results (demo city, 680 wards a run); load {load_average()}")
    path = sweep_file(tmp, "store", {"workforce.pcso.headcount": list(range(1000, 2000))})
    backends = [("SQLite", lambda side: str(tmp / f"store-{side.name}.sqlite"))]
    pg = os.environ.get("PLANNER_TEST_PG_URL")
    if pg:
        backends.append(("PostgreSQL", lambda side: pg))
    rows = []
    for label, url_of in backends:
        for side, code in ((before, STORE_BEFORE), (now, STORE_NOW)):
            url = url_of(side)
            if label == "PostgreSQL":
                _fresh_pg(side, url)
            out = side.run(code, str(path), url)
            rate = out["runs"] / out["seconds"]
            rows.append([side.name, label, out["runs"], f"{out['seconds']:.2f}", f"{rate:,.0f}"])
    table(["code", "store", "runs", "seconds", "runs stored / s"], rows)
    print("  target: at least 500 runs a second with ward results")
    whole = sweep_file(tmp, "whole", {"workforce.pcso.headcount": list(range(1000, 3000))})
    rows = []
    for side in (before, now):
        out = side.run(WHOLE, str(whole), str(tmp / f"whole-{side.name}.sqlite"))
        rows.append([side.name, out["runs"], f"{out['wall']:.1f}", f"{out['runs'] / out['wall']:,.0f}"])
    print("  a whole batch, instant solve, 2 workers, SQLite:")
    table(["code", "runs", "wall s", "runs / s"], rows)


# ------------------------------------------------------------------ export

FILL = """
from planner.batch import Store, load_sweep, run_batch
with Store(sys.argv[2]) as store:
    s = run_batch(load_sweep(sys.argv[1]), store, workers=2, solve=S.solve, load=S.load_inputs, progress=None)
    rows = store.count("wards", s.batch_id)
print(json.dumps({"rows": rows}))
"""


def _peak_rss(side: Side, args: list[str]) -> tuple[float, float]:
    """Peak resident memory (MiB) and seconds of ``python -m planner.batch ARGS`` on ``side``."""
    t0 = time.perf_counter()
    out = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, "-m", "planner.batch", *args],
                         env=side.env(), cwd=side.root, capture_output=True, text=True)  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return int(out.stderr.strip().splitlines()[-1]) / 1024, time.perf_counter() - t0


def _filled(side: Side, tmp: Path, runs: int) -> tuple[Path, int, float]:
    """A store of ``runs`` feasible demo runs made by ``side``; its path, ward rows and seconds to fill it."""
    # PCSO headcounts the old stand-in can staff with 700 sergeants (it calls the others infeasible)
    axes = {"workforce.pcso.headcount": list(range(1000, 1400)), "solver.seed": list(range(1, 1 + -(-runs // 400)))}
    path = sweep_file(tmp, f"export-{side.name}-{runs}", axes)
    raw = yaml.safe_load(path.read_text())
    raw["mode"], raw["samples"], raw["seed"] = "random", runs, 1
    path.write_text(yaml.safe_dump(raw))
    db = tmp / f"export-{side.name}-{runs}.sqlite"
    t0 = time.perf_counter()
    filled = side.run(FILL, str(path), str(db))
    return db, filled["rows"], time.perf_counter() - t0


def export(before: Side, now: Side, tmp: Path, rows_now: int) -> None:
    print(f"\n3. Exporting ward rows (planner results --level wards); load {load_average()}")
    out = []
    small, large = _filled(before, tmp, 100), _filled(before, tmp, 400)
    for fmt in ("csv", "parquet"):
        peaks = []
        for db, rows, _ in (small, large):
            mib, secs = _peak_rss(before, ["results", str(db), "--level", "wards", "--format", fmt, "--out",
                                           str(tmp / f"w.{fmt}")])  # fmt: skip
            peaks.append((rows, mib, secs))
        (r1, m1, _), (r2, m2, secs) = peaks
        per_row = (m2 - m1) / (r2 - r1)
        scaled = m2 + per_row * (rows_now - r2)
        note = f"{scaled:,.0f} (extrapolated: {per_row * 2**20:,.0f} B/row)"
        out.append(["today", f"{r2:,}", fmt, f"{m2:,.0f}", note, f"{secs:.0f}", f"{large[2]:.0f}"])
    db, rows, fill = _filled(now, tmp, -(-rows_now // 680))
    for fmt in ("csv", "parquet"):
        mib, secs = _peak_rss(
            now, ["results", str(db), "--level", "wards", "--format", fmt, "--out", str(tmp / f"w.{fmt}")]
        )
        out.append(["now", f"{rows:,}", fmt, f"{mib:,.0f}", f"{mib:,.0f} (measured)", f"{secs:.0f}", f"{fill:.0f}"])
    table(["code", "ward rows", "format", "peak MiB", f"peak MiB for {rows_now:,} rows", "export s", "fill s"], out)
    print("  target: 10 million ward rows exported in bounded memory (under 500 MiB)")


# ------------------------------------------------------------------ dask

SLOW_LOAD = """
import os, time

def load(scenario, data_dir=None, **kwargs):
    if os.environ.get("BENCH_IN_WORKER"):
        time.sleep(4.0)  # a data load as slow as London's files
    from {module} import load_inputs
    return load_inputs(scenario, data_dir, **kwargs)
"""

DASK = """
import io
from distributed import Client, LocalCluster
from planner.batch import Store, load_sweep, run_batch
import bench_slow_load

def main():
    sweep = load_sweep(sys.argv[1])
    progress = io.StringIO()
    os_env = __import__("os").environ
    os_env["BENCH_IN_WORKER"] = "1"  # inherited by the worker processes, not seen by this driver's load
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \\
            Client(cluster) as client, Store(sys.argv[2]) as store:
        del os_env["BENCH_IN_WORKER"]
        import threading
        worker = next(iter(client.nthreads()))
        out = {}
        t0 = time.perf_counter()
        batch = threading.Thread(target=lambda: out.update(s=run_batch(
            sweep, store, scheduler=client, solve=S.solve, load=bench_slow_load.load, progress=progress)))
        batch.start()
        waits = []  # how long a worker takes to answer while the batch starts and runs
        while batch.is_alive():
            t1 = time.monotonic()
            client.run(lambda: None, workers=[worker])
            waits.append(time.monotonic() - t1)
            time.sleep(0.2)
        batch.join()
        s = out["s"]
        wall = time.perf_counter() - t0
        rows = store.runs_rows()
        killer = [r for r in rows if str(r["params"].get("description", "")).startswith("standin_fault:exit_once")]
        plugins = client.run(lambda dask_worker: [p for p in dask_worker.plugins if p.startswith("planner-batch")])
    text = progress.getvalue()
    print(json.dumps({
        "done": s.ok + s.infeasible, "lost": s.lost, "failed": s.failed, "wall": wall,
        "attempts": max([r["attempts"] for r in killer] or [0]),
        "reported": ("died" in text),
        "stall": max(waits),
        "plugins_left": sum(len(v) for v in plugins.values()),
    }))

if __name__ == "__main__":
    main()
"""


def dask(before: Side, now: Side, tmp: Path) -> None:
    print(f"\n4. Dask: LocalCluster of 2 worker processes, 4 s data load, one run kills its worker once; "
          f"load {load_average()}")  # fmt: skip
    rows = []
    for side in (before, now):
        helper = tmp / f"helper-{side.name}"
        helper.mkdir()
        module = "planner.batch.standin" if side is before else "batch_standin"
        (helper / "bench_slow_load.py").write_text(SLOW_LOAD.replace("{module}", module))
        marker = tmp / f"died-{side.name}"
        path = sweep_file(tmp, f"dask-{side.name}", {"description": ["", f"standin_fault:exit_once:{marker}"],
                                                      "workforce.pcso.headcount": [1000, 1100, 1200]})  # fmt: skip
        script = tmp / f"dask-{side.name}.py"
        script.write_text(f"import json, sys, time\n{side.standin}\n{DASK}")
        out = subprocess.run([sys.executable, str(script), str(path), str(tmp / f"dask-{side.name}.sqlite")],
                             env=side.env(helper=helper), cwd=side.root, capture_output=True, text=True,
                             timeout=600)  # fmt: skip
        lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
        if not lines:
            raise RuntimeError(out.stderr[-3000:])
        r = json.loads(lines[-1])
        rows.append([side.name, f"{r['done']}/6", "yes" if r["reported"] else "no", r["attempts"],
                     f"{r['stall']:.1f}", r["plugins_left"], f"{r['wall']:.0f}"])  # fmt: skip
    table(["code", "runs finished", "death reported", "attempts of the run that killed its worker",
           "longest wait for a worker to answer, s", "plugins left on workers", "wall s"], rows)  # fmt: skip
    print("  a worker answers in milliseconds unless its event loop is blocked (the 4 s load in the plugin)")


# ------------------------------------------------------------------ guards

ETA = """
import os
from planner.batch import Store, load_sweep, run_batch

class Stamped:
    def __init__(self):
        self.lines = []
    def isatty(self):
        return False
    def write(self, text):
        for line in text.splitlines():
            if line.strip():
                self.lines.append((time.monotonic(), line))
    def flush(self):
        pass

import bench_slow_load
stream = Stamped()
os.environ["BENCH_IN_WORKER"] = "1"
with Store(sys.argv[2]) as store:
    run_batch(load_sweep(sys.argv[1]), store, workers=1, solve=S.solve, load=bench_slow_load.load, progress=stream)
end = time.monotonic()
first = next((t, l) for t, l in stream.lines if "left" in l and "?" not in l.split(",")[-1])
print(json.dumps({"line": first[1], "actual": end - first[0]}))
"""


def _clock(text: str) -> float:
    h, m, s = (int(x) for x in re.search(r"(\d+):(\d\d):(\d\d) left", text).groups())  # type: ignore[union-attr]
    return 3600 * h + 60 * m + s


def guards(before: Side, now: Side, tmp: Path) -> None:
    print(f"\n5. Guard rails; load {load_average()}")
    path = sweep_file(tmp, "eta", {"workforce.pcso.headcount": list(range(1000, 1300))},
                      {"description": "standin_fault:sleep:0.02"})  # fmt: skip
    rows = []
    for side in (before, now):
        helper = tmp / f"helper-{side.name}"
        if not helper.exists():
            helper.mkdir()
            module = "planner.batch.standin" if side is before else "batch_standin"
            (helper / "bench_slow_load.py").write_text(SLOW_LOAD.replace("{module}", module))
        out = side.run(ETA, str(path), str(tmp / f"eta-{side.name}.sqlite"), helper=helper)
        rows.append([side.name, f"{_clock(out['line']):.0f}", f"{out['actual']:.0f}", out["line"][-60:]])
    table(["code", "first estimate of time left, s", "true time left, s", "first progress line (end)"], rows)
    big = sweep_file(tmp, "big", {"workforce.pcso.headcount": list(range(1000, 26000)), "solver.seed": [1, 2, 3, 4]})
    rows = []
    for side in (before, now):
        db = tmp / f"big-{side.name}.sqlite"
        t0 = time.perf_counter()
        try:
            proc = subprocess.run([sys.executable, "-m", "planner.batch", "batch", str(big), "--store", str(db),
                                   "--quiet"], env=side.env(), cwd=side.root, capture_output=True, text=True,
                                  timeout=20, stdin=subprocess.DEVNULL)  # fmt: skip
            what = f"exit {proc.returncode}: {proc.stderr.strip().splitlines()[-1][:90]}"
        except subprocess.TimeoutExpired:
            what = "started without a word (stopped after 20 s)"
        rows.append([side.name, what, "yes" if db.exists() else "no", f"{time.perf_counter() - t0:.0f}"])
    print("  a 100,000-run sweep, started without --yes:")
    table(["code", "what happened", "store written", "s"], rows)
    dry = [sys.executable, "-m", "planner.batch", "batch", str(big), "--dry-run", "--store", str(tmp / "dry.sqlite")]
    proc = subprocess.run(dry, env=now.env(), cwd=REPO, capture_output=True, text=True)
    print("  now, with --dry-run (real solver on the demo city):")
    for line in proc.stdout.splitlines():
        if line.startswith(("timed", "estimated", "dry run")):
            print("    " + line)
    print(f"    store written: {'yes' if (tmp / 'dry.sqlite').exists() else 'no'}")


# ------------------------------------------------------------------ plan figures

PLAN = """
import resource
import planner
from planner.batch.dryrun import bytes_per_run
from planner.batch.work import RunTask, WorkerContext, limit_native_threads, run_one
from planner.batch.sweep import load_sweep
limit_native_threads()
sweep = load_sweep(sys.argv[1])
ctx = WorkerContext("plan", sweep.base, sys.argv[2], 1, scenario_dir=str(sweep.base_path.parent))
t0 = time.perf_counter()
from planner.batch.work import cached_inputs
cached_inputs(ctx, sweep.base)
load = time.perf_counter() - t0
results = [run_one(ctx, RunTask(r.run_id, r.params)) for r in sweep.runs()]
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({
    "load": load, "wall": [r.run_seconds for r in results], "cpu": [r.cpu_seconds for r in results],
    "status": [r.status for r in results], "rss": rss, "bytes": bytes_per_run(results),
    "wards": len(results[0].wards.get("ward_code", [])),
}))
"""


def plan(now: Side, tmp: Path, data_dir: Path) -> None:
    print(f"\n6. Figures for the 100,000-run plan (London, real solver, 1 solver thread); load {load_average()}")
    if not (data_dir / "london_wards_2022_bng.gpkg").is_file():
        print(f"  London data not found in {data_dir}: skipped")
        return
    path = sweep_file(tmp, "plan", {"workforce.pcso.headcount": [1300, 2100, 2900],
                                    "rules.supervision.sergeant_span": [6, 8]}, {"solver.workers": 1},
                      base=REPO / "scenarios" / "london-2022.yaml")  # fmt: skip
    out = now.run(PLAN, str(path), str(data_dir))
    wall, cpu = out["wall"], out["cpu"]
    print(
        f"  data load {out['load']:.1f} s; {len(wall)} runs: wall {min(wall):.2f}-{max(wall):.2f} s "
        f"(mean {sum(wall) / len(wall):.2f}), CPU {min(cpu):.2f}-{max(cpu):.2f} s (mean {sum(cpu) / len(cpu):.2f})"
    )
    print(f"  worker peak memory after the load and {len(wall)} solves: {out['rss']:,.0f} MiB")
    print(f"  bytes per stored run (run row + {out['wards']} ward rows + borough rows, SQLite + Parquet): "
          f"{out['bytes']:,.0f}")  # fmt: skip
    mean = sum(wall) / len(wall)
    slots = 50 * 8
    print(
        f"  => 100,000 runs on 50 nodes x 8 single-threaded workers: {100_000 * mean / slots / 60:,.0f} min of "
        f"solving at {slots / mean:,.0f} runs/s; store {100_000 * out['bytes'] / 1e9:,.1f} GB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default=BEFORE_REF, help="git ref of 'today' (default: where issue 15 started)")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"sections to run, of {', '.join(SECTIONS)}")
    parser.add_argument("--runs", type=int, default=1000, help="runs of the two-driver batch")
    parser.add_argument("--export-rows", type=int, default=10_000_000, help="ward rows of the export test")
    parser.add_argument("--data-dir", default=os.environ.get("PLANNER_DATA_DIR", str(REPO.parent / "shared" / "data")))
    args = parser.parse_args()
    only = set(args.only.split(","))
    print(f"bench_batch: today = {args.before}, now = {REPO}; {os.cpu_count()} cores, shared machine")
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as name:
        tmp = Path(name)
        before, now = sides(args.before, tmp)
        if "drivers" in only:
            drivers(before, now, tmp, args.runs)
        if "store" in only:
            store(before, now, tmp)
        if "export" in only:
            export(before, now, tmp, args.export_rows)
        if "dask" in only:
            dask(before, now, tmp)
        if "guards" in only:
            guards(before, now, tmp)
        if "plan" in only:
            plan(now, tmp, Path(args.data_dir))


if __name__ == "__main__":
    main()
