"""Whole sergeants and inspectors: the borough bound and its plans against exact oracles.

The borough bound (planner.solve.borough_bound) must never fall below the true
optimum, at any prices; its building blocks must match brute force; the plans
built from it (planner.solve.borough_primal) must pass every rule; and on small
cities where inspectors bind, the solver's plan must be within the gap target
of the exact CP-SAT optimum.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from problems import flat_unit_prices, frame_prices, make_problem, row_prices, tiny_problems

from planner.problem import AllocationProblem
from planner.rules import check_plan
from planner.solve import cpsat
from planner.solve.borough_bound import best_split, evaluate, make_frame, price_vector, tables
from planner.solve.borough_primal import plan_from_bound, refine_with_boroughs, resplit, supervisor_plan
from planner.solve.params import SolveParams
from planner.solve.pipeline import SolveState, relative_gap, solve_allocation, stage_column_generation, stage_seed
from planner.solve.price_search import PriceSearch, infeasibility_proof

GAP = 1e-4
CPSAT_TOL = 1e-4  # CP-SAT rounds every table entry to 1e-6


# ----------------------------------------------------------------- instances and oracles


def tight_city(seed: int) -> AllocationProblem:
    """6-12 wards in 2-3 boroughs, spans 6 and 5, inspectors (and so sergeants) binding."""
    rng = np.random.default_rng(seed)
    w = int(rng.integers(6, 13))
    nb = int(rng.integers(2, 4))
    borough = np.sort(np.concatenate([np.arange(nb), rng.integers(0, nb, w - nb)]))
    n_i = nb + int(rng.integers(0, 2))
    n_s = 5 * n_i + int(rng.integers(-2, 4))
    heads = 6 * n_s
    n_x, n_p = int(heads * rng.uniform(0.5, 0.9)), int(heads * rng.uniform(0.3, 0.6))
    caps = (int(max(6, 2.5 * n_x / w)), int(max(4, 2.5 * n_p / w)))
    need = rng.lognormal(0.0, 0.8, w)
    return make_problem(need, borough, headcount=(n_x, n_p, n_s, n_i), spans=(6.0, 5.0), caps=caps)


def cpsat_optimum(prob: AllocationProblem) -> float:
    """Exact optimum of the plain CP-SAT model over every ward's full range."""
    model, v = cpsat.plain_model(prob, prob.hi_x, prob.hi_p)
    res = cpsat.run(model, v, prob, time_limit=60, seed=0, workers=2)
    assert res is not None and res.status == "optimal"
    return res.objective


def brute_optimum(prob: AllocationProblem) -> float:
    """Best objective over every integer plan, enumerated with numpy (tiny instances only).

    Each borough gets the fewest supervisors its heads need (never worse: costs
    are non-negative); every rule is then checked on every combination.
    """
    n, nb = prob.n_wards, prob.n_boroughs
    hc = prob.headcount
    choices = []
    for w in range(n):
        xs = np.arange(prob.lo_x[w], min(prob.hi_x[w], hc[0]) + 1)
        ps = np.arange(prob.lo_p[w], min(prob.hi_p[w], hc[1]) + 1)
        gx, gp = (a.ravel() for a in np.meshgrid(xs, ps, indexing="ij"))
        ok = prob.meets_min_eff(np.full(len(gx), w), gx, gp)
        choices.append((gx[ok], gp[ok]))
    if any(len(c[0]) == 0 for c in choices):
        return -np.inf
    idx = np.array(list(itertools.product(*[range(len(c[0])) for c in choices])))
    x = np.stack([choices[w][0][idx[:, w]] for w in range(n)], axis=1)
    p = np.stack([choices[w][1][idx[:, w]] for w in range(n)], axis=1)
    onehot = np.eye(nb, dtype=np.int64)[prob.borough]
    bx, bp = x @ onehot, p @ onehot
    heads = bx + bp
    s = np.maximum(np.ceil(heads / prob.span_sergeant - 1e-9).astype(np.int64), prob.min_sergeants)
    i = np.maximum(np.ceil(s / prob.span_inspector - 1e-9).astype(np.int64), prob.min_inspectors)
    ok = (x.sum(1) <= hc[0]) & (p.sum(1) <= hc[1]) & (s.sum(1) <= hc[2]) & (i.sum(1) <= hc[3])
    ok &= (s <= prob.max_sergeants).all(1) & (i <= prob.max_inspectors).all(1)
    ok &= (bx <= prob.borough_cap_x).all(1) & (bp <= prob.borough_cap_p).all(1)
    ok &= (heads >= prob.borough_heads_lo).all(1) & (heads <= prob.borough_heads_hi).all(1)
    c = prob.cost
    cost = c[0] * x.sum(1) + c[1] * p.sum(1) + c[2] * s.sum(1) + c[3] * i.sum(1)
    if prob.budget is not None:
        ok &= cost <= prob.budget + 1e-6
    if prob.max_moves is not None and prob.base_x is not None and prob.base_p is not None:
        # the stated rule: people leaving their ward, less the posts any plan must leave vacant (fewer people
        # available or supervisable than today), at most the limit
        leave = np.maximum(prob.base_x - x, 0).sum(1) + np.maximum(prob.base_p - p, 0).sum(1)
        span_s, span_i = prob.span_sergeant.max(), prob.span_inspector.max()
        room = min(hc[0] + hc[1], np.floor(span_s * min(hc[2], span_i * hc[3]) + 1e-9))
        t0x, t0p = prob.base_x.sum(), prob.base_p.sum()
        cut_x = max(0, t0x - min(hc[0], room - prob.lo_p.sum()))
        cut_p = max(0, t0p - min(hc[1], room - prob.lo_x.sum()))
        ok &= leave <= prob.max_moves + max(cut_x + cut_p, t0x + t0p - room)
    if not ok.any():
        return -np.inf
    value = prob.ward_value(x.T, p.T).sum(0) - prob.cost_weight * (c[2] * s.sum(1) + c[3] * i.sum(1))
    return float(value[ok].max())


