"""Recorded crime per ward: the MPS ward-level crime file, read and windowed.

The Metropolitan Police publish recorded crime per ward as a wide CSV: the
columns ``MajorText, MinorText, WardName, WardCode, LookUp_BoroughName`` and
then one count column per month, named ``YYYYMM``. :func:`read_crime` reads
such a file (the synthetic city hands the same layout to
:func:`crime_from_frame`), keeps the months of the scenario's window, drops
partial months, and sums each (ward, offence) over the kept months.

Wards are identified by ``WardCode`` only. Names and the borough label are
carried along for display but never joined or grouped on: Heathrow Villages
(E05013570) is a Hillingdon ward filed under "Aviation Security (SO18)", and in
the 2021-23 extract it appears under both labels (Hillingdon until April 2023,
SO18 afterwards); its rows are summed by code.

Every problem in a file is collected and reported at once, naming the file,
the line (the header is line 1) and the column at fault.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import DataError, Problems
from planner.scenario import CrimeSpec

REQUIRED: tuple[str, ...] = ("MajorText", "MinorText", "WardName", "WardCode", "LookUp_BoroughName")
"""Columns every crime file must have, before its month columns."""

_MONTH = re.compile(r"^\d{6}$")
_SHOWN = 8  # at most this many examples per kind of problem and column


# ------------------------------------------------------------------ CSV reading


@dataclass(frozen=True, eq=False)
class CsvTable:
    """A CSV file read as text, with the line number of every record.

    Attributes
    ----------
    header : tuple of str
        Column names, stripped of surrounding whitespace.
    frame : pd.DataFrame
        One row per record, every cell a ``str`` (stripped).
    lines : np.ndarray of int
        Line of each record in the file (the header is line 1).
    source : str
        The file, for messages.
    """

    header: tuple[str, ...]
    frame: pd.DataFrame
    lines: np.ndarray
    source: str


def read_csv_table(path: str | Path, what: str = "file") -> CsvTable:
    """Read a CSV file as text, keeping line numbers for messages.

    Parameters
    ----------
    path : str or Path
        The CSV file (UTF-8, with or without a byte-order mark; Windows-1252
        is accepted as a fallback).
    what : str
        What the file is, for the "not found" message (e.g. "crime file").

    Returns
    -------
    CsvTable

    Raises
    ------
    DataError
        If the file is missing, empty, has no header, repeats a column name,
        or a record has more or fewer fields than the header.
    """
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise DataError(f"{what} not found: check the path and the --data-dir folder", source=source)
    raw = path.read_bytes()
    if not raw.strip():
        raise DataError("the file is empty: expected a CSV with a header line and data rows", source=source)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    found = Problems(source, DataError)
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    start = 1
    for record in reader:
        if not "".join(record).strip():
            start = reader.line_num + 1
            continue
        if header is None:
            header = [c.strip() for c in record]
        elif len(record) != len(header):
            found.add(f"line {start}: has {len(record)} fields but the header has {len(header)}")
        else:
            rows.append([c.strip() for c in record])
            lines.append(start)
        start = reader.line_num + 1
    if header is None:
        raise DataError("the file is empty: expected a CSV with a header line and data rows", source=source)
    dups = sorted({c for c in header if header.count(c) > 1})
    if dups:
        found.add(f"header (line 1): column names repeated: {', '.join(map(repr, dups))}")
    found.raise_if_any()
    frame = pd.DataFrame(rows, columns=header, dtype=object) if rows else pd.DataFrame(columns=header)
    return CsvTable(tuple(header), frame, np.asarray(lines, dtype=np.int64), source)


def require_columns(table: CsvTable, columns: Sequence[str], setting: str) -> None:
    """Raise unless ``table`` has every column in ``columns`` and at least one row.

    Parameters
    ----------
    table : CsvTable
        The file read by :func:`read_csv_table`.
    columns : Sequence[str]
        Column names required (exact, case-sensitive).
    setting : str
        The scenario setting or argument that names them, for the fix.
    """
    missing = [c for c in columns if c not in table.header]
    if missing:
        raise DataError(
            f"header (line 1): column(s) {', '.join(map(repr, missing))} not found "
            f"(found: {', '.join(table.header)}); set {setting} to the right column names",
            source=table.source,
        )
    if len(table.frame) == 0:
        raise DataError("the file has a header but no data rows", source=table.source)


def _examples(items: Sequence[str], limit: int = _SHOWN) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def parse_numbers(
    frame: pd.DataFrame,
    column: str,
    lines: np.ndarray,
    found: Problems,
    *,
    integer: bool = False,
    allow_empty: bool = False,
) -> pd.Series:
    """Parse one column as non-negative numbers, recording every bad cell.

    Parameters
    ----------
    frame : pd.DataFrame
        The table (cells may be text or numbers).
    column : str
        The column to parse.
    lines : np.ndarray of int
        Line of each row in the file, for messages.
    found : Problems
        Where problems are recorded (grouped per kind, with examples).
    integer : bool
        Require whole numbers.
    allow_empty : bool
        Empty cells become NaN instead of a problem.

    Returns
    -------
    pd.Series of float
        The values; NaN where a cell was bad or empty.
    """
    col = frame[column]
    if col.dtype == object or pd.api.types.is_string_dtype(col):
        text = col.astype("string").str.strip()
        empty = (text.isna() | (text == "")).to_numpy(dtype=bool)
        values = pd.to_numeric(text.mask(pd.Series(empty, index=text.index)), errors="coerce")
    else:
        values = pd.to_numeric(col, errors="coerce")
        empty = values.isna().to_numpy(dtype=bool)
    arr = values.to_numpy(dtype=float, na_value=np.nan)
    bad_text = np.isnan(arr) & ~empty
    kinds: list[tuple[str, np.ndarray]] = [("is not a number", bad_text)]
    if not allow_empty:
        kinds.append(("is empty", empty))
    finite = np.isfinite(arr)
    kinds.append(("is negative", finite & (arr < 0)))
    kinds.append(("is infinite", np.isinf(arr)))
    if integer:
        kinds.append(("is not a whole number", finite & (arr != np.round(arr))))
    for label, mask in kinds:
        if mask.any():
            idx = np.flatnonzero(mask)
            shown = [f"line {lines[i]} ({col.iloc[i]!r})" for i in idx[:_SHOWN]]
            more = f" and {len(idx) - _SHOWN} more" if len(idx) > _SHOWN else ""
            found.add(f"column {column!r}: value {label} at {', '.join(shown)}{more}")
    arr = np.where(finite & (arr >= 0), arr, np.nan)
    return pd.Series(arr, index=frame.index, name=column)


# -------------------------------------------------------------------- the window


@dataclass(frozen=True, eq=False)
class CrimeWindow:
    """Recorded crime per ward and offence, summed over the kept months.

    Attributes
    ----------
    counts : pd.DataFrame
        Long table, one row per (``ward_code``, ``major``, ``minor``), with
        ``count`` (int, summed over ``months``), ``ward_name`` and
        ``borough_label`` (``LookUp_BoroughName`` as given; labels of a ward
        filed under several are joined with "; "). Display only: join on
        ``ward_code``.
    months : tuple of int
        The months kept, ``YYYYMM``, ascending.
    dropped_months : tuple of int
        Partial months in the window that were left out.
    notes : tuple of str
        What the reader did that a user should know.
    source : str
        The file (or object) the counts came from.
    """

    counts: pd.DataFrame
    months: tuple[int, ...]
    dropped_months: tuple[int, ...]
    notes: tuple[str, ...]
    source: str = ""

    @property
    def ward_codes(self) -> tuple[str, ...]:
        """Ward codes with at least one crime row, in order of first appearance."""
        return tuple(pd.unique(self.counts["ward_code"]))

    @property
    def total(self) -> int:
        """All offences in the window."""
        return int(self.counts["count"].sum())


def read_crime(path: str | Path, spec: CrimeSpec) -> CrimeWindow:
    """Read an MPS ward-level crime CSV and keep the scenario's window.

    Parameters
    ----------
    path : str or Path
        The crime CSV (resolved from ``spec.path`` by the caller).
    spec : CrimeSpec
        Window (``spec.months``), partial-month rule (``drop_partial``,
        ``partial_threshold``).

    Returns
    -------
    CrimeWindow

    Raises
    ------
    DataError
        Listing every problem: missing or empty file, missing columns, no or
        malformed month columns, a window with no months, empty, negative or
        non-integer counts, missing ward codes or offence names, duplicate
        (WardCode, MajorText, MinorText) rows.
    """
    return crime_window(read_crime_table(path), spec)


def read_crime_table(path: str | Path) -> CsvTable:
    """Read a crime CSV as text once, to cut windows from it with :func:`crime_window`."""
    return read_csv_table(path, "crime file")


def crime_window(table: CsvTable, spec: CrimeSpec) -> CrimeWindow:
    """The window of months ``spec.months`` (partial months dropped as ``spec`` says) of a crime table."""
    return _window(table.frame, table.header, table.lines, spec, table.source)


def crime_from_frame(df: pd.DataFrame, spec: CrimeSpec, source: str) -> CrimeWindow:
    """Build a :class:`CrimeWindow` from a DataFrame in the crime file's wide layout.

    Rows are numbered as in the CSV the frame would be saved to
    (``df.to_csv(index=False)``: header line 1, first row line 2).

    Parameters
    ----------
    df : pd.DataFrame
        Columns ``MajorText, MinorText, WardName, WardCode,
        LookUp_BoroughName`` and one count column per month ``YYYYMM`` (names
        may be ``str`` or ``int``).
    spec : CrimeSpec
        As for :func:`read_crime` (``spec.path`` is not used).
    source : str
        Names the data in messages (e.g. "synthetic city").

    Returns
    -------
    CrimeWindow
    """
    return crime_window(crime_table_from_frame(df, source), spec)


def crime_table_from_frame(df: pd.DataFrame, source: str) -> CsvTable:
    """A DataFrame in the crime file's wide layout as a :class:`CsvTable` (lines as if saved to CSV)."""
    header = tuple(str(c).strip() for c in df.columns)
    if len(df) == 0 and len(header) == 0:
        raise DataError("the table is empty: expected crime rows", source=source)
    frame = df.copy()
    frame.columns = list(header)
    dups = sorted({c for c in header if header.count(c) > 1})
    if dups:
        raise DataError(f"column names repeated: {', '.join(map(repr, dups))}", source=source)
    for col in REQUIRED:
        if col in frame.columns:
            frame[col] = frame[col].astype("string").fillna("").str.strip().astype(object)
    lines = np.arange(2, len(frame) + 2, dtype=np.int64)
    return CsvTable(header, frame.reset_index(drop=True), lines, source)


