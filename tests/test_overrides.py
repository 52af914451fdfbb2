"""Per-ward overrides: reading, checking (every broken file names its line), arrays, and need exclusion."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.errors import DataError
from planner.inputs.loader import load_inputs
from planner.inputs.overrides import (
    NONE,
    TABLE_COLUMNS,
    WardOverrides,
    check_minimums,
    overrides_from_frame,
    read_overrides,
)
from planner.scenario import load_scenario

CODES = ["E05000001", "E05000002", "E05000003", "E05000004"]
NAMES = ["Alpha", "Beta", "Gamma", "Delta"]
HEADCOUNT = {"constable": 10, "pcso": 5}


@pytest.fixture
def folder(test_data_dir: Path) -> Path:
    return test_data_dir / "overrides"


def read(folder: Path, name: str, headcount: dict[str, int] | None = HEADCOUNT) -> WardOverrides:
    return read_overrides(folder / name, CODES, NAMES, headcount)


# ------------------------------------------------------------------ good files


def test_good_file_by_hand(folder: Path) -> None:
    o = read(folder, "ok.csv")
    np.testing.assert_array_equal(o.codes, CODES)
    np.testing.assert_array_equal(o.lo["constable"], [NONE, NONE, 6, 3])
    np.testing.assert_array_equal(o.hi["constable"], [4, NONE, 6, NONE])
    np.testing.assert_array_equal(o.lo["pcso"], [NONE, NONE, 2, NONE])
    np.testing.assert_array_equal(o.hi["pcso"], [NONE, NONE, 2, 1])
    np.testing.assert_array_equal(o.exclude_need, [True, False, False, False])
    np.testing.assert_array_equal(o.locked("constable"), [False, False, True, False])
    np.testing.assert_array_equal(o.locked("pcso"), [False, False, True, False])
    np.testing.assert_array_equal(o.has_row, [True, False, True, True])
    assert o.reason[2] == "locked: town-centre team agreed with the borough commander, 2025"
    assert o.reason[1] == ""
    assert list(o.table.columns) == list(TABLE_COLUMNS)
    assert o.table["line"].tolist() == [2, 3, 4]
    assert o.table["ward_name"].tolist() == ["Alpha", "Gamma", "Delta"]
    assert o.records()[0] == {
        "ward_code": "E05000001", "ward_name": "Alpha", "constables_min": None, "constables_max": 4,
        "pcsos_min": None, "pcsos_max": None, "exclude_need": True,
        "reason": "airport crime is policed by the aviation command", "line": 2,
    }  # fmt: skip


def test_arrays_are_read_only(folder: Path) -> None:
    o = read(folder, "ok.csv")
    with pytest.raises(ValueError, match="read-only"):
        o.lo["constable"][0] = 1
    with pytest.raises(TypeError):
        o.lo["constable"] = np.zeros(4)  # type: ignore[index]


def test_only_ward_code_and_reason_are_required(folder: Path) -> None:
    o = read(folder, "some_columns.csv")
    np.testing.assert_array_equal(o.lo["pcso"], [NONE, 2, NONE, NONE])
    assert not o.exclude_need.any() and (o.hi["constable"] == NONE).all()


def test_minimums_checked_against_headcount(folder: Path) -> None:
    o = read(folder, "ok.csv")
    check_minimums(o, {"constable": 9, "pcso": 2})  # 6 + 3 constables, 2 PCSOs: fits exactly
    with pytest.raises(DataError, match="add up to 9 constables, more than the 8 in post"):
        check_minimums(o, {"constable": 8, "pcso": 2})


# ------------------------------------------------------------------ broken files

BROKEN = [
    ("unknown_ward.csv", ["line 3: ward code 'E05009999' is not among the 4 wards planned"]),
    ("duplicate.csv", ["line 4: ward E05000001 repeats line 2"]),
    ("negative.csv", ["column 'pcsos_min': value is negative at line 2 ('-1')"]),
    ("min_above_max.csv", ["line 3: constables_min 5 is above constables_max 3"]),
    ("not_integer.csv", ["not a whole number at line 2 ('2.5')", "not a number at line 3 ('three')"]),
    ("missing_reason.csv", ["line 3: reason is empty"]),
    (
        "too_many_minimums.csv",
        [
            "'constables_min': the minimums add up to 11 constables, more than the 10 in post",
            "'pcsos_min': the minimums add up to 2 PCSOs",
        ],
    ),
    ("unknown_column.csv", ["unknown column(s) 'constable_min'", "line 2: overrides nothing"]),
    ("bad_flag.csv", ["line 2: exclude_need is 'maybe': write yes or no"]),
    ("nothing.csv", ["line 2: overrides nothing"]),
    ("too_big.csv", ["line 2: constables_max '1e30' is above 100,000"]),
    ("no_reason_column.csv", ["column(s) 'reason' not found"]),
    ("empty.csv", ["the file is empty"]),
    ("ragged.csv", ["line 2: has 6 fields but the header has 7"]),
]


@pytest.mark.parametrize(("name", "expected"), BROKEN)
def test_broken_file_names_the_line(folder: Path, name: str, expected: list[str]) -> None:
    with pytest.raises(DataError) as err:
        read(folder, name, {"constable": 10, "pcso": 1})
    text = str(err.value)
    assert str(folder / name) in text
    for part in expected:
        assert part in text


def test_every_problem_at_once(folder: Path) -> None:
    with pytest.raises(DataError) as err:
        read(folder, "many_errors.csv")
    problems = err.value.problems
    for part in (
        "line 2: constables_min 2 is above constables_max 1",
        "line 3: ward code 'E05009999' is not among",
        "not a number at line 4 ('x')",
        "line 5: ward E05000001 repeats line 2",
        "line 6: ward_code is empty",
        "line 7: exclude_need is 'perhaps'",
        "line 7: reason is empty",
    ):
        assert any(part in p for p in problems), part


def test_missing_file(folder: Path) -> None:
    with pytest.raises(DataError, match="overrides file not found"):
        read(folder, "no_such_file.csv")


# ------------------------------------------------------------------ properties

cell = st.one_of(st.none(), st.integers(0, 50))


@st.composite
def tables(draw: st.DrawFn) -> pd.DataFrame:
    wards = draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=4, unique=True))
    rows = []
    for code in wards:
        bounds = {}
        for low, high in (("constables_min", "constables_max"), ("pcsos_min", "pcsos_max")):
            a, b = draw(cell), draw(cell)
            if a is not None and b is not None and a > b:
                a, b = b, a
            bounds[low], bounds[high] = a, b
        exclude = draw(st.sampled_from(["", "yes", "no", "TRUE", "0"]))
        if all(v is None for v in bounds.values()) and exclude in ("", "no", "0"):
            exclude = "yes"
        text = {k: "" if v is None else str(v) for k, v in bounds.items()}
        rows.append({"ward_code": code, **text, "exclude_need": exclude, "reason": f"reason {code}"})
    return pd.DataFrame(rows)


@settings(max_examples=80, deadline=None)
@given(tables())
def test_arrays_follow_the_rows(df: pd.DataFrame) -> None:
    o = overrides_from_frame(df, CODES, NAMES)
    position = {c: i for i, c in enumerate(CODES)}
    seen = set()
    for _, row in df.iterrows():
        i = position[row["ward_code"]]
        seen.add(i)
        for rank, low, high in (("constable", "constables_min", "constables_max"), ("pcso", "pcsos_min", "pcsos_max")):
            assert o.lo[rank][i] == (int(row[low]) if row[low] else NONE)
            assert o.hi[rank][i] == (int(row[high]) if row[high] else NONE)
            assert o.locked(rank)[i] == (bool(row[low]) and row[low] == row[high])
        assert o.exclude_need[i] == (row["exclude_need"].lower() in ("yes", "true"))
        assert o.reason[i] == row["reason"]
    others = [i for i in range(len(CODES)) if i not in seen]
    for rank in ("constable", "pcso"):
        assert (o.lo[rank][others] == NONE).all() and (o.hi[rank][others] == NONE).all()
    assert not o.exclude_need[others].any()
    assert len(o.records()) == len(df)


# ------------------------------------------------------------------ through load_inputs


def test_synthetic_city_with_overrides(tmp_path: Path, scenarios_dir: Path) -> None:
    base = load_scenario(scenarios_dir / "demo.yaml").with_changes(
        {"data.synthetic.wards": 40, "data.synthetic.boroughs": 4, "data.synthetic.bcus": 2}
    )
    plain = load_inputs(base)
    w = plain.wards
    i = int(np.argmax(w.demand))  # the busiest ward
    code = str(w.codes[i])
    path = tmp_path / "overrides.csv"
    path.write_text(f"ward_code,constables_max,exclude_need,reason\n{code},4,yes,policed by another command\n")
    scenario = base.with_changes({"data.overrides": str(path)})
    inputs = load_inputs(scenario, reuse=plain)
    assert inputs.geography is plain.geography  # overrides do not reload the geography
    o = inputs.overrides
    assert o is inputs.wards.overrides and o is not None
    assert o.hi["constable"][i] == 4 and o.exclude_need[i]
    got = inputs.wards
    assert got.crime_excluded is not None and np.flatnonzero(got.crime_excluded).tolist() == [i]
    peers = (got.borough == got.borough[i]) & (np.arange(got.n_wards) != i)
    rate = w.demand[peers].sum() / w.population[peers].sum()
    assert got.demand[i] == pytest.approx(got.population[i] * rate)
    assert got.population[i] == w.population[i]
    assert got.need[i] < w.need[i]
    assert any("policed by another command" in r for r in o.reason)
    # a headcount the minimums no longer fit is caught even when the wards are reused
    path.write_text(f"ward_code,constables_min,reason\n{code},50,town centre\n")
    tight = scenario.with_changes({"workforce.constable.headcount": 49})
    with pytest.raises(DataError, match="add up to 50 constables, more than the 49 in post"):
        load_inputs(tight, reuse=inputs)
