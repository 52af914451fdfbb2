"""Issue 16's targets on real London: the neighbourhood model against the model it replaces, in one run.

Two models of ``scenarios/london-2022.yaml`` side by side:

* **current**: the scenario as shipped (tiers of constables: ward officers up to a ceiling, borough hotspot
  teams; PCSOs on their own need; the aviation command's crime left out when the scenario says so);
* **before**: the model it replaces (``objective.pcso_model: substitution``, no tiers, no ward PCSO ceiling,
  the aviation command's crime counted in Heathrow Villages).

For each: the largest number of ward officers in one ward, the West End's ward officers and hotspot
constables, Westminster's hotspot-team constables, Heathrow Villages' constables, how many PCSOs and
constables move between wards when the need weights move to equal thirds and by ±0.02 (demand against
harm), the certified gap and the solve time; and, separately, the England-and-Wales-scale city with the
tiers on (solve time and peak memory in a process of its own). The machine may be shared: times are wall
seconds, printed with the load average.

Usage::

    python benchmarks/bench_model.py [--data-dir DIR] [--skip-ew]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

WEST_END = "E05013808"
ST_JAMES = "E05013806"
HEATHROW = "E05013570"
WESTMINSTER = "E09000033"
TARGETS = {
    "ceiling": "no ward above the scenario's ceiling",
    "heathrow": "at most 6",
    "thirds_pcso": "at most 8 %",
    "pm002": "at most 3 %",
    "gap": "at most 1e-4",
    "time": "at most 1 s",
    "ew": "at most 10 s and 1 GiB",
}


def _before(scenario: Any) -> Any:
    """The model before issue 16: substitution PCSOs, no tiers, every crime label counted."""
    changes: dict[str, Any] = {
        "objective.pcso_model": "substitution",
        "rules.tiers.ward_officer_ceiling": None,
        "rules.tiers.ward_pcso_ceiling": None,
    }
    crime = scenario.data.crime
    if crime is not None and getattr(crime, "exclude_labels", None):
        changes["data.crime.exclude_labels"] = []
    return scenario.with_changes(changes)


def _moved(a: np.ndarray, b: np.ndarray) -> float:
    """Share of a rank moved between wards: people in wards that gained, over the rank's total."""
    return float(np.maximum(b - a, 0).sum() / max(a.sum(), 1))


def _weights(scenario: Any, **new: float) -> Any:
    w = scenario.need.weights
    current = {"demand": w.demand, "harm": w.harm, "population": w.population}
    current.update(new)
    return scenario.with_changes({f"need.weights.{k}": v for k, v in current.items()})


def measure(scenario: Any, data_dir: str) -> dict[str, Any]:
    """Solve one model and its need-weight variants; return the issue's figures."""
    from planner.api import load_inputs, solve

    where = REPO / "scenarios"
    inputs = load_inputs(scenario, data_dir, scenario_dir=where)
    t0 = time.perf_counter()
    base = solve(scenario, data_dir, inputs=inputs, scenario_dir=where)
    seconds = time.perf_counter() - t0
    wards = base.ward_table().set_index("ward_code")
    boroughs = base.borough_table().set_index("borough_code")
    w = scenario.need.weights
    variants = {
        "thirds": _weights(scenario, demand=1 / 3, harm=1 / 3, population=1 / 3),
        "plus": _weights(scenario, demand=w.demand + 0.02, harm=w.harm - 0.02),
        "minus": _weights(scenario, demand=w.demand - 0.02, harm=w.harm + 0.02),
    }
    moved: dict[str, tuple[float, float]] = {}
    for name, variant in variants.items():
        again = load_inputs(variant, data_dir, scenario_dir=where, reuse=inputs)
        other = solve(variant, data_dir, inputs=again, scenario_dir=where)
        moved[name] = (_moved(base.constables, other.constables), _moved(base.pcsos, other.pcsos))
    pm = max(moved["plus"][1], moved["minus"][1]), max(moved["plus"][0], moved["minus"][0])
    return {
        "max_ward_officers": int(wards["ward_officers"].max()),
        "west_end": (int(wards.loc[WEST_END, "ward_officers"]), int(wards.loc[WEST_END, "hotspot_constables"])),
        "st_james": int(wards.loc[ST_JAMES, "constables"]),
        "westminster_hotspot": int(boroughs.loc[WESTMINSTER, "flexible_constables"]),
        "westminster_constables": int(boroughs.loc[WESTMINSTER, "constables"]),
        "heathrow": int(wards.loc[HEATHROW, "constables"]),
        "heathrow_pcsos": int(wards.loc[HEATHROW, "pcsos"]),
        "thirds": moved["thirds"],
        "pm002_pcso": pm[0],
        "pm002_constable": pm[1],
        "gap": base.gap,
        "seconds": seconds,
        "solve_seconds": base.solve_seconds,
        "status": base.status.value,
    }