def assert_plan_ok(prob: AllocationProblem, x, p, s, i) -> None:
    checks = check_plan(prob, x, p, s, i)
    assert all(checks.values()), [k for k, v in checks.items() if not v]


# ----------------------------------------------------------------- building blocks


@settings(max_examples=60, deadline=None)
@given(
    need=st.floats(0.0, 20.0),
    h=st.integers(0, 30),
    lo=st.tuples(st.integers(0, 3), st.integers(0, 3)),
    hi=st.tuples(st.integers(3, 25), st.integers(3, 25)),
    prices=st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.floats(0.0, 0.5)),
    base=st.tuples(st.integers(0, 20), st.integers(0, 20)),
    min_eff=st.one_of(st.none(), st.floats(0.0, 12.0)),
)
def test_best_split_is_the_best_whole_split(need, h, lo, hi, prices, base, min_eff) -> None:
    """For a fixed head count, the best split found equals brute force; the relaxation is never below it."""
    prob = make_problem([need, 1.0], [0, 0], headcount=(60, 60, 30, 10), floors=lo)
    prob = dataclasses.replace(
        prob,
        hi_x=np.array([hi[0], 60]),
        hi_p=np.array([hi[1], 60]),
        base_x=np.array([base[0], 2]),
        base_p=np.array([base[1], 1]),
        max_moves=100,
        min_eff=None if min_eff is None else np.array([min_eff, 0.0]),
    )
    fr = make_frame(prob)
    u = flat_unit_prices(prob, prices[0], prices[1], prices[2])
    f, x, f_cont = best_split(fr, u, np.array([0]), np.array([float(h)]))
    xs = np.arange(0, h + 1)
    ps = h - xs
    ok = (xs >= prob.lo_x[0]) & (xs <= fr.hi_x[0]) & (ps >= prob.lo_p[0]) & (ps <= fr.hi_p[0])
    ok &= prob.meets_min_eff(np.zeros(len(xs), np.int64), xs, ps)
    if not ok.any():
        assert f[0] == -np.inf
        return
    e = prob.eff_x * xs + prob.eff_p * ps
    a, b, m = prices
    val = need * np.log1p(e / prob.kappa) - a * xs - b * ps - m * (np.abs(xs - base[0]) + np.abs(ps - base[1]))
    assert f[0] == pytest.approx(val[ok].max(), abs=1e-12)
    k = int(x[0])
    assert ok[k] and val[k] == pytest.approx(val[ok].max(), abs=1e-12)
    assert f_cont[0] >= f[0] - 1e-12


