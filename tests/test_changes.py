"""Change from today, counted the way forces count it, and the stability rules that limit it.

Moved, added and removed are recomputed from ``before`` and ``after`` alone;
changes.csv and the summary's ``changes`` block are recomputed from the files
a solve writes; ``data.current: {scenario: FILE}`` is solved once and kept;
the moves limits and borough damping hold on the plan and explain themselves.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import planner
from planner.errors import InfeasibleError, ScenarioError
from planner.report.changes import RankChange
from planner.report.outputs import write_plan
from planner.scenario import load_scenario

TEST_DATA = Path(__file__).resolve().parent / "data"
CLI = TEST_DATA / "cli"


# ----------------------------------------------------------------- the accounting


@settings(max_examples=200, deadline=None)
@given(data=st.data(), n=st.integers(1, 12))
def test_every_ward_reconciles_and_london_counts_moves_once(data, n) -> None:
    before = np.array(data.draw(st.lists(st.integers(0, 30), min_size=n, max_size=n)))
    after = np.array(data.draw(st.lists(st.integers(0, 30), min_size=n, max_size=n)))
    c = RankChange.between(before, after)
    assert (before + c.moved_in + c.added - c.moved_out - c.removed == after).all()
    for arr in (c.moved_in, c.moved_out, c.added, c.removed):
        assert arr.dtype.kind == "i" and (arr >= 0).all()
    gain, loss = np.maximum(after - before, 0), np.maximum(before - after, 0)
    # a ward either gains or loses, never both; moves in and out balance London-wide
    assert (c.moved_in <= gain).all() and (c.moved_out <= loss).all()
    assert c.moved_in.sum() == c.moved_out.sum() == min(gain.sum(), loss.sum())
    grown = after.sum() >= before.sum()
    assert c.added.sum() == (after.sum() - before.sum() if grown else 0)
    assert c.removed.sum() == (0 if grown else before.sum() - after.sum())


def test_new_posts_are_never_moves() -> None:
    c = RankChange.between(np.array([2, 2, 2]), np.array([4, 3, 2]))
    assert c.totals() == {"before": 6, "after": 9, "moved": 0, "added": 3, "removed": 0}
    c = RankChange.between(np.array([5, 1, 2]), np.array([2, 4, 1]))  # 3 move from ward 0 to ward 1, 1 post lost
    assert c.totals() == {"before": 8, "after": 7, "moved": 3, "added": 0, "removed": 1}
    assert c.moved_in.tolist() == [0, 3, 0] and c.moved_out.sum() == 3 and c.removed.sum() == 1


# ----------------------------------------------------------------- end to end on the four-ward city


def _solve(path: Path, tmp_path: Path, **changes: object) -> planner.Plan:
    scenario = load_scenario(path)
    if changes:
        scenario = scenario.with_changes(changes)
    return planner.solve(scenario, scenario_dir=path.parent)


def test_changes_csv_and_summary_recompute_from_the_files(tmp_path: Path) -> None:
    plan = _solve(TEST_DATA / "current" / "tiny_current.yaml", tmp_path, **{"workforce.pcso.headcount": 12})
    files = write_plan(plan, tmp_path / "out")
    assert tmp_path / "out" / "changes.csv" in files
    changes = pd.read_csv(tmp_path / "out" / "changes.csv", dtype={"ward_code": str})
    alloc = pd.read_csv(tmp_path / "out" / "allocation.csv", dtype={"ward_code": str}).set_index("ward_code")
    today = pd.read_csv(TEST_DATA / "current" / "ok_allocation.csv", dtype={"ward_code": str}).set_index("ward_code")
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    c = changes.set_index("ward_code")
    for rank in ("constables", "pcsos"):
        assert (c[f"{rank}_before"] == today.loc[c.index, rank]).all()
        assert (c[f"{rank}_after"] == alloc.loc[c.index, rank]).all()
        recon = c[f"{rank}_before"] + c[f"{rank}_moved_in"] + c[f"{rank}_added"] - c[f"{rank}_moved_out"]
        assert (recon - c[f"{rank}_removed"] == c[f"{rank}_after"]).all()
        block = summary["changes"][rank]
        assert block["before"] == int(c[f"{rank}_before"].sum()) and block["after"] == int(c[f"{rank}_after"].sum())
        assert block["moved"] == int(c[f"{rank}_moved_out"].sum()) == int(c[f"{rank}_moved_in"].sum())
        assert block["added"] == int(c[f"{rank}_added"].sum()) and block["removed"] == int(c[f"{rank}_removed"].sum())
    # 12 PCSOs where today has fewer: the extra are added, not moved
    assert summary["changes"]["pcsos"]["added"] == 12 - int(today["pcsos"].sum())


def test_the_moves_limit_holds_and_filling_new_posts_is_free(tmp_path: Path) -> None:
    free = _solve(TEST_DATA / "current" / "tiny_current.yaml", tmp_path, **{"workforce.pcso.headcount": 12})
    held = _solve(
        TEST_DATA / "current" / "tiny_current.yaml",
        tmp_path,
        **{"workforce.pcso.headcount": 12, "rules.stability.max_total_moves": 0},
    )
    assert held.problem.moves(held.constables, held.pcsos) == 0
    assert int(held.pcsos.sum()) == 12  # every new post filled although nobody may move
    assert all(held.check().values())
    assert held.objective <= free.objective + 1e-9


def test_borough_damping_keeps_each_borough_near_today(tmp_path: Path) -> None:
    plan = _solve(TEST_DATA / "current" / "tiny_current.yaml", tmp_path, **{"rules.borough_damping.no_losers": True})
    today = plan.current
    assert today is not None
    nb = plan.wards.n_boroughs
    for before, after in ((today.constables, plan.constables), (today.pcsos, plan.pcsos)):
        b0 = np.bincount(plan.wards.borough, weights=before, minlength=nb)
        b1 = np.bincount(plan.wards.borough, weights=after, minlength=nb)
        assert (b1 >= b0).all()
    assert plan.check()["borough_damping"]


def test_damping_that_headcount_cannot_meet_is_explained() -> None:
    scenario = load_scenario(TEST_DATA / "current" / "tiny_current.yaml").with_changes(
        {"rules.borough_damping.no_losers": True, "workforce.constable.headcount": 20}
    )
    today = planner.load_inputs(scenario, scenario_dir=TEST_DATA / "current").current
    assert today is not None
    cut = scenario.with_changes({"workforce.constable.headcount": int(today.constables.sum()) - 1})
    with pytest.raises((InfeasibleError, planner.DataError)) as err:
        planner.solve(cut, scenario_dir=TEST_DATA / "current")
    assert "constables" in str(err.value)


# ----------------------------------------------------------------- {scenario: FILE}


def test_the_plan_of_another_scenario_is_today_and_is_kept(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PLANNER_CACHE_DIR", str(tmp_path / "cache"))
    path = TEST_DATA / "current" / "tiny_from_scenario.yaml"
    plan = planner.solve(path)
    base = planner.solve(CLI / "tiny.yaml")
    assert plan.current is not None
    assert np.array_equal(plan.current.constables, base.constables)
    assert np.array_equal(plan.current.pcsos, base.pcsos)
    assert plan.current.sergeants is not None and np.array_equal(plan.current.sergeants, base.sergeants)
    kept = list((tmp_path / "cache" / "plans").glob("*.npz"))
    assert len(kept) == 1
    again = planner.solve(path)  # the kept plan is read back, not solved again
    assert np.array_equal(again.current.constables, plan.current.constables)  # type: ignore[union-attr]
    assert list((tmp_path / "cache" / "plans").glob("*.npz")) == kept


def test_scenarios_that_name_each_other_in_a_loop_are_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PLANNER_CACHE", "off")
    text = (TEST_DATA / "current" / "tiny_from_scenario.yaml").read_text()
    for name, other in (("a.yaml", "b.yaml"), ("b.yaml", "a.yaml")):
        body = text.replace("{scenario: ../cli/tiny.yaml}", "{scenario: " + other + "}")
        body = body.replace("../cli/", str(CLI) + "/")
        (tmp_path / name).write_text(body)
    with pytest.raises(ScenarioError, match=r"names scenarios in a loop: b\.yaml -> a\.yaml -> b\.yaml"):
        planner.solve(tmp_path / "a.yaml")


# ----------------------------------------------------------------- move threshold, windows, planner stability


def test_a_move_threshold_moves_only_what_pays(tmp_path: Path) -> None:
    path = TEST_DATA / "current" / "tiny_current.yaml"
    free = _solve(path, tmp_path)
    held = _solve(path, tmp_path, **{"rules.stability.move_threshold": 10.0})
    assert held.problem.move_cost > 0
    assert held.problem.moves(held.constables, held.pcsos) <= free.problem.moves(free.constables, free.pcsos)
    assert held.problem.moves(held.constables, held.pcsos) == 0  # nothing gains ten constables' worth
    assert held.gap <= 1e-4 and all(held.check().values())


def test_window_bounds_step_back_from_the_last_month() -> None:
    from planner.inputs.need import window_bounds
    from planner.scenario import NeedWindows

    months = [202404 + k for k in range(9)] + [202501 + k for k in range(12)] + [202601, 202602, 202603]
    got = window_bounds(months, NeedWindows(months=12, every=6))
    assert got == [(202504, 202603), (202410, 202509), (202404, 202503)]
    assert window_bounds(months, NeedWindows(months=25, every=1)) == []


def test_need_over_windows_is_the_mean_or_the_lowest_of_the_windows() -> None:
    scenario = load_scenario(CLI / "tiny.yaml")
    one = [
        planner.load_inputs(scenario.with_changes({"data.crime.months": {"start": m, "end": m}}), scenario_dir=CLI)
        for m in (202402, 202403)
    ]
    for combine, pick in (("mean", np.mean), ("worst", np.min)):
        windowed = scenario.with_changes({"need.windows": {"months": 1, "every": 1, "combine": combine}})
        got = planner.load_inputs(windowed.with_changes({"data.crime.months": {"start": 202402, "end": 202403}}),
                                  scenario_dir=CLI)  # fmt: skip
        expected = pick(np.stack([i.wards.need for i in one]), axis=0)
        assert np.allclose(got.wards.need, expected)
        assert any("windows of 1 months" in note for note in got.wards.notes)


def test_planner_stability_reports_moves_for_each_shift(tmp_path: Path) -> None:
    from planner.cli import main

    code = main(
        ["stability", str(CLI / "tiny.yaml"), "--out", str(tmp_path / "st"), "--shifts", "1,2", "--months", "1"]
    )
    assert code == 0
    table = pd.read_csv(tmp_path / "st" / "stability.csv")
    assert table["shift_months"].tolist() == [1, 2]
    assert (table["later_window"] == "202403-202403").all()
    assert (table["constables_moved_stable"] <= table["constables_moved_free"]).all()
    assert (table["value_kept_pct"] <= 100.0 + 1e-9).all()
    assert main(["stability", str(CLI / "tiny.yaml"), "--out", str(tmp_path / "x"), "--shifts", "5"]) == 2
