"""Per-ward overrides: a planner's judgement, written down with its reason.

``data.overrides`` names a CSV with one row per ward overridden::

    ward_code,constables_min,constables_max,pcsos_min,pcsos_max,exclude_need,reason
    E05013570,,4,,,yes,airport crime is policed by the aviation command (SO18)
    E05013806,6,6,2,2,,locked: town-centre team agreed with the borough commander

* A blank bound means "no override" for that bound; a **lock** is a minimum
  equal to its maximum.
* ``exclude_need`` (``yes``/``no``, blank = no) leaves the ward's own crime out
  of need while keeping its residents (see ``need.excluded_crime`` in
  :mod:`planner.inputs.need`).
* ``reason`` is required on every row: every override is shown with it.

Only ``ward_code`` and ``reason`` must be present; a missing bound or
``exclude_need`` column is blank for every row. Every problem is reported at
once, naming the file and the line: unknown or repeated ward codes, unknown
columns, bounds that are not whole numbers from 0 to :data:`MAX_PEOPLE`, a
minimum above its maximum, an ``exclude_need`` that is not yes or no, a
missing reason, a row that overrides nothing, and minimums that add up to more
people than are in post.

This module reads and checks the file; the rules layer turns the bounds into
ward limits (:mod:`planner.rules`), and the need model applies
``exclude_need``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from planner.errors import DataError, Problems
from planner.inputs.crime import parse_numbers, read_csv_table, require_columns
from planner.inputs.tables import parse_flag
from planner.ranks import RANK_LABELS

NONE = -1
"""Sentinel of :attr:`WardOverrides.lo` and :attr:`WardOverrides.hi`: no override of that bound."""

MAX_PEOPLE = 100_000
"""Largest bound accepted in a cell (more than any force's neighbourhood headcount)."""

RANK_COLUMNS: dict[str, tuple[str, str]] = {
    "constable": ("constables_min", "constables_max"),
    "pcso": ("pcsos_min", "pcsos_max"),
}
"""Rank -> its (minimum, maximum) columns."""

COLUMNS: tuple[str, ...] = (
    "ward_code", "constables_min", "constables_max", "pcsos_min", "pcsos_max", "exclude_need", "reason",
)  # fmt: skip
"""Columns of an overrides file, in order."""

TABLE_COLUMNS: tuple[str, ...] = ("ward_code", "ward_name", *COLUMNS[1:], "line")
"""Columns of :attr:`WardOverrides.table`."""


@dataclass(frozen=True, eq=False)
class WardOverrides:
    """Overrides per ward, as arrays in the order of the wards planned.

    Attributes
    ----------
    codes : np.ndarray of str, shape (W,)
        The wards, in :class:`~planner.inputs.data.WardData` order.
    lo, hi : Mapping[str, np.ndarray]
        Rank (``"constable"``, ``"pcso"``) -> minimum and maximum per ward,
        int64, :data:`NONE` where the ward has no such override.
    exclude_need : np.ndarray of bool, shape (W,)
        Wards whose own crime is left out of need (residents kept).
    reason : np.ndarray of str, shape (W,)
        The reason given; ``""`` for wards without a row.
    table : pd.DataFrame
        The rows as read, in file order (:data:`TABLE_COLUMNS`): bounds as
        nullable integers (``<NA>`` = none), ``exclude_need`` bool, ``line``
        the line in the file. For summary.json and the exports.
    source : str
        The file (or "in memory").
    """

    codes: np.ndarray
    lo: Mapping[str, np.ndarray]
    hi: Mapping[str, np.ndarray]
    exclude_need: np.ndarray
    reason: np.ndarray
    table: pd.DataFrame
    source: str

    def __post_init__(self) -> None:
        def frozen(values: object, dtype: type) -> np.ndarray:
            arr: np.ndarray = np.array(values, dtype=dtype, copy=True)
            arr.setflags(write=False)
            return arr

        object.__setattr__(self, "codes", frozen(self.codes, str))
        object.__setattr__(self, "exclude_need", frozen(self.exclude_need, bool))
        object.__setattr__(self, "reason", frozen(self.reason, object))
        for name in ("lo", "hi"):
            arrays = {rank: frozen(v, np.int64) for rank, v in getattr(self, name).items()}
            object.__setattr__(self, name, MappingProxyType(arrays))
        object.__setattr__(self, "table", self.table.copy())

    @property
    def has_row(self) -> np.ndarray:
        """Wards with a row in the file, shape (W,)."""
        return np.asarray(self.reason != "", dtype=bool)

    def locked(self, rank: str) -> np.ndarray:
        """Wards whose ``rank`` is locked (minimum equal to maximum), shape (W,)."""
        return (self.lo[rank] != NONE) & (self.lo[rank] == self.hi[rank])

    def records(self) -> list[dict[str, object]]:
        """The rows as plain dicts (``None`` for a blank bound), for summary.json."""
        out = []
        for row in self.table.itertuples(index=False):
            item: dict[str, object] = {}
            for col, value in zip(TABLE_COLUMNS, row, strict=True):
                item[col] = (
                    None if value is pd.NA else (int(value) if col.endswith(("_min", "_max", "line")) else value)
                )
            item["exclude_need"] = bool(item["exclude_need"])
            out.append(item)
        return out


def read_overrides(
    path: str | Path,
    ward_codes: Sequence[str],
    ward_names: Sequence[str] | None = None,
    headcount: Mapping[str, int] | None = None,
) -> WardOverrides:
    """Read and check ``data.overrides``; see the module docstring for the format.

    Parameters
    ----------
    path : str or Path
        The overrides CSV.
    ward_codes : Sequence[str]
        The wards planned, in WardData order.
    ward_names : Sequence[str], optional
        Their names, for the table.
    headcount : Mapping[str, int], optional
        People in post per rank (``"constable"``, ``"pcso"``): the minimums
        of a rank may not add up to more.

    Returns
    -------
    WardOverrides

    Raises
    ------
    DataError
        Every problem in the file at once, each naming the line.
    """
    table = read_csv_table(path, "overrides file")
    require_columns(table, ("ward_code", "reason"), "the overrides file's header")
    frame = table.frame.copy()
    frame["line"] = table.lines
    return overrides_from_frame(frame, ward_codes, ward_names, headcount, source=table.source)


def overrides_from_frame(
    df: pd.DataFrame,
    ward_codes: Sequence[str],
    ward_names: Sequence[str] | None = None,
    headcount: Mapping[str, int] | None = None,
    *,
    source: str = "overrides",
) -> WardOverrides:
    """Check a table of overrides (text cells; ``line`` column optional, else numbered as in its CSV).

    Parameters are as for :func:`read_overrides`; ``source`` names the table in messages.
    """
    frame = df.reset_index(drop=True).copy()
    if "line" not in frame.columns:
        frame["line"] = np.arange(2, len(frame) + 2)
    lines = frame["line"].to_numpy(dtype=np.int64)
    found = Problems(source, DataError)
    unknown = [c for c in frame.columns if c not in (*COLUMNS, "line")]
    if unknown:
        found.add(
            f"header (line 1): unknown column(s) {', '.join(map(repr, unknown))}; an overrides file has "
            f"{', '.join(COLUMNS)} (only ward_code and reason are required)"
        )
    for col in COLUMNS:
        if col not in frame.columns:
            frame[col] = ""
        frame[col] = frame[col].astype("string").fillna("").str.strip().astype(object)
    codes = [str(c) for c in ward_codes]
    index = _ward_rows(frame, codes, lines, found)
    bounds = {col: _bounds(frame, col, lines, found) for pair in RANK_COLUMNS.values() for col in pair}
    _check_pairs(bounds, lines, found)
    exclude = _flags(frame, lines, found)
    for k in np.flatnonzero((frame["reason"] == "").to_numpy()):
        found.add(f"line {lines[k]}: reason is empty: give the reason for every override")
    sets = exclude | (frame[list(bounds)] != "").any(axis=1).to_numpy()
    unreadable = np.array([bool(c) and parse_flag(c) is None for c in frame["exclude_need"]], dtype=bool)
    for k in np.flatnonzero(~sets & ~unreadable):
        found.add(f"line {lines[k]}: overrides nothing (every bound blank and exclude_need not yes)")
    if headcount is not None:
        found.extend(_minimum_problems({c: v for c, v in bounds.items()}, headcount, lines))
    found.raise_if_any()
    return _build(frame, codes, ward_names, index, bounds, exclude, source)


def check_minimums(overrides: WardOverrides, headcount: Mapping[str, int]) -> None:
    """Raise if the minimums of a rank add up to more people than ``headcount`` (per rank).

    Raises
    ------
    DataError
        Naming the column, its total and the headcount.
    """
    found = Problems(overrides.source, DataError)
    table = overrides.table
    bounds = {
        low: table[low].astype("Float64").fillna(np.nan).to_numpy(dtype=float) for low, _ in RANK_COLUMNS.values()
    }
    found.extend(_minimum_problems(bounds, headcount, table["line"].to_numpy(dtype=np.int64)))
    found.raise_if_any()


def _minimum_problems(bounds: Mapping[str, np.ndarray], headcount: Mapping[str, int], lines: np.ndarray) -> list[str]:
    """A minimum above the rank's headcount (naming its line), and minimums adding up to more than it."""
    out = []
    for rank, (low, _) in RANK_COLUMNS.items():
        if low not in bounds or rank not in headcount:
            continue
        for k in np.flatnonzero(np.nan_to_num(bounds[low], nan=-1.0) > headcount[rank]):
            out.append(
                f"line {lines[k]}: {low} {bounds[low][k]:,.0f} is above the {headcount[rank]:,} "
                f"{RANK_LABELS[rank]} in post (workforce.{rank}.headcount)"
            )
        total = float(np.nansum(bounds[low]))
        if total > headcount[rank]:
            out.append(
                f"column {low!r}: the minimums add up to {total:,.0f} {RANK_LABELS[rank]}, more than the "
                f"{headcount[rank]:,} in post (workforce.{rank}.headcount)"
            )
    return out


def _ward_rows(frame: pd.DataFrame, codes: list[str], lines: np.ndarray, found: Problems) -> np.ndarray:
    """Index of each row's ward among ``codes`` (-1 when unknown or empty)."""
    position = {c: i for i, c in enumerate(codes)}
    first: dict[str, int] = {}
    index = np.full(len(frame), -1, dtype=np.int64)
    for k, code in enumerate(frame["ward_code"]):
        line = int(lines[k])
        if not code:
            found.add(f"line {line}: ward_code is empty")
        elif code not in position:
            found.add(
                f"line {line}: ward code {code!r} is not among the {len(codes)} wards planned "
                "(wards of excluded boroughs, such as the City of London, are not planned)"
            )
        elif code in first:
            found.add(f"line {line}: ward {code} repeats line {first[code]}: keep one row per ward")
        else:
            first[code] = line
            index[k] = position[code]
    return index


def _bounds(frame: pd.DataFrame, column: str, lines: np.ndarray, found: Problems) -> np.ndarray:
    values = np.array(parse_numbers(frame, column, lines, found, integer=True, allow_empty=True), dtype=float)
    big = np.isfinite(values) & (values > MAX_PEOPLE)
    for k in np.flatnonzero(big):
        found.add(
            f"line {lines[k]}: {column} {frame[column].iloc[k]!r} is above {MAX_PEOPLE:,}: not a ward's headcount"
        )
    values[big | (values != np.round(values))] = np.nan
    return values


def _check_pairs(bounds: Mapping[str, np.ndarray], lines: np.ndarray, found: Problems) -> None:
    for low, high in RANK_COLUMNS.values():
        bad = np.isfinite(bounds[low]) & np.isfinite(bounds[high]) & (bounds[low] > bounds[high])
        for k in np.flatnonzero(bad):
            found.add(
                f"line {lines[k]}: {low} {bounds[low][k]:.0f} is above {high} {bounds[high][k]:.0f} "
                "(to lock a ward, give the same number for both)"
            )


def _flags(frame: pd.DataFrame, lines: np.ndarray, found: Problems) -> np.ndarray:
    out = np.zeros(len(frame), dtype=bool)
    for k, cell in enumerate(frame["exclude_need"]):
        if not cell:
            continue
        flag = parse_flag(cell)
        if flag is None:
            found.add(f"line {lines[k]}: exclude_need is {cell!r}: write yes or no (blank = no)")
        else:
            out[k] = flag
    return out


def _build(
    frame: pd.DataFrame,
    codes: list[str],
    names: Sequence[str] | None,
    index: np.ndarray,
    bounds: Mapping[str, np.ndarray],
    exclude: np.ndarray,
    source: str,
) -> WardOverrides:
    n = len(codes)
    lo: dict[str, np.ndarray] = {}
    hi: dict[str, np.ndarray] = {}
    for rank, (low, high) in RANK_COLUMNS.items():
        for target, col in ((lo, low), (hi, high)):
            arr = np.full(n, NONE, dtype=np.int64)
            values = bounds[col]
            ok = np.isfinite(values)
            arr[index[ok]] = values[ok].astype(np.int64)
            target[rank] = arr
    excl = np.zeros(n, dtype=bool)
    excl[index] = exclude
    reason = np.full(n, "", dtype=object)
    reason[index] = frame["reason"].to_numpy(dtype=object)
    table = pd.DataFrame({"ward_code": frame["ward_code"].to_numpy(dtype=object)})
    table["ward_name"] = np.asarray(names, dtype=object)[index] if names is not None else table["ward_code"]
    for col, values in bounds.items():
        table[col] = pd.array(np.where(np.isfinite(values), values, 0).astype(np.int64), dtype="Int64")
        table.loc[~np.isfinite(values), col] = pd.NA
    table["exclude_need"] = exclude
    table["reason"] = frame["reason"].to_numpy(dtype=object)
    table["line"] = frame["line"].to_numpy(dtype=np.int64)
    return WardOverrides(np.asarray(codes), lo, hi, excl, reason, table[list(TABLE_COLUMNS)], source)
