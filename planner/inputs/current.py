"""The current deployment: how many people each ward and borough has today.

A plan that starts from today needs today's numbers. They come from a CSV
(``data.current`` in the scenario), in either of two shapes:

* a ward file, ``ward_code, constables, pcsos``, one row per planned ward;
  optional ``sergeants`` and ``inspectors`` columns count the supervisors
  based in each ward and are summed by borough. Any ``allocation.csv`` that
  ``planner solve`` wrote is such a file (its other columns are ignored);
* the same ward file plus a borough file, ``borough_code`` (or ``borough``,
  the borough's name, as in the ``boroughs.csv`` that ``planner solve``
  writes) with ``sergeants`` and / or ``inspectors`` per borough. When the
  borough file also has ``constables`` or ``pcsos`` columns they must agree
  with the ward file's borough sums: the two files are from the same plan.

Everything is checked at the door and every problem reported at once, naming
the file and the line (the header is line 1): unknown, missing, blank or
repeated ward and borough codes, counts that are not whole numbers, negative
or implausibly large, and totals above the scenario's headcount of a rank.
The result, :class:`CurrentDeployment`, is immutable and in
:class:`~planner.inputs.data.WardData` order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import DataError
from planner.files import require_regular
from planner.inputs.crime import CsvTable, read_csv_table
from planner.inputs.data import WardData
from planner.ranks import RANKS

#: The column of each rank in a current-deployment file (also the columns of ``allocation.csv``).
RANK_COLUMNS: Mapping[str, str] = {
    "constable": "constables",
    "pcso": "pcsos",
    "sergeant": "sergeants",
    "inspector": "inspectors",
}
WARD_RANKS: tuple[str, ...] = ("constable", "pcso")
"""Ranks deployed per ward (required columns of the ward file)."""
BOROUGH_RANKS: tuple[str, ...] = ("sergeant", "inspector")
"""Ranks deployed per borough (optional)."""
MAX_PEOPLE = 1_000_000
"""A count above this in one row is a typo, not a deployment (keeps every total well inside int64)."""
_SHOWN = 20  # at most this many lines named per kind of problem


def _frozen(values: np.ndarray | None) -> np.ndarray | None:
    if values is None:
        return None
    arr = np.array(values, dtype=np.int64, copy=True)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class CurrentDeployment:
    """People deployed today, per ward (constables, PCSOs) and per borough (sergeants, inspectors).

    Parameters
    ----------
    codes : np.ndarray of str, shape (W,)
        Ward codes, in :class:`~planner.inputs.data.WardData` order.
    borough_codes : np.ndarray of str, shape (B,)
        Borough codes, in ``WardData.borough_codes`` order.
    constables, pcsos : np.ndarray of int64, shape (W,)
        People per ward today.
    sergeants, inspectors : np.ndarray of int64, shape (B,), or None
        People per borough today; None when the file does not say.
    sources : tuple of str
        The files read (ward file first).

    Notes
    -----
    The arrays are read-only copies. Build it with :func:`read_current`, or
    directly from arrays (checked: shapes, non-negative whole numbers).
    """

    codes: np.ndarray
    borough_codes: np.ndarray
    constables: np.ndarray
    pcsos: np.ndarray
    sergeants: np.ndarray | None = None
    inspectors: np.ndarray | None = None
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("codes", "borough_codes"):
            arr = np.array(getattr(self, name), dtype=str, copy=True)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        for name in ("constables", "pcsos", "sergeants", "inspectors"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        problems = []
        w, b = len(self.codes), len(self.borough_codes)
        for name, size in (("constables", w), ("pcsos", w), ("sergeants", b), ("inspectors", b)):
            arr = getattr(self, name)
            if arr is None:
                continue
            if arr.shape != (size,):
                problems.append(f"{name} has shape {arr.shape}, expected ({size},)")
            elif arr.size and (arr.min() < 0 or arr.max() > MAX_PEOPLE):
                problems.append(f"{name} has values outside 0..{MAX_PEOPLE:,}")
        if problems:
            raise DataError(problems, "current deployment")

    # ---------------------------------------------------------------- views
    def count(self, rank: str) -> np.ndarray | None:
        """People of ``rank`` (one of :data:`~planner.ranks.RANKS`): per ward or per borough; None if unknown."""
        if rank not in RANK_COLUMNS:
            raise KeyError(f"unknown rank {rank!r}; ranks: {', '.join(RANKS)}")
        return getattr(self, RANK_COLUMNS[rank])

    def totals(self) -> dict[str, int | None]:
        """London-wide people per rank (None for a rank the file does not give)."""
        out: dict[str, int | None] = {}
        for rank in RANKS:
            arr = self.count(rank)
            out[rank] = None if arr is None else int(arr.sum())
        return out

    @property
    def baseline(self) -> tuple[np.ndarray, np.ndarray]:
        """``(constables, pcsos)`` per ward, the form the stability rules of the solver take."""
        return self.constables, self.pcsos

    def ward_frame(self) -> pd.DataFrame:
        """``constables, pcsos`` indexed by ``ward_code``."""
        return pd.DataFrame(
            {"constables": self.constables, "pcsos": self.pcsos}, index=pd.Index(self.codes, name="ward_code")
        )


# ------------------------------------------------------------------ checks


class _Found:
    """Problems from one or two files, raised together (each named by its file when there are two)."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, source: str, problem: str) -> None:
        self.items.append((source, problem))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        sources = list(dict.fromkeys(s for s, _ in self.items))
        if len(sources) == 1:
            raise DataError([p for _, p in self.items], sources[0])
        raise DataError([f"{s}: {p}" for s, p in self.items], "current deployment")


