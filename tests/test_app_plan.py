"""The Plan page in AppTest: tables by borough and ward, the checks, after a re-solve."""

from __future__ import annotations

from app_testing import assert_ok, goto, plan_id, start_app, texts


def test_plan_page_tables_follow_the_sidebar(monkeypatch):
    at = start_app(monkeypatch)
    goto(at, "plan").run()
    assert_ok(at)
    boroughs, _teams, wards, checks = (d.value for d in at.dataframe)
    assert len(boroughs) == 32 and len(wards) == 680
    assert set(checks["Holds"]) == {"yes"}
    assert wards["constables"].sum() == 4200
    before = plan_id(at)
    at.number_input(key="w_constable").set_value(4100).run()
    assert_ok(at)
    assert plan_id(at) != before
    assert at.dataframe[2].value["constables"].sum() == 4100


def test_both_tiers_of_constables(monkeypatch):
    at = start_app(monkeypatch)
    goto(at, "plan").run()
    boroughs, teams, wards, _checks = (d.value for d in at.dataframe)
    assert "Two tiers of constables" in texts(at)
    assert (wards["ward_officers"] + wards["hotspot_constables"]).tolist() == wards["constables"].tolist()
    assert wards["ward_officers"].max() <= 6  # the demo's ward ceiling
    hot = int(wards["hotspot_constables"].sum())
    assert int(boroughs["flexible_constables"].sum()) == hot == int(teams["Constables (people)"].sum())
    assert list(teams.columns)[:3] == ["Team", "Borough", "BCU"]
    borough = str(teams["Borough"].iloc[0])
    at.selectbox(key="area").set_value(f"borough:{borough}").run()
    assert_ok(at)
    assert set(at.dataframe[1].value["Borough"]) == {borough}
    goto(at, "").run()
    at.selectbox(key="m_layer").set_value("hotspot_constables").run()
    assert_ok(at)
    assert "Hotspot teams" in texts(at)


def test_plan_page_filters(monkeypatch):
    at = start_app(monkeypatch)
    goto(at, "plan").run()
    bcu = at.multiselect[0].options[0]
    at.multiselect[0].set_value([bcu]).run()
    assert_ok(at)
    assert set(at.dataframe[0].value["bcu"]) == {bcu}
    name = at.dataframe[2].value["ward_name"].iloc[0]
    at.text_input[0].set_value(name[:5]).run()
    assert_ok(at)
    assert all(
        name[:5].lower() in (w.lower() + " " + b.lower())
        for w, b in at.dataframe[2].value[["ward_name", "borough"]].itertuples(index=False)
    )
    assert "Method:" in texts(at)
