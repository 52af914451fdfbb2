"""Backtests: the simple rules, the measures on hand examples, the tiny city end to end, and London."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from problems import make_problem
from tinycity import CODES, write_city

from planner.api import load_scenario
from planner.backtest import (
    Deployment,
    equal_per_ward,
    floors_only,
    judge_deployments,
    proportional,
    run_backtest,
    with_supervisors,
)
from planner.backtest.judge import moved, top_wards
from planner.cli import main
from planner.errors import InfeasibleError

# ----------------------------------------------------------------- simple rules


def test_proportional_with_floors_known_answer():
    # 8 people, floors of 2, driver 1:1:2 -> lambda = 2 -> 2, 2, 4
    assert proportional(np.array([1.0, 1.0, 2.0]), 8, np.full(3, 2), np.full(3, 99)).tolist() == [2, 2, 4]
    # 10 people, driver 20:20:80:20:40:20 with floors of 2: 2, 2, 6.67 -> 7, 2, 3.33 -> 3, 2 (largest remainder)
    driver = np.array([20.0, 20, 80, 20, 40, 20])
    assert proportional(driver, 18, np.full(6, 2), np.full(6, 99)).tolist() == [2, 2, 7, 2, 3, 2]
    # caps bind: the rest spills over
    assert proportional(np.array([10.0, 1.0]), 10, np.zeros(2, int), np.array([3, 99])).tolist() == [3, 7]


def test_equal_per_ward_gives_the_odd_people_to_the_largest_tiebreak():
    assert equal_per_ward(8, np.full(3, 2), np.full(3, 99), np.array([5.0, 1.0, 9.0])).tolist() == [3, 2, 3]


def test_a_total_outside_floors_and_caps_is_refused():
    with pytest.raises(InfeasibleError, match="floors"):
        proportional(np.ones(3), 5, np.full(3, 2), np.full(3, 9))
    with pytest.raises(InfeasibleError, match="caps"):
        proportional(np.ones(3), 30, np.full(3, 2), np.full(3, 9))


@given(
    driver=st.lists(st.floats(0, 1e6), min_size=1, max_size=30),
    extra=st.integers(0, 400),
    data=st.data(),
)
@settings(max_examples=80, deadline=None)
def test_proportional_places_everyone_within_bounds_and_in_order(driver, extra, data):
    d = np.array(driver)
    n = len(d)
    lo = np.array(data.draw(st.lists(st.integers(0, 5), min_size=n, max_size=n)))
    hi = lo + np.array(data.draw(st.lists(st.integers(0, 60), min_size=n, max_size=n)))
    total = int(min(lo.sum() + extra, hi.sum()))
    out = proportional(d, total, lo, hi)
    assert out.sum() == total and (out >= lo).all() and (out <= hi).all()
    # a ward with a larger driver and the same bounds never gets fewer people (beyond rounding)
    for a in range(n):
        for b in range(n):
            if d[a] > d[b] and lo[a] == lo[b] and hi[a] == hi[b]:
                assert out[a] >= out[b] - 1


# ----------------------------------------------------------------- measures


def test_measures_on_a_hand_example():
    prob = make_problem([0.5, 0.5, 2.0], headcount=(8, 3, 6, 2), cost_weight=0.0)
    harm = np.array([10.0, 10.0, 80.0])
    pop = np.array([1000.0, 2000.0, 3000.0])
    codes = np.array(["A", "B", "C"])
    plan = with_supervisors(prob, np.array([2, 2, 4]), np.array([1, 1, 1]))
    best = with_supervisors(prob, np.array([2, 2, 4]), np.array([1, 1, 1]))
    floors = floors_only(prob)
    table = judge_deployments(prob, harm, pop, codes, {"plan": ("p", plan), "floors": ("f", floors)}, best, floors)
    row = table.set_index("method").loc["plan"]
    # officers 3, 3, 5 for harm 10, 10, 80: London 11 per 100; A and B are above, C below -> 20 % covered
    assert row["harm_covered_pct"] == pytest.approx(20.0)
    assert row["harm_per_officer_top"] == pytest.approx(80 / 5)  # top 10 % of 3 wards = 1 ward: C
    assert row["residents_per_officer_top"] == pytest.approx(3000 / 5)
    assert row["residents_per_officer_bottom"] == pytest.approx(2000 / 3)  # A and B tie: by code, B is last
    assert row["residents_per_officer"] == pytest.approx(6000 / 11)
    assert row["gain_share_pct"] == pytest.approx(100.0) and row["moved_to_hindsight"] == 0
    assert table.set_index("method").loc["floors", "gain_share_pct"] == pytest.approx(0.0)
    # the floors plan has 2 constables fewer in C: posts left vacant, not people moved
    assert table.set_index("method").loc["floors", "moved_to_hindsight"] == 0


def test_moved_counts_people_once():
    a = Deployment(np.array([2, 5]), np.array([1, 1]), np.array([1]), np.array([1]))
    b = Deployment(np.array([4, 3]), np.array([1, 1]), np.array([1]), np.array([1]))
    assert moved(a, b) == 2
    top, bottom = top_wards(np.array([5.0, 9.0, 1.0, 9.0]), np.array(["d", "c", "b", "a"]), 0.5)
    assert top.tolist() == [False, True, False, True] and bottom.tolist() == [True, False, True, False]


# ----------------------------------------------------------------- the tiny city end to end


def test_tiny_city_backtest_has_the_hand_computed_answer(tmp_path: Path):
    path = write_city(tmp_path, equity=False)
    result = run_backtest(load_scenario(path), scenario_dir=tmp_path)
    table = result.table.set_index("method")
    assert table.index.tolist() == [
        "optimised", "proportional_to_crime", "proportional_to_need", "equal_per_ward", "hindsight", "floors"
    ]  # fmt: skip
    codes = list(result.codes)
    by_code = dict(zip(codes, result.deployments["optimised"].x, strict=True))
    # earlier harm per ward 20, 20, 80, 20, 40, 20 (W3 led); later 20, 80, 20, 20, 40, 20 (W2 led):
    # 18 constables, floors of 2: the optimised plan and both proportional rules put 7 in W3 and 3 in W5;
    # hindsight puts the 7 in W2
    assert [by_code[c] for c in CODES] == [2, 2, 7, 2, 3, 2]
    hind = dict(zip(codes, result.deployments["hindsight"].x, strict=True))
    assert [hind[c] for c in CODES] == [2, 7, 2, 2, 3, 2]
    assert table.loc["optimised", "moved_to_hindsight"] == 5
    # the planner's value on the later need: need = later harm / mean, each ward log(1 + x + 0.5 p)
    need = {c: h / (200 / 6) for c, h in zip(CODES, [20, 80, 20, 20, 40, 20], strict=True)}

    def value(x: dict[str, int]) -> float:
        return sum(need[c] * np.log(1 + x[c] + 0.5) for c in CODES)

    v_plan, v_best, v_floor = value(by_code), value(hind), value(dict.fromkeys(CODES, 2))
    assert table.loc["optimised", "later_value"] == pytest.approx(v_plan)
    assert table.loc["floors", "later_value"] == pytest.approx(v_floor)
    assert table.loc["optimised", "gain_share_pct"] == pytest.approx(100 * (v_plan - v_floor) / (v_best - v_floor))
    assert table.loc["hindsight", "gain_share_pct"] == pytest.approx(100.0)
    assert result.earlier_months == (202301, 202302) and result.later_months == (202401, 202402)


def test_same_crime_before_and_after_means_the_plan_is_the_hindsight_plan(tmp_path: Path):
    path = write_city(tmp_path, equity=False)
    raw = yaml.safe_load(path.read_text())
    raw["backtest"]["earlier"]["crime"]["path"] = "crime_late.csv"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    table = run_backtest(load_scenario(path), scenario_dir=tmp_path).table.set_index("method")
    assert table.loc["optimised", "gain_share_pct"] == pytest.approx(100.0)
    assert table.loc["optimised", "moved_to_hindsight"] == 0
    assert (
        table.loc[["proportional_to_crime", "equal_per_ward"], "later_value"]
        <= table["later_value"].loc["optimised"] + 1e-9
    ).all()


def test_cli_writes_the_table_the_summary_and_the_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = write_city(tmp_path / "city", equity=False)
    pd.DataFrame({"ward_code": CODES, "constables": [3, 3, 3, 3, 3, 3], "pcsos": 1}).to_csv(
        tmp_path / "city" / "today.csv", index=False
    )
    raw = yaml.safe_load(path.read_text())
    raw["backtest"]["current"] = "today.csv"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["backtest", str(path), "--out", str(out)]) == 0
    table = pd.read_csv(out / "backtest.csv")
    assert "current" in table["method"].tolist() and len(table) == 7
    summary = json.loads((out / "backtest.json").read_text())
    assert summary["earlier"]["months"] == [202301, 202302] and len(summary["methods"]) == 7
    assert (out / "backtest.png").stat().st_size > 1000
    assert "optimised" in capsys.readouterr().out
    assert not list(out.glob(".planner-tmp-*"))


def test_a_scenario_without_a_backtest_block_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = write_city(tmp_path, backtest=False, equity=False)
    assert main(["backtest", str(path), "--out", str(tmp_path / "out")]) == 2
    assert "backtest: block" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------------- real London


@pytest.mark.slow
def test_london_backtest_optimised_beats_every_simple_rule(london_data_dir: Path, scenarios_dir: Path):
    result = run_backtest(
        load_scenario(scenarios_dir / "london-2022.yaml"), london_data_dir, scenario_dir=scenarios_dir
    )
    table = result.table.set_index("method")
    best = table["later_value"].loc["optimised"]
    for rule in ("proportional_to_crime", "proportional_to_need", "equal_per_ward"):
        assert best > table["later_value"].loc[rule], rule
    assert table["gain_share_pct"].loc["optimised"] > 99.0
    assert result.earlier_months[0] == 202112 and result.later_months[0] == 202404  # 202403 is partial
    assert table["constables"].loc["optimised"] == table["constables"].loc["equal_per_ward"] == 4200


def test_broken_rules_are_said_in_words() -> None:
    from planner.rules.words import rule_words

    assert rule_words("headcount_sergeant") == "Sergeants deployed are within the headcount"
    assert rule_words("headcount_pcso") == "PCSOs deployed are within the headcount"
    assert rule_words("ward_floor") == "Ward floor"  # an unknown key: its words, capitalised


def test_every_rule_check_has_its_words() -> None:
    """Every check a registered rule can report has an entry of its own in the words table."""
    import inspect
    import re
    import sys

    from planner.rules import REGISTRY
    from planner.rules.words import RULE_WORDS

    source = "".join(inspect.getsource(sys.modules[m]) for m in {type(r).__module__ for r in REGISTRY})
    names = set(re.findall(r'RuleCheck\(\s*"([a-z_]+)"', source))
    names |= {f"headcount_{rank}" for rank in ("constable", "pcso", "sergeant", "inspector")}
    assert names and names <= set(RULE_WORDS), names - set(RULE_WORDS)
