"""The From today page in AppTest: moved, added and removed per rank from today, on a map and in tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
from app_testing import assert_ok, goto, start_app, texts, ward_map

import planner


def test_nothing_changes_before_a_change(monkeypatch):
    at = start_app(monkeypatch)
    goto(at, "today").run()
    assert_ok(at)
    assert "gives no current deployment" in texts(at)


def test_from_the_plan_as_filed_after_the_uplift(monkeypatch):
    at = start_app(monkeypatch)
    at.button(key="w_uplift").click().run()
    goto(at, "today").run()
    assert_ok(at)
    assert "counted from the plan of the scenario as filed" in texts(at)
    s = at.session_state["planner"]
    plan, filed = s.current.plan, s.kept[s.reference].plan
    ranks = at.dataframe[0].value.set_index("Rank")
    p = ranks.loc["PCSOs"]
    assert p["Today (people)"] == filed.totals["pcso"] and p["In the plan (people)"] == plan.totals["pcso"]
    assert p["Net change (people)"] == plan.totals["pcso"] - filed.totals["pcso"]
    assert len(ward_map(at)["codes"]) == plan.wards.n_wards
    wards = at.dataframe[1].value
    change = wards["PCSOs in the plan (people)"] - wards["PCSOs today (people)"]
    assert int(change.sum()) == int(ranks["Net change (people)"].loc["PCSOs"])
    for measure in ("moved_in", "added", "removed"):
        at.selectbox(key="t_measure").set_value(measure).run()
        assert_ok(at)
    at.selectbox(key="t_rank").set_value("pcsos").run()
    borough = str(plan.wards.borough_names[0])
    at.selectbox(key="area").set_value(f"borough:{borough}").run()
    assert_ok(at)
    assert set(at.dataframe[1].value["Borough"]) <= {borough}
    inside = plan.wards.borough == 0
    assert at.dataframe[0].value.set_index("Rank").loc["PCSOs", "Today (people)"] == filed.pcsos[inside].sum()


def test_from_the_scenarios_own_today(monkeypatch, tmp_path, scenarios_dir):
    at = start_app(monkeypatch)
    s = at.session_state["planner"]
    wards = s.current.plan.wards
    x = np.full(wards.n_wards, 2)
    x[:10] = 20  # ten wards heavily staffed today: the plan moves constables out of them
    pd.DataFrame({"ward_code": wards.codes, "constables": x, "pcsos": 1}).to_csv(tmp_path / "today.csv", index=False)
    sc = planner.load_scenario(scenarios_dir / "demo.yaml").with_changes(
        {"name": "demo-from-today", "data.current": str(tmp_path / "today.csv")}
    )
    s.extra["demo-from-today"] = (sc, str(tmp_path))
    s.start = "session:demo-from-today"  # as the Data page does with a scenario it made
    at.run()
    assert at.selectbox(key="w_start").value == "demo-from-today (this session)"
    goto(at, "today").run()
    assert_ok(at)
    shown = texts(at)
    assert "From today's deployment (file today.csv)" in shown and "counted from the plan" not in shown
    ranks = at.dataframe[0].value.set_index("Rank")
    c = ranks.loc["Constables"]
    assert c["Today (people)"] == x.sum() and c["Moved out (people)"] > 0
    assert c["Added: new posts filled (people)"] == c["In the plan (people)"] - c["Today (people)"]
    assert list(ranks.index) == ["Constables", "PCSOs"]
    goto(at, "").run()  # the Map page: the headline figures count their change from the same today
    assert_ok(at)
    assert "deployment (file today.csv)" in texts(at)
