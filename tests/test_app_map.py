"""The Map page in AppTest: loads, re-solves after a change, every layer and area, ward pick, infeasible rules."""

from __future__ import annotations

import pytest
from app_testing import assert_ok, goto, metric, plan_id, start_app, texts, ward_fills, ward_map

from planner.app.layers import Context, layer_unit


@pytest.fixture
def at(monkeypatch):
    return start_app(monkeypatch)


def test_loads_with_a_plan_and_a_map(at):
    assert metric(at, "Status").value == "Optimal"
    assert metric(at, "Constables").value == "4,200"
    data = ward_map(at)
    assert len(data["codes"]) == 680 and len(data["wards"].split("|")) == 680
    assert data["show_boroughs"] and data["boroughs"] and data["show_bcus"] and data["bcus"]
    assert not at.get("deck_gl_json_chart")  # no street basemap (nothing fetched from a tile server)
    assert "constables (headcount)" in texts(at)


def test_pcso_headcount_change_resolves(at):
    before = plan_id(at)
    fills = ward_fills(at)
    at.number_input(key="w_pcso").set_value(2900).run()
    assert_ok(at)
    assert plan_id(at) != before
    again = ward_map(at)  # the browser keeps the outlines: a re-solve sends colours and tooltips only
    assert again["wards"] is None and again["boroughs"] is None and ward_fills(at) != fills
    assert metric(at, "PCSOs").label == "PCSOs (of 2,900)"
    assert "not deployed" in texts(at)  # sergeants bind: the note says why


def test_uplift_button_adds_1600_pcsos(at):
    at.button(key="w_uplift").click().run()
    assert_ok(at)
    assert at.number_input(key="w_pcso").value == 2900
    assert metric(at, "PCSOs").label == "PCSOs (of 2,900)"


def test_match_supervisors_then_all_pcsos_deployed(at):
    at.number_input(key="w_pcso").set_value(2900).run()
    at.button(key="w_match").click().run()
    assert_ok(at)
    assert metric(at, "PCSOs").value == "2,900"


@pytest.mark.parametrize(
    "layer",
    ["need", "demand", "harm", "population", "pcsos", "officers_per_need", "ward_officers", "hotspot_constables"],
)
def test_every_layer_draws_with_a_legend(at, layer):
    before = ward_fills(at)
    at.selectbox(key="m_layer").set_value(layer).run()
    assert_ok(at)
    assert ward_fills(at) != before
    assert layer_unit(layer, Context(months=24, harm_unit="illustrative harm days")) in texts(at)


def test_change_layer_against_the_scenario_as_filed(at):
    at.number_input(key="w_pcso").set_value(1500).run()
    at.selectbox(key="m_layer").set_value("change").run()
    assert_ok(at)
    assert "against demo (as filed)" in texts(at)
    fills = ward_fills(at)
    assert len({tuple(f) for f in fills}) > 1  # some wards changed


def test_area_zooms_and_dims_the_rest(at):
    x0, y0, x1, y1 = ward_map(at)["bounds"]
    options = at.selectbox(key="area").options
    bcu = next(o for o in options if o.startswith("BCU: "))
    at.selectbox(key="area").set_value("bcu:" + bcu.removeprefix("BCU: ")).run()
    assert_ok(at)
    a0, b0, a1, b1 = ward_map(at)["bounds"]
    assert x0 <= a0 < a1 <= x1 and y0 <= b0 < b1 <= y1 and (a1 - a0) * (b1 - b0) < (x1 - x0) * (y1 - y0) / 2
    alphas = [f[3] for f in ward_fills(at)]
    assert min(alphas) < max(alphas)