def test_bound_covers_each_borough_by_enumeration() -> None:
    """G_b(H) from the pooled envelope steps is at least every split of H heads among the borough's wards."""
    prob = tight_city(38)
    fr = make_frame(prob)
    y = row_prices(prob, constable=0.02, pcso=0.01, sergeant=0.5, inspector=0.3)
    tab = tables(fr, price_vector(fr, y), reach=0.5)
    assert not isinstance(tab, float)
    u = tab.u
    g_bound = tab.heads_value()
    reach = 10
    for b in range(prob.n_boroughs):
        wards = np.flatnonzero(prob.borough == b)
        # F_w(h) for h = h_min .. h_min + reach - 1, every ward of the borough
        hs = fr.h_min[wards][:, None] + np.arange(reach)[None, :]
        f = best_split(fr, u, np.repeat(wards, reach), hs.ravel().astype(float))[0].reshape(hs.shape)
        combos = np.array(list(itertools.product(range(reach), repeat=len(wards))))
        total = hs[np.arange(len(wards)), combos].sum(axis=1)
        value = f[np.arange(len(wards)), combos].sum(axis=1)
        for k in np.flatnonzero(tab.option_b == b):
            fits = total <= tab.option_heads[k]
            if fits.any():
                assert g_bound[k] >= value[fits].max() - 1e-9


def test_option_pay_is_the_pay_of_the_ward_choices() -> None:
    prob = tight_city(10)
    fr = make_frame(prob)
    tab = tables(fr, frame_prices(fr, 0.02, 0.01, 0.5, 0.2), reach=0.5)
    assert not isinstance(tab, float)
    pay = tab.option_pay()
    c = prob.cost
    for k in range(len(tab.option_b)):
        b = tab.option_b[k]
        steps = np.zeros(prob.n_boroughs, np.int64)
        steps[b] = tab.option_steps[k]
        _, x, p = tab.ward_choices(steps)
        mine = prob.borough == b
        direct = c[0] * x[mine].sum() + c[1] * p[mine].sum() + c[2] * tab.option_s[k] + c[3] * tab.option_i[k]
        assert pay[k] == pytest.approx(direct, abs=1e-6)


@pytest.mark.parametrize("budget_share", [None, 0.995])
def test_resplit_keeps_heads_and_fits_the_limits(budget_share) -> None:
    """Re-splitting a plan's heads (its constables made PCSOs where needed) fits every London-wide limit."""
    prob = _mid_city(3)
    full = solve_allocation(prob, gap_target=GAP, time_limit=30)
    if budget_share is not None:
        prob = dataclasses.replace(prob, budget=budget_share * prob.annual_cost(full.x, full.p, full.s, full.i))
    fr = make_frame(prob)
    h = full.x + full.p
    x, p = resplit(fr, flat_unit_prices(prob, 0.0, 0.0, 0.0), h)
    assert np.array_equal(x + p, h)
    assert (x >= prob.lo_x).all() and (p >= prob.lo_p).all()
    assert x.sum() <= prob.headcount[0] and p.sum() <= prob.headcount[1]
    if prob.budget is not None:
        s = prob.sergeants_needed(np.bincount(prob.borough, weights=h, minlength=prob.n_boroughs))
        assert prob.annual_cost(x, p, s, prob.inspectors_needed(s)) <= prob.budget


# ----------------------------------------------------------------- validity at any prices


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prob=tiny_problems(),
    prices=st.lists(
        st.tuples(*[st.one_of(st.just(0.0), st.floats(0.0, 2.0)) for _ in range(4)], st.floats(0.0, 2.0)),
        min_size=3,
        max_size=3,
    ),
)
def test_bound_never_below_the_optimum_at_any_prices(prob, prices) -> None:
    optimum = brute_optimum(prob)
    fr = make_frame(prob)
    for c, pc, sg, ins, other in prices:
        v = frame_prices(fr, c, pc, sg, ins, other * 30.0, other)
        sol = evaluate(fr, v)
        if np.isfinite(optimum):
            assert sol.value >= optimum - 1e-9, (sol.value, optimum)
        else:
            assert sol.value <= np.inf  # infeasible: any bound is valid
    if np.isfinite(optimum):
        search = PriceSearch(fr, evaluate(fr, np.zeros(fr.n_prices)))
        assert search.run(max_evals=10).value >= optimum - 1e-9


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prob=tiny_problems(), floor=st.floats(0.0, 3.0))
def test_infeasibility_proofs_are_sound(prob, floor) -> None:
    """A proof that no plan exists is only ever given when brute force finds none."""
    prob = dataclasses.replace(prob, min_eff=np.full(prob.n_wards, floor))
    if infeasibility_proof(prob, max_evals=12) is not None:
        assert brute_optimum(prob) == -np.inf


