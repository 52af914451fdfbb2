"""Benchmark of the equity lens and the backtest on real London, against the targets of issue 12.

Usage::

    python benchmarks/bench_equity.py [--data-dir ../shared/data] [--repeat 5] [--no-backtest]

Equity: what the lens adds to a London solve (``scenarios/london-2022.yaml``),
measured as the median of ``--repeat`` runs of each part:

* loading: ``load_inputs`` with the deprivation, ethnicity and confidence
  files minus ``load_inputs`` without them (same process, files cached by
  the operating system in both);
* the table and the summary block for a solved plan (``equity_outputs``);
* writing ``equity.csv``.

Target: under 0.2 s in all. Reconciliation with ``allocation.csv`` is checked
to the person and printed.

Backtest: ``run_backtest`` on the same scenario (2021-23 crime planned on,
2024-26 judged on), its wall time against the one-minute target, and each
method's share of the hindsight gain beside the figures the issue measured by
hand (optimised 99.6 %, proportional to crime 98.1 %, equal per ward 83.6 %).

The machine is shared: timings are noisy. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from planner.api import load_inputs, solve  # noqa: E402
from planner.backtest import run_backtest  # noqa: E402
from planner.report.equity import equity_outputs  # noqa: E402
from planner.report.outputs import write_plan  # noqa: E402
from planner.scenario import load_scenario  # noqa: E402

ISSUE_GAIN = {"optimised": 99.6, "proportional_to_crime": 98.1, "equal_per_ward": 83.6}
EQUITY_KEYS = {"data.deprivation": None, "data.ethnicity": None, "data.confidence": None, "data.lsoa_lookup": None}


def _median_seconds(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench_equity(data_dir: Path, repeat: int) -> None:
    scenario = load_scenario(REPO / "scenarios" / "london-2022.yaml")
    plain = scenario.with_changes(EQUITY_KEYS)
    sdir = REPO / "scenarios"
    load_inputs(scenario, data_dir, scenario_dir=sdir)  # warm the file cache
    with_lens = _median_seconds(lambda: load_inputs(scenario, data_dir, scenario_dir=sdir), repeat)
    without = _median_seconds(lambda: load_inputs(plain, data_dir, scenario_dir=sdir), repeat)
    inputs = load_inputs(scenario, data_dir, scenario_dir=sdir)
    plan = solve(scenario, data_dir, inputs=inputs, scenario_dir=sdir)
    table_s = _median_seconds(lambda: equity_outputs(plan.wards, plan.constables, plan.pcsos), repeat)
    _, writer = equity_outputs(plan.wards, plan.constables, plan.pcsos)
    assert writer is not None
    with tempfile.TemporaryDirectory() as tmp:
        write_s = _median_seconds(lambda: writer(Path(tmp) / "equity.csv"), repeat)
        out = Path(tmp) / "plan"
        write_plan(plan, out)
        allocation = pd.read_csv(out / "allocation.csv")
        table = pd.read_csv(out / "equity.csv")
    ok = all(
        rows["officers"].sum() == allocation["constables"].sum() + allocation["pcsos"].sum()
        and rows["residents"].sum() == allocation["population"].sum()
        for _, rows in table.groupby("grouping")
    )
    added = with_lens - without + table_s + write_s
    print(f"equity lens on London ({plan.wards.n_wards} wards; median of {repeat}; shared machine, noisy)")
    diff = with_lens - without
    print(f"  load_inputs with the lens   {with_lens:7.3f} s   without {without:7.3f} s   difference {diff:6.3f} s")
    print(f"  table + summary block       {table_s:7.3f} s")
    print(f"  writing equity.csv          {write_s:7.3f} s")
    print(f"  added to a London solve     {added:7.3f} s   target < 0.200 s   solver alone {plan.solve_seconds:.2f} s")
    print(f"  equity.csv reconciles with allocation.csv to the person: {'yes' if ok else 'NO'}")
    decile = table[table["grouping"] == "imd_decile"]
    print("\n  IMD decile  wards  residents  officers  per 1,000 res  per need  need index  harm index")
    for _, r in decile.iterrows():
        print(f"  {r['group']:10d}  {r['wards']:5d}  {r['residents']:9,.0f}  {r['officers']:8,d}  "
              f"{r['officers_per_1000_residents']:13.3f}  {r['officers_per_need']:8.2f}  {r['need_index']:10.3f}"
              f"  {r['harm_index']:10.3f}")  # fmt: skip


def bench_backtest(data_dir: Path) -> None:
    scenario = load_scenario(REPO / "scenarios" / "london-2022.yaml")
    t = time.perf_counter()
    result = run_backtest(scenario, data_dir, scenario_dir=REPO / "scenarios")
    seconds = time.perf_counter() - t
    table = result.table.set_index("method")
    simple = [
        m for m in ("proportional_to_crime", "proportional_to_need", "equal_per_ward", "current") if m in table.index
    ]
    beats = all(table["later_value"].loc["optimised"] > table["later_value"].loc[m] for m in simple)
    print(f"\nbacktest on London: planned on {result.earlier_months[0]}..{result.earlier_months[-1]}, "
          f"judged on {result.later_months[0]}..{result.later_months[-1]}")  # fmt: skip
    print(f"  wall time {seconds:6.1f} s   target < 60 s (shared machine, noisy)")
    print(f"  optimised beats every simple rule on the later value: {'yes' if beats else 'NO'}")
    print("\n  method                  gain %  issue (by hand)  later value  harm/officer top  moved to hindsight")
    for method, r in table.iterrows():
        hand = ISSUE_GAIN.get(str(method))
        shown = f"{hand:6.1f}" if hand is not None else "     -"
        print(f"  {method:22s}  {r['gain_share_pct']:6.1f}  {shown:>15s}  {r['later_value']:11.2f}  "
              f"{r['harm_per_officer_top']:16,.0f}  {r['moved_to_hindsight']:18,d}")  # fmt: skip


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--no-backtest", action="store_true")
    args = p.parse_args()
    bench_equity(args.data_dir, args.repeat)
    if not args.no_backtest:
        bench_backtest(args.data_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
