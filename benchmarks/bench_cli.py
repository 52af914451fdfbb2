"""Benchmark of the command line as people feel it: ``planner --help`` and a London ``planner solve``, end to end.

Usage::

    python benchmarks/bench_cli.py [--data-dir ../shared/data] [--before d20c2cb] [--repeat 3]

Every figure is the wall time of a fresh ``python`` process (interpreter start,
imports, reading, solving, writing, exit), the median of ``--repeat`` runs,
measured the same way for the code *before* this work (``--before``, a git
revision, unpacked with ``git archive`` into a temporary folder and run from
there) and *after* it (this checkout), one after the other in one run, so both
see the same machine load. The London solve *after* is timed three ways: with
the parsed-input cache cold (the first run on a machine), warm (every later
run while the data files are unchanged), and with ``--no-cache``. The
machine's load average is printed: other processes skew every figure, so run
it on a quiet machine. Times are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGETS = {"help": 0.5, "london": 1.5}
RUN = "import sys; from planner.cli import main; sys.exit(main(sys.argv[1:]))"


def _run(root: Path, args: list[str], env: dict[str, str]) -> float:
    """Seconds of one ``planner ARGS`` process run from the code in ``root``."""
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", RUN, *args], cwd=root, env={**env, "PYTHONPATH": str(root)}, capture_output=True
    )
    seconds = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(f"planner {' '.join(args)} failed in {root}:\n{proc.stderr.decode()[-2000:]}")
    return seconds


def _median(root: Path, args: list[str], env: dict[str, str], repeat: int) -> float:
    return statistics.median(_run(root, args, env) for _ in range(repeat))


def _unpack(rev: str, into: Path) -> Path:
    """The tree of git revision ``rev``, unpacked into ``into``."""
    archive = into / "before.tar"
    subprocess.run(["git", "archive", "--format=tar", "-o", str(archive), rev], cwd=REPO, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into / "before", filter="data")
    return into / "before"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default=os.environ.get("PLANNER_DATA_DIR") or str(REPO.parent / "shared" / "data"))
    ap.add_argument("--before", default="d20c2cb", help="git revision of the code before (default d20c2cb)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    london = Path(args.data_dir)
    has_london = (london / "london_wards_2022_bng.gpkg").is_file()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PLANNER_CACHE")}
    env["PLANNER_PROGRESS"] = "off"
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        tmpd = Path(tmp)
        before = _unpack(args.before, tmpd)
        env["PLANNER_CACHE_DIR"] = str(tmpd / "cache")
        load = os.getloadavg()[0]
        rows: list[tuple[str, str, float | None, float | None]] = []
        help_b = _median(before, ["--help"], env, max(args.repeat, 5))
        help_a = _median(REPO, ["--help"], env, max(args.repeat, 5))
        rows.append(("planner --help", "help", help_b, help_a))
        demo = ["solve", str(REPO / "scenarios" / "demo.yaml"), "--out", str(tmpd / "out-demo")]
        demo_b = _median(before, demo, env, args.repeat)
        _run(REPO, demo, env)  # fills the cache
        demo_a = _median(REPO, demo, env, args.repeat)
        rows.append(("demo solve, end to end (warm cache)", "", demo_b, demo_a))
        if has_london:
            scen = ["solve", str(REPO / "scenarios" / "london-2022.yaml"), "--data-dir", str(london)]
            ldn = [*scen, "--out", str(tmpd / "out-london")]
            lon_b = _median(before, ldn, env, args.repeat)
            cold = _run(REPO, ldn, env)  # first London run: cache cold
            warm = _median(REPO, ldn, env, args.repeat)
            nocache = _median(REPO, [*ldn, "--no-cache"], env, args.repeat)
            rows.append(("London solve, end to end: cache cold (first run)", "", lon_b, cold))
            rows.append(("London solve, end to end: cache warm", "london", lon_b, warm))
            rows.append(("London solve, end to end: --no-cache", "", lon_b, nocache))
    print(
        f"bench_cli: median of {args.repeat} fresh processes (help: of {max(args.repeat, 5)}); before = "
        f"{args.before}, after = this checkout; load average {load:.2f} on {os.cpu_count()} cores"
    )
    print(f"| {'what':<50} | {'target':>7} | {'before':>8} | {'after':>8} |")
    print(f"|{'-' * 52}|{'-' * 9}|{'-' * 10}|{'-' * 10}|")
    for what, key, b, a in rows:
        target = f"{TARGETS[key]:.1f} s" if key in TARGETS else ""
        fb = "" if b is None else f"{b:.2f} s"
        fa = "" if a is None else f"{a:.2f} s"
        print(f"| {what:<50} | {target:>7} | {fb:>8} | {fa:>8} |")
    if not has_london:
        print(f"(no London data at {london}: pass --data-dir or set PLANNER_DATA_DIR for the London rows)")


if __name__ == "__main__":
    main()
