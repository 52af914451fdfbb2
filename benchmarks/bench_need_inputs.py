"""The need inputs of the neighbourhood model on real London (issue 16, items 3-5), in one run.

Usage::

    python benchmarks/bench_need_inputs.py [--data-dir ../shared/data] [--solve] [--repeat 3]

Prints, for ``scenarios/london-2022.yaml`` and variants of it:

* Heathrow Villages', the West End's and St James's need (mean 1 over the 679
  wards) and rank (1 = most need) under each option: the aviation command's
  crime kept or left out, its replacement (the borough's rate or zero), the
  neighbourhood-offence filter, domestic and sexual offences left out, the
  mean instead of the median CCHI, and the station footfall component; with
  ``--solve``, the constables and PCSOs the current model gives each ward
  beside the issue's target (Heathrow Villages at most 6 constables);
* the share of offences and of harm of each offence category under the median
  and the mean CCHI, and how much need each choice moves (what
  ``planner validate`` prints);
* station footfall per ward, point against an 800 m radius, and the time to
  read the station file and put it on the wards.

The machine is shared: timings are noisy. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from planner.api import load_inputs, solve  # noqa: E402
from planner.inputs.harm_choices import harm_choices  # noqa: E402
from planner.inputs.loader import make_resolver  # noqa: E402
from planner.inputs.visitors import read_stations, ward_visitors  # noqa: E402
from planner.scenario import load_scenario  # noqa: E402

SCENARIOS = REPO / "scenarios"
WARDS = ("Heathrow Villages", "West End", "St James's")
WITH_VISITORS: dict[str, object] = {"need.weights": {"demand": 0.3, "harm": 0.5, "population": 0.2, "visitors": 0.1}}
VARIANTS: list[tuple[str, dict[str, object]]] = [
    ("before: aviation command's crime kept", {"data.crime.exclude_labels": []}),
    ("default: left out, borough's rate", {}),
    ("left out, zero crime", {"need.excluded_crime": "zero"}),
    ("neighbourhood offences only", {"need.offences": "neighbourhood"}),
    ("domestic and sexual left out", {"need.domestic_sexual": "exclude"}),
    ("both filters", {"need.offences": "neighbourhood", "need.domestic_sexual": "exclude"}),
    ("mean CCHI", {"data.harm.value": "cchi_mean_days", "data.harm.alternative_value": "cchi_median_days"}),
    ("visitors 0.1, point", WITH_VISITORS),
    ("visitors 0.1, 800 m radius", {**WITH_VISITORS, "data.visitors.assign": "radius"}),
]


def _rank(values: np.ndarray, k: int) -> int:
    return int((values > values[k]).sum()) + 1


def bench_variants(data_dir: Path, with_solve: bool) -> None:
    base = load_scenario(SCENARIOS / "london-2022.yaml")
    inputs = load_inputs(base, data_dir, scenario_dir=SCENARIOS)
    names = list(inputs.wards.names)
    idx = [names.index(n) for n in WARDS]
    head = f"{'option':<40}" + "".join(f"{n + ' need (rank)':>30}" for n in WARDS)
    if with_solve:
        head += "   constables / PCSOs " + " | ".join(WARDS)
    print(head)
    for label, changes in VARIANTS:
        scenario = base.with_changes(changes) if changes else base
        got = load_inputs(scenario, data_dir, scenario_dir=SCENARIOS, reuse=inputs)
        need = got.wards.need
        line = f"{label:<40}" + "".join(f"{need[k]:>22.2f} ({_rank(need, k):>3})  " for k in idx)
        if with_solve:
            plan = solve(scenario, data_dir, inputs=got, scenario_dir=SCENARIOS)
            line += "   " + " | ".join(f"{plan.constables[k]} / {plan.pcsos[k]}" for k in idx)
            line += f"   (gap {plan.gap:.1e})"
        print(line)
    if with_solve:
        print("target (issue 16): Heathrow Villages at most 6 constables by default")


def bench_choices(data_dir: Path) -> None:
    scenario = load_scenario(SCENARIOS / "london-2022.yaml")
    inputs = load_inputs(scenario, data_dir, scenario_dir=SCENARIOS)
    t = time.perf_counter()
    report = harm_choices(inputs, scenario, make_resolver(data_dir, SCENARIOS))
    seconds = time.perf_counter() - t
    print("\n".join(report.lines()))
    print(f"(harm choices measured in {seconds:.2f} s)")
    print(
        "issue 16: rape is 28 % of harm on under 1 % of offences with the median CCHI; with the mean, violence "
        "without injury goes from 1.5 % to 27 % of harm"
    )


def bench_visitors(data_dir: Path, repeat: int) -> None:
    scenario = load_scenario(SCENARIOS / "london-2022.yaml")
    inputs = load_inputs(scenario, data_dir, scenario_dir=SCENARIOS)
    spec = scenario.data.visitors
    assert spec is not None
    path = data_dir / spec.path
    layer = inputs.layer
    rows = {}
    for assign in ("point", "radius"):
        s = spec.model_copy(update={"assign": assign})
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            load = ward_visitors(read_stations(path, s), layer, s)
            times.append(time.perf_counter() - t)
        rows[assign] = (load.values, statistics.median(times))
    names = np.asarray(inputs.wards.names)
    point, radius = rows["point"][0], rows["radius"][0]
    print(f"{'ward':<28}{'point, million a year':>24}{'800 m radius':>16}")
    for k in np.argsort(-point)[:10]:
        print(f"{names[k]:<28}{point[k] / 1e6:>24.1f}{radius[k] / 1e6:>16.1f}")
    for label, values in (("point", point), ("radius", radius)):
        print(
            f"{label}: {int((values > 0).sum())} of {len(values)} wards have footfall; largest / mean "
            f"{values.max() / values.mean():.1f}; total {values.sum() / 1e6:,.0f} million; "
            f"read and assigned in {rows[label][1]:.2f} s (median of {repeat})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--solve", action="store_true", help="also solve each variant with the current model")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("== need of three wards under each option (london-2022.yaml)")
    bench_variants(args.data_dir, args.solve)
    print("\n== harm choices (what planner validate prints)")
    bench_choices(args.data_dir)
    print("\n== station footfall per ward")
    bench_visitors(args.data_dir, args.repeat)


if __name__ == "__main__":
    main()