def _lines(lines: Sequence[int] | np.ndarray) -> str:
    nums = [str(int(v)) for v in lines]
    more = f" and {len(nums) - _SHOWN} more" if len(nums) > _SHOWN else ""
    return ("line " if len(nums) == 1 else "lines ") + ", ".join(nums[:_SHOWN]) + more


def _codes_list(codes: Sequence[str]) -> str:
    codes = list(codes)
    more = f" and {len(codes) - _SHOWN} more" if len(codes) > _SHOWN else ""
    return ", ".join(codes[:_SHOWN]) + more


def check_regular_file(path: str | Path, what: str) -> Path:
    """Return ``path`` if it is a regular file; raise a :class:`DataError` saying what it is otherwise.

    A folder, a FIFO or a device is refused before anything opens it (reading a
    FIFO would wait for a writer for ever).
    """
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{what} is a folder, not a file; name the CSV inside it (e.g. allocation.csv)", str(path))
    return require_regular(path, what, missing=f"{what} not found: check the path and the --data-dir folder")


def _read(path: str | Path, what: str) -> CsvTable:
    table = read_csv_table(check_regular_file(path, what), what)
    if len(table.frame) == 0:
        raise DataError("the file has a header but no data rows", table.source)
    return table


def _whole_numbers(table: CsvTable, column: str, found: _Found) -> np.ndarray:
    """The column as int64 (0 where a cell is bad); every bad cell reported with its line."""
    text = table.frame[column].astype(str)
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    kinds = {
        "is not a number": ~np.isfinite(values),
        "is not a whole number": np.isfinite(values) & (values != np.floor(values)),
        "is negative": np.isfinite(values) & (values < 0),
        f"is above {MAX_PEOPLE:,} (a typo?)": np.isfinite(values) & (values > MAX_PEOPLE),
    }
    bad = np.zeros(len(values), dtype=bool)
    for kind, mask in kinds.items():
        mask = mask & ~bad
        if mask.any():
            rows = np.flatnonzero(mask)
            shown = ", ".join(f"{table.lines[k]} ({text.iloc[k]!r})" for k in rows[:_SHOWN])
            more = f" and {len(rows) - _SHOWN} more" if len(rows) > _SHOWN else ""
            found.add(table.source, f"column {column!r} {kind} on line{'s' if len(rows) > 1 else ''} {shown}{more}")
        bad |= mask
    return np.where(bad, 0, np.nan_to_num(values)).astype(np.int64)


