"""Benchmark of the fairness rule on real London: officers per unit of need by IMD decile, and its price.

Usage::

    python benchmarks/bench_fairness.py [--data-dir ../shared/data] [--tolerances 0.1 0.05 0.02 0.01]
                                        [--officers all constables]

Solves ``scenarios/london-2022.yaml`` once without the rule (the unconstrained
plan: issue 12's starting point, every decile within about 8 % of London's
officers per unit of need) and once per tolerance and count with
``rules.fairness`` on, and prints, side by side:

* per IMD decile, the officers per unit of need of each plan and its index against London's;
* per tolerance, the price of fairness (value lost against the unconstrained plan, absolute and %,
  and the most it can be given both certificates), people placed differently, the fair plan's
  gap (target: at most 1e-4) and the wall time of each solve.

The machine is shared: timings are noisy. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from planner.api import load_inputs, solve  # noqa: E402
from planner.report.equity import plan_equity  # noqa: E402
from planner.report.fairness import price_of_fairness  # noqa: E402
from planner.scenario import load_scenario  # noqa: E402


def _deciles(plan, column: str = "officers") -> pd.DataFrame:
    table = plan_equity(plan)
    assert table is not None
    d = table[table.grouping == "imd_decile"].set_index("group")
    london = d[column].sum() / d["need"].sum()
    return pd.DataFrame({"per_need": d[column] / d["need"], "index": d[column] / d["need"] / london})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--tolerances", type=float, nargs="+", default=[0.1, 0.05, 0.02, 0.01])
    ap.add_argument("--officers", nargs="+", default=["all", "constables"])
    args = ap.parse_args()
    scenarios = REPO / "scenarios"
    base = load_scenario(scenarios / "london-2022.yaml")
    inputs = load_inputs(base, args.data_dir, scenario_dir=scenarios)
    t = time.perf_counter()
    free = solve(base, args.data_dir, inputs=inputs, scenario_dir=scenarios)
    free_seconds = time.perf_counter() - t
    print(f"London, {free.wards.n_wards} wards; unconstrained plan: objective {free.objective:,.4f}, "
          f"gap {free.gap:.1e}, {free_seconds:.1f} s")  # fmt: skip
    columns = {"all": "officers", "constables": "constables"}
    per_decile: dict[str, pd.Series] = {}
    rows = []
    for officers in args.officers:
        column = columns.get(officers, "officers")
        ref = _deciles(free, column)
        per_decile[f"{officers}: unconstrained"] = ref["index"]
        for tol in args.tolerances:
            scenario = base.with_changes({"rules.fairness.tolerance": tol, "rules.fairness.officers": officers})
            t = time.perf_counter()
            plan = solve(scenario, args.data_dir, inputs=inputs, scenario_dir=scenarios)
            fair_seconds = time.perf_counter() - t
            price = price_of_fairness(plan)
            assert price is not None
            summary = price.summary()
            per_decile[f"{officers}: within {100 * tol:g} %"] = _deciles(plan, column)["index"]
            rows.append({
                "officers": officers, "tolerance": tol, "binds": summary["binds"],
                "value lost": round(price.value_lost, 4), "lost %": round(price.value_lost_percent, 4),
                "at most": round(price.value_lost_at_most, 4),
                "moved": summary["moved"]["constables"] + summary["moved"]["pcsos"],
                "fair gap": f"{plan.gap:.1e}", "gap target 1e-4 met": plan.gap <= 1e-4,
                "fair s": round(fair_seconds, 1), "unconstrained s": round(price.unconstrained.seconds, 1),
            })  # fmt: skip
    print("\nOfficers per unit of need by IMD decile, as an index against London's (1.000 = London's rate):")
    table = pd.DataFrame(per_decile)
    table.index.name = "IMD decile"
    print(table.round(3).to_string())
    print("\nPrice of fairness (objective units; the unconstrained objective is about "
          f"{free.objective:,.1f}):")  # fmt: skip
    print(pd.DataFrame(rows).to_string(index=False))
    print("\n(2 shared cores: timings are noisy.)")


if __name__ == "__main__":
    main()
