"""The fairness rule (officers per unit of need by IMD decile) and the price of fairness.

* the rule recomputed from the written outputs (``equity.csv``, ``allocation.csv``);
* exact oracles: brute force over every plan of the tiny city, with and without the rule,
  gives the solver's fair optimum and the price of fairness;
* hypothesis over the tolerance: rows hold exactly when the check passes, the price is never
  negative and is 0 when the unconstrained plan already keeps the rule;
* errors: no deprivation data, unknown groupings, bad settings; conflicts explained with numbers;
* real London at a tolerance that binds: certified within 1e-4.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from problems import make_problem
from tinycity import CODES, write_city

from planner.api import prepare, solve
from planner.errors import InfeasibleError, ScenarioError
from planner.inputs.loader import load_inputs
from planner.problem import Deployment
from planner.report.fairness import price_of_fairness, unconstrained_problem
from planner.report.outputs import write_plan
from planner.rules import RuleKey, check_plan, conflicts, rows_of
from planner.rules.fairness import Fairness, fairness_params
from planner.scenario import load_scenario, scenario_from_dict
from planner.solve.pipeline import relative_gap, solve_allocation
from planner.solve.primal import PlanState

TINY_DECILES = [1, 4, 8, 4, 10, 6]
"""The tiny city's wards' IMD deciles (tests/tinycity.py)."""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    path = write_city(tmp_path_factory.mktemp("tiny"))
    scenario = load_scenario(path)
    return path, scenario, load_inputs(scenario, scenario_dir=path.parent)


def with_fairness(scenario, tolerance: float | None, **more):
    changes = {"rules.fairness.tolerance": tolerance, **{f"rules.fairness.{k}": v for k, v in more.items()}}
    return scenario.with_changes(changes)


def bounded_vectors(lo: np.ndarray, hi: np.ndarray, most: int) -> np.ndarray:
    """Every integer vector ``v`` with ``lo <= v <= hi`` and ``sum(v) <= most``, as rows (K, n)."""
    out: list[list[int]] = []

    def grow(prefix: list[int], left: int) -> None:
        k = len(prefix)
        if k == len(lo):
            out.append(prefix)
            return
        for v in range(int(lo[k]), int(min(hi[k], lo[k] + left)) + 1):
            grow([*prefix, v], left - (v - int(lo[k])))

    grow([], most - int(np.sum(lo)))
    return np.array(out, dtype=np.int64).reshape(-1, len(lo))


def brute_force(prob) -> tuple[float, Deployment | None]:
    """Best objective and plan over every integer plan of a small problem (-inf, None: no plan).

    Every (constables, PCSOs) plan within the ward bounds and the headcount, with the fewest supervisors its
    heads need, is valued; the rules' rows pick the candidates, and the best is confirmed by every rule's check.
    """
    n, nb = prob.n_wards, prob.n_boroughs
    xs = bounded_vectors(prob.lo_x, prob.hi_x, int(prob.headcount[0]))
    ps = bounded_vectors(prob.lo_p, prob.hi_p, int(prob.headcount[1]))
    if not len(xs) or not len(ps):
        return -np.inf, None
    x = np.repeat(xs, len(ps), axis=0)
    p = np.tile(ps, (len(xs), 1))
    wards = np.broadcast_to(np.arange(n), x.shape)
    value = prob.choice_value(wards, x, p).sum(axis=1)
    member = np.eye(nb)[prob.borough]
    s = prob.sergeants_needed((x + p) @ member)
    i = prob.inspectors_needed(s)
    c = prob.cost_weight * prob.cost
    value = value - c[2] * s.sum(axis=1) - c[3] * i.sum(axis=1)
    rows = rows_of(prob)
    act = np.zeros((rows.n_rows, len(x)))
    for term, v in (("x", x), ("p", p), ("s", s), ("i", i)):
        if term in rows.A:
            act += rows.A[term] @ v.T.astype(float)
    ok = ((act >= rows.lo[:, None] - 1e-9) & (act <= rows.hi[:, None] + 1e-9)).all(axis=0)
    ok &= (s <= prob.max_sergeants).all(axis=1) & (i <= prob.max_inspectors).all(axis=1)
    for k in np.flatnonzero(ok)[np.argsort(-value[ok], kind="stable")]:
        plan = Deployment(x[k], p[k], s[k], i[k])
        if all(check_plan(prob, plan.x, plan.p, plan.s, plan.i).values()):
            return float(prob.objective(plan.x, plan.p, plan.s, plan.i)), plan
    return -np.inf, None


# ----------------------------------------------------------------- scenario keys and errors


def test_off_by_default_and_bounded_settings(tiny) -> None:
    _, scenario, _ = tiny
    assert scenario.rules.fairness.tolerance is None
    base = {"name": "x", "data": {"source": "synthetic"}}
    for bad in ({"tolerance": -0.1}, {"tolerance": 1.5}, {"by": "Imd decile"}, {"officers": "sergeants"}):
        with pytest.raises(ScenarioError, match=r"rules\.fairness"):
            scenario_from_dict({**base, "rules": {"fairness": {"tolerance": 0.1, **bad}}})
    ok = scenario_from_dict({**base, "rules": {"fairness": {"tolerance": 0.1, "by": "black_share_quintile"}}})
    assert ok.rules.fairness.by == "black_share_quintile" and ok.rules.fairness.officers == "all"


def test_no_deprivation_data_is_an_error_naming_what_to_set(tmp_path) -> None:
    path = write_city(tmp_path, equity=False, backtest=False)
    scenario = with_fairness(load_scenario(path), 0.1)
    with pytest.raises(ScenarioError, match=r"rules.fairness.by: imd_decile .*data.deprivation"):
        prepare(scenario, scenario_dir=path.parent)
    synthetic = scenario_from_dict(
        {"name": "s", "rules": {"fairness": {"tolerance": 0.1}},
         "data": {"source": "synthetic", "synthetic": {"boroughs": 2, "wards": 8, "bcus": 1, "equity": False}}}
    )  # fmt: skip
    with pytest.raises(ScenarioError, match=r"data.synthetic.equity: true"):
        prepare(synthetic)


def test_unknown_grouping_lists_the_known_ones(tiny) -> None:
    path, scenario, inputs = tiny
    with pytest.raises(ScenarioError, match=r"purple_share_quintile .*known: asian_share_quintile"):
        prepare(with_fairness(scenario, 0.1, by="purple_share_quintile"), inputs=inputs, scenario_dir=path.parent)


def test_the_synthetic_demo_city_can_use_the_rule() -> None:
    scenario = scenario_from_dict(
        {"name": "s", "data": {"source": "synthetic", "synthetic": {"boroughs": 3, "wards": 30, "bcus": 1}},
         "rules": {"fairness": {"tolerance": 0.05}}, "solver": {"gap": 1e-4}}
    )  # fmt: skip
    plan = solve(scenario)
    assert all(plan.check().values()) and plan.gap <= 1e-4
    assert Fairness.params(plan.problem) is not None


# ----------------------------------------------------------------- the rule on the written outputs


@pytest.mark.parametrize("officers", ["all", "constables", "separately"])
def test_rule_recomputed_from_the_written_files(tiny, tmp_path, officers) -> None:
    path, scenario, inputs = tiny
    tol = 0.25
    fair = with_fairness(scenario, tol, officers=officers)
    if officers == "separately":  # six PCSOs, one per ward at the floor, cannot follow need: give them room
        fair = fair.with_changes({"workforce.pcso.headcount": 12})
    plan = solve(fair, inputs=inputs, scenario_dir=path.parent)
    write_plan(plan, tmp_path)
    equity = pd.read_csv(tmp_path / "equity.csv")
    alloc = pd.read_csv(tmp_path / "allocation.csv", dtype={"ward_code": str}).set_index("ward_code")
    decile = pd.Series(TINY_DECILES, index=CODES)
    counted = {
        "all": [["constables", "pcsos"]],
        "constables": [["constables"]],
        "separately": [["constables"], ["pcsos"]],
    }
    for columns in counted[officers]:
        officers_w = alloc[columns].sum(axis=1)
        per = officers_w.groupby(decile).sum()
        need = alloc["need"].groupby(decile).sum()
        index = (per / need) / (officers_w.sum() / alloc["need"].sum())
        assert ((index >= 1 - tol - 1e-9) & (index <= 1 + tol + 1e-9)).all(), index
        if columns == ["constables", "pcsos"]:  # the rule bounds equity.csv's own need index
            rows = equity[equity.grouping == "imd_decile"].set_index("group")
            np.testing.assert_allclose(rows.loc[index.index, "need_index"], index.to_numpy(), rtol=1e-9)
    summary = json.loads((tmp_path / "summary.json").read_text())
    fair = summary["equity"]["fairness"]
    assert summary["checks"]["fairness"] is True
    assert fair["tolerance"] == tol and fair["by"] == "imd_decile"
    assert fair["value"] == pytest.approx(summary["objective"])
    assert fair["value_lost"] >= 0 and fair["value_lost"] <= fair["value_lost_at_most"] + 1e-12
    for g in fair["groups"]:
        assert g["fewest_allowed"] <= g["fair"] <= g["most_allowed"]


def test_binding_and_conflicts_say_it_with_numbers(tiny) -> None:
    path, scenario, inputs = tiny
    roomy = with_fairness(scenario, 0.25).with_changes({"workforce.constable.headcount": 40})
    plan = solve(roomy, inputs=inputs, scenario_dir=path.parent)
    said = plan.binding()[Fairness.title]
    # 46 officers over need 6.0: London's 7.67 per unit of need; decile 1 (need 0.6) at least 0.75 x 0.1 x 46
    assert any(s.startswith("IMD decile 1 (most deprived) needs at least 4 constables and PCSOs to stay within 25 % "
                            "of London's 7.67") for s in said), said  # fmt: skip
    # every ward held at exactly 2 constables: decile 4 (two wards, half the need) cannot reach its share
    fixed = with_fairness(scenario, 0.05, officers="constables").with_changes({"rules.ward_cap.constable": 2})
    _, _, prob = prepare(fixed, inputs=inputs, scenario_dir=path.parent)
    reasons = conflicts(prob)
    assert (
        "IMD decile 4 needs at least 8 constables to stay within 5 % of London's constables per unit of need (the "
        "other wards' floors alone are 8), but its wards can hold at most 4" in reasons
    ), reasons
    with pytest.raises(InfeasibleError, match="IMD decile 4 needs at least 8"):
        solve(fixed, inputs=inputs, scenario_dir=path.parent)


# ----------------------------------------------------------------- exact oracles on the tiny city


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tol=st.sampled_from([0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0]) | st.floats(0.0, 1.0))
def test_solver_and_price_match_brute_force(tiny, tol) -> None:
    path, scenario, inputs = tiny
    fair_scenario = with_fairness(scenario, tol)
    _, _, prob = prepare(fair_scenario, inputs=inputs, scenario_dir=path.parent)
    best, _ = brute_force(prob)
    free_best, free_plan = brute_force(unconstrained_problem(prob))
    assert free_plan is not None
    if not np.isfinite(best):
        with pytest.raises(InfeasibleError):
            solve(fair_scenario, inputs=inputs, scenario_dir=path.parent)
        return
    plan = solve(fair_scenario, inputs=inputs, scenario_dir=path.parent)
    assert all(plan.check().values())
    assert plan.objective == pytest.approx(best, abs=1e-9)  # the scenario asks for gap 0
    assert plan.bound >= best - 1e-7
    price = price_of_fairness(plan)
    assert price is not None
    assert price.value_lost >= 0
    assert price.value_lost == pytest.approx(free_best - best, abs=1e-9)
    assert price.value_lost_at_most >= free_best - best - 1e-7
    keeps = all(c.ok for c in Fairness().check(prob, free_plan))
    if keeps:
        assert price.value_lost == 0.0 and not price.summary()["binds"]


def test_loose_rule_costs_nothing(tiny) -> None:
    path, scenario, inputs = tiny
    plan = solve(with_fairness(scenario, 1.0), inputs=inputs, scenario_dir=path.parent)
    price = price_of_fairness(plan)
    assert price is not None and price.keeps_rule and price.value_lost == 0.0
    assert "none" in price.sentence()
    assert price_of_fairness(plan) is price  # solved once per plan


def test_no_price_without_the_rule(tiny, tmp_path) -> None:
    path, scenario, inputs = tiny
    plan = solve(scenario, inputs=inputs, scenario_dir=path.parent)
    assert price_of_fairness(plan) is None
    write_plan(plan, tmp_path)
    assert "fairness" not in json.loads((tmp_path / "summary.json").read_text())["equity"]


# ----------------------------------------------------------------- rows, checks and the fast paths


@st.composite
def fair_problems(draw):
    n = draw(st.integers(3, 4))
    need = draw(st.lists(st.floats(0.05, 6.0), min_size=n, max_size=n))
    hc = (draw(st.integers(n + 1, 3 * n)), draw(st.integers(0, 2 * n)), 4, 2)
    prob = make_problem(need, [k % 2 for k in range(n)], headcount=hc, floors=(1, 0), spans=(3.0, 2.0))
    n_groups = draw(st.integers(1, n))
    group = np.array([k % n_groups for k in range(n)])
    tol = draw(st.floats(0.0, 1.0))
    officers = draw(st.sampled_from(["all", "constables", "separately"]))
    fp = fairness_params(prob.need, group, tuple(f"group {g}" for g in range(n_groups)), tol, officers, "imd_decile")
    return dataclasses.replace(prob, params={RuleKey.FAIRNESS.value: fp})


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prob=fair_problems(), data=st.data())
def test_rows_hold_exactly_when_the_check_passes(prob, data) -> None:
    x = np.array([data.draw(st.integers(int(lo), int(lo) + 5)) for lo in prob.lo_x])
    p = np.array([data.draw(st.integers(0, 3)) for _ in prob.lo_p])
    plan = Deployment(x, p, np.zeros(prob.n_boroughs, np.int64), np.zeros(prob.n_boroughs, np.int64))
    rows = rows_of(prob)
    mine = [r for r in rows.broken(rows.activity(prob, plan)) if rows.keys[r] == RuleKey.FAIRNESS]
    (check,) = Fairness().check(prob, plan)
    assert check.ok == (not mine), (check.detail, mine)
    # the exact band: each group's share of the officers counted within (1 +- tolerance) of its share of need
    fp = Fairness.params(prob)
    assert fp is not None
    for terms, _ in fp.counts:
        counted = sum(plan.x if t == "x" else plan.p for t in terms)
        assert isinstance(counted, np.ndarray)  # every count has at least one term
        per = np.bincount(fp.group, weights=counted, minlength=fp.n_groups)
        inside = (per >= (1 - fp.tolerance) * fp.share * counted.sum() - 1e-9) & (
            (fp.share == 0) | (per <= (1 + fp.tolerance) * fp.share * counted.sum() + 1e-9)
        )
        if check.ok:
            assert inside.all()
    # the repair's incremental state agrees with a fresh one after a change
    state = PlanState(prob, x, p)
    w = data.draw(st.integers(0, prob.n_wards - 1))
    state.apply([(w, 1, 0)])
    fresh = PlanState(prob, x + np.eye(prob.n_wards, dtype=np.int64)[w], p)
    assert np.allclose(state.act, fresh.act)


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(prob=fair_problems())
def test_solver_is_certified_against_brute_force(prob) -> None:
    best, _ = brute_force(prob)
    free_best, _ = brute_force(unconstrained_problem(prob))
    # no integer plan may exist while the LP relaxation has one: then the solver searches until its time limit
    res = solve_allocation(prob, gap_target=0.0, time_limit=5.0 if np.isfinite(best) else 1.0)
    if not np.isfinite(best):
        assert not res.status.has_plan
        return
    assert res.status.has_plan
    assert all(check_plan(prob, res.x, res.p, res.s, res.i).values())
    assert res.objective <= best + 1e-9
    assert res.bound >= best - 1e-7, "the bound must never be below the true optimum"
    assert relative_gap(res.objective, best) <= res.gap + 1e-9
    assert free_best >= best - 1e-12  # the price of fairness is never negative


# ----------------------------------------------------------------- real London


@pytest.mark.slow
def test_london_fair_plan_is_certified(london_data_dir, scenarios_dir, tmp_path) -> None:
    scenario = with_fairness(load_scenario(scenarios_dir / "london-2022.yaml"), 0.05)
    plan = solve(scenario, london_data_dir, scenario_dir=scenarios_dir)
    assert plan.gap <= 1e-4 and all(plan.check().values())
    write_plan(plan, tmp_path)
    fair = json.loads((tmp_path / "summary.json").read_text())["equity"]["fairness"]
    assert fair["binds"] and 0 <= fair["value_lost"] <= fair["value_lost_at_most"]
    assert fair["unconstrained"]["gap"] <= 1e-4
    rows = pd.read_csv(tmp_path / "equity.csv").query("grouping == 'imd_decile'")
    assert ((rows.need_index >= 0.95 - 1e-9) & (rows.need_index <= 1.05 + 1e-9)).all()


# ----------------------------------------------------------------- when repair finds no plan


def _rounded_state(prob, **params):
    from planner.solve import pipeline

    st_ = pipeline.SolveState(prob, pipeline.SolveParams(**params))
    for _, stage in pipeline.STAGES[:3]:  # seed, column generation, round and repair
        stage(st_)
    assert st_.rounding is not None
    return st_


@pytest.mark.parametrize("tol", [0.02, 0.05, 0.1, 0.3])
def test_search_finds_the_nearest_plan_that_keeps_every_rule(tiny, tol) -> None:
    """CP-SAT's search (the stage after a failed repair) against brute force: every plan of the tiny city
    within the radius of the rounded LP, the fewest people moved from it among those keeping every rule."""
    from planner.solve.pipeline import stage_search

    _, scenario, inputs = tiny
    _, _, prob = prepare(with_fairness(scenario, tol), inputs=inputs)
    radius = 2
    st_ = _rounded_state(prob, search_radius=radius)
    cx, cp = st_.rounding
    st_.plan = None  # as if repair had failed
    stage_search(st_)
    # brute force: every plan within the radius, its supervisors the fewest its heads need
    lo_x, hi_x = np.maximum(prob.lo_x, cx - radius), np.minimum(prob.hi_x, cx + radius)
    lo_p, hi_p = np.maximum(prob.lo_p, cp - radius), np.minimum(prob.hi_p, cp + radius)
    best = None
    for x in bounded_vectors(lo_x, hi_x, int(prob.headcount[0])):
        for p in bounded_vectors(lo_p, hi_p, int(prob.headcount[1])):
            state = PlanState(prob, x, p)
            if state.violations() or not all(check_plan(prob, x, p, state.s, state.i).values()):
                continue
            moved = int(np.abs(x - cx).sum() + np.abs(p - cp).sum())
            best = moved if best is None else min(best, moved)
    if best is None:
        assert st_.plan is None
        return
    assert st_.plan is not None
    plan = st_.plan
    assert all(check_plan(prob, plan.x, plan.p, plan.s, plan.i).values())
    assert int(np.abs(plan.x - cx).sum() + np.abs(plan.p - cp).sum()) == best


def test_no_plan_found_is_not_called_impossible(tiny, monkeypatch) -> None:
    """When repair and the search find no plan and nothing proves there is none, the words say so."""
    from planner.solve import pipeline
    from planner.solve.params import SolveParams

    _, scenario, inputs = tiny
    _, _, prob = prepare(with_fairness(scenario, 0.3), inputs=inputs)
    assert np.isfinite(brute_force(prob)[0])  # a plan exists
    monkeypatch.setattr(pipeline, "repair", lambda *a, **k: False)
    skipped = ("borough bound", "CP-SAT search")  # the two other ways to a plan
    monkeypatch.setattr(pipeline, "STAGES", tuple((n, s) for n, s in pipeline.STAGES if n not in skipped))
    alloc = solve_allocation(prob, SolveParams(polish=False))
    assert alloc.status.value == "infeasible" and not alloc.proven_infeasible
    from planner.rules import describe_rows

    err = InfeasibleError([describe_rows(prob, alloc.violated_rules, proven=False)], proven=False)
    text = str(err)
    assert text.startswith("no plan satisfying every rule was found:")
    assert "none was proved impossible" in text and "cannot all hold together" not in text
    proven = InfeasibleError([describe_rows(prob, alloc.violated_rules)])
    assert str(proven).startswith("no plan satisfies every rule:") and "cannot all hold together" in str(proven)
