"""Reading the MPS ward-level crime file: windows, partial months, quirks and broken files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from planner.errors import DataError
from planner.inputs.crime import CrimeWindow, crime_from_frame, read_crime
from planner.scenario import CrimeSpec

HEATHROW = "E05013570"


@pytest.fixture
def need_data(test_data_dir: Path) -> Path:
    return test_data_dir / "need"


def spec(start: int | None = None, end: int | None = None, **kw: object) -> CrimeSpec:
    return CrimeSpec.model_validate({"path": "x.csv", "months": {"start": start, "end": end}, **kw})


def count_of(window: CrimeWindow, ward: str, minor: str) -> int:
    c = window.counts
    return int(c.loc[(c.ward_code == ward) & (c.minor == minor), "count"].sum())


# ------------------------------------------------------------------ good files


def test_small_file_drops_partial_month_and_sums(need_data: Path) -> None:
    w = read_crime(need_data / "crime_small.csv", spec())
    assert w.months == (202401, 202402, 202403)
    assert w.dropped_months == (202404,)
    assert any("202404" in n and "partial" in n and "dropped" in n for n in w.notes)
    assert count_of(w, "E05000001", "SHOPLIFTING") == 30
    assert count_of(w, "E05000002", "VIOLENCE WITH INJURY") == 6  # the partial month's 1 is gone
    assert count_of(w, "E05000003", "VIOLENCE WITH INJURY") == 9
    assert list(w.counts.columns) == ["ward_code", "major", "minor", "count", "ward_name", "borough_label"]
    assert len(w.counts) == 6
    assert w.total == 63
    assert w.ward_codes == ("E05000001", "E05000002", "E05000003")


def test_keep_partial_month_warns(need_data: Path) -> None:
    w = read_crime(need_data / "crime_small.csv", spec(drop_partial=False))
    assert w.months == (202401, 202402, 202403, 202404)
    assert w.dropped_months == ()
    assert any("202404" in n and "KEPT" in n and "incomplete" in n for n in w.notes)
    assert count_of(w, "E05000002", "VIOLENCE WITH INJURY") == 7


def test_window_is_inclusive(need_data: Path) -> None:
    w = read_crime(need_data / "crime_small.csv", spec(202402, 202403))
    assert w.months == (202402, 202403)
    assert count_of(w, "E05000001", "SHOPLIFTING") == 20
    w = read_crime(need_data / "crime_small.csv", spec(start=202403))
    assert w.months == (202403,)  # 202404 is still partial against the file's median month
    assert w.dropped_months == (202404,)


def test_window_outside_file_is_an_error(need_data: Path) -> None:
    with pytest.raises(DataError) as err:
        read_crime(need_data / "crime_small.csv", spec(202501, 202512))
    msg = str(err.value)
    assert "crime_small.csv" in msg and "202501..202512" in msg and "202401..202404" in msg


def test_window_start_after_end(need_data: Path) -> None:
    with pytest.raises(DataError, match="start 202403 is after end 202401"):
        read_crime(need_data / "crime_small.csv", spec(202403, 202401))


def test_ward_under_two_labels_is_summed_by_code(need_data: Path) -> None:
    w = read_crime(need_data / "crime_two_labels.csv", spec())
    assert count_of(w, "E05000001", "SHOPLIFTING") == 10
    assert len(w.counts) == 2
    row = w.counts[w.counts.ward_code == "E05000001"].iloc[0]
    assert row.borough_label == "Borough A; Aviation Security (SO18)"
    assert any("E05000001" in n and "2 borough labels" in n for n in w.notes)


def test_frame_gives_the_same_window(need_data: Path) -> None:
    df = pd.read_csv(need_data / "crime_small.csv")
    df.columns = [int(c) if c.isdigit() else c for c in df.columns]  # int month names are fine
    a = crime_from_frame(df, spec(), "synthetic city")
    b = read_crime(need_data / "crime_small.csv", spec())
    pd.testing.assert_frame_equal(a.counts, b.counts)
    assert (a.months, a.dropped_months) == (b.months, b.dropped_months)
    assert a.source == "synthetic city"


def test_frame_errors_use_csv_lines() -> None:
    df = pd.DataFrame(
        {
            "MajorText": ["THEFT", "THEFT"],
            "MinorText": ["SHOPLIFTING", "SHOPLIFTING"],
            "WardName": ["A", "B"],
            "WardCode": ["E05000001", "E05000002"],
            "LookUp_BoroughName": ["X", "X"],
            "202401": [1, -2],
        }
    )
    with pytest.raises(DataError) as err:
        crime_from_frame(df, spec(), "synthetic city")
    assert "synthetic city" in str(err.value) and "line 3" in str(err.value)


# --------------------------------------------------------------- broken files

BROKEN = [
    ("crime_empty.csv", ["crime_empty.csv", "empty"]),
    ("crime_header_only.csv", ["crime_header_only.csv", "no data rows"]),
    ("crime_missing_columns.csv", ["crime_missing_columns.csv", "WardCode", "LookUp_BoroughName"]),
    ("crime_no_months.csv", ["crime_no_months.csv", "no month columns"]),
    ("crime_bad_month.csv", ["crime_bad_month.csv", "'2024-02'", "'202413'", "YYYYMM"]),
    ("crime_negative.csv", ["crime_negative.csv", "'202402'", "negative", "line 3", "'-3'"]),
    ("crime_nonnumeric.csv", ["crime_nonnumeric.csv", "'202401'", "not a number", "line 4", "'abc'"]),
    ("crime_fraction.csv", ["crime_fraction.csv", "'202402'", "whole number", "line 2", "'2.5'"]),
    (
        "crime_duplicate.csv",
        ["crime_duplicate.csv", "duplicate", "E05000001 / THEFT / SHOPLIFTING", "lines 2, 5"],
    ),
    ("crime_missing_ward.csv", ["crime_missing_ward.csv", "'WardCode'", "line(s) 3"]),
    ("crime_ragged.csv", ["crime_ragged.csv", "line 2", "8 fields", "header has 7"]),
    ("no_such_file.csv", ["no_such_file.csv", "not found"]),
]


@pytest.mark.parametrize(("name", "expected"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_file_names_the_fault(need_data: Path, name: str, expected: list[str]) -> None:
    with pytest.raises(DataError) as err:
        read_crime(need_data / name, spec())
    msg = str(err.value)
    for part in expected:
        assert part in msg, f"{part!r} not in {msg!r}"


def test_every_problem_is_reported_at_once(need_data: Path) -> None:
    with pytest.raises(DataError) as err:
        read_crime(need_data / "crime_many_errors.csv", spec())
    problems = err.value.problems
    text = "\n".join(problems)
    assert len(problems) == 4, text
    for part in ("negative", "not a number", "'WardCode'", "duplicate"):
        assert part in text


# ------------------------------------------------------------------ real data


@pytest.mark.london
def test_real_2024_file(london_data_dir: Path) -> None:
    w = read_crime(london_data_dir / "mps_ward_crime_2024_2026.csv", spec())
    assert w.counts.ward_code.nunique() == 679
    assert w.dropped_months == (202403,)
    assert len(w.months) == 24 and w.months[0] == 202404 and w.months[-1] == 202603
    assert any("202403" in n and "dropped" in n for n in w.notes)
    assert not w.counts.ward_code.str.startswith("E09").any()
    heathrow = w.counts[w.counts.ward_code == HEATHROW]
    assert heathrow["count"].sum() > 1000
    assert set(heathrow.borough_label) == {"Aviation Security (SO18)"}
    assert w.counts.minor.nunique() == 33
    assert not w.counts.duplicated(["ward_code", "major", "minor"]).any()


@pytest.mark.london
def test_real_2021_file_sums_heathrow_across_labels(london_data_dir: Path) -> None:
    path = london_data_dir / "mps_ward_crime_2021_2023.csv"
    w = read_crime(path, spec())
    assert w.counts.ward_code.nunique() == 679
    assert w.months == tuple(sorted(w.months)) and len(w.months) == 24 and w.dropped_months == ()
    assert w.counts.minor.nunique() == 56
    raw = pd.read_csv(path)
    months = [c for c in raw.columns if c.isdigit()]
    expected = int(raw.loc[raw.WardCode == HEATHROW, months].to_numpy().sum())
    assert int(w.counts.loc[w.counts.ward_code == HEATHROW, "count"].sum()) == expected
    assert int(w.counts["count"].sum()) == int(raw[months].to_numpy().sum())
    assert not w.counts.duplicated(["ward_code", "major", "minor"]).any()
    assert any(HEATHROW in n and "borough labels" in n for n in w.notes)


# ------------------------------------------------------------ another command's crime


def test_exclude_labels_drops_the_rows_and_names_the_wards(need_data: Path) -> None:
    # crime_small.csv: Gamma (E05000003) is filed under "Aviation Security (SO18)"; 202404 is partial
    w = read_crime(need_data / "crime_small.csv", spec(exclude_labels=["Aviation Security (SO18)"]))
    assert w.excluded_wards == ("E05000003",)
    assert "E05000003" not in set(w.counts.ward_code)
    assert w.total == 30 + 3 + 15 + 6  # Alpha and Beta over 202401..202403
    note = next(n for n in w.notes if "exclude_labels" in n)
    assert "2 row(s), 9 offences" in note and "E05000003 (Gamma)" in note


def test_exclude_labels_on_a_ward_under_two_labels(need_data: Path) -> None:
    # Alpha is filed under "Borough A" in 202401 and under SO18 in 202402: only the SO18 row goes,
    # and the ward is named (the need model then replaces all of its crime)
    w = read_crime(need_data / "crime_two_labels.csv", spec(exclude_labels=["Aviation Security (SO18)"]))
    assert w.excluded_wards == ("E05000001",)
    assert count_of(w, "E05000001", "SHOPLIFTING") == 4
    assert count_of(w, "E05000002", "SHOPLIFTING") == 10


def test_exclude_labels_match_exactly(need_data: Path) -> None:
    with pytest.raises(DataError, match=r"'aviation security \(SO18\)' match no LookUp_BoroughName.*Borough A"):
        read_crime(need_data / "crime_small.csv", spec(exclude_labels=["aviation security (SO18)"]))


def test_no_labels_no_change(need_data: Path) -> None:
    a = read_crime(need_data / "crime_small.csv", spec())
    b = read_crime(need_data / "crime_small.csv", spec(exclude_labels=[]))
    pd.testing.assert_frame_equal(a.counts, b.counts)
    assert a.excluded_wards == b.excluded_wards == ()


@pytest.mark.london
def test_real_files_aviation_command(london_data_dir: Path) -> None:
    labels = ["Aviation Security (SO18)"]
    for name in ("mps_ward_crime_2024_2026.csv", "mps_ward_crime_2021_2023.csv"):
        path = london_data_dir / name
        raw = pd.read_csv(path)
        w = read_crime(path, spec(exclude_labels=labels))
        assert w.excluded_wards == (HEATHROW,)
        kept = [str(m) for m in w.months]
        so18 = raw[raw.LookUp_BoroughName == labels[0]]
        assert int(w.counts["count"].sum()) == int(raw[kept].to_numpy().sum()) - int(so18[kept].to_numpy().sum())
        note = next(n for n in w.notes if "exclude_labels" in n)
        assert f"{int(so18[kept].to_numpy().sum()):,} offences" in note