def _month_columns(header: Sequence[str], found: Problems) -> dict[str, int]:
    months: dict[str, int] = {}
    for name in header:
        if name in REQUIRED:
            continue
        if _MONTH.match(name) and 1 <= int(name[4:]) <= 12 and 1900 <= int(name[:4]) <= 2999:
            months[name] = int(name)
        else:
            found.add(
                f"header (line 1): column {name!r} is not a month: after the columns "
                f"{', '.join(REQUIRED)} every column must be a month named YYYYMM (e.g. 202404)"
            )
    return months


def _window(frame: pd.DataFrame, header: Sequence[str], lines: np.ndarray, spec: CrimeSpec, source: str) -> CrimeWindow:
    found = Problems(source, DataError)
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        found.add(
            f"header (line 1): required columns missing: {', '.join(missing)} "
            f"(found: {', '.join(header) or 'none'}); columns are case-sensitive"
        )
    month_cols = _month_columns(header, found)
    if not month_cols and not missing:
        found.add("header (line 1): no month columns (expected one count column per month, named YYYYMM)")
    found.raise_if_any()
    if len(frame) == 0:
        raise DataError("the file has a header but no data rows", source=source)

    chosen, window_note = _choose_window(sorted(month_cols.values()), spec, source)
    names = [str(m) for m in chosen]
    monthly = _fast_counts(frame, names)
    if monthly is None:
        counts = {name: parse_numbers(frame, name, lines, found, integer=True) for name in names}
    _check_text(frame, lines, found)
    groups = _check_duplicates(frame, lines, found)
    found.raise_if_any()

    if monthly is None:
        monthly = pd.DataFrame(counts).astype(np.int64)
    kept, dropped, partial_notes = _partial_months(monthly, spec)
    notes = [window_note, *partial_notes]
    if not kept:
        raise DataError(
            f"every month in the window is partial ({', '.join(map(str, dropped))}): "
            "choose another window or set data.crime.drop_partial: false",
            source=source,
        )
    notes.extend(groups)
    long = _to_long(frame, monthly[[str(m) for m in kept]].sum(axis=1))
    notes.append(
        f"crime: kept {len(kept)} month(s) {kept[0]}..{kept[-1]}, {int(long['count'].sum()):,} offences "
        f"in {long['ward_code'].nunique()} wards"
    )
    return CrimeWindow(long, tuple(kept), tuple(dropped), tuple(notes), source)


