"""The rules layer: every rule's rows agree with its own check, and the solver's fast paths agree with both.

* rows and checks: a plan within every ward's and borough's bounds keeps every
  row exactly when every rule's ``check`` passes;
* the incremental plan state (:class:`planner.solve.primal.PlanState`) keeps
  each row's activity equal to a fresh computation, and its ``delta`` accepts
  a change from a plan that keeps every rule exactly when the changed plan
  still keeps every rule;
* the registry: one enum of keys, unique row names, every rule with a title.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from problems import make_problem, tiny_problems

from planner.problem import Deployment
from planner.rules import REGISTRY, RuleKey, check_plan, rows_of
from planner.solve.primal import PlanState

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def random_plan(prob, data) -> Deployment:
    """A plan within every ward's bounds (capped small), with the fewest supervisors its heads need."""
    x = np.array([data.draw(st.integers(int(lo), int(min(hi, lo + 6)))) for lo, hi in zip(prob.lo_x, prob.hi_x)])
    p = np.array([data.draw(st.integers(int(lo), int(min(hi, lo + 4)))) for lo, hi in zip(prob.lo_p, prob.hi_p)])
    heads = np.bincount(prob.borough, weights=x + p, minlength=prob.n_boroughs)
    s = prob.sergeants_needed(heads)
    return Deployment(x, p, s, prob.inspectors_needed(s))


@SETTINGS
@given(prob=tiny_problems(), data=st.data())
def test_rows_hold_exactly_when_every_check_passes(prob, data) -> None:
    if (prob.lo_x > prob.hi_x).any() or (prob.lo_p > prob.hi_p).any():
        return
    plan = random_plan(prob, data)
    rows = rows_of(prob)
    in_bounds = (
        (plan.s <= prob.max_sergeants).all() and (plan.i <= prob.max_inspectors).all()
        and (plan.s >= prob.min_sergeants).all() and (plan.i >= prob.min_inspectors).all()
        and prob.meets_min_eff(np.arange(prob.n_wards), plan.x, plan.p).all()
    )  # fmt: skip
    rows_hold = not len(rows.broken(rows.activity(prob, plan)))
    checks = check_plan(prob, plan.x, plan.p, plan.s, plan.i)
    # the stability rows are sound but not exact (they count posts left vacant beyond the forced ones as moves):
    # rows hold => the check passes; every other rule: exactly
    if rows_hold and in_bounds:
        assert all(checks.values()), checks
    exact = {k: v for k, v in checks.items() if k != "stability"}
    exact_rows = [r for r in rows.broken(rows.activity(prob, plan)) if rows.keys[r] != RuleKey.STABILITY]
    assert (not exact_rows and in_bounds) == all(exact.values()), (checks, rows.names)


@SETTINGS
@given(prob=tiny_problems(), data=st.data())
def test_incremental_state_matches_a_fresh_one(prob, data) -> None:
    if (prob.lo_x > prob.hi_x).any() or (prob.lo_p > prob.hi_p).any():
        return
    start = random_plan(prob, data)
    state = PlanState(prob, start.x, start.p)
    for _ in range(data.draw(st.integers(1, 6))):
        w = data.draw(st.integers(0, prob.n_wards - 1))
        dx, dp = data.draw(st.sampled_from([(1, 0), (-1, 0), (0, 1), (0, -1), (1, -1), (-1, 1)]))
        change = [(w, dx, dp)]
        if not (prob.lo_x[w] <= state.x[w] + dx <= prob.hi_x[w] and prob.lo_p[w] <= state.p[w] + dp <= prob.hi_p[w]):
            assert state.delta(change) is None
            continue
        feasible_before = not state.violations()
        verdict = state.delta(change)
        fresh = PlanState(prob, state.x + np.eye(prob.n_wards, dtype=np.int64)[w] * dx,
                          state.p + np.eye(prob.n_wards, dtype=np.int64)[w] * dp)  # fmt: skip
        if feasible_before:
            # from a plan that keeps every rule, a change is accepted exactly when the new plan keeps them all
            keeps = not fresh.violations()
            assert (verdict is not None) == keeps
            if keeps:
                assert verdict is not None
                assert verdict == np.float64(verdict)
                assert abs(verdict - (fresh.objective() - state.objective())) <= 1e-9
        state.apply(change)
        assert np.allclose(state.act, fresh.act)
        assert np.array_equal(state.s, fresh.s) and np.array_equal(state.i, fresh.i)
        assert np.allclose(state.value, fresh.value)


def test_one_key_per_rule_and_unique_row_names() -> None:
    keys = [r.key for r in REGISTRY]
    assert len(keys) == len(set(keys)) == len(RuleKey)
    assert all(r.title for r in REGISTRY)
    prob = make_problem([1.0, 2.0, 3.0, 4.0], [0, 0, 1, 1], budget=2_000_000.0)
    rows = rows_of(prob)
    assert len(set(rows.names)) == rows.n_rows
    # every row belongs to a registered rule, and the rule names it in plain words
    for name in rows.names:
        k = rows.index(name)
        assert k is not None and rows.keys[k] in keys


def test_checks_name_what_breaks() -> None:
    prob = make_problem([1.0, 2.0], None, headcount=(5, 2, 1, 1))
    plan = Deployment(np.array([3, 3]), np.array([1, 1]), np.array([1]), np.array([1]))
    found = {c.name: c for r in REGISTRY for c in r.check(prob, plan)}
    assert not found["headcount_constable"].ok
    assert found["headcount_constable"].detail == "6 constables deployed, 5 available"
    assert found["sergeant_span"].ok and found["ward_floors"].ok  # 8 heads, one sergeant, a span of 8
    more = Deployment(np.array([3, 4]), np.array([1, 1]), np.array([1]), np.array([1]))
    found = {c.name: c for r in REGISTRY for c in r.check(prob, more)}
    assert not found["sergeant_span"].ok and found["sergeant_span"].detail == "too few sergeants in borough 0"