def test_my_borough_turns_every_figure_into_its_own(at):
    plan = at.session_state["planner"].current.plan
    table = plan.borough_table()
    row = table.iloc[3]
    at.selectbox(key="area").set_value(f"borough:{row['borough']}").run()
    assert_ok(at)
    # the headline figures are the borough's, recomputed here from the plan's own tables
    assert metric(at, f"Constables in {row['borough']}").value == f"{int(row['constables']):,}"
    assert metric(at, f"PCSOs in {row['borough']}").value == f"{int(row['pcsos']):,}"
    assert metric(at, "Sergeants · inspectors").value == f"{int(row['sergeants']):,} · {int(row['inspectors']):,}"
    assert metric(at, "Pay cost").value.startswith("£")
    page = texts(at)
    assert f"**{row['borough']}**" in page
    assert f"<td style='padding:2px 8px 2px 0;font-weight:500'>{int(row['sergeants']):,}</td>" in page
    # the area stays chosen on the other pages: the Plan page's tables are the borough's only
    goto(at, "plan").run()
    assert_ok(at)
    boroughs = at.dataframe[0].value
    assert boroughs["borough"].tolist() == [row["borough"]]
    wards = next(d.value for d in at.dataframe if "ward_name" in d.value.columns)
    assert set(wards["borough"]) == {row["borough"]}


def test_pick_a_ward_shows_its_figures(at):
    label = at.selectbox(key="m_ward").options[1]
    at.selectbox(key="m_ward").set_value(label).run()
    assert_ok(at)
    page = texts(at)
    assert "Constables (floor)" in page and "Value of one more constable" in page
    data = ward_map(at)  # the chosen ward is outlined on the map
    assert data["selected"] is not None and data["codes"][data["selected"]] == at.selectbox(key="m_ward").value


def test_infeasible_floors_explained_and_need_still_mapped(at):
    at.slider(key="w_floor_constable").set_value(7).run()
    assert_ok(at)
    page = texts(at)
    assert "No plan satisfies every rule" in page
    assert "ward floors need 4,760 constables" in page
    assert len(ward_fills(at)) == 680  # the need map is still drawn
    at.slider(key="w_floor_constable").set_value(2).run()
    assert metric(at, "Status").value == "Optimal"


def test_manual_solve_when_auto_is_off(at):
    at.toggle(key="w_auto").set_value(False).run()
    before = plan_id(at)
    at.number_input(key="w_constable").set_value(4000).run()
    assert_ok(at)
    assert plan_id(at) == before
    assert "press **Solve**" in texts(at)
    at.button(key="w_solve").click().run()
    assert plan_id(at) != before
    assert metric(at, "Constables").label == "Constables (of 4,000)"


def test_invalid_settings_are_reported_not_raised(at):
    for key in ("w_demand", "w_harm", "w_population"):
        at.slider(key=key).set_value(0.0)
    at.run()
    assert_ok(at)
    assert "at least one of demand, harm, population must be positive" in texts(at)


def test_stability_limit_against_the_plan_as_filed(at):
    at.number_input(key="w_pcso").set_value(1400).run()
    free = at.session_state["planner"].current.plan
    at.checkbox(key="w_stability").check().run()
    at.number_input(key="w_moves").set_value(20).run()
    assert_ok(at)
    plan = at.session_state["planner"].current.plan
    assert plan.scenario.rules.stability.max_total_moves == 20
    assert plan.scenario.data.current.path.endswith(".csv")
    assert plan.check()["stability"]
    assert plan.problem.moves(plan.constables, plan.pcsos) <= 20 < plan.problem.moves(free.constables, free.pcsos)


def test_the_package_entry_is_the_same_app(monkeypatch):
    """``planner app`` runs planner/app/main.py: the same app as ``streamlit run app.py``."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    monkeypatch.delenv("PLANNER_DATA_DIR", raising=False)
    monkeypatch.setenv("PLANNER_SCENARIO", "demo.yaml")
    entry = Path(__file__).resolve().parents[1] / "planner" / "app" / "main.py"
    at = AppTest.from_file(str(entry), default_timeout=120)
    at.run()
    assert_ok(at)
    assert metric(at, "Status").value == "Optimal"


def test_street_basemap_draws_the_wards_over_cartos_tiles(at):
    """With the street basemap on, pydeck draws the same wards and colours over CARTO's tiles."""
    import json

    fills = ward_fills(at)
    at.checkbox(key="o_basemap").check().run()
    assert_ok(at)
    assert not at.get("bidi_component")  # the canvas map gives way to the street map
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    assert spec.get("mapProvider") == "carto"
    wards = next(layer for layer in spec["layers"] if layer["id"] == "wards")
    assert [f["properties"]["fill"] for f in wards["data"]["features"]] == fills
    at.checkbox(key="o_basemap").uncheck().run()
    assert ward_fills(at) == fills and not at.get("deck_gl_json_chart")
