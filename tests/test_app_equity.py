"""The Equity and Priorities pages in AppTest: equity layers and table, a ward's priorities re-solved."""

from __future__ import annotations

from app_testing import assert_ok, goto, start_app, texts, ward_map


def test_equity_page_on_the_demo_city(monkeypatch):
    at = start_app(monkeypatch)
    goto(at, "equity").run()
    assert_ok(at)
    shown = texts(at)
    assert "generated for illustration" in shown and "No public confidence" in shown  # said plainly
    plan = at.session_state["planner"].current.plan
    assert ward_map(at)["codes"] == [str(c) for c in plan.wards.codes]
    table = at.dataframe[0].value
    assert table["Wards"].sum() == plan.wards.n_wards
    assert table["Constables (people)"].sum() == plan.totals["constable"]
    assert len(table) == len(set(plan.wards.equity.imd_decile))  # one row per IMD decile present
    at.selectbox(key="e_grouping").set_value("black_share_quintile").run()
    assert_ok(at)
    assert at.dataframe[0].value["Wards"].sum() == plan.wards.n_wards
    for key in ("imd_score", "share_black"):
        at.selectbox(key="e_layer").set_value(key).run()
        assert_ok(at)
    assert "% of the ward" in texts(at) and "Residents: Black" in texts(at)


def test_equity_page_without_equity_data(monkeypatch, tmp_path, scenarios_dir):
    import planner

    at = start_app(monkeypatch)
    sc = planner.load_scenario(scenarios_dir / "demo.yaml").with_changes(
        {"name": "no-equity", "data.synthetic.equity": False}
    )
    s = at.session_state["planner"]
    s.extra["no-equity"] = (sc, None)
    s.start = "session:no-equity"
    at.run()
    goto(at, "equity").run()
    assert_ok(at)
    assert "no deprivation or ethnicity figures" in texts(at)
    assert not at.dataframe


def test_set_a_wards_priorities_and_see_what_moves(monkeypatch):
    at = start_app(monkeypatch)
    goto(at, "priorities").run()
    assert_ok(at)
    assert "No ward has priorities yet" in texts(at)
    ward = at.selectbox(key="pr_ward").value
    at.selectbox(key="pr_p0").set_value("violence").run()
    at.number_input(key="pr_w0").set_value(1.0).run()
    at.selectbox(key="pr_p1").set_value("drugs").run()
    at.button(key="pr_apply").click().run()
    assert_ok(at)
    s = at.session_state["planner"]
    assert s.priorities["ward_code"].tolist() == [ward, ward]
    assert s.priorities["priority"].tolist() == ["violence", "drugs"]
    assert "multiply its need by" in texts(at)
    effect = at.dataframe[1].value.set_index("Figure")
    before, after = (
        float(effect["Without the change"].loc["Need (average ward = 1)"]),
        float(effect["With it"].loc["Need (average ward = 1)"]),
    )
    assert after > before
    ranks = at.dataframe[2].value.set_index("Rank")
    assert set(ranks.index) == {"Constables", "PCSOs", "Sergeants", "Inspectors"}
    moved = at.dataframe[3].value
    assert ward in set(moved["ward_code"]) and "Change in constables" not in moved.columns  # headers are configs
    at.button(key="pr_keep").click().run()
    assert_ok(at)
    assert any("community priorities" in k for k in s.kept)
    assert s.current.plan.scenario.data.priorities is None  # the sidebar's plan is untouched


def test_bad_priorities_are_refused_with_the_line(monkeypatch):
    at = start_app(monkeypatch)
    goto(at, "priorities").run()
    at.selectbox(key="pr_p0").set_value("violence").run()
    at.number_input(key="pr_w0").set_value(0.0).run()
    at.button(key="pr_apply").click().run()
    assert_ok(at)
    assert "line 2: weight 0 is outside (0, 1]" in texts(at)
    assert at.session_state["planner"].priorities.empty  # nothing kept from a refused edit


def test_equity_page_on_real_london(monkeypatch, london_data_dir):
    at = start_app(monkeypatch, data_dir=str(london_data_dir), scenario="london-2022.yaml")
    goto(at, "equity").run()
    assert_ok(at)
    plan = at.session_state["planner"].current.plan
    table = at.dataframe[0].value
    assert table["Wards"].sum() == plan.wards.n_wards == 679
    assert table["Constables (people)"].sum() == plan.totals["constable"]
    assert "generated" not in texts(at)  # real figures: IMD 2025, Census 2021
    at.selectbox(key="e_layer").set_value("confidence").run()
    assert_ok(at)
    assert "suppressed" in texts(at)  # blank survey cells are said to be suppressed, shown grey, never zero
