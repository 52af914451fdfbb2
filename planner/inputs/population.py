"""Resident population per ward.

Two ways in: :func:`read_population` reads a ward table that already has a
population column (e.g. ``london_ward_population_census2021_derived.csv``);
:func:`population_from_lsoa` sums Census small-area (LSOA) counts to wards
through a best-fit lookup that puts each whole LSOA in one ward (which is how
that derived file was made, so individual wards can be off by thousands while
the London total is exact).

Both return a float :class:`pandas.Series` indexed by ward code. Given the
wards to plan for (``ward_codes``), the series is put in that order; a ward with
no figure is an error listing every such ward, unless ``missing="zero"``.
Rows for other wards (e.g. the City of London) are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from planner.errors import DataError, Problems
from planner.inputs.crime import CsvTable, parse_numbers, read_csv_table, require_columns
from planner.scenario import PopulationSpec

MAX_POPULATION = 1e9
"""Most residents one row may count (a broken file beyond this, not a ward)."""

Missing = Literal["error", "zero"]


def read_population(
    path: str | Path,
    spec: PopulationSpec,
    *,
    ward_codes: Sequence[str] | None = None,
    missing: Missing = "error",
) -> pd.Series:
    """Read resident population per ward from a CSV.

    Parameters
    ----------
    path : str or Path
        The CSV (resolved from ``spec.path`` by the caller).
    spec : PopulationSpec
        Names of the ward code column (``ward_code``) and the value column
        (``value``).
    ward_codes : Sequence[str], optional
        Wards to return, in this order. None: every ward with a figure, in file
        order (rows with an empty value are left out).
    missing : {"error", "zero"}
        What to do with a ward of ``ward_codes`` that has no figure (no row, or
        an empty value): list them all in a :class:`DataError`, or give them 0.

    Returns
    -------
    pd.Series
        Float population, index ``ward_code``, name ``population``.

    Raises
    ------
    DataError
        Listing every problem: missing or empty file, missing columns, empty
        ward codes, negative or non-numeric values (line named), repeated ward
        codes, wards without a figure (unless ``missing="zero"``).
    """
    table = read_csv_table(path, "population file")
    require_columns(table, (spec.ward_code, spec.value), "data.population.ward_code / data.population.value")
    found = Problems(table.source, DataError)
    codes = table.frame[spec.ward_code].astype(str).str.strip()
    values = parse_numbers(table.frame, spec.value, table.lines, found, allow_empty=True, maximum=MAX_POPULATION)
    _check_codes(codes, table, spec.ward_code, found)
    found.raise_if_any()
    series = pd.Series(values.to_numpy(dtype=float), index=pd.Index(codes.to_numpy(), name="ward_code"))
    return _finish(series.dropna(), ward_codes, missing, table.source)


def population_from_lsoa(
    census_path: str | Path,
    lookup_path: str | Path,
    *,
    census_code: str = "geography code",
    census_value: str = "Age: Total",
    lookup_lsoa: str = "LSOA21CD",
    lookup_ward: str = "WD25CD",
    ward_codes: Sequence[str] | None = None,
    missing: Missing = "error",
) -> pd.Series:
    """Sum Census LSOA counts to wards through a best-fit LSOA-to-ward lookup.

    Parameters
    ----------
    census_path : str or Path
        Census table with one row per LSOA (e.g. TS007A, ``Age: Total``).
    lookup_path : str or Path
        Best-fit lookup, one row per LSOA naming its ward.
    census_code, census_value : str
        LSOA code and population columns of the census table.
    lookup_lsoa, lookup_ward : str
        LSOA code and ward code columns of the lookup (ONS 2025 ward codes are
        the 2022 codes in London).
    ward_codes : Sequence[str], optional
        Wards to return, in this order. None: every ward that receives an
        LSOA, in order of first appearance in the lookup.
    missing : {"error", "zero"}
        A ward of ``ward_codes`` that receives no LSOA (20 of the 25 City of
        London wards do): an error listing them all, or 0.

    Returns
    -------
    pd.Series
        Float population, index ``ward_code``, name ``population``.

    Raises
    ------
    DataError
        Missing files or columns; empty, negative or non-numeric counts;
        an LSOA repeated in either file; an LSOA of the census absent from
        the lookup (its people would be lost) or of the lookup absent from
        the census; wards without a figure (unless ``missing="zero"``).
    """
    census = read_csv_table(census_path, "census file")
    lookup = read_csv_table(lookup_path, "LSOA to ward lookup")
    require_columns(census, (census_code, census_value), "the census_code / census_value arguments")
    require_columns(lookup, (lookup_lsoa, lookup_ward), "the lookup_lsoa / lookup_ward arguments")
    found_c = Problems(census.source, DataError)
    found_l = Problems(lookup.source, DataError)
    lsoa = census.frame[census_code].astype(str).str.strip()
    counts = parse_numbers(census.frame, census_value, census.lines, found_c, maximum=MAX_POPULATION)
    _check_codes(lsoa, census, census_code, found_c)
    link_lsoa = lookup.frame[lookup_lsoa].astype(str).str.strip()
    link_ward = lookup.frame[lookup_ward].astype(str).str.strip()
    _check_codes(link_lsoa, lookup, lookup_lsoa, found_l)
    empty_ward = (link_ward == "").to_numpy()
    if empty_ward.any():
        found_l.add(f"column {lookup_ward!r}: empty at line(s) {_lines(lookup, empty_ward)}")
    found_c.raise_if_any()
    found_l.raise_if_any()
    ward_of = pd.Series(link_ward.to_numpy(), index=link_lsoa.to_numpy())
    lost = sorted(set(lsoa) - set(ward_of.index))
    if lost:
        found_l.add(
            f"{len(lost)} LSOA(s) of {census.source} are not in the lookup, "
            f"so their residents would be lost: {_some(lost)}"
        )
    absent = sorted(set(ward_of.index) - set(lsoa))
    if absent:
        found_c.add(f"{len(absent)} LSOA(s) of the lookup {lookup.source} have no census row: " + _some(absent))
    found_l.raise_if_any()
    found_c.raise_if_any()
    wards = ward_of.reindex(lsoa.to_numpy()).to_numpy()
    summed = pd.Series(counts.to_numpy(dtype=float)).groupby(wards, sort=False).sum()
    summed.index.name = "ward_code"
    return _finish(summed, ward_codes, missing, f"{census.source} via {lookup.source}")


def _lines(table: CsvTable, mask: np.ndarray) -> str:
    return _some([str(x) for x in table.lines[mask]])


def _some(items: Sequence[str], limit: int = 10) -> str:
    text = ", ".join(items[:limit])
    return text + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _check_codes(codes: pd.Series, table: CsvTable, column: str, found: Problems) -> None:
    empty = (codes == "").to_numpy()
    if empty.any():
        found.add(f"column {column!r}: empty at line(s) {_lines(table, empty)}")
    dup = (codes.duplicated(keep=False) & ~pd.Series(empty, index=codes.index)).to_numpy()
    if dup.any():
        shown = []
        for code, lines in pd.Series(table.lines[dup]).groupby(codes[dup].to_numpy(), sort=False):
            shown.append(f"{code} (lines {', '.join(map(str, lines))})")
        found.add(f"column {column!r}: codes repeated: {_some(shown)}: keep one row per code")


def _finish(series: pd.Series, ward_codes: Sequence[str] | None, missing: Missing, source: str) -> pd.Series:
    series = series.astype(float).rename("population")
    series.index = series.index.astype(str)
    series.index.name = "ward_code"
    if ward_codes is None:
        return series
    if missing not in ("error", "zero"):
        raise ValueError(f"missing must be 'error' or 'zero', not {missing!r}")
    wanted = pd.Index([str(c) for c in ward_codes], name="ward_code")
    out = series.reindex(wanted)
    gaps = list(out.index[out.isna()])
    if gaps and missing == "error":
        raise DataError(
            f"{len(gaps)} ward(s) have no population figure: {_some(gaps)}. "
            "Add them to the population file, or pass missing='zero' to give them 0",
            source=source,
        )
    return out.fillna(0.0)