def ew_with_tiers() -> dict[str, Any]:
    """The England-and-Wales-scale city (bench_solve's ``ew``) with the demo's tiers on, in its own process."""
    from bench_solve import run_one

    return run_one("ours", "ew", None, 60.0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--skip-ew", action="store_true")
    args = ap.parse_args(argv)
    if not (Path(args.data_dir) / "london_wards_2022_bng.gpkg").is_file():
        print(f"skipped: no real London data in {args.data_dir} (pass --data-dir DIR)")
        return 0
    from planner.api import load_scenario

    current = load_scenario(REPO / "scenarios" / "london-2022.yaml")
    ceiling = current.rules.tiers.ward_officer_ceiling
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; times are wall seconds")
    new, old = measure(current, args.data_dir), measure(_before(current), args.data_dir)

    def pct(v: float) -> str:
        return f"{100 * v:.1f} %"

    rows = [
        ("most ward officers in one ward", old["max_ward_officers"], new["max_ward_officers"], f"≤ {ceiling}"),
        (
            "West End: ward officers + hotspot constables",
            "{} + {}".format(*old["west_end"]),
            "{} + {}".format(*new["west_end"]),
            "",
        ),
        ("St James's constables", old["st_james"], new["st_james"], ""),
        (
            "Westminster: hotspot-team constables of all its constables",
            f"{old['westminster_hotspot']} of {old['westminster_constables']}",
            f"{new['westminster_hotspot']} of {new['westminster_constables']}",
            "extra capacity in hotspot teams",
        ),
        (
            "Heathrow Villages constables (PCSOs)",
            f"{old['heathrow']} ({old['heathrow_pcsos']})",
            f"{new['heathrow']} ({new['heathrow_pcsos']})",
            TARGETS["heathrow"],
        ),
        ("equal-thirds weights: PCSOs moved", pct(old["thirds"][1]), pct(new["thirds"][1]), TARGETS["thirds_pcso"]),
        ("equal-thirds weights: constables moved", pct(old["thirds"][0]), pct(new["thirds"][0]), ""),
        (
            "±0.02 demand/harm: PCSOs moved (worse side)",
            pct(old["pm002_pcso"]),
            pct(new["pm002_pcso"]),
            TARGETS["pm002"],
        ),
        ("±0.02 demand/harm: constables moved", pct(old["pm002_constable"]), pct(new["pm002_constable"]), ""),
        ("certified gap", f"{old['gap']:.1e}", f"{new['gap']:.1e}", TARGETS["gap"]),
        (
            "solve seconds (with loading from memory)",
            f"{old['solve_seconds']:.2f} ({old['seconds']:.2f})",
            f"{new['solve_seconds']:.2f} ({new['seconds']:.2f})",
            TARGETS["time"],
        ),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'real London, london-2022.yaml':<{width}}  {'before':>14}  {'now':>14}  target")
    for label, a, b, target in rows:
        print(f"{label:<{width}}  {a!s:>14}  {b!s:>14}  {target}")
    if not args.skip_ew:
        ew = ew_with_tiers()
        print(
            f"England-and-Wales scale with tiers on: {ew.get('status')}, gap {ew.get('gap', float('nan')):.1e}, "
            f"{ew.get('seconds', float('nan')):.2f} s, peak {ew.get('peak_mib', float('nan')):.0f} MiB "
            f"(target {TARGETS['ew']})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
