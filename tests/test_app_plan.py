"""The Plan page in AppTest: tables by borough and ward, the checks, after a re-solve."""

from __future__ import annotations

from tests.app_testing import assert_ok, goto, plan_id, start_app, texts


def test_plan_page_tables_follow_the_sidebar(monkeypatch):
    at = start_app(monkeypatch)
    goto(at, "plan").run()
    assert_ok(at)
    boroughs, wards, checks = at.dataframe[0].value, at.dataframe[1].value, at.dataframe[2].value
    assert len(boroughs) == 32 and len(wards) == 680
    assert set(checks["Holds"]) == {"yes"}
    assert wards["constables"].sum() == 4200
    before = plan_id(at)
    at.number_input(key="w_constable").set_value(4100).run()
    assert_ok(at)
    assert plan_id(at) != before
    assert at.dataframe[1].value["constables"].sum() == 4100


def test_plan_page_filters(monkeypatch):
    at = start_app(monkeypatch)
    goto(at, "plan").run()
    bcu = at.multiselect[0].options[0]
    at.multiselect[0].set_value([bcu]).run()
    assert_ok(at)
    assert set(at.dataframe[0].value["bcu"]) == {bcu}
    name = at.dataframe[1].value["ward_name"].iloc[0]
    at.text_input[0].set_value(name[:5]).run()
    assert_ok(at)
    assert all(
        name[:5].lower() in (w.lower() + " " + b.lower())
        for w, b in at.dataframe[1].value[["ward_name", "borough"]].itertuples(index=False)
    )
    assert "Method:" in texts(at)
