"""The Compare page in AppTest: kept plans side by side, difference map and tables between two."""

from __future__ import annotations

from app_testing import assert_ok, goto, start_app, texts, ward_map


def _two_plans(monkeypatch):
    at = start_app(monkeypatch)
    at.button(key="w_uplift").click().run()
    at.button(key="w_match").click().run()
    at.button(key="w_keep").click().run()
    goto(at, "compare").run()
    assert_ok(at)
    return at


def test_side_by_side_table(monkeypatch):
    at = _two_plans(monkeypatch)
    table = at.dataframe[0].value
    assert next(iter(table.columns)) == "demo (as filed)"  # the scenario as filed comes first
    assert table.loc["PCSOs deployed / available"].tolist() == ["1,300 / 1,300", "2,900 / 2,900"]
    assert any(str(i).startswith("Need covered") for i in table.index)
    assert "Worst-served wards" in table.index


def test_difference_map_and_tables(monkeypatch):
    at = _two_plans(monkeypatch)
    assert "Blue: B has more than A" in texts(at)
    assert len(ward_map(at)["codes"]) == 680
    ranks = at.dataframe[1].value.set_index("Rank")
    assert ranks.loc["PCSOs", "Net"] == "+1,600"
    diff = at.dataframe[2].value
    assert diff["pcsos_change"].sum() == 1600
    gained = int(diff.loc[diff["pcsos_change"] > 0, "pcsos_change"].sum())
    assert ranks.loc["PCSOs", "Gained"].startswith(f"+{gained:,} in ")
    assert (diff["constables_change"].ne(0) | diff["pcsos_change"].ne(0)).all()
    boroughs = at.dataframe[3].value
    assert boroughs["pcsos_change"].sum() == 1600


def test_change_the_standard_and_the_pair(monkeypatch):
    at = _two_plans(monkeypatch)
    at.number_input(key="c_standard").set_value(4.0).run()
    assert_ok(at)
    assert "Need covered (at 4.00 officers per need)" in at.dataframe[0].value.index
    a, b = at.selectbox(key="c_a").value, at.selectbox(key="c_b").value
    at.selectbox(key="c_a").set_value(b).run()
    at.selectbox(key="c_b").set_value(a).run()
    assert_ok(at)
    assert at.dataframe[2].value["pcsos_change"].sum() == -1600
    at.selectbox(key="c_layer").set_value("change_pcsos").run()
    assert_ok(at)


def test_kept_plan_has_the_name_given_and_the_area_applies(monkeypatch):
    at = start_app(monkeypatch)
    at.button(key="w_uplift").click().run()
    at.text_input(key="w_keep_name").set_value("Uplift").run()
    at.button(key="w_keep").click().run()
    assert "Uplift" in at.session_state["planner"].kept
    goto(at, "compare").run()
    plan = at.session_state["planner"].current.plan
    borough = str(plan.wards.borough_names[0])
    at.selectbox(key="area").set_value(f"borough:{borough}").run()
    assert_ok(at)
    table = at.dataframe[0].value
    assert "Current: Uplift" in table.columns  # the current plan, kept under the name given
    row = plan.borough_table().iloc[0]
    assert table.loc[f"PCSOs in {borough}", "Current: Uplift"] == f"{int(row['pcsos']):,}"
    diff = at.dataframe[2].value
    assert set(diff["borough"]) <= {borough}


def test_one_plan_only(monkeypatch):
    at = start_app(monkeypatch)
    goto(at, "compare").run()
    assert_ok(at)
    assert "Keep a second plan" in texts(at)