def _fast_counts(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame | None:
    """Parse clean count columns in one go; None when any cell needs the careful path."""
    try:
        block = frame[names].to_numpy()
        if block.dtype == object:
            block = block.astype(str).astype(np.int64)
        elif block.dtype.kind in "iu":
            block = block.astype(np.int64)
        else:
            return None
    except (ValueError, TypeError, OverflowError):
        return None
    if (block < 0).any():
        return None
    return pd.DataFrame(block, columns=names, index=frame.index)


def _choose_window(months: list[int], spec: CrimeSpec, source: str) -> tuple[list[int], str]:
    start, end = spec.months.start, spec.months.end
    span = f"{months[0]}..{months[-1]}"
    if start is not None and end is not None and start > end:
        raise DataError(f"data.crime.months: start {start} is after end {end}: swap them", source=source)
    lo = start if start is not None else months[0]
    hi = end if end is not None else months[-1]
    chosen = [m for m in months if lo <= m <= hi]
    if not chosen:
        raise DataError(
            f"the window {lo}..{hi} (data.crime.months) holds no month of the file, which has "
            f"{len(months)} months {span}: choose start and end within that range",
            source=source,
        )
    gaps = _gaps(chosen)
    note = f"crime window {lo}..{hi} (data.crime.months): {len(chosen)} month(s) of the file's {span}"
    if gaps:
        note += f"; months missing from the file inside the window: {', '.join(map(str, gaps))}"
    return chosen, note


def _gaps(months: list[int]) -> list[int]:
    def idx(m: int) -> int:
        return (m // 100) * 12 + (m % 100 - 1)

    have = {idx(m) for m in months}
    out = []
    for k in range(idx(months[0]), idx(months[-1]) + 1):
        if k not in have:
            out.append((k // 12) * 100 + k % 12 + 1)
    return out


def _partial_months(monthly: pd.DataFrame, spec: CrimeSpec) -> tuple[list[int], list[int], list[str]]:
    totals = monthly.sum(axis=0)
    median = float(totals.median())
    limit = spec.partial_threshold * median
    kept: list[int] = []
    dropped: list[int] = []
    notes: list[str] = []
    for name, total in totals.items():
        month = int(str(name))
        if median > 0 and total < limit:
            what = (
                f"month {month} looks partial: London-wide total {int(total):,} is below "
                f"{spec.partial_threshold:g} x the median month ({median:,.0f})"
            )
            if spec.drop_partial:
                dropped.append(month)
                notes.append(what + "; dropped (data.crime.drop_partial)")
                continue
            notes.append(what + "; KEPT because data.crime.drop_partial is false: its counts are incomplete")
        kept.append(month)
    return kept, dropped, notes


def _check_text(frame: pd.DataFrame, lines: np.ndarray, found: Problems) -> None:
    for col, fix in (
        ("WardCode", "every row needs the ward's GSS code (E05...)"),
        ("MajorText", "every row needs its offence group"),
        ("MinorText", "every row needs its offence subgroup"),
    ):
        empty = (frame[col].astype(str).str.strip() == "").to_numpy()
        if empty.any():
            shown = _examples([str(x) for x in lines[empty]])
            found.add(f"column {col!r}: empty at line(s) {shown}: {fix}")


def _check_duplicates(frame: pd.DataFrame, lines: np.ndarray, found: Problems) -> list[str]:
    """Report repeated (ward, major, minor) rows; note wards filed under several borough labels."""
    key = ["WardCode", "MajorText", "MinorText"]
    same_label = frame.duplicated([*key, "LookUp_BoroughName"], keep=False).to_numpy()
    if same_label.any():
        sub = frame[same_label].assign(_line=lines[same_label])
        shown = []
        for (ward, major, minor), grp in sub.groupby(key, sort=False):
            shown.append(f"{ward} / {major} / {minor} at lines {', '.join(map(str, grp['_line']))}")
        found.add(
            "duplicate rows for the same ward and offence (WardCode, MajorText, MinorText): "
            + _examples(shown)
            + ": keep one row per ward and offence"
        )
        return []
    notes = []
    multi = frame.groupby("WardCode", sort=False)["LookUp_BoroughName"].nunique()
    for ward in multi[multi > 1].index:
        rows = frame[frame["WardCode"] == ward]
        labels = list(pd.unique(rows["LookUp_BoroughName"]))
        notes.append(
            f"ward {ward} ({rows['WardName'].iloc[0]}) is filed under {len(labels)} borough labels "
            f"({'; '.join(labels)}); its rows were summed by ward code"
        )
    return notes


def _to_long(frame: pd.DataFrame, total: pd.Series) -> pd.DataFrame:
    long = pd.DataFrame(
        {
            "ward_code": frame["WardCode"].astype(str).to_numpy(),
            "major": frame["MajorText"].astype(str).to_numpy(),
            "minor": frame["MinorText"].astype(str).to_numpy(),
            "count": total.to_numpy(dtype=np.int64),
            "ward_name": frame["WardName"].astype(str).to_numpy(),
            "borough_label": frame["LookUp_BoroughName"].astype(str).to_numpy(),
        }
    )
    key = ["ward_code", "major", "minor"]
    repeated = long.duplicated(key, keep=False).to_numpy()
    if not repeated.any():
        return long
    long["_order"] = np.arange(len(long))
    merged = (
        long[repeated]
        .groupby(key, sort=False, as_index=False)
        .agg(
            count=("count", "sum"),
            ward_name=("ward_name", "first"),
            borough_label=("borough_label", lambda s: "; ".join(pd.unique(s))),
            _order=("_order", "min"),
        )
    )
    out = pd.concat([long[~repeated], merged]).sort_values("_order", kind="stable")
    return out.drop(columns="_order").reset_index(drop=True)
