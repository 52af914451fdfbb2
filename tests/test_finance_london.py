"""Finance on the real London data (skipped without ../shared/data): phasing the 1,600 PCSOs
on the 679 Met wards respects every rule, and the plan, borough table and export agree."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import planner
from planner.finance.compare import compare_options
from planner.finance.costing import to_pence, unit_costs
from planner.finance.export import write_comparison
from planner.finance.phasing import plan_phasing
from planner.finance.phasing_result import check_phasing

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "finance" / "london-phasing-2023-25.yaml"

pytestmark = [pytest.mark.london, pytest.mark.slow]


def test_london_phasing_reaches_the_uplift_as_a_force_could_run_it(london_data_dir: Path) -> None:
    """Issue 11's targets: between-borough moves <= 2 % of constables every quarter; the base PCSO
    pool never more than 2 % below its first quarter; trainees in the last quarter; streams on time."""
    sc = planner.load_scenario(SCENARIO)
    inputs = planner.load_inputs(sc, london_data_dir, scenario_dir=SCENARIO.parent)
    assert inputs.wards.n_wards == 679 and inputs.wards.n_boroughs == 32
    res = plan_phasing(sc, inputs.wards, time_limit=120, seed=0)
    assert check_phasing(res) == []
    streams = res.summary()["streams"]
    assert streams == {"mayor": 500, "turnaround": 1_100}
    assert to_pence(res.fy_table()["cash"].sum()) == int(res.cost_pence.sum())
    pb, f, d = res.problem, res.flows, res.deploy
    for j, pool in enumerate(pb.pools):
        if pool.is_stream and pool.by is not None:
            assert (f.stock[j, pool.by :] >= pool.target).all()
    table = res.period_table()
    for rank in ("constable", "pcso"):
        rows = table[table["rank"] == rank].reset_index(drop=True)
        before = rows["deployed"].shift(1)
        assert (rows["moved_between_boroughs"][1:] <= 0.02 * before[1:]).all(), rows
        assert rows["trainees"].iloc[-1] > 0
    base = f.stock[1]
    assert base.min() >= 0.98 * base[0]
    assert d.sum(axis=1)[1, -1] == 2_900  # every PCSO deployed at the end


def test_london_plan_and_finance_export_agree(london_data_dir: Path, tmp_path: Path) -> None:
    sc = planner.load_scenario(SCENARIO)
    comp = compare_options([sc], scenario_dirs=[SCENARIO.parent], data_dir=london_data_dir, marginal=False)
    write_comparison(comp, tmp_path, charts=False)
    plan = comp.options[0].plan
    rates = unit_costs(sc)
    wards = pd.read_csv(tmp_path / f"{sc.name}-wards.csv")
    supervisors = plan.sergeants.sum() * rates["sergeant"] + plan.inspectors.sum() * rates["inspector"]
    idle = sum(plan.not_deployed[r] * rates[r] for r in rates)  # in post, not deployed: paid all the same
    boroughs = pd.read_csv(tmp_path / f"{sc.name}-boroughs.csv")
    figures = [
        plan.cost_in_post_annual,
        plan.cost_annual + idle,
        plan.borough_table()["cost"].sum() + idle,
        boroughs["cost"].sum(),
        wards["cost"].sum() + supervisors + idle,
        pd.read_csv(tmp_path / "summary.csv")["annual_cost"].item(),
    ]
    assert max(figures) - min(figures) <= 0.02, figures  # to the penny (sums of pence, printed in pounds)
    assert boroughs.loc[boroughs["borough"] == "in post, not deployed", "cost"].item() == pytest.approx(idle, abs=0.01)
