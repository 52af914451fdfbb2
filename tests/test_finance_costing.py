"""The cost model: hand-computed costs to the penny, sourced defaults, broken finance blocks,
and per-ward / per-borough / London totals that reconcile exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_finance_support import make_wards, simple_solve

from planner.errors import ScenarioError
from planner.finance.costing import (
    annual_cost_per_rank,
    cost_rates,
    costs_of_counts,
    headcount_by_fy,
    plan_costs,
    rank_breakdown,
    rank_cost,
    round_pence,
    to_pence,
    unit_costs,
)
from planner.finance.flows import build_phasing
from planner.scenario import RANKS, Scenario, load_scenario
from planner.scenario.finance import finance_of, parse_finance
from planner.scenario.periods import fy_label, fy_of_month, parse_fy, parse_month, parse_quarter, quarter_label

DATA = Path(__file__).resolve().parent / "data" / "finance"
MONTHS = ("2023-04", "2023-09", "2024-01", "2024-04", "2025-04")
APR23, SEP23, JAN24, APR24, APR25 = (parse_month(m) for m in MONTHS)


@pytest.fixture(scope="module")
def hand() -> Scenario:
    return load_scenario(DATA / "hand-case.yaml")


# ------------------------------------------------------------- by hand


def test_constable_itemised_by_hand(hand: Scenario) -> None:
    spec = finance_of(hand)
    c = rank_cost(spec, "constable", APR23)
    # basic 40,000 + LW 2,000 + LA 1,000 + shift 10% = 4,000 -> gross 47,000
    assert (c.basic, c.london_weighting, c.london_allowance) == (40_000, 2_000, 1_000)
    assert c.shift_allowance == 4_000
    assert c.gross == 47_000
    assert c.employer_pension == 12_400.00  # 31% of basic
    assert c.employer_ni == 5_230.20  # 13.8% of (47,000 - 9,100)
    assert c.apprenticeship_levy == 235.00  # 0.5% of 47,000
    assert c.total == 65_365.20  # + non-pay 500
    # 7% award from September 2023: basic 42,800, LW 2,140 (allowance not uprated), shift 4,280
    s = rank_cost(spec, "constable", SEP23)
    assert (s.basic, s.london_weighting, s.london_allowance) == (42_800, 2_140, 1_000)
    assert s.shift_allowance == 4_280
    assert s.employer_pension == 13_268.00
    assert s.employer_ni == 5_674.56  # 13.8% of 41,120
    assert s.apprenticeship_levy == 251.10
    assert s.total == 69_913.66
    # pension 35.3% from April 2024; NI 15% above 5,000 from April 2025
    assert rank_cost(spec, "constable", APR24).employer_pension == 15_108.40
    assert rank_cost(spec, "constable", APR24).total == 71_754.06
    assert rank_cost(spec, "constable", APR25).employer_ni == 6_783.00
    assert rank_cost(spec, "constable", APR25).total == 72_862.50


def test_pcso_pensionable_allowances_and_uprating_by_hand(hand: Scenario) -> None:
    spec = finance_of(hand)
    p = rank_cost(spec, "pcso", APR23)
    assert p.basic == 32_000  # scale point 1 (0-based)
    assert p.gross == 33_800
    assert p.employer_pension == 6_600.00  # 20% of basic + London weighting
    assert p.employer_ni == 3_408.60
    assert p.total == 43_977.60
    j = rank_cost(spec, "pcso", JAN24)  # 10% staff award, allowances uprated too
    assert (j.basic, j.london_weighting, j.london_allowance, j.other_allowances) == (35_200, 1_100, 550, 330)
    assert j.total == 48_500.94


def test_financial_year_costs_by_hand(hand: Scenario) -> None:
    # FY 2023/24 constable: 5 months at 65,365.20 and 7 at 69,913.66, over 12 = 68,018.468 -> .47
    # PCSO: 9 months at 43,977.60 and 3 at 48,500.94 = 45,108.435 -> .44 (half up, exact)
    # sergeant 50,000 basic: 5 x 71,394.20 + 7 x 76,479.70 = 74,360.74
    # inspector mix 0.25 x 60,000 + 0.75 x 62,400 = 61,800: 5 x 88,539.60 + 7 x 94,825.28 = 92,206.25
    assert annual_cost_per_rank(hand) == {
        "constable": 68_018.47,
        "pcso": 45_108.44,
        "sergeant": 74_360.74,
        "inspector": 92_206.25,
    }
    rates = cost_rates(hand)
    assert rates.fy_cost("constable", 2024) == 71_754.06
    assert rates.fy_cost("pcso", 2025) == 49_452.90


def test_multi_year_cash_and_real_by_hand(hand: Scenario) -> None:
    years = headcount_by_fy(cost_rates(hand), {"constable": 10, "pcso": 0})
    assert list(years["fy"]) == ["2023/24", "2024/25", "2025/26"]
    assert list(years["cash"]) == [680_184.70, 717_540.60, 728_625.00]
    # 5% inflation in 2024/25, none in 2025/26, prices of 2023/24
    assert list(years["real"]) == [680_184.70, 683_372.00, 693_928.57]


def test_breakdown_table(hand: Scenario) -> None:
    table = rank_breakdown(hand)
    assert list(table.index) == list(RANKS)
    assert table.loc["constable", "total"] == 65_365.20
    assert table.loc["constable", "one_off_per_joiner"] == 1_500.00


def test_without_pay_block_the_core_keeps_workforce_costs() -> None:
    sc = Scenario(name="plain")
    assert annual_cost_per_rank(sc) is None
    assert unit_costs(sc) == {r: sc.workforce.rank(r).annual_cost for r in RANKS}
    sc2 = Scenario(name="phasing only", finance={"phasing": {}})
    assert annual_cost_per_rank(sc2) is None
    # uprated by the default awards over the horizon (police 7% from September 2023)
    rates = cost_rates(sc)
    assert rates.annual_rate("constable", SEP23) == round_pence(66_000 * 1.07)


def test_defaults_are_valid_and_plausible() -> None:
    costs = annual_cost_per_rank(Scenario(name="d", finance={"pay": {}}))
    assert costs is not None
    assert 50_000 < costs["constable"] < 80_000
    assert 40_000 < costs["pcso"] < 65_000
    assert costs["constable"] < costs["sergeant"] < costs["inspector"]
    spec = parse_finance({"pay": {}, "phasing": {}})
    assert spec.phasing is not None
    assert sum(s.posts for s in spec.phasing.streams) == 1_600
    assert [s.posts for s in spec.phasing.streams] == [500, 1_100]


def test_partial_override_keeps_other_defaults() -> None:
    spec = parse_finance({"pay": {"pcso": {"shift_allowance": 0.2}, "constable": {"basic": 40_000}}})
    assert spec.pay is not None
    assert spec.pay["pcso"].shift_allowance == 0.2
    assert spec.pay["pcso"].basic == 30_507  # default kept
    assert spec.pay["constable"].basic_pay() == 40_000 and spec.pay["constable"].scale is None
    assert spec.pay["constable"].london_allowance == 5_338


# ------------------------------------------------------------- broken


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bad-unknown-key", "finance.pay.constable.basik: unknown key"),
        ("bad-scale-point", "point 5 is beyond the 2-point scale"),
        ("bad-mix-sum", "mix shares must sum to 1"),
        ("bad-pension-scheme", "pay.pcso.pension_scheme: no scheme 'nowhere' in pension"),
        ("bad-quarter", "finance.start: Value error, expected a calendar quarter as YYYYQn"),
        ("bad-fy", "expected a financial year as YYYY/YY"),
        ("bad-attrition", "finance.phasing.ranks.pcso.attrition"),
        ("bad-award-date", "expected a month as YYYY-MM"),
        ("bad-duplicate-stream", "stream names must be unique (repeated: a)"),
        ("bad-not-mapping", "finance.pay: Input should be a valid dictionary"),
    ],
)
def test_broken_finance_blocks_are_reported(name: str, expected: str) -> None:
    with pytest.raises(ScenarioError) as err:
        finance_of(load_scenario(DATA / f"{name}.yaml"))
    text = str(err.value).replace("Value error, ", "")
    assert expected.replace("Value error, ", "") in text
    assert "finance" in text


def test_all_problems_are_reported_at_once() -> None:
    with pytest.raises(ScenarioError) as err:
        parse_finance({"periods": 0, "pay": {"pcso": {"basic": -1}}, "apprenticeship_levy": 2})
    assert len(err.value.problems) == 3
    assert all(p.startswith("finance.") for p in err.value.problems)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bad-stream-outside", "2030Q1 is outside the plan (2023Q2 to 2025Q1)"),
        ("bad-intake-length", "has 2 entries for 4 periods"),
    ],
)
def test_broken_phasing_references(name: str, expected: str) -> None:
    sc = load_scenario(DATA / f"{name}.yaml")
    with pytest.raises(ScenarioError, match=r"finance\.phasing") as err:
        build_phasing(sc, make_wards())
    assert expected in str(err.value)


# ------------------------------------------------------------- periods


def test_period_labels() -> None:
    assert quarter_label(parse_quarter("2023Q2")) == "2023Q2"
    assert fy_of_month(parse_month("2024-03")) == 2023 and fy_of_month(parse_month("2024-04")) == 2024
    assert fy_label(parse_fy("2023/24")) == "2023/24"
    assert fy_label(1999) == "1999/00"
    with pytest.raises(ValueError, match="expected a financial year as YYYY/YY"):
        parse_fy("2023/25")


def test_rounding_is_half_up_to_the_penny() -> None:
    assert round_pence(0.125) == 0.13 and round_pence(2.675) == 2.68 and to_pence(329.025) == 32_903


# ------------------------------------------------------- reconciliation


@settings(max_examples=40, deadline=None)
@given(
    counts=st.lists(st.integers(0, 40), min_size=24, max_size=24),
    sup=st.lists(st.integers(0, 9), min_size=6, max_size=6),
    detailed=st.booleans(),
)
def test_ward_borough_and_total_reconcile_exactly(counts: list[int], sup: list[int], detailed: bool) -> None:
    w = make_wards()
    sc = Scenario(name="r", finance={"pay": {}} if detailed else None)
    c, p = np.array(counts[:12]), np.array(counts[12:])
    pc = costs_of_counts(sc, w, c, p, np.array(sup[:3]), np.array(sup[3:]))
    rates = unit_costs(sc)
    wards, boroughs = pc.ward_table(), pc.borough_table()
    # ward costs are count x rate, to the penny
    assert (wards["cost_constables"] == [round_pence(n * rates["constable"]) for n in c]).all()
    # per-borough = sum of its wards + its supervisors; London = sum of boroughs = sum by rank
    for b in range(3):
        in_b = wards["borough"] == f"Borough {b}"
        expected = to_pence(wards.loc[in_b, "cost"].sum()) + sup[b] * to_pence(rates["sergeant"])
        expected += sup[3 + b] * to_pence(rates["inspector"])
        assert to_pence(boroughs["cost"].loc[b]) == expected
    assert to_pence(boroughs["cost"].sum()) == to_pence(pc.deployed_total)
    heads = (c.sum(), p.sum(), sum(sup[:3]), sum(sup[3:]))
    assert to_pence(pc.deployed_total) == sum(int(n) * to_pence(rates[r]) for r, n in zip(RANKS, heads))
    # everyone in post is paid: the scenario's headcount, or those deployed if more
    posts = [max(int(n), sc.workforce.rank(r).headcount) for r, n in zip(RANKS, heads)]
    assert pc.not_deployed == {r: posts[k] - int(heads[k]) for k, r in enumerate(RANKS)}
    manual = sum(n * to_pence(rates[r]) for r, n in zip(RANKS, posts))
    assert to_pence(pc.total) == manual == to_pence(sum(pc.by_rank.values()))
    assert to_pence(pc.total) == to_pence(pc.deployed_total) + to_pence(pc.idle_row()["cost"])


def test_plan_costs_match_the_plans_borough_table(hand: Scenario) -> None:
    for sc in (Scenario(name="plain"), hand):
        sc = sc.with_changes({"workforce.constable.headcount": 60, "workforce.pcso.headcount": 30})
        plan = simple_solve(sc)
        pc = plan_costs(plan)
        theirs = plan.borough_table()["cost"].to_numpy()
        assert np.array_equal(np.round(theirs), np.round(pc.borough_table()["cost"].to_numpy()))
        assert round(pc.deployed_total) == round(theirs.sum())


SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")) + sorted((SCENARIOS / "finance").glob("*.yaml")))
def test_shipped_scenarios_cost_every_rank_from_the_pay_model(path: Path) -> None:
    """One cost basis: every shipped scenario has finance.pay; the annual_cost shown in its workforce
    block (for reading only) is the pay model's figure to the pound."""
    sc = load_scenario(path)
    assert sc.finance is not None and sc.finance.pay is not None, path.name
    costs = annual_cost_per_rank(sc)
    assert costs is not None
    assert costs == pytest.approx(
        {"constable": 62_407.65, "pcso": 53_938.99, "sergeant": 82_748.84, "inspector": 98_549.62}
    )
    for rank in RANKS:
        assert abs(sc.workforce.rank(rank).annual_cost - costs[rank]) <= 0.5, (path.name, rank)
