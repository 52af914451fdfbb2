"""Spans of control per BCU (``rules.supervision.per_bcu``): the problem, the plan and its outputs."""

from __future__ import annotations

import json

import pytest
from plan_checks import recompute

from planner.api import load_inputs, load_scenario, prepare, solve
from planner.errors import ScenarioError
from planner.report.outputs import write_plan


@pytest.fixture(scope="module")
def demo(scenarios_dir):
    sc = load_scenario(scenarios_dir / "demo.yaml")
    return sc, load_inputs(sc)


def _with_spans(sc, per_bcu):
    return sc.with_changes({"rules.supervision.per_bcu": per_bcu})


def test_a_bcu_and_a_borough_get_their_own_spans(demo) -> None:
    sc, inputs = demo
    wards = inputs.wards
    bcu = str(wards.borough_bcu[0])
    code = str(wards.borough_codes[-1])
    changed = _with_spans(
        sc, {bcu: {"sergeant_span": 10, "reason": "town centres"}, code: {"inspector_span": 4, "sergeant_span": 7}}
    )
    _, _, prob = prepare(changed, inputs=inputs)
    sup = sc.rules.supervision
    for b in range(wards.n_boroughs):
        in_bcu, own = wards.borough_bcu[b] == bcu, wards.borough_codes[b] == code
        want_s = 7.0 if own else 10.0 if in_bcu else sup.sergeant_span
        want_i = 4.0 if own else sup.inspector_span
        assert prob.span_sergeant[b] == want_s and prob.span_inspector[b] == want_i


def test_unknown_areas_are_named_at_once(demo) -> None:
    sc, inputs = demo
    changed = _with_spans(sc, {"Nowhere BCU": {"sergeant_span": 9}, "E09999999": {"sergeant_span": 9}})
    with pytest.raises(ScenarioError) as err:
        prepare(changed, inputs=inputs)
    text = str(err.value)
    assert "'Nowhere BCU'" in text and "'E09999999'" in text and "rules.supervision.per_bcu" in text


@pytest.mark.parametrize("bad", [{"X": {"sergeant_span": 0.5}}, {"X": {"inspector_span": float("inf")}}])
def test_spans_are_bounded(demo, bad) -> None:
    sc, _ = demo
    with pytest.raises(ScenarioError):
        _with_spans(sc, bad)


def test_the_plan_keeps_each_areas_spans(demo, tmp_path) -> None:
    sc, inputs = demo
    bcu = str(inputs.wards.borough_bcu[0])
    changed = _with_spans(sc, {bcu: {"sergeant_span": 5, "inspector_span": 4, "reason": "new sergeants"}})
    plan = solve(changed, inputs=inputs)
    assert plan.gap <= 1e-4
    write_plan(plan, tmp_path)
    out = recompute(tmp_path, changed)  # checks the spans per borough from boroughs.csv
    b = out["boroughs"]
    tight = b["bcu"] == bcu
    assert (b.loc[tight, "sergeant_span"] == 5).all() and (b.loc[~tight, "sergeant_span"] == 8).all()
    heads = b["constables"] + b["pcsos"]
    assert (heads[tight] <= 5 * b.loc[tight, "sergeants"]).all()
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["spans"]["areas"] == [
        {"area": bcu, "sergeant_span": 5.0, "inspector_span": 4.0, "reason": "new sergeants"}
    ]
    # the tighter spans bound the plan: London's plan breaks them there, and the value cannot rise
    base = solve(sc, inputs=inputs)
    bh = base.borough_table()
    assert ((bh["constables"] + bh["pcsos"])[tight.to_numpy()] > 5 * bh["sergeants"][tight.to_numpy()]).any()
    assert plan.objective <= base.bound + 1e-9
