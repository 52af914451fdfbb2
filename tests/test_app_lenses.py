"""The app's views of a plan without Streamlit: change from today, the two tiers, the equity lens, priorities."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

import planner
from planner.app import equity, exports, layers, priorities, tiers, today
from planner.app.area import ALL_WARDS, Area, area_figures, borough_mask, ward_mask
from planner.errors import DataError
from planner.scenario import load_scenario

SMALL = {
    "data.synthetic.wards": 24, "data.synthetic.boroughs": 3, "data.synthetic.bcus": 2,
    "workforce.constable.headcount": 200, "workforce.pcso.headcount": 50,
    "workforce.sergeant.headcount": 40, "workforce.inspector.headcount": 10,
}  # fmt: skip


@pytest.fixture(scope="module")
def small(scenarios_dir):
    sc = load_scenario(scenarios_dir / "demo.yaml").with_changes(SMALL)
    inputs = planner.load_inputs(sc)
    return sc, inputs, planner.solve(sc, inputs=inputs)


@pytest.fixture(scope="module")
def from_today(small, tmp_path_factory):
    """The small city planned from a made-up today: 30 constables in the first ward, 2 elsewhere; 1 PCSO each."""
    sc, inputs, _plan = small
    folder = tmp_path_factory.mktemp("today")
    codes = inputs.wards.codes
    x = np.full(len(codes), 2)
    x[0] = 30
    pd.DataFrame({"ward_code": codes, "constables": x, "pcsos": 1}).to_csv(folder / "current.csv", index=False)
    with_current = sc.with_changes({"data.current": str(folder / "current.csv")})
    return planner.solve(with_current, scenario_dir=str(folder)), x


# ------------------------------------------------------------------------ from today
def _reconciles(table: pd.DataFrame, prefix: str, suffix: str = " (people)") -> None:
    def col(name: str) -> np.ndarray:
        return table[f"{prefix}{name}{suffix}"].to_numpy()

    after = col("today") + col("moved in") + col("added (new posts)") - col("moved out")
    after = after - col("removed (posts left vacant)")
    assert after.tolist() == col("in the plan").tolist()


def test_change_from_the_scenarios_own_today(from_today):
    plan, x = from_today
    t = today.today_of(plan)
    assert t is not None and t.own and t.label == "today's deployment (file current.csv)"
    everywhere = np.ones(plan.wards.n_wards, dtype=bool)
    ranks = today.rank_table(t, everywhere, np.ones(plan.wards.n_boroughs, dtype=bool)).set_index("Rank")
    assert list(ranks.index) == ["Constables", "PCSOs"]  # today's file gives no supervisors: none claimed
    c = ranks.loc["Constables"]
    assert c["Today (people)"] == x.sum() and c["In the plan (people)"] == plan.totals["constable"]
    for _, r in ranks.iterrows():
        total = r["Today (people)"] + r["Moved in (people)"] + r["Added: new posts filled (people)"]
        total -= r["Moved out (people)"] + r["Removed: posts left vacant (people)"]
        assert total == r["In the plan (people)"] and r["Net change (people)"] == total - r["Today (people)"]
    # the first ward loses constables (30 today) to others: moves, not removals, while the total grows
    assert c["Moved out (people)"] >= 30 - plan.constables[0] and c["Removed: posts left vacant (people)"] == 0
    wards = today.ward_table(t, plan, everywhere, changed_only=False)
    assert len(wards) == plan.wards.n_wards
    _reconciles(wards, "Constables ")
    _reconciles(wards, "PCSOs ")
    assert wards["Constables moved out (people)"].sum() == c["Moved out (people)"]
    changed = today.ward_table(t, plan, everywhere)
    moved = [
        (changed[f"{r} in the plan (people)"] - changed[f"{r} today (people)"]).abs() for r in ("Constables", "PCSOs")
    ]
    size = moved[0] + moved[1]
    assert (size > 0).all() and (np.diff(size.to_numpy()) <= 0).all()  # wards that change, the largest first
    net = today.measure_values(t, "both", "net")
    assert net.tolist() == (plan.constables + plan.pcsos - x - 1).tolist()
    view = today.today_layer(t, "constables", "moved_out")
    assert view.colours.shape == (plan.wards.n_wards, 4) and "people" in view.legend.unit
    assert sum(layers.classes_count(view).values()) == plan.wards.n_wards
    assert "Constables:" in today.sentence(t, everywhere)
    own = today.current_view(plan)
    assert own is not None and own.constables.tolist() == x.tolist()


def test_change_from_the_plan_as_filed(small, from_today):
    _sc, _inputs, plan = small
    other, _x = from_today
    assert plan.current is None and today.today_of(plan) is None and today.today_of(plan, plan) is None
    t = today.today_of(other.__class__(**{**other.__dict__, "current": None}), plan)
    assert t is not None and not t.own and t.label == "the plan of the scenario as filed"
    assert set(t.changes.ranks()) == {"constables", "pcsos", "sergeants", "inspectors"}
    area = Area("borough:x", "borough", str(plan.wards.borough_names[0]))
    inside, binside = ward_mask(plan.wards, area), borough_mask(plan.wards, area)
    ranks = today.rank_table(t, inside, binside).set_index("Rank")
    assert ranks.loc["Sergeants", "Today (people)"] == plan.sergeants[0]
    assert ranks.loc["Constables", "Today (people)"] == plan.constables[inside].sum()
    assert set(today.ward_table(t, plan, inside)["Borough"]) <= {area.name}


def test_an_app_made_today_is_not_shown_as_the_scenarios(small, tmp_path):
    sc, inputs, plan = small
    folder = tmp_path / "planner-app-x"
    folder.mkdir()
    path = exports.write_baseline_csv(inputs.wards.codes, plan.constables, plan.pcsos, folder / "baseline-1.csv")
    again = planner.solve(sc.with_changes({"data.current": str(path)}), inputs=None)
    assert today.current_view(again) is None
    t = today.today_of(again)
    assert t is not None and not t.own and t.label == "the plan of the scenario as filed"


# ------------------------------------------------------------------------ tiers
def test_tiers_add_up(small):
    _sc, _inputs, plan = small
    assert tiers.has_tiers(plan)
    ward = layers.layer_values("ward_officers", plan.wards, plan)
    hot = layers.layer_values("hotspot_constables", plan.wards, plan)
    assert (ward + hot).tolist() == plan.constables.tolist()
    assert ward.max() <= plan.scenario.rules.tiers.ward_officer_ceiling
    t = tiers.tier_totals(plan)
    assert t.ward_officers + t.hotspot_constables == plan.totals["constable"]
    teams = tiers.team_table(plan)
    assert int(teams["Constables (people)"].sum()) == t.hotspot_constables == int(hot.sum())
    assert "ward_officers" in layers.available_layers(True, False, tiers=True)
    assert "ward_officers" not in layers.available_layers(True, False)
    figures = tiers.with_tier_rows(area_figures(plan, ALL_WARDS), plan)
    names = figures["Figure"].tolist()
    assert names[names.index("Constables") + 1] == "Ward officers (ring-fenced)"
    assert "Two tiers of constables" in tiers.tier_note(plan)
    sheet = exports.ward_sheet(plan)
    both = sheet["Ward officers (ring-fenced constables, people)"] + sheet["Hotspot-team constables (people)"]
    assert both.tolist() == plan.constables.tolist()


def test_no_tiers_no_tier_rows(small):
    sc, inputs, _plan = small
    flat = planner.solve(
        sc.with_changes({"rules.tiers": {"ward_officer_ceiling": None, "ward_pcso_ceiling": None}}), inputs=inputs
    )
    assert not tiers.has_tiers(flat) and tiers.tier_note(flat) == "" and tiers.tier_rows(flat) == []
    assert tiers.team_table(flat).empty
    data = exports.xlsx_bytes(flat)
    assert "Hotspot teams" not in pd.read_excel(io.BytesIO(data), sheet_name=None)


# ------------------------------------------------------------------------ equity
def test_equity_layers_and_table_on_the_generated_city(small):
    _sc, _inputs, plan = small
    found = equity.equity_layers(plan.wards)
    assert {"imd_decile", "imd_score"} <= set(found) and any(k.startswith("share_") for k in found)
    assert "confidence" not in found
    notes = " ".join(equity.data_notes(plan.wards))
    assert "generated for illustration" in notes and "No public confidence" in notes
    view = equity.equity_view(found["imd_decile"])
    assert len(view.legend.labels) == 10 and view.legend.labels[0] == "1 (most deprived)"
    assert not (view.colours[:, :3] == layers.NO_DATA).all(axis=1).any()
    share = next(k for k in found if k.startswith("share_"))
    assert "%" in equity.equity_view(found[share]).legend.labels[0]
    assert "imd_decile" in equity.groupings(plan)
    table = equity.group_table(plan, "imd_decile", months=24, harm_unit="CCHI days")
    assert table["Wards"].sum() == plan.wards.n_wards
    assert table["Constables (people)"].sum() == plan.totals["constable"]
    assert table["PCSOs (people)"].sum() == plan.totals["pcso"]
    assert table["Residents (people)"].sum() == pytest.approx(plan.wards.population.sum(), abs=len(table))
    officers = table["Constables (people)"] + table["PCSOs (people)"]
    rate = 1000 * officers / table["Residents (people)"]
    assert table["Officers per 1,000 residents"].to_numpy() == pytest.approx(rate.to_numpy(), abs=0.01)
    # harm per group, recomputed from the wards: officers per 100,000 units of harm a year (24 months of crime)
    decile = plan.wards.equity.imd_decile
    harm_year = np.array([plan.wards.harm[decile == d].sum() / 2 for d in sorted(set(decile))])
    expected = 100_000 * officers.to_numpy() / harm_year
    assert table["Officers per 100,000 CCHI days a year"].to_numpy() == pytest.approx(expected, abs=0.006)


def test_missing_figures_shown_grey_and_said(small):
    sc, _inputs, _plan = small
    bare = planner.solve(sc.with_changes({"data.synthetic.equity": False}))
    assert equity.equity_layers(bare.wards) == {} and equity.groupings(bare) == {}
    assert "no deprivation or ethnicity figures" in equity.data_notes(bare.wards)[0]
    assert equity.group_table(bare, "imd_decile").empty
    values = np.array([50.0, np.nan, 70.0, 60.0])
    view = equity.equity_view(equity.EquityLayer("confidence", "Public confidence", "%", values, "percent"))
    assert tuple(view.colours[1, :3]) == layers.NO_DATA and view.text[1] == "no data"


# ------------------------------------------------------------------------ priorities
def test_priorities_edited_checked_and_applied(small, tmp_path):
    sc, inputs, plan = small
    crime = inputs.geography.crime
    choices = priorities.priority_choices(crime)
    assert choices[0] == "neighbourhood crime" and len(choices) == len({c.casefold() for c in choices})
    code = str(plan.wards.codes[3])
    table = priorities.set_ward(priorities.empty_table(), code, [("violence", 0.5), ("", 1.0)])
    assert priorities.ward_rows(table, code) == [("violence", 0.5)]
    table = priorities.set_ward(table, code, [("drugs", 0.3)])  # replaces the ward's rows
    assert priorities.ward_rows(table, code) == [("drugs", 0.3)]
    effect = priorities.check(table, plan.wards.codes, crime)
    assert effect.factor[3] >= 1 and (np.delete(effect.factor, 3) == 1).all()
    path = priorities.write_table(table, tmp_path / "p.csv")
    edited = priorities.with_priorities(sc, path)
    after = planner.solve(edited, inputs=inputs)
    assert after.wards.need.mean() == pytest.approx(plan.wards.need.mean())
    ratio = after.wards.need / plan.wards.need
    assert ratio[3] == pytest.approx(effect.factor[3] * np.delete(ratio, 3).mean(), rel=1e-9)
    story = priorities.ward_effect(plan, after, code).set_index("Figure")
    assert story.loc["Constables (people)", "Change"] == f"{int(after.constables[3] - plan.constables[3]):+,}"
    assert priorities.with_priorities(edited, None).data.priorities is None
    assert priorities.scenario_table(edited, None, None)[["ward_code", "priority"]].values.tolist() == [[code, "drugs"]]


def test_bad_priorities_named_by_line(small):
    _sc, inputs, plan = small
    code = str(plan.wards.codes[0])
    bad = priorities.set_ward(priorities.empty_table(), code, [("violence", 0.0), ("not an offence", 0.5)])
    with pytest.raises(DataError) as err:
        priorities.check(bad, plan.wards.codes, inputs.geography.crime)
    text = str(err.value)
    assert "line 2: weight 0 is outside (0, 1]" in text
    bad = priorities.set_ward(priorities.empty_table(), code, [("not an offence", 0.5)])
    with pytest.raises(DataError, match="line 2: priority 'not an offence' is not an offence group"):
        priorities.check(bad, plan.wards.codes, inputs.geography.crime)


def test_workbook_has_the_change_from_today(from_today):
    plan, x = from_today
    book = pd.read_excel(io.BytesIO(exports.xlsx_bytes(plan)), sheet_name=None)
    changes = book["Changes from today"]
    assert changes["Constables today (people)"].tolist() == x.tolist()
    _reconciles(changes, "Constables ")
    _reconciles(changes, "PCSOs ")
    summary = book["Summary"].set_index("Figure")
    hot = int(plan.ward_table()["hotspot_constables"].sum())
    if hot:
        assert int(summary["Value"].loc["of the constables: in hotspot teams"]) == hot
