"""Options comparison, exports and the finance commands: the marginal PCSOs and the
constables-instead figures recomputed independently; per-ward plan, borough table and
finance export reconciled to the pound; nothing half-written; exit codes 0 / 2 / 3."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from test_finance_support import make_wards, simple_solve

from planner.finance import compare as compare_mod
from planner.finance import export as export_mod
from planner.finance.compare import compare_options, need_served
from planner.finance.costing import plan_costs, to_pence, unit_costs
from planner.finance.export import write_comparison, write_phasing
from planner.finance.phasing import plan_phasing
from planner.scenario import Scenario, load_scenario

DATA = Path(__file__).resolve().parent / "data" / "finance"


def _option(name: str, paid: bool) -> Scenario:
    sc = Scenario(name=name, finance={"pay": {}} if paid else None)
    return sc.with_changes({"workforce.constable.headcount": 60, "workforce.pcso.headcount": 130})


@pytest.fixture(scope="module")
def comparison() -> compare_mod.Comparison:
    return compare_options([_option("plain", False), _option("paid", True)], solve=simple_solve)


def test_marginal_pcsos_and_constables_instead_recomputed(comparison: compare_mod.Comparison) -> None:
    for opt in comparison.options:
        rates = unit_costs(opt.scenario)
        fewer = simple_solve(opt.scenario.with_changes({"workforce.pcso.headcount": 30}))
        delta = to_pence(plan_costs(opt.plan).total) - to_pence(plan_costs(fewer).total)
        # everyone in post is paid: 100 fewer PCSOs save their pay; the sergeants who supervised them stay in post
        assert delta == 100 * to_pence(rates["pcso"])
        deployed = to_pence(plan_costs(opt.plan).deployed_total) - to_pence(plan_costs(fewer).deployed_total)
        d_sg = int(opt.plan.sergeants.sum() - fewer.sergeants.sum())
        d_in = int(opt.plan.inspectors.sum() - fewer.inspectors.sum())
        hand = 100 * to_pence(rates["pcso"]) + d_sg * to_pence(rates["sergeant"]) + d_in * to_pence(rates["inspector"])
        assert deployed == hand and d_sg > 0  # ... and those sergeants are no longer deployed
        row = opt.row()
        assert to_pence(row["marginal_cost_last_100_pcsos"]) == delta
        assert row["marginal_need_last_100_pcsos"] == pytest.approx(need_served(opt.plan) - need_served(fewer))
        extra = math.floor(delta / 100 / rates["constable"])
        assert row["constables_instead"] == extra
        instead = simple_solve(
            opt.scenario.with_changes({"workforce.pcso.headcount": 30, "workforce.constable.headcount": 60 + extra})
        )
        assert row["constables_instead_need"] == pytest.approx(need_served(instead))
        assert row["cost_per_need"] == pytest.approx(plan_costs(opt.plan).total / need_served(opt.plan))


def test_workbook_and_csv_reconcile_to_the_pound(comparison: compare_mod.Comparison, tmp_path: Path) -> None:
    written = write_comparison(comparison, tmp_path / "out")
    names = sorted(p.name for p in written)
    assert "finance.xlsx" in names and "summary.csv" in names and "cost-by-year.png" in names
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".finance-")]
    wb = openpyxl.load_workbook(tmp_path / "out" / "finance.xlsx")
    assert wb.sheetnames == ["Summary", "plain", "paid"]
    summary = pd.read_csv(tmp_path / "out" / "summary.csv")
    for opt in comparison.options:
        ws = wb[opt.name]
        header = [c.value for c in ws[2]]
        total_row = next(r for r in ws.iter_rows(min_row=3, values_only=True) if r[0] == "Total")
        workbook_total = total_row[header.index("cost")]
        wards = pd.read_csv(tmp_path / "out" / f"{opt.name}-wards.csv")
        boroughs = pd.read_csv(tmp_path / "out" / f"{opt.name}-boroughs.csv")
        rates = unit_costs(opt.scenario)
        supervisors = opt.plan.sergeants.sum() * rates["sergeant"] + opt.plan.inspectors.sum() * rates["inspector"]
        sc = opt.scenario
        idle = sum(
            (sc.workforce.rank(r).headcount - int(np.sum(getattr(opt.plan, a)))) * rates[r]
            for r, a in (("constable", "constables"), ("pcso", "pcsos"), ("sergeant", "sergeants"),
                         ("inspector", "inspectors"))
        )  # fmt: skip
        assert idle > 0  # the simple plan leaves sergeants in post undeployed
        per_ward = wards["cost"].sum() + supervisors + idle
        plan_table = opt.plan.borough_table()["cost"].sum() + idle
        export_summary = summary.loc[summary["option"] == opt.name, "annual_cost"].item()
        idle_row = boroughs[boroughs["borough"] == "in post, not deployed"]["cost"].item()
        figures = [workbook_total, per_ward, boroughs["cost"].sum(), plan_table, export_summary, opt.costs.total]
        assert len({round(f) for f in figures}) == 1, figures
        in_summary = summary.loc[summary["option"] == opt.name, "annual_cost_not_deployed"].item()
        assert round(idle_row) == round(idle) == round(in_summary)


def test_nothing_half_written(comparison: compare_mod.Comparison, tmp_path: Path, monkeypatch) -> None:
    def broken(*_a: object, **_k: object) -> list[str]:
        raise OSError("disk full")

    monkeypatch.setattr(export_mod, "_comparison_charts", broken)
    out = tmp_path / "out"
    with pytest.raises(OSError, match="disk full"):
        write_comparison(comparison, out)
    assert not out.exists()  # not even created
    assert list(tmp_path.iterdir()) == []  # and no staging folder left beside it


def test_phasing_export_reconciles(tmp_path: Path) -> None:
    sc = load_scenario(DATA / "small-phase.yaml")
    res = plan_phasing(sc, make_wards(boroughs=4, per=10), seed=0)
    write_phasing(res, tmp_path)
    wb = openpyxl.load_workbook(tmp_path / "phasing.xlsx")
    assert wb.sheetnames == ["Summary", "Periods", "Streams", "Boroughs", "Years"]
    years = pd.read_csv(tmp_path / "phasing-years.csv")
    periods = pd.read_csv(tmp_path / "phasing-periods.csv")
    streams = pd.read_csv(tmp_path / "phasing-streams.csv")
    total = int(res.cost_pence.sum())
    assert to_pence(years["cash"].sum()) == to_pence(periods["cost"].sum()) == to_pence(streams["cost"].sum()) == total
    ws = wb["Years"]
    header = [c.value for c in ws[1]]
    cash = sum(r[header.index("cash")] for r in ws.iter_rows(min_row=2, values_only=True) if r[0])
    assert to_pence(cash) == total
    assert (tmp_path / "phasing-headcount.png").stat().st_size > 0


# ------------------------------------------------- with the real planner

planner = pytest.importorskip("planner")


def _has_core() -> bool:
    return hasattr(planner, "solve") and hasattr(planner, "load_inputs")


@pytest.mark.skipif(not _has_core(), reason="planner.solve is not available")
@pytest.mark.parametrize("name", ["small-option.yaml", "small-option-paid.yaml"])
def test_real_plan_borough_table_and_finance_export_agree(name: str, tmp_path: Path) -> None:
    sc = load_scenario(DATA / name)
    comp = compare_options([sc], marginal=False)
    opt = comp.options[0]
    write_comparison(comp, tmp_path, charts=False)
    plan = opt.plan
    ward_cost = pd.read_csv(tmp_path / f"{sc.name}-wards.csv")["cost"].sum()
    rates = unit_costs(sc)
    sup = plan.sergeants.sum() * rates["sergeant"] + plan.inspectors.sum() * rates["inspector"]
    idle = sum(plan.not_deployed[r] * rates[r] for r in rates)
    figures = [
        plan.cost_in_post_annual,
        plan.cost_annual + plan.cost_not_deployed_annual,
        plan.borough_table()["cost"].sum() + idle,
        pd.read_csv(tmp_path / f"{sc.name}-boroughs.csv")["cost"].sum(),
        ward_cost + sup + idle,
        pd.read_csv(tmp_path / "summary.csv")["annual_cost"].item(),
        plan.summary()["cost"]["in_post_annual"],
    ]
    assert len({round(f) for f in figures}) == 1, figures
    assert np.array_equal(plan.constables, plan_costs(plan).constables)


@pytest.mark.skipif(not _has_core(), reason="planner.solve is not available")
def test_cost_command(tmp_path: Path, capsys) -> None:
    from planner.cli import main

    band = ["--band", "objective.pcso_effectiveness=0.4,0.8"]
    code = main(["cost", str(DATA / "small-option.yaml"), str(DATA / "small-option-paid.yaml"), "--out",
                 str(tmp_path), "--no-charts", "--time-limit", "20", *band])  # fmt: skip
    out = capsys.readouterr()
    assert code == 0
    assert "small-option: £" in out.out and "the last 100 PCSOs cost £" in out.out
    assert "objective.pcso_effectiveness = 0.6: assumption: no published source" in out.out
    # the shipped default: PCSOs have a role of their own, so the band speaks of value added
    assert "need served is the planner's value, constables valued on need, PCSOs on their own need" in out.out
    assert "the last 100 PCSOs add as much value as" in out.out
    assert "officers per 1,000 residents in IMD decile" in out.out  # the equity lens, per option
    assert "with objective.pcso_effectiveness from 0.4 to 0.8" in out.out
    assert (tmp_path / "finance.xlsx").is_file()
    table = pd.read_csv(tmp_path / "band.csv")
    assert list(table["value"]) == [0.4, 0.8, 0.4, 0.8] and set(table["option"]) == {
        "small-option",
        "small-option-paid",
    }
    code = main(["cost", str(DATA / "small-option.yaml"), "--band", "objective.pcso_effectiveness=nan:1"])
    assert code == 2 and "expected finite numbers" in capsys.readouterr().err


@pytest.mark.skipif(not _has_core(), reason="planner.solve is not available")
def test_phase_command_and_exit_codes(tmp_path: Path, capsys) -> None:
    from planner.cli import main

    assert main(["phase", str(DATA / "small-phase.yaml"), "--out", str(tmp_path / "ok"), "--no-charts"]) == 0
    assert (tmp_path / "ok" / "phasing.xlsx").is_file()
    capsys.readouterr()
    code = main(["phase", str(DATA / "small-phase-too-few-places.yaml"), "--out", str(tmp_path / "no")])
    err = capsys.readouterr().err
    assert code == 3
    assert "needs" in err and "training places left after keeping the base PCSOs at 60 (additionality)" in err
    assert not (tmp_path / "no").exists()
    code = main(["phase", str(DATA / "bad-mix-sum.yaml")])
    assert code == 2
    assert "finance.pay.inspector: mix shares must sum to 1" in capsys.readouterr().err
    code = main(["cost", str(DATA / "bad-unknown-key.yaml")])
    assert code == 2
    assert "finance.pay.constable.basik: unknown key" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "no")
