"""Infeasibility explained in plain words, naming the rules, with numbers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from problems import make_problem

from planner.rules import conflicts
from planner.solve.pipeline import Status, solve_allocation


def test_floors_against_headcount() -> None:
    prob = make_problem([1.0] * 679, None, headcount=(1200, 700, 400, 80))
    reasons = conflicts(prob)
    assert reasons == ["ward floors need 1,358 constables (2 per ward x 679 wards) but only 1,200 are available"]


def test_sergeants_for_the_floors() -> None:
    prob = make_problem([1.0] * 30, np.repeat(np.arange(3), 10), headcount=(100, 40, 5, 5), spans=(8, 6))
    (reason,) = conflicts(prob)
    assert "ward floors put at least 90 constables and PCSOs in 3 boroughs" in reason
    assert "they need 12 sergeants but only 5 are available" in reason


def test_budget_below_the_cheapest_plan() -> None:
    prob = make_problem([1.0, 1.0], None, headcount=(10, 4, 2, 1), budget=100_000.0)
    (reason,) = conflicts(prob)
    assert reason.startswith("the cheapest plan that meets the ward floors and spans of control costs £")
    assert "but the budget is £100,000" in reason


def test_floor_above_cap_names_the_wards() -> None:
    prob = make_problem([1.0, 2.0], None, headcount=(10, 4, 2, 1), floors=(3, 1), caps=(2, None))
    (reason,) = conflicts(dataclasses.replace(prob, ward_codes=np.array(["E05000001", "E05000002"])))
    assert "no room for constables in 2 ward(s): E05000001 (at least 3, at most 2)" in reason


def test_feasible_problem_has_no_reason() -> None:
    assert conflicts(make_problem([1.0, 2.0, 3.0], [0, 0, 1])) == []


def test_lp_proves_infeasibility_the_checks_miss() -> None:
    # borough share minimums need 4 more people than the floors, and the budget cannot pay for them
    prob = make_problem([1.0, 1.0, 1.0, 1.0], [0, 0, 1, 1], headcount=(30, 10, 8, 4))
    prob = dataclasses.replace(prob, borough_heads_lo=np.array([8, 8]))
    floors_cost = 8 * 66_000 + 4 * 44_000 + 2 * 80_000 + 2 * 96_000
    prob = dataclasses.replace(prob, budget=floors_cost + 100_000.0)
    assert conflicts(prob) == []
    res = solve_allocation(prob, time_limit=5)
    assert res.status is Status.INFEASIBLE and res.violated_rules


@pytest.mark.parametrize("kind", ["constable", "pcso"])
def test_rank_named(kind: str) -> None:
    hc = (5, 10, 4, 2) if kind == "constable" else (10, 1, 4, 2)
    (reason,) = conflicts(make_problem([1.0, 1.0, 1.0], None, headcount=hc))
    assert ("constables" if kind == "constable" else "PCSOs") in reason


def test_a_headcount_cut_is_posts_left_vacant_not_moves() -> None:
    """Today 12 constables, 10 available: the 2 posts left vacant are not moves, so a limit of 0 moves holds."""
    prob = make_problem([1.0, 2.0, 3.0], None, headcount=(10, 6, 4, 2))
    prob = dataclasses.replace(prob, base_x=np.array([4, 4, 4]), base_p=np.array([2, 2, 2]), max_moves=0)
    assert conflicts(prob) == []
    res = solve_allocation(prob, time_limit=5)
    assert res.status.has_plan and prob.moves(res.x, res.p) == 0
    assert (res.x <= prob.base_x).all() and res.x.sum() == 10


def test_people_above_their_ward_caps_must_move() -> None:
    prob = make_problem([1.0, 2.0, 3.0], None, headcount=(20, 6, 4, 2), caps=(5, None))
    prob = dataclasses.replace(prob, base_x=np.array([8, 2, 2]), base_p=np.array([1, 1, 1]), max_moves=1)
    (reason,) = conflicts(prob)
    assert "today 3 people are above the ward caps or stability windows of 1 wards and must leave them" in reason
    assert "at least 3 people move, but the limit is 1" in reason