def _keys(table: CsvTable, column: str, known: np.ndarray, what: str, found: _Found) -> np.ndarray:
    """Position of each row's key in ``known`` (-1 for blank, unknown or repeated keys, each reported)."""
    keys = table.frame[column].astype(str).to_numpy()
    where = pd.Index(known).get_indexer(keys)
    blank = keys == ""
    if blank.any():
        found.add(table.source, f"{_lines(table.lines[blank])}: column {column!r} is empty")
    unknown = (where < 0) & ~blank
    if unknown.any():
        for k in np.flatnonzero(unknown)[:_SHOWN]:
            found.add(
                table.source,
                f"line {table.lines[k]}: {what} {keys[k]!r} is not one of the {len(known):,} planned {what}s",
            )
        if unknown.sum() > _SHOWN:
            found.add(table.source, f"and {int(unknown.sum()) - _SHOWN} more unknown {what}s")
    dup = pd.Series(keys).duplicated(keep="first").to_numpy() & ~blank & ~unknown
    for k in np.flatnonzero(dup)[:_SHOWN]:
        first = table.lines[np.flatnonzero(keys == keys[k])[0]]
        found.add(table.source, f"line {table.lines[k]}: {what} {keys[k]} is listed again (first on line {first})")
    return np.where(blank | unknown | dup, -1, where)


def _missing(where: np.ndarray, known: np.ndarray, labels: np.ndarray, what: str, source: str, found: _Found) -> None:
    absent = np.setdiff1d(np.arange(len(known)), where[where >= 0])
    if len(absent):
        named = [f"{known[k]} ({labels[k]})" for k in absent]
        found.add(source, f"{len(absent):,} planned {what}s have no row: {_codes_list(named)}")


def _require(table: CsvTable, required: Sequence[str], hint: str) -> None:
    missing = [c for c in required if c not in table.header]
    if missing:
        raise DataError(
            f"header (line 1): column(s) {', '.join(map(repr, missing))} not found (found: "
            f"{', '.join(table.header)}); {hint}",
            table.source,
        )


# ------------------------------------------------------------------ reading


def _read_wards(path: str | Path, wards: WardData, found: _Found) -> tuple[dict[str, np.ndarray], str]:
    table = _read(path, "current deployment file")
    _require(table, ("ward_code", *(RANK_COLUMNS[r] for r in WARD_RANKS)), "need ward_code, constables, pcsos")
    where = _keys(table, "ward_code", wards.codes, "ward", found)
    _missing(where, wards.codes, wards.names, "ward", table.source, found)
    ok = where >= 0
    out: dict[str, np.ndarray] = {}
    for rank in RANKS:
        column = RANK_COLUMNS[rank]
        if column not in table.header:
            continue
        values = _whole_numbers(table, column, found)
        per_ward = np.zeros(wards.n_wards, dtype=np.int64)
        per_ward[where[ok]] = values[ok]
        if rank in WARD_RANKS:
            out[rank] = per_ward
        else:  # supervisors based in a ward count for its borough
            out[rank] = np.bincount(wards.borough, weights=per_ward, minlength=wards.n_boroughs).astype(np.int64)
    return out, table.source


def _read_boroughs(
    path: str | Path, wards: WardData, ward_counts: Mapping[str, np.ndarray], found: _Found
) -> dict[str, np.ndarray]:
    table = _read(path, "current borough file")
    key = "borough_code" if "borough_code" in table.header else "borough"
    if key not in table.header:
        raise DataError(
            f"header (line 1): no 'borough_code' or 'borough' column (found: {', '.join(table.header)})", table.source
        )
    ranks = [r for r in BOROUGH_RANKS if RANK_COLUMNS[r] in table.header]
    if not ranks:
        raise DataError(
            f"header (line 1): no 'sergeants' or 'inspectors' column (found: {', '.join(table.header)})", table.source
        )
    known = wards.borough_codes if key == "borough_code" else wards.borough_names
    labels = wards.borough_names if key == "borough_code" else wards.borough_codes
    where = _keys(table, key, known, "borough", found)
    _missing(where, known, labels, "borough", table.source, found)
    ok = where >= 0
    out: dict[str, np.ndarray] = {}
    for rank in RANKS:
        column = RANK_COLUMNS[rank]
        if column not in table.header:
            continue
        values = _whole_numbers(table, column, found)
        if rank in BOROUGH_RANKS:
            per_borough = np.zeros(wards.n_boroughs, dtype=np.int64)
            per_borough[where[ok]] = values[ok]
            out[rank] = per_borough
        elif rank in ward_counts:  # a ward rank in the borough file: must match the ward file
            sums = np.bincount(wards.borough, weights=ward_counts[rank], minlength=wards.n_boroughs).astype(np.int64)
            for k in np.flatnonzero(ok & (values != sums[np.maximum(where, 0)])):
                found.add(
                    table.source,
                    f"line {table.lines[k]}: borough {table.frame[key].iloc[k]} has {values[k]:,} {column} but the "
                    f"ward file's wards in it have {sums[where[k]]:,}; are the two files from the same plan?",
                )
    return out


