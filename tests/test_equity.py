"""The equity lens: deprivation and ethnicity per ward, and the equity table of a plan.

The tiny city (tests/tinycity.py) has ward figures known by hand; the table is
recomputed from the written allocation.csv; London's ward figures are
recomputed from the raw LSOA files with plain pandas.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tinycity import CODES, write_city

from planner.api import load_inputs, load_scenario, solve
from planner.cli import main
from planner.errors import DataError, ScenarioError
from planner.inputs.crime import read_csv_table
from planner.inputs.equity import (
    WardEquity,
    decile_of,
    decile_thresholds,
    read_deprivation,
    read_ethnicity,
    read_lsoa_lookup,
    share_quintiles,
    synthetic_equity,
    ward_equity,
)
from planner.inputs.tables import read_csv_fast
from planner.report.equity import EQUITY_COLUMNS, equity_block, equity_from_allocation, equity_table
from planner.scenario import DeprivationSpec, EthnicitySpec, LsoaLookupSpec, Scenario, scenario_from_dict

GROUPINGS = ["imd_decile", "asian_share_quintile", "black_share_quintile", "white_share_quintile"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    path = write_city(tmp_path_factory.mktemp("tiny"))
    scenario = load_scenario(path)
    return path, scenario, load_inputs(scenario, scenario_dir=path.parent)


# ----------------------------------------------------------------- ward figures


def test_tiny_city_ward_figures_are_the_hand_computed_ones(tiny):
    _, _, inputs = tiny
    eq = inputs.wards.equity.frame().loc[CODES]
    np.testing.assert_allclose(eq["imd_score"], [46.0, 25.0, 10.8, 25.0, 5.75, 15.5])
    assert eq["imd_decile"].tolist() == [1, 4, 8, 4, 10, 6]
    # shares: the group's residents over the ward's residents, both LSOAs together
    asian = [150 / 1000, 300 / 2000, 250 / 2500, 1500 / 3000, 160 / 4000, 600 / 6000]
    np.testing.assert_allclose(eq["share_asian"], asian)
    np.testing.assert_allclose(eq[["share_asian", "share_black", "share_white"]].sum(axis=1), 1.0)


def test_ward_figures_recomputed_from_the_files_independently(tiny):
    path, _, inputs = tiny
    folder = path.parent
    lookup = pd.read_csv(folder / "lookup.csv")
    imd = pd.read_csv(folder / "imd.csv")
    eth = pd.read_csv(folder / "ethnicity.csv")
    residents = eth.groupby("lsoa21_code")["n"].sum().rename("residents")
    lsoa = lookup.merge(imd, left_on="LSOA21CD", right_on="lsoa21_code").join(residents, on="LSOA21CD")
    lsoa["weighted"] = lsoa["IMD_score"] * lsoa["residents"]
    ward = lsoa.groupby("WD25CD")[["weighted", "residents"]].sum()
    expected = (ward["weighted"] / ward["residents"]).loc[inputs.wards.codes].to_numpy()
    np.testing.assert_allclose(inputs.wards.equity.imd_score, expected)


def test_deciles_come_from_the_lsoa_boundaries():
    scores = np.array([50.0, 40.0, 30.0, 27.0, 24.0, 20.0])
    deciles = np.array([1, 2, 3, 3, 4, 5])
    keys, lower = decile_thresholds(scores, deciles)
    assert keys.tolist() == [1, 2, 3, 4, 5]
    np.testing.assert_allclose(lower[:-1], [45.0, 35.0, 25.5, 22.0])
    assert decile_of(np.array([99.0, 45.0, 44.9, 25.5, 25.4, 0.0]), keys, lower).tolist() == [1, 1, 2, 3, 4, 5]


@given(
    share=st.lists(st.floats(0, 1), min_size=1, max_size=40),
    seed=st.integers(0, 2**31 - 1),
)
@settings(max_examples=60, deadline=None)
def test_share_quintiles_cut_residents_into_fifths(share, seed):
    n = len(share)
    residents = np.random.default_rng(seed).integers(1, 1000, n).astype(float)
    codes = np.array([f"W{k:03d}" for k in range(n)])
    q = share_quintiles(np.array(share), residents, codes)
    assert ((q >= 1) & (q <= 5)).all()
    order = np.lexsort((codes, np.array(share)))
    assert (np.diff(q[order]) >= 0).all()  # a larger share never sits in a lower quintile
    middle = (np.cumsum(residents[order]) - residents[order] / 2) / residents.sum()
    assert (q[order] == np.minimum(5, 1 + np.floor(middle * 5))).all()


def test_synthetic_equity_is_deterministic_and_plausible():
    rng = np.random.default_rng(1)
    codes = [f"X{k:04d}" for k in range(200)]
    args = (codes, rng.integers(0, 8, 200), rng.gamma(2.0, 0.05, 200), rng.integers(5000, 15000, 200), 7)
    a, b = synthetic_equity(*args), synthetic_equity(*args)
    assert np.array_equal(a.imd_score, b.imd_score) and np.array_equal(a.shares, b.shares)
    assert a.synthetic and a.has_deprivation and a.has_ethnicity
    np.testing.assert_allclose(a.shares.sum(axis=1), 1.0)
    assert len(set(a.imd_decile)) >= 5


def test_the_demo_gets_labelled_synthetic_equity_and_can_switch_it_off():
    scenario = Scenario(name="small", data={"synthetic": {"wards": 60, "boroughs": 4, "bcus": 2}})
    inputs = load_inputs(scenario)
    assert inputs.wards.equity is not None and inputs.wards.equity.synthetic
    off = load_inputs(scenario.with_changes({"data.synthetic.equity": False}))
    assert off.wards.equity is None
    block = equity_block(off.wards, np.full(60, 2), np.full(60, 1))
    assert block == {"available": False, "reason": block["reason"]} and "data.deprivation" in block["reason"]


# ----------------------------------------------------------------- hostile files


def test_every_bad_deprivation_row_is_named_at_once(test_data_dir: Path):
    with pytest.raises(DataError) as err:
        read_deprivation(test_data_dir / "equity" / "imd_bad.csv", DeprivationSpec(path="x"))
    text = str(err.value)
    for part in ("line 3 (L1a, first on line 2)", "line(s) 4", "line 5 (11)", "line 6 ('2.5')", "line 7 ('abc')"):
        assert part in text, part


def test_every_bad_ethnicity_row_is_named_at_once(test_data_dir: Path):
    with pytest.raises(DataError) as err:
        read_ethnicity(test_data_dir / "equity" / "ethnicity_bad.csv", EthnicitySpec(path="x"))
    text = str(err.value)
    assert "negative at line 3" in text and "line 6 ('six')" in text and "line 4 (L1a, White)" in text


def test_an_lsoa_missing_a_group_is_an_error(test_data_dir: Path):
    with pytest.raises(DataError, match="L1b has no 'Black' row"):
        read_ethnicity(test_data_dir / "equity" / "ethnicity_gap.csv", EthnicitySpec(path="x"))


def test_bad_lookup_rows_are_named(test_data_dir: Path):
    with pytest.raises(DataError) as err:
        read_lsoa_lookup(test_data_dir / "equity" / "lookup_bad.csv", LsoaLookupSpec(path="x"))
    assert "empty ward code at line(s) 3" in str(err.value) and "line 4 (L1a, first on line 2)" in str(err.value)


def test_a_missing_column_names_the_setting(tmp_path: Path):
    (tmp_path / "imd.csv").write_text("lsoa21_code,score\nL1a,3\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"data\.deprivation"):
        read_deprivation(tmp_path / "imd.csv", DeprivationSpec(path="x"))


def test_a_planned_ward_without_lsoas_and_an_lsoa_without_data_are_errors():
    lookup = pd.Series(["W1", "W1", "W2"], index=pd.Index(["a", "b", "c"]))
    dep = pd.DataFrame({"score": [1.0, 2.0, 3.0], "decile": [3, 2, 1]}, index=pd.Index(["a", "b", "c"]))
    weights = pd.Series([1.0, 1.0, 1.0], index=dep.index)
    with pytest.raises(DataError, match=r"1 planned ward.*W3"):
        ward_equity(["W1", "W2", "W3"], lookup, deprivation=dep, weights=weights)
    with pytest.raises(DataError, match="no deprivation row: c"):
        ward_equity(["W1", "W2"], lookup, deprivation=dep.iloc[:2], weights=weights)


def test_the_schema_asks_for_the_lookup_and_weights():
    with pytest.raises(ScenarioError, match="lsoa_lookup"):
        scenario_from_dict({"name": "x", "data": {"deprivation": {"path": "imd.csv"}}})
    with pytest.raises(ScenarioError, match="residents per LSOA"):
        scenario_from_dict({"name": "x", "data": {"lsoa_lookup": {"path": "l.csv"}, "deprivation": {"path": "i.csv"}}})


# ----------------------------------------------------------------- fast reader


def test_the_fast_reader_matches_the_exact_one_on_awkward_files(test_data_dir: Path):
    path = test_data_dir / "equity" / "quoted_breaks.csv"
    fast = read_csv_fast(path, "file", ["code", "name", "value"], "x")
    exact = read_csv_table(path, "file")
    assert fast.lines.tolist() == exact.lines.tolist() == [2, 4, 6]
    assert fast.frame.astype(str).values.tolist() == exact.frame.astype(str).values.tolist()


cell = st.text(alphabet=st.sampled_from(list('ab ,"\n1.5')), max_size=6)


@given(rows=st.lists(st.tuples(cell, cell, cell), min_size=1, max_size=8), blank=st.integers(0, 8))
@settings(max_examples=80, deadline=None)
def test_the_fast_reader_agrees_with_the_exact_one(tmp_path_factory, rows, blank):
    path = tmp_path_factory.mktemp("csv") / "t.csv"
    frame = pd.DataFrame(rows, columns=["a", "b", "c"])
    text = frame.to_csv(index=False)
    lines = text.split("\n")
    lines.insert(min(blank, len(lines) - 1) + 1, "")  # a blank line somewhere after the header
    path.write_text("\n".join(lines), encoding="utf-8")
    try:
        exact = read_csv_table(path, "file")
    except DataError:
        return
    if len(exact.frame) == 0:
        return
    fast = read_csv_fast(path, "file", ["a", "b", "c"], "x")
    assert fast.lines.tolist() == exact.lines.tolist()
    assert fast.frame.astype(str).values.tolist() == exact.frame[["a", "b", "c"]].astype(str).values.tolist()


# ----------------------------------------------------------------- the table


def _recompute(allocation: pd.DataFrame, groups: pd.DataFrame, grouping: str) -> pd.DataFrame:
    joined = allocation.set_index("ward_code").join(groups[grouping])
    joined["officers"] = joined["constables"] + joined["pcsos"]
    cols = ["population", "need", "harm", "constables", "pcsos", "officers"]
    return joined.groupby(grouping)[cols].sum().assign(wards=joined.groupby(grouping).size())


def test_equity_csv_reconciles_with_allocation_csv_to_the_person(tiny, tmp_path: Path):
    path, _, inputs = tiny
    assert main(["solve", str(path), "--out", str(tmp_path)]) == 0
    allocation = pd.read_csv(tmp_path / "allocation.csv", dtype={"ward_code": str})
    table = pd.read_csv(tmp_path / "equity.csv")
    summary = json.loads((tmp_path / "summary.json").read_text())["equity"]
    assert table.columns.tolist() == EQUITY_COLUMNS
    assert sorted(table["grouping"].unique()) == sorted(GROUPINGS)
    groups = inputs.wards.equity.frame()
    for grouping in GROUPINGS:
        rows = table[table["grouping"] == grouping].set_index("group")
        expected = _recompute(allocation, groups, grouping)
        assert rows["residents"].sum() == allocation["population"].sum()
        assert rows["officers"].sum() == allocation["constables"].sum() + allocation["pcsos"].sum()
        for col in ("constables", "pcsos", "officers", "wards"):
            assert rows[col].tolist() == expected[col].tolist(), (grouping, col)
        np.testing.assert_allclose(rows["residents"], expected["population"])
        np.testing.assert_allclose(rows["need"], expected["need"])
        london_per_need = expected["officers"].sum() / expected["need"].sum()
        np.testing.assert_allclose(rows["need_index"], expected["officers"] / expected["need"] / london_per_need)
        np.testing.assert_allclose(
            rows["officers_per_1000_residents"], 1000 * expected["officers"] / expected["population"]
        )
    assert summary["available"] and not summary["synthetic"]
    assert summary["london"]["officers"] == int(allocation["constables"].sum() + allocation["pcsos"].sum())
    decile_rows = summary["groupings"]["imd_decile"]["rows"]
    assert [r["group"] for r in decile_rows] == [1, 4, 6, 8, 10]
    assert summary["largest_need_index_gap"]["imd_decile"] == pytest.approx(
        max(abs(r["need_index"] - 1) for r in decile_rows)
    )


@given(data=st.data())
@settings(max_examples=40, deadline=None)
def test_every_grouping_adds_up_to_london_for_any_deployment(tiny, data):
    _, _, inputs = tiny
    w = inputs.wards
    x = np.array(data.draw(st.lists(st.integers(0, 10**6), min_size=6, max_size=6)))
    p = np.array(data.draw(st.lists(st.integers(0, 10**6), min_size=6, max_size=6)))
    table = equity_table(w, x, p)
    assert table is not None
    for _, rows in table.groupby("grouping"):
        assert rows["officers"].sum() == x.sum() + p.sum()
        assert rows["wards"].sum() == 6
        assert rows["residents"].sum() == w.population.sum()
    by_allocation = equity_from_allocation(w, pd.DataFrame({"ward_code": w.codes[::-1], "constables": x[::-1],
                                                            "pcsos": p[::-1]}))  # fmt: skip
    assert by_allocation is not None
    pd.testing.assert_frame_equal(table, by_allocation)


def test_a_deployment_of_the_wrong_length_is_refused(tiny):
    _, _, inputs = tiny
    with pytest.raises(DataError, match="6 wards"):
        equity_table(inputs.wards, np.ones(5), np.ones(6))
    with pytest.raises(DataError, match="no allocation row"):
        equity_from_allocation(inputs.wards, pd.DataFrame({"ward_code": CODES[:5], "constables": 1, "pcsos": 1}))


def test_equity_data_must_follow_the_ward_order(tiny):
    _, _, inputs = tiny
    eq = inputs.wards.equity
    shuffled = WardEquity(**{**eq.__dict__, "codes": eq.codes[::-1]})
    with pytest.raises(DataError, match="same ward order"):
        replace(inputs.wards, equity=shuffled)


# ----------------------------------------------------------------- real London


def test_london_equity_from_the_raw_files(london_data_dir: Path, scenarios_dir: Path, tmp_path: Path):
    scenario = load_scenario(scenarios_dir / "london-2022.yaml")
    inputs = load_inputs(scenario, london_data_dir, scenario_dir=scenarios_dir)
    eq = inputs.wards.equity
    assert eq is not None
    assert eq.has_deprivation and eq.has_ethnicity and len(eq.codes) == 679
    lookup = pd.read_csv(london_data_dir / "lsoa21_to_ward_bestfit_london.csv")
    imd = pd.read_csv(london_data_dir / "imd2025_lsoa21_london.csv")
    age = pd.read_csv(london_data_dir / "census2021_ts007a_age_lsoa_london.csv")
    eth = pd.read_csv(london_data_dir / "census2021_ts021_ethnic5_lsoa21_london.csv")
    lsoa = lookup.merge(imd, left_on="LSOA21CD", right_on="lsoa21_code").merge(
        age, left_on="LSOA21CD", right_on="geography code"
    )
    assert not lsoa["LAD25CD"].eq("E09000001").loc[lsoa["WD25CD"].isin(eq.codes)].any()  # City is not Met
    lsoa["w"] = lsoa["IMD_score"] * lsoa["Age: Total"]
    ward = lsoa.groupby("WD25CD")[["w", "Age: Total"]].sum()
    np.testing.assert_allclose(eq.imd_score, (ward["w"] / ward["Age: Total"]).loc[eq.codes], rtol=1e-12)
    black = eth[eth["ethnic_group"].str.startswith("Black")].merge(lookup, left_on="lsoa21_code", right_on="LSOA21CD")
    alln = eth.merge(lookup, left_on="lsoa21_code", right_on="LSOA21CD").groupby("WD25CD")["n"].sum()
    np.testing.assert_allclose(eq.share("black"), (black.groupby("WD25CD")["n"].sum() / alln).loc[eq.codes])
    # national deciles: a ward's decile holds LSOAs with scores on both sides of the ward's score
    for k in range(1, 11):
        inside = imd.loc[imd["IMD_decile"] == k, "IMD_score"]
        scores = eq.imd_score[eq.imd_decile == k]
        assert ((scores >= inside.min() - 2) & (scores <= inside.max() + 2)).all(), k
    plan = solve(scenario, london_data_dir, inputs=inputs, scenario_dir=scenarios_dir)
    table = equity_table(plan.wards, plan.constables, plan.pcsos)
    assert table is not None
    for _, rows in table.groupby("grouping"):
        assert rows["officers"].sum() == plan.totals["constable"] + plan.totals["pcso"]
        assert rows["residents"].sum() == inputs.wards.population.sum()
