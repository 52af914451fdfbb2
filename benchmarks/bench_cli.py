"""Benchmark of the command line as people feel it: ``planner --help`` and a London ``planner solve``, end to end.

Usage::

    python benchmarks/bench_cli.py [--data-dir ../shared/data] [--before d20c2cb] [--repeat 3]

Every figure is the wall time of a fresh ``python`` process (interpreter start,
imports, reading, solving, writing, exit), the median of ``--repeat`` runs,
measured the same way for the code *before* this work (``--before``, a git
revision, unpacked with ``git archive`` into a temporary folder and run from
there) and *after* it (this checkout), one after the other in one run, so both
see the same machine load, both with their bytecode written first (as an
installed tool has it). The London solve *after* is timed three ways: with
the parsed-input cache cold (the first run on a machine), warm (every later
run while the data files are unchanged), and with ``--no-cache``. Beside the
wall times, the CPU seconds (user + system) of the same processes: other
processes on the machine inflate the wall times (the load average is
printed) far more than the CPU times, so on a shared machine compare the CPU
columns. Times are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
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


CPU: dict[tuple[str, str], list[float]] = {}
"""CPU seconds (user + system) of every run, by (root, command): robust to other load, unlike wall time."""


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _run(root: Path, args: list[str], env: dict[str, str]) -> float:
    """Wall seconds of one ``planner ARGS`` process run from the code in ``root`` (its CPU seconds kept in CPU)."""
    cpu0 = _children_cpu()
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", RUN, *args], cwd=root, env={**env, "PYTHONPATH": str(root)}, capture_output=True
    )
    seconds = time.perf_counter() - t
    CPU.setdefault((str(root), " ".join(args)), []).append(_children_cpu() - cpu0)
    if proc.returncode != 0:
        raise RuntimeError(f"planner {' '.join(args)} failed in {root}:\n{proc.stderr.decode()[-2000:]}")
    return seconds


def _median(root: Path, args: list[str], env: dict[str, str], repeat: int) -> float:
    return statistics.median(_run(root, args, env) for _ in range(repeat))


def _cpu(root: Path, args: list[str], last: int | None = None) -> float:
    """Median CPU seconds of the runs of ``args`` from ``root`` (the ``last`` n only, when given)."""
    runs = CPU[(str(root), " ".join(args))]
    return statistics.median(runs[-last:] if last else runs)


def _unpack(rev: str, into: Path) -> Path:
    """The tree of git revision ``rev``, unpacked into ``into``."""
    archive = into / "before.tar"
    subprocess.run(["git", "archive", "--format=tar", "-o", str(archive), rev], cwd=REPO, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into / "before", filter="data")
    return into / "before"


def _compile(root: Path) -> None:
    """Write the bytecode of ``root``'s packages, as an installed tool has it.

    pip compiles a package when it installs it, and Python writes bytecode at a
    first import; with ``PYTHONDONTWRITEBYTECODE`` set (as on the CI machine) an
    unpacked tree would otherwise compile every module in every timed process.
    """
    import compileall

    for folder in ("planner", "geo"):
        if (root / folder).is_dir():
            compileall.compile_dir(str(root / folder), quiet=1)


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
        _compile(before)
        _compile(REPO)
        env["PLANNER_CACHE_DIR"] = str(tmpd / "cache")
        load = os.getloadavg()[0]
        rows: list[tuple[str, str, float, float, float, float]] = []
        n = args.repeat
        help_b = _median(before, ["--help"], env, max(n, 5))
        help_a = _median(REPO, ["--help"], env, max(n, 5))
        rows.append(("planner --help", "help", help_b, help_a, _cpu(before, ["--help"]), _cpu(REPO, ["--help"])))

        # each revision solves its own shipped scenario files (their schema moves with the code)
        def demo_of(root: Path) -> list[str]:
            return ["solve", str(root / "scenarios" / "demo.yaml"), "--out", str(tmpd / "out-demo")]

        demo_b = _median(before, demo_of(before), env, n)
        _run(REPO, demo_of(REPO), env)  # fills the cache
        demo_a = _median(REPO, demo_of(REPO), env, n)
        rows.append(
            ("demo solve, end to end (warm cache)", "", demo_b, demo_a, _cpu(before, demo_of(before)),
             _cpu(REPO, demo_of(REPO), n))
        )  # fmt: skip
        if has_london:

            def london_of(root: Path) -> list[str]:
                scen = ["solve", str(root / "scenarios" / "london-2022.yaml"), "--data-dir", str(london)]
                return [*scen, "--out", str(tmpd / "out-london")]

            ldn = london_of(REPO)
            lon_b = _median(before, london_of(before), env, n)
            cpu_b = _cpu(before, london_of(before))
            cold = _run(REPO, ldn, env)  # first London run: cache cold
            cold_cpu = _cpu(REPO, ldn)
            warm = _median(REPO, ldn, env, n)
            nocache = _median(REPO, [*ldn, "--no-cache"], env, n)
            rows.append(("London solve, end to end: cache cold (first run)", "", lon_b, cold, cpu_b, cold_cpu))
            rows.append(("London solve, end to end: cache warm", "london", lon_b, warm, cpu_b, _cpu(REPO, ldn, n)))
            rows.append(
                ("London solve, end to end: --no-cache", "", lon_b, nocache, cpu_b, _cpu(REPO, [*ldn, "--no-cache"]))
            )
    print(
        f"bench_cli: median of {args.repeat} fresh processes (help: of {max(args.repeat, 5)}); before = "
        f"{args.before}, after = this checkout; load average {load:.2f} on {os.cpu_count()} cores"
    )
    print(f"| {'what':<50} | {'target':>7} | {'before':>8} | {'after':>8} | {'CPU before':>10} | {'CPU after':>10} |")
    print(f"|{'-' * 52}|{'-' * 9}:|{'-' * 9}:|{'-' * 9}:|{'-' * 11}:|{'-' * 11}:|")
    for what, key, b, a, cb, ca in rows:
        target = f"{TARGETS[key]:.1f} s" if key in TARGETS else ""
        print(f"| {what:<50} | {target:>7} | {b:>6.2f} s | {a:>6.2f} s | {cb:>8.2f} s | {ca:>8.2f} s |")
    if not has_london:
        print(f"(no London data at {london}: pass --data-dir or set PLANNER_DATA_DIR for the London rows)")


if __name__ == "__main__":
    main()