def test_whole_inspectors_prove_a_floor_impossible() -> None:
    """Each borough needs 6 sergeants and so 2 inspectors, London has 3: the LP relaxation cannot see it."""
    prob = make_problem([1.0] * 4, [0, 0, 1, 1], headcount=(70, 8, 12, 3), spans=(6.0, 5.0), caps=(17, 1))
    # 12 effective officers a ward: 16 heads at least (15.4 constables), 32 a borough, 6 sergeants, 2 inspectors
    impossible = dataclasses.replace(prob, min_eff=np.full(4, 12.0))
    assert brute_optimum(impossible) == -np.inf
    assert infeasibility_proof(impossible) is not None
    res = solve_allocation(impossible, time_limit=10)
    assert not res.status.has_plan and res.proven_infeasible
    # the column-generation LP found no conflict: the proof came from whole supervisors
    assert any("no plan exists with whole supervisors" in line for line in res.log)
    # 9 effective officers a ward: 12 heads, 24 a borough, 4 sergeants, 1 inspector each: no proof
    possible = dataclasses.replace(prob, min_eff=np.full(4, 9.0))
    assert np.isfinite(brute_optimum(possible))
    assert infeasibility_proof(possible) is None


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prob=tiny_problems())
def test_solver_bound_and_plan_against_brute_force(prob) -> None:
    optimum = brute_optimum(prob)
    res = solve_allocation(prob, gap_target=1e-9, time_limit=10, polish=False)
    if not np.isfinite(optimum):
        assert not res.status.has_plan
        return
    assert res.status.has_plan
    assert_plan_ok(prob, res.x, res.p, res.s, res.i)
    assert res.bound >= optimum - 1e-7
    assert res.objective <= optimum + 1e-7


# ----------------------------------------------------------------- small tight cities against CP-SAT

# seeds whose column-generation bound is 0.1 % to 3 % above the optimum (inspectors bind)
TIGHT_SEEDS = [10, 18, 33, 38]


@pytest.mark.parametrize("seed", TIGHT_SEEDS)
def test_tight_city_matches_cpsat(seed) -> None:
    prob = tight_city(seed)
    optimum = cpsat_optimum(prob)
    res = solve_allocation(prob, gap_target=GAP, time_limit=20)
    assert_plan_ok(prob, res.x, res.p, res.s, res.i)
    assert res.objective == pytest.approx(prob.objective(res.x, res.p, res.s, res.i), abs=1e-9)
    assert res.bound >= optimum - CPSAT_TOL
    assert res.objective <= optimum + CPSAT_TOL
    assert relative_gap(res.objective, optimum) <= GAP
    # the borough bound alone is valid too, at the LP prices and after the search
    fr = make_frame(prob)
    start = evaluate(fr, frame_prices(fr, 0.02, 0.0, 0.5, 0.1))
    assert start.value >= optimum - CPSAT_TOL
    assert PriceSearch(fr, start).run(max_evals=30).value >= optimum - CPSAT_TOL


@pytest.mark.parametrize("seed", TIGHT_SEEDS[:2])
def test_spans_of_their_own_match_cpsat(seed) -> None:
    """Boroughs (their BCUs) with spans of their own: the certified plan keeps each borough's spans and is the
    exact optimum within the gap."""
    base = tight_city(seed)
    nb = base.n_boroughs
    prob = dataclasses.replace(
        base,
        span_sergeant=np.where(np.arange(nb) == 0, 4.0, 7.0),
        span_inspector=np.where(np.arange(nb) == 0, 3.0, 6.0),
    )
    optimum = cpsat_optimum(prob)
    res = solve_allocation(prob, gap_target=GAP, time_limit=20)
    assert_plan_ok(prob, res.x, res.p, res.s, res.i)
    heads = np.bincount(prob.borough, weights=res.x + res.p, minlength=nb)
    assert (heads <= prob.span_sergeant * res.s + 1e-9).all() and (res.s <= prob.span_inspector * res.i + 1e-9).all()
    assert res.bound >= optimum - CPSAT_TOL and res.objective <= optimum + CPSAT_TOL
    assert relative_gap(res.objective, optimum) <= GAP
    assert optimum != pytest.approx(cpsat_optimum(base), abs=1e-6)  # the spans mattered


