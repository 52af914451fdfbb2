"""The current deployment (``data.current``): read, checked, wired into the inputs.

Broken files live in ``tests/data/current/`` (one fault each); every message must
name the file and the line at fault. The four-ward test city is
``tests/data/cli/tiny.yaml``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.errors import DataError, ScenarioError
from planner.inputs.current import MAX_PEOPLE, CurrentDeployment, check_headcount, read_current
from planner.inputs.data import WardData
from planner.inputs.loader import load_inputs
from planner.scenario import load_scenario, scenario_from_dict

HERE = Path(__file__).resolve().parent / "data" / "current"
CLI = Path(__file__).resolve().parent / "data" / "cli"
HEADCOUNT = {"constable": 20, "pcso": 8, "sergeant": 4, "inspector": 2}


@pytest.fixture(scope="module")
def tiny():
    scenario = load_scenario(CLI / "tiny.yaml")
    return scenario, load_inputs(scenario, None, scenario_dir=CLI)


@pytest.fixture(scope="module")
def wards(tiny) -> WardData:
    return tiny[1].wards


def by_code(wards: WardData, values: np.ndarray) -> dict[str, int]:
    return dict(zip(wards.codes.tolist(), values.tolist()))


def by_borough(wards: WardData, values: np.ndarray | None) -> dict[str, int] | None:
    return None if values is None else dict(zip(wards.borough_names.tolist(), values.tolist()))


# ------------------------------------------------------------------ good files


def test_ward_file_in_ward_order(wards):
    cur = read_current(HERE / "ok_wards.csv", wards, headcount=HEADCOUNT)
    assert list(cur.codes) == list(wards.codes)
    assert by_code(wards, cur.constables) == {"E05999991": 3, "E05999992": 2, "E05999993": 4, "E05999994": 2}
    assert by_code(wards, cur.pcsos) == {"E05999991": 1, "E05999992": 2, "E05999993": 1, "E05999994": 1}
    assert cur.sergeants is None and cur.inspectors is None
    assert cur.totals() == {"constable": 11, "pcso": 5, "sergeant": None, "inspector": None}
    assert cur.baseline[0] is cur.constables and cur.baseline[1] is cur.pcsos
    with pytest.raises(ValueError, match="read-only"):
        cur.constables[0] = 99
    assert cur.ward_frame().loc["E05999993", "constables"] == 4


def test_a_solve_output_pair_with_extra_columns(wards):
    """allocation.csv + boroughs.csv as planner solve writes them; later columns are ignored, 3.0 is 3."""
    cur = read_current(HERE / "ok_allocation.csv", wards, boroughs=HERE / "ok_boroughs.csv", headcount=HEADCOUNT)
    assert by_code(wards, cur.constables)["E05999991"] == 3
    assert cur.totals() == {"constable": 11, "pcso": 5, "sergeant": 3, "inspector": 2}
    assert by_borough(wards, cur.sergeants) == {"West Testborough": 2, "East Testborough": 1}
    assert cur.sources == (str(HERE / "ok_allocation.csv"), str(HERE / "ok_boroughs.csv"))


def test_supervisors_per_ward_are_summed_by_borough(wards):
    cur = read_current(HERE / "ok_wards_supervisors.csv", wards)
    # West = wards 1 and 3, East = wards 2 and 4
    assert by_borough(wards, cur.sergeants) == {"West Testborough": 2, "East Testborough": 1}
    assert by_borough(wards, cur.inspectors) == {"West Testborough": 1, "East Testborough": 1}


def test_borough_file_by_code_with_one_rank(wards):
    cur = read_current(HERE / "ok_wards.csv", wards, boroughs=HERE / "ok_boroughs_by_code.csv")
    assert by_borough(wards, cur.sergeants) == {"West Testborough": 2, "East Testborough": 1}
    assert cur.inspectors is None


def test_any_earlier_plan_reads_back(tiny, tmp_path):
    """What planner solve writes is a current deployment, equal to the plan it came from."""
    from planner.api import solve
    from planner.report.outputs import write_plan

    scenario, inputs = tiny
    plan = solve(scenario, inputs=inputs, scenario_dir=CLI)
    write_plan(plan, tmp_path)
    cur = read_current(tmp_path / "allocation.csv", inputs.wards, boroughs=tmp_path / "boroughs.csv")
    np.testing.assert_array_equal(cur.constables, plan.constables)
    np.testing.assert_array_equal(cur.pcsos, plan.pcsos)
    np.testing.assert_array_equal(cur.sergeants, plan.sergeants)
    np.testing.assert_array_equal(cur.inspectors, plan.inspectors)


# ------------------------------------------------------------------ broken files


@pytest.mark.parametrize(
    ("name", "fragments"),
    [
        ("unknown_ward.csv", ["line 6: ward 'E05000001' is not one of the 4 planned wards"]),
        ("missing_ward.csv", ["1 planned wards have no row: E05999993 (Test Ward 3)"]),
        ("duplicate_ward.csv", ["line 5: ward E05999992 is listed again (first on line 3)"]),
        ("negative.csv", ["column 'pcsos' is negative on line 3 ('-1')"]),
        (
            "non_integer.csv",
            ["column 'constables' is not a number on line 4 ('four')", "is not a whole number on line 3 ('2.5')"],
        ),
        ("above_headcount.csv", ["21 constables in all, above the scenario's headcount of 20"]),
        ("missing_column.csv", ["header (line 1): column(s) 'pcsos' not found (found: ward_code, constables)"]),
        ("header_only.csv", ["the file has a header but no data rows"]),
    ],
)
def test_broken_ward_files(wards, name, fragments):
    with pytest.raises(DataError) as err:
        read_current(HERE / name, wards, headcount=HEADCOUNT)
    text = str(err.value)
    assert text.startswith(str(HERE / name))
    for fragment in fragments:
        assert fragment in text


def test_every_problem_at_once(wards):
    with pytest.raises(DataError) as err:
        read_current(HERE / "many_errors.csv", wards, headcount=HEADCOUNT)
    problems = err.value.problems
    expected = [
        "line 5: column 'ward_code' is empty",
        "line 4: ward 'E05999995' is not one of the 4 planned wards",
        "line 3: ward E05999991 is listed again (first on line 2)",
        "2 planned wards have no row: E05999993 (Test Ward 3), E05999992 (Test Ward 2)",
        "column 'constables' is negative on line 2 ('-3')",
        "column 'pcsos' is not a number on line 6 ('x')",
    ]
    for fragment in expected:
        assert any(fragment in p for p in problems), (fragment, problems)
    assert len(problems) == len(expected)


@pytest.mark.parametrize(
    ("name", "fragments"),
    [
        ("boroughs_unknown.csv", ["line 3: borough 'North Testborough' is not one of the 2 planned boroughs",
                                  "1 planned boroughs have no row: East Testborough (E09999992)"]),
        ("boroughs_mismatch.csv", ["line 3: borough West Testborough has 8 constables but the ward file's wards "
                                   "in it have 7", "6 sergeants in all, above the scenario's headcount of 4"]),
    ],
)  # fmt: skip
def test_broken_borough_files(wards, name, fragments):
    with pytest.raises(DataError) as err:
        read_current(HERE / "ok_wards.csv", wards, boroughs=HERE / name, headcount=HEADCOUNT)
    assert str(err.value).startswith(str(HERE / name))  # every problem is in the borough file
    for fragment in fragments:
        assert fragment in str(err.value)


def test_a_rank_given_twice(wards):
    with pytest.raises(DataError, match=r"sergeants are given both per ward in .* and per borough in"):
        read_current(HERE / "ok_wards_supervisors.csv", wards, boroughs=HERE / "ok_boroughs.csv")


def test_problems_in_both_files_are_named_by_file(wards):
    with pytest.raises(DataError) as err:
        read_current(HERE / "negative.csv", wards, boroughs=HERE / "boroughs_unknown.csv")
    text = str(err.value)
    assert text.startswith("current deployment: 3 problems")
    assert f"{HERE / 'negative.csv'}: column 'pcsos' is negative on line 3" in text
    assert f"{HERE / 'boroughs_unknown.csv'}: line 3: borough 'North Testborough'" in text


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_fifo_and_folder_are_refused_without_waiting(wards, tmp_path):
    fifo = tmp_path / "current.csv"
    os.mkfifo(fifo)  # opening it would block for ever: the reader must not open it
    with pytest.raises(DataError, match="is a pipe \\(FIFO\\), not an ordinary file"):
        read_current(fifo, wards)
    with pytest.raises(DataError, match="is a folder, not a file; name the CSV inside it"):
        read_current(tmp_path, wards)
    with pytest.raises(DataError, match="not found"):
        read_current(tmp_path / "absent.csv", wards)
    with pytest.raises(DataError, match="current borough file is a pipe \\(FIFO\\), not an ordinary file"):
        read_current(HERE / "ok_wards.csv", wards, boroughs=fifo)


def test_built_from_arrays_is_checked(wards):
    within = CurrentDeployment(
        wards.codes, wards.borough_codes, np.array([5, 5, 5, 5]), np.array([2, 2, 2, 2]), inspectors=np.array([1, 1])
    )
    check_headcount(within, HEADCOUNT)  # exactly 20 constables, 8 PCSOs, 2 inspectors: allowed
    plan = CurrentDeployment(
        wards.codes, wards.borough_codes, np.array([5, 5, 5, 5]), np.array([1, 1, 1, 1]), sergeants=np.array([3, 2])
    )
    with pytest.raises(DataError, match=r"^plan of x\.yaml: 5 sergeants in all, above the scenario's headcount of 4"):
        check_headcount(plan, HEADCOUNT, "plan of x.yaml")
    with pytest.raises(DataError, match=r"constables has shape \(3,\), expected \(4,\)"):
        CurrentDeployment(wards.codes, wards.borough_codes, np.ones(3), np.ones(4))
    with pytest.raises(DataError, match="pcsos has values outside"):
        CurrentDeployment(wards.codes, wards.borough_codes, np.ones(4), -np.ones(4))


@settings(max_examples=40, deadline=None)
@given(
    counts=st.lists(st.integers(0, MAX_PEOPLE), min_size=8, max_size=8),
    order=st.permutations(range(4)),
    bad=st.sampled_from(["", "-1", "1.5", "nan", "inf", "1e7", "two", str(MAX_PEOPLE + 1)]),
    where=st.tuples(st.integers(0, 3), st.sampled_from(["constables", "pcsos"])),
)
def test_round_trip_and_one_bad_cell(tmp_path_factory, wards, counts, order, bad, where):
    """Any whole counts in any row order read back exactly; one bad cell is named by its line."""
    tmp = tmp_path_factory.mktemp("rt")
    frame = pd.DataFrame({"ward_code": wards.codes, "constables": counts[:4], "pcsos": counts[4:]}).iloc[list(order)]
    frame.to_csv(tmp / "ok.csv", index=False)
    cur = read_current(tmp / "ok.csv", wards)
    assert cur.constables.tolist() == counts[:4] and cur.pcsos.tolist() == counts[4:]
    broken = frame.astype(str)
    row, column = where
    at = broken.columns.get_loc(column)
    assert isinstance(at, int)  # the columns are unique
    broken.iloc[row, at] = bad
    broken.to_csv(tmp / "bad.csv", index=False)
    with pytest.raises(DataError) as err:
        read_current(tmp / "bad.csv", wards)
    assert len(err.value.problems) == 1
    assert f"column {column!r}" in err.value.problems[0] and f"line {row + 2} " in err.value.problems[0] + " "


# ------------------------------------------------------------------ scenario and loader


def test_scenario_forms_round_trip():
    for form in ("a.csv", {"path": "a.csv", "boroughs": "b.csv"}, {"scenario": "london-2022.yaml"}):
        s = scenario_from_dict({"name": "x", "data": {"current": form}})
        again = scenario_from_dict(s.to_dict())
        assert again == s and again.data.current == s.data.current
    current = scenario_from_dict({"name": "x", "data": {"current": "a.csv"}}).data.current
    assert current is not None and current.path == "a.csv"


@pytest.mark.parametrize(
    ("form", "fragment"),
    [
        ({"path": "a.csv", "scenario": "s.yaml"}, "data.current: give either a CSV (path) or a scenario"),
        ({}, "data.current: give either a CSV (path) or a scenario"),
        ({"scenario": "s.yaml", "boroughs": "b.csv"}, "data.current: boroughs goes with path"),
        (7, "data.current: expected a CSV path, {path: FILE, boroughs: FILE} or {scenario: FILE}"),
        ({"file": "a.csv"}, "data.current.file: unknown key"),
        ("", "data.current.path: String should have at least 1 character"),
    ],
)
def test_bad_scenario_forms(form, fragment):
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict({"name": "x", "data": {"current": form}})
    assert fragment in str(err.value)


def test_old_baseline_key_says_where_it_went():
    with pytest.raises(ScenarioError) as err:
        load_scenario(HERE / "old_baseline_key.yaml")
    assert "rules.stability: baseline has moved to data.current: write `data: {current: ok_wards.csv}`" in str(
        err.value
    )


def test_loader_reads_the_pair_and_keeps_baseline_working():
    scenario = load_scenario(HERE / "tiny_current.yaml")
    inputs = load_inputs(scenario, None, scenario_dir=HERE)
    assert inputs.current is not None and inputs.current_scenario is None
    assert inputs.current.totals() == {"constable": 11, "pcso": 5, "sergeant": 3, "inspector": 2}
    assert inputs.baseline is not None
    x, p = inputs.baseline
    np.testing.assert_array_equal(x, inputs.current.constables)
    np.testing.assert_array_equal(p, inputs.current.pcsos)
    # the current deployment counts in the input digest, and changing it does not reload the wards
    other = scenario.with_changes({"data.current": str(HERE / "ok_wards.csv")})
    again = load_inputs(other, None, scenario_dir=HERE, reuse=inputs)
    assert again.geography is inputs.geography and again.digest != inputs.digest
    assert again.current is not None and again.current.sergeants is None


def test_loader_rechecks_headcount_on_reuse():
    scenario = load_scenario(HERE / "tiny_current.yaml")
    inputs = load_inputs(scenario, None, scenario_dir=HERE)
    cut = scenario.with_changes({"workforce.constable.headcount": 10})
    with pytest.raises(DataError, match=r"11 constables in all, above the scenario's headcount of 10 "):
        load_inputs(cut, None, scenario_dir=HERE, reuse=inputs)


def test_solver_runs_from_the_current_deployment():
    """Until the stability rules move over, the solver sees the current deployment as its baseline."""
    from planner.api import solve

    scenario = load_scenario(HERE / "tiny_current.yaml").with_changes({"rules.stability.max_total_moves": 0})
    inputs = load_inputs(scenario, None, scenario_dir=HERE)
    plan = solve(scenario, inputs=inputs, scenario_dir=HERE)
    assert inputs.current is not None
    np.testing.assert_array_equal(plan.problem.base_x, inputs.current.constables)
    assert plan.check()["stability"]


def test_scenario_reference_is_resolved_not_solved(tmp_path):
    scenario = load_scenario(HERE / "tiny_from_scenario.yaml")
    inputs = load_inputs(scenario, None, scenario_dir=HERE)
    assert inputs.current is None and inputs.baseline is None
    assert inputs.current_scenario is not None
    assert inputs.current_scenario.resolve() == (CLI / "tiny.yaml").resolve()
    with pytest.raises(DataError, match=r"file 'nowhere\.yaml' not found"):
        load_inputs(scenario.with_changes({"data.current": {"scenario": "nowhere.yaml"}}), None, scenario_dir=HERE)
    broken = tmp_path / "broken.yaml"
    shutil.copy(HERE / "old_baseline_key.yaml", broken)
    with pytest.raises(ScenarioError, match=r"baseline has moved to data\.current"):
        load_inputs(scenario.with_changes({"data.current": {"scenario": str(broken)}}), None, scenario_dir=HERE)
    with pytest.raises(DataError, match="is a folder, not a file"):
        load_inputs(scenario.with_changes({"data.current": {"scenario": str(tmp_path)}}), None, scenario_dir=HERE)
