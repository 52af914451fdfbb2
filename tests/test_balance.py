"""The balance-workload objective: the largest need per effective officer, certified."""

from __future__ import annotations

import itertools

import numpy as np
from problems import make_problem

from planner.rules import check_plan
from planner.solve.balance import solve_balance


def best_worst_ratio(prob) -> float:
    best = np.inf
    for xs in itertools.product(*[range(2, 8)] * prob.n_wards):
        x = np.array(xs)
        if x.sum() > prob.headcount[0]:
            continue
        for ps in itertools.product(*[range(1, 4)] * prob.n_wards):
            p = np.array(ps)
            if p.sum() > prob.headcount[1]:
                continue
            heads = np.bincount(prob.borough, weights=x + p, minlength=prob.n_boroughs)
            s = prob.sergeants_needed(heads)
            if not all(check_plan(prob, x, p, s, prob.inspectors_needed(s)).values()):
                continue
            eff = prob.eff_x * x + prob.eff_p * p
            best = min(best, float(np.max(prob.need / eff)))
    return best


def test_balance_matches_brute_force() -> None:
    prob = make_problem([1.0, 3.0, 2.0], [0, 0, 1], headcount=(12, 5, 4, 2), caps=(7, 3))
    res = solve_balance(prob, gap_target=1e-6, time_limit=20)
    optimum = best_worst_ratio(prob)
    assert all(check_plan(prob, res.x, res.p, res.s, res.i).values())
    eff = prob.eff_x * res.x + prob.eff_p * res.p
    assert res.objective == np.max(prob.need / eff)
    assert res.bound <= optimum + 1e-9 <= res.objective + 1e-9
    assert res.objective <= optimum * (1 + 1e-5)


def test_balance_deploys_everyone_left() -> None:
    rng = np.random.default_rng(2)
    prob = make_problem(rng.lognormal(0, 1, 30), np.repeat(np.arange(3), 10), headcount=(200, 60, 40, 8))
    res = solve_balance(prob, time_limit=20)
    assert all(check_plan(prob, res.x, res.p, res.s, res.i).values())
    assert res.gap <= 1e-4
    assert res.x.sum() == 200  # the second stage spends what balance does not need