def test_borough_bound_closes_what_the_lp_leaves() -> None:
    """On a city where whole inspectors bind, the borough bound is below the column-generation bound."""
    prob = tight_city(18)
    optimum = cpsat_optimum(prob)
    st = SolveState(prob, SolveParams(time_limit=20))
    stage_seed(st)
    stage_column_generation(st)  # the column-generation bound alone
    res = solve_allocation(prob, gap_target=GAP, time_limit=20)
    assert "borough bound" in res.method
    assert optimum - CPSAT_TOL <= res.bound < st.cg_bound
    assert relative_gap(optimum, st.cg_bound) > 1e-2 and relative_gap(optimum, res.bound) <= GAP


# ----------------------------------------------------------------- plans from the bound


def _mid_city(seed: int = 0) -> AllocationProblem:
    rng = np.random.default_rng(seed)
    n, nb = 160, 8
    borough = np.sort(rng.integers(0, nb, n))
    need = rng.lognormal(0.0, 0.9, n)
    return make_problem(need, borough, headcount=(700, 260, 150, 30), spans=(6.0, 5.0))


def test_plans_from_the_bound_keep_every_rule() -> None:
    prob = _mid_city()
    fr = make_frame(prob)
    search = PriceSearch(fr, evaluate(fr, frame_prices(fr, 0.05, 0.01, 0.4, 0.05)))
    search.run(max_evals=20)
    best = -np.inf
    for sol in search.cuts[:6]:
        tab = tables(fr, sol.prices, 0.5)
        assert not isinstance(tab, float)
        s = supervisor_plan(tab, sol.sergeants)
        assert s is not None
        i = np.maximum(np.ceil(s / prob.span_inspector - 1e-9), prob.min_inspectors)
        assert s.sum() <= prob.headcount[2] and i.sum() <= prob.headcount[3]
        state = plan_from_bound(fr, sol)
        assert state is not None
        assert_plan_ok(prob, state.x, state.p, state.s, state.i)
        best = max(best, state.objective())
    assert best <= search.best.value + 1e-9
    assert relative_gap(best, search.best.value) <= 1e-3


def test_refine_is_repeatable_and_valid() -> None:
    prob = _mid_city(1)
    y = row_prices(prob, constable=0.05, pcso=0.01, sergeant=0.4, inspector=0.05)
    a = refine_with_boroughs(prob, y, None, gap_goal=GAP, deadline=float("inf"))
    b = refine_with_boroughs(prob, y, None, gap_goal=GAP, deadline=float("inf"))
    assert a.state is not None and b.state is not None
    assert np.array_equal(a.state.x, b.state.x) and np.array_equal(a.state.p, b.state.p)
    assert a.bound == b.bound and a.bound >= a.state.objective() - 1e-9  # equal when both are optimal
    assert_plan_ok(prob, a.state.x, a.state.p, a.state.s, a.state.i)


def test_solver_on_a_tight_city_is_certified_and_repeatable() -> None:
    prob = _mid_city(2)
    a = solve_allocation(prob, gap_target=GAP, time_limit=30, seed=1)
    b = solve_allocation(prob, gap_target=GAP, time_limit=30, seed=1)
    assert_plan_ok(prob, a.x, a.p, a.s, a.i)
    assert a.gap <= GAP and a.status.value == "optimal"
    assert np.array_equal(a.x, b.x) and np.array_equal(a.p, b.p) and a.bound == b.bound


# ----------------------------------------------------------------- real London


@pytest.mark.slow
def test_rebalanced_supervision_on_real_london(london_data_dir, scenarios_dir) -> None:
    from planner.api import prepare
    from planner.scenario import load_scenario

    scenario = load_scenario(scenarios_dir / "supervision-rebalanced.yaml")
    _, _, prob = prepare(scenario, london_data_dir, scenario_dir=scenarios_dir)
    res = solve_allocation(prob, gap_target=GAP, time_limit=30)
    assert_plan_ok(prob, res.x, res.p, res.s, res.i)
    assert res.gap <= GAP
    assert res.i.sum() <= prob.headcount[3] and res.s.sum() <= prob.headcount[2]