def _check_headcount(
    counts: Mapping[str, np.ndarray], headcount: Mapping[str, int], sources: Mapping[str, str], found: _Found
) -> None:
    for rank, arr in counts.items():
        if rank not in headcount:
            continue
        total, cap = int(arr.sum()), int(headcount[rank])
        if total > cap:
            found.add(
                sources[rank],
                f"{total:,} {RANK_COLUMNS[rank]} in all, above the scenario's headcount of {cap:,} "
                f"(workforce.{rank}.headcount); the current deployment cannot have more people than the workforce",
            )


def check_headcount(current: CurrentDeployment, headcount: Mapping[str, int], source: str | None = None) -> None:
    """Raise a :class:`DataError` if ``current`` has more people of a rank than ``headcount`` allows.

    For a current deployment built from arrays (e.g. the plan of the scenario
    named by ``data.current: {scenario: FILE}``); :func:`read_current` checks
    its files itself.
    """
    found = _Found()
    counts = {rank: arr for rank in RANKS if (arr := current.count(rank)) is not None}
    name = source or (current.sources[0] if current.sources else "current deployment")
    _check_headcount(counts, headcount, dict.fromkeys(counts, name), found)
    found.raise_if_any()


def read_current(
    path: str | Path,
    wards: WardData,
    *,
    boroughs: str | Path | None = None,
    headcount: Mapping[str, int] | None = None,
) -> CurrentDeployment:
    """Read and check the current deployment.

    Parameters
    ----------
    path : str or Path
        The ward file: ``ward_code, constables, pcsos`` and optionally
        ``sergeants, inspectors`` (per ward, summed by borough). Other columns
        are ignored, so any ``allocation.csv`` works.
    wards : WardData
        The planned wards; the file must have exactly one row for each.
    boroughs : str or Path, optional
        The borough file: ``borough_code`` (or ``borough``, the name) and
        ``sergeants`` and / or ``inspectors``; e.g. a ``boroughs.csv``. A rank
        given both per ward (in ``path``) and per borough is a problem.
    headcount : mapping of rank -> int, optional
        The scenario's headcount per rank; a total above it is a problem.

    Returns
    -------
    CurrentDeployment

    Raises
    ------
    planner.errors.DataError
        Every problem in the files at once, each naming the file and line.
    """
    found = _Found()
    counts, source = _read_wards(path, wards, found)
    sources = [source]
    given_by = dict.fromkeys(counts, source)
    if boroughs is not None:
        from_boroughs = _read_boroughs(boroughs, wards, counts, found)
        sources.append(str(boroughs))
        for rank in BOROUGH_RANKS:
            if rank in from_boroughs and rank in counts:
                found.add(
                    "current deployment",
                    f"{RANK_COLUMNS[rank]} are given both per ward in {source} and per borough in {boroughs}; "
                    "keep one of the two",
                )
            elif rank in from_boroughs:
                counts[rank] = from_boroughs[rank]
                given_by[rank] = str(boroughs)
    if headcount is not None:
        _check_headcount(counts, headcount, given_by, found)
    found.raise_if_any()
    return CurrentDeployment(
        codes=wards.codes,
        borough_codes=wards.borough_codes,
        constables=counts["constable"],
        pcsos=counts["pcso"],
        sergeants=counts.get("sergeant"),
        inspectors=counts.get("inspector"),
        sources=tuple(sources),
    )
