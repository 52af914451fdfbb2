"""The Explain page in AppTest: why a ward got what it got; why there is no plan."""

from __future__ import annotations

from app_testing import assert_ok, goto, start_app, texts


def test_ward_explanation_follows_the_pick(monkeypatch):
    at = start_app(monkeypatch)
    goto(at, "explain").run()
    assert_ok(at)
    page = texts(at)
    assert "1 of 680 wards by need" in page  # opens on the ward with the most need
    label = at.selectbox(key="e_ward").options[5]  # options are shown as "Ward (Borough)"
    at.selectbox(key="e_ward").set_value(label).run()
    assert_ok(at)
    code = at.selectbox(key="e_ward").value
    assert at.session_state["planner"].selected_ward == code
    assert f"#### {label.split(' (')[0]}" in texts(at)
    assert "held at the ward floor" in texts(at) or "above the floor" in texts(at)


def test_resolve_then_explain_against_the_scenario_as_filed(monkeypatch):
    at = start_app(monkeypatch)
    at.number_input(key="w_pcso").set_value(1600).run()
    goto(at, "explain").run()
    assert_ok(at)
    assert "Against demo (as filed):" in texts(at)


def test_infeasible_reasons(monkeypatch):
    at = start_app(monkeypatch)
    at.number_input(key="w_inspector").set_value(10).run()
    goto(at, "explain").run()
    assert_ok(at)
    page = texts(at)
    assert "No plan satisfies every rule" in page
    assert "inspectors" in page
