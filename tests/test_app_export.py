"""The Export page in AppTest: downloads offered for the current and kept plans."""

from __future__ import annotations

from app_testing import assert_ok, goto, start_app


def test_downloads_for_each_plan(monkeypatch):
    at = start_app(monkeypatch)
    at.number_input(key="w_pcso").set_value(1500).run()
    goto(at, "export").run()
    assert_ok(at)
    plans = at.selectbox(key="x_plan").options
    assert len(plans) == 2 and plans[0].startswith("Current: ")
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == [
        "Plan (Excel: summary, boroughs, wards, with units)", "Ward allocation (CSV)", "Borough totals (CSV)",
        "Ward map (GeoPackage, for QGIS / ArcGIS)", "Scenario (YAML, re-run with `planner solve`)", "Everything (zip)",
    ]  # fmt: skip
    assert not any(b.proto.disabled for b in at.get("download_button"))
    assert "headcount: 1500" in at.code[0].value
    at.selectbox(key="x_plan").set_value(plans[1]).run()
    assert_ok(at)
    assert "headcount: 1300" in at.code[0].value
