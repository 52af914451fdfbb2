"""``planner cost``'s equity lens: officers per 1,000 residents and per unit of need in the most and least
deprived IMD deciles of each compared plan, recomputed from the wards' deciles and the plan."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from test_finance_support import simple_solve

from planner.finance.compare import compare_options
from planner.finance.equity_lens import deprivation_ends, equity_fields, equity_line
from planner.report.equity import UNAVAILABLE
from planner.scenario import Scenario, load_scenario

DATA = Path(__file__).resolve().parent / "data" / "finance"


def _by_hand(plan, decile: int) -> tuple[int, float, float, int]:
    """Wards, officers per 1,000 residents, officers per unit of need and officers of one IMD decile."""
    at = plan.wards.equity.imd_decile == decile
    officers = int(plan.constables[at].sum() + plan.pcsos[at].sum())
    return (
        int(at.sum()),
        1000 * officers / plan.wards.population[at].sum(),
        officers / plan.wards.need[at].sum(),
        officers,
    )


def test_each_option_gets_its_deprivation_ends_recomputed_from_the_plan() -> None:
    base = load_scenario(DATA / "small-option.yaml")
    more = base.with_changes({"workforce.pcso.headcount": 60}).model_copy(update={"name": "fewer-pcsos"})
    comp = compare_options([base, more], scenario_dirs=[DATA, DATA], time_limit=20, marginal=False)
    rows = comp.summary().to_dict(orient="records")
    assert [r["option"] for r in rows] == ["small-option", "fewer-pcsos"]
    for opt, row in zip(comp.options, rows):
        plan = opt.plan
        present = np.unique(plan.wards.equity.imd_decile)
        lo, hi = int(present.min()), int(present.max())
        assert (row["imd_most_deprived_decile"], row["imd_least_deprived_decile"]) == (lo, hi)
        for end, decile in (("most_deprived", lo), ("least_deprived", hi)):
            wards, per_res, per_need, officers = _by_hand(plan, decile)
            assert row[f"imd_{end}_wards"] == wards and row[f"imd_{end}_officers"] == officers
            assert row[f"imd_{end}_officers_per_1000_residents"] == pytest.approx(per_res, rel=1e-12)
            assert row[f"imd_{end}_officers_per_need"] == pytest.approx(per_need, rel=1e-12)
        assert row["imd_residents_ratio"] == pytest.approx(_by_hand(plan, lo)[1] / _by_hand(plan, hi)[1])
        assert row["imd_need_ratio"] == pytest.approx(_by_hand(plan, lo)[2] / _by_hand(plan, hi)[2])
        assert row["equity_note"] == ""
        line = equity_line(row)
        assert line is not None and f"IMD decile {lo} (most deprived" in line and f"decile {hi} (least" in line
    # the two plans differ, and so do their figures: the lens is per option, not London's data repeated
    assert rows[0]["imd_most_deprived_officers"] != rows[1]["imd_most_deprived_officers"]


def test_no_deprivation_data_gives_no_figures_and_says_why() -> None:
    plan = simple_solve(Scenario(name="plain").with_changes({"workforce.pcso.headcount": 30}))
    assert deprivation_ends(plan) is None
    fields = equity_fields(plan)
    assert fields["equity_note"] == UNAVAILABLE
    assert all(math.isnan(v) for k, v in fields.items() if k != "equity_note")
    assert equity_line(fields) is None


def test_an_option_planned_from_today_is_compared_from_scratch_when_100_fewer_cannot_start_from_today(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Today deploys every PCSO, so 100 fewer in post cannot start from today's deployment (more PCSOs
    today than in post): the option and both variants are then re-solved from scratch, and it says so."""
    import planner
    from planner.finance.compare import need_served, without_today

    monkeypatch.setenv("PLANNER_CACHE_DIR", str(tmp_path))
    sc = load_scenario(DATA / "small-option-from-today.yaml")
    opt = compare_options([sc], scenario_dirs=[DATA], time_limit=20).options[0]
    assert int(opt.plan.current.pcsos.sum()) == 160 and opt.plan.changes() is not None
    row = opt.row()
    assert "today's deployment has 160 PCSOs, more than the 60 left in post" in row["marginal_basis"]
    scratch = planner.solve(without_today(sc), scenario_dir=DATA, time_limit=20)
    fewer = planner.solve(without_today(sc).with_changes({"workforce.pcso.headcount": 60}), time_limit=20)
    assert opt.reference_need == pytest.approx(need_served(scratch), rel=1e-9)
    assert row["marginal_reference_need"] == opt.reference_need
    assert row["marginal_need_last_100_pcsos"] == pytest.approx(need_served(scratch) - need_served(fewer), rel=1e-9)
    assert row["marginal_note"] == "" and row["constables_instead_note"] == ""
