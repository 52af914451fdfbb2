"""Daytime load: station footfall per ward, from TfL's annualised entries and exits.

``data.visitors`` names a CSV with one row per mode and station (the derived
TfL file ``tfl_station_entry_exit_2019_2021_derived.csv``)::

    mode,NLC,station,annualised_enex_2019,annualised_enex_2021,NAME,EASTING,NORTHING,...
    LU,625,Oxford Circus,88273826.7,...,Oxford Circus,530175.0,182875.0,...

The footfall of ``data.visitors.year`` (column ``annualised_enex_{year}``,
entries plus exits a year) of each row goes to the ward its British National
Grid point stands in (``assign: point``), or is spread over the wards within
``radius_m`` of it by area (``assign: radius``); rows of a station served by
several modes are added up. The per-ward total is the ``visitors`` need
component and ``WardData.visitors``.

What the reader decides (all reported in the notes, or as errors naming the line):

* a row with **no footfall** for the year (blank or 0) is skipped and counted
  in a note (the real file's Elizabeth line rows have none for 2019: TfL Rail
  carried those stations then; two Northern line stations opened in 2021);
* a row with a figure but a **missing or impossible coordinate**, or whose
  ``station`` and ``NAME`` disagree (the file joins footfall to coordinates
  on the NLC, so a disagreement means the point is another station's), is an
  **error**, unless the scenario leaves it out with ``exclude_stations``;
* a station standing in **no ward planned** (outside London, or in the City
  of London, which the Met does not police) is dropped with a note giving its
  footfall; this is not an error, since the file covers lines beyond London;
* negative, infinite or non-numeric footfall, repeated (mode, NLC) rows and an
  ``exclude_stations`` entry that matches no row are errors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.errors import DataError, Problems
from planner.inputs.crime import CsvTable, parse_numbers, read_csv_table, require_columns
from planner.inputs.harm import normalise
from planner.scenario import VisitorsSpec

BNG_BOUNDS = (0.0, 0.0, 700_000.0, 1_300_000.0)
"""Easting and northing range of the British National Grid, metres (min E, min N, max E, max N)."""

_SHOWN = 8


@dataclass(frozen=True, eq=False)
class StationTable:
    """Station rows with footfall for the year, checked.

    Attributes
    ----------
    frame : pd.DataFrame
        One row per (mode, station) kept: ``mode``, ``nlc``, ``station``
        (display name), ``footfall`` (entries plus exits a year), ``x``,
        ``y`` (BNG metres), ``line`` (line in the file).
    year : int
        The year of the footfall.
    notes : tuple of str
        Rows skipped or excluded.
    source : str
        The file.
    """

    frame: pd.DataFrame
    year: int
    notes: tuple[str, ...]
    source: str


@dataclass(frozen=True, eq=False)
class WardVisitors:
    """Station footfall per ward.

    Attributes
    ----------
    values : np.ndarray of float, shape (W,)
        Entries plus exits a year given to each ward (ward layer order); read-only.
    stations : pd.DataFrame
        :attr:`StationTable.frame` plus ``ward_code`` (the ward the station
        stands in; ``""`` when in no ward planned, so left out).
    year : int
    assign : str
        ``point`` or ``radius``.
    radius_m : float
    notes : tuple of str
    source : str
    """

    values: np.ndarray
    stations: pd.DataFrame
    year: int
    assign: str
    radius_m: float
    notes: tuple[str, ...] = field(default=())
    source: str = ""

    def __post_init__(self) -> None:
        values = np.array(self.values, dtype=float, copy=True)
        values.setflags(write=False)
        object.__setattr__(self, "values", values)


def read_stations(path: str | Path, spec: VisitorsSpec) -> StationTable:
    """Read and check the station footfall file of ``data.visitors``.

    Parameters
    ----------
    path : str or Path
        The CSV (resolved from ``spec.path`` by the caller).
    spec : VisitorsSpec
        Year, column names and the stations to leave out.

    Returns
    -------
    StationTable

    Raises
    ------
    DataError
        Every problem at once, naming the line: see the module docstring.
    """
    table = read_csv_table(path, "station footfall file")
    value = spec.value.format(year=spec.year)
    _require(table, spec, value)
    frame = table.frame
    lines = table.lines
    found = Problems(table.source, DataError)
    notes: list[str] = []
    name = _display_names(frame, spec)
    excluded = _excluded_rows(frame, spec, name, lines, found)
    footfall = parse_numbers(frame, value, lines, found, allow_empty=True).to_numpy(dtype=float)
    blank = (frame[value].astype(str).str.strip() == "").to_numpy() | (footfall == 0)
    use = ~excluded & ~blank
    x = _coordinate(frame, spec.easting, lines, use, BNG_BOUNDS[0], BNG_BOUNDS[2], found)
    y = _coordinate(frame, spec.northing, lines, use, BNG_BOUNDS[1], BNG_BOUNDS[3], found)
    _check_names(frame, spec, lines, use, found)
    _check_repeats(frame, spec, lines, found)
    found.raise_if_any()
    if blank.any():
        modes = frame.loc[blank & ~excluded, spec.mode].value_counts()
        shown = ", ".join(f"{m} {c}" for m, c in modes.items())
        notes.append(
            f"visitors: {int((blank & ~excluded).sum())} row(s) have no {spec.year} footfall (blank or 0), "
            f"skipped ({shown})"
        )
    if excluded.any():
        shown = ", ".join(
            f"{name[k]} ({frame[spec.mode].iloc[k]}, {_count(footfall[k])})" for k in np.flatnonzero(excluded)
        )
        notes.append(f"visitors: {int(excluded.sum())} row(s) left out (data.visitors.exclude_stations): {shown}")
    out = pd.DataFrame(
        {
            "mode": frame[spec.mode].to_numpy(dtype=object),
            "nlc": frame[spec.nlc].to_numpy(dtype=object),
            "station": name,
            "footfall": footfall,
            "x": x,
            "y": y,
            "line": lines,
        }
    )[use].reset_index(drop=True)
    return StationTable(out, spec.year, tuple(notes), table.source)


def _count(value: float) -> str:
    return "no figure" if not np.isfinite(value) else f"{value / 1e6:,.1f} million a year"


def _require(table: CsvTable, spec: VisitorsSpec, value: str) -> None:
    columns = [spec.mode, spec.nlc, spec.easting, spec.northing]
    if value not in table.header:
        years = sorted(c.rsplit("_", 1)[-1] for c in table.header if c.startswith(spec.value.split("{")[0]))
        raise DataError(
            f"header (line 1): no column {value!r} for data.visitors.year {spec.year}"
            + (f"; the file has the years {', '.join(years)}" if years else ""),
            source=table.source,
        )
    if spec.station not in table.header and spec.name not in table.header:
        columns.append(spec.station)
    require_columns(table, columns, "data.visitors (mode, nlc, easting, northing, station or name)")


def _display_names(frame: pd.DataFrame, spec: VisitorsSpec) -> np.ndarray:
    station = frame[spec.station] if spec.station in frame.columns else pd.Series("", index=frame.index)
    other = frame[spec.name] if spec.name in frame.columns else pd.Series("", index=frame.index)
    return np.where(station.astype(str) != "", station.astype(str), other.astype(str)).astype(object)


def _excluded_rows(
    frame: pd.DataFrame, spec: VisitorsSpec, name: np.ndarray, lines: np.ndarray, found: Problems
) -> np.ndarray:
    """Rows matched by ``exclude_stations`` (an NLC, or a name in ``station`` or ``NAME``)."""
    out = np.zeros(len(frame), dtype=bool)
    nlc = frame[spec.nlc].astype(str).str.strip().str.removesuffix(".0").to_numpy()
    names = [frame[c].astype(str).map(normalise).to_numpy() for c in (spec.station, spec.name) if c in frame.columns]
    for entry in spec.exclude_stations:
        text = str(entry).strip()
        if isinstance(entry, int) or text.isdigit():
            hit = nlc == text
        else:
            hit = np.zeros(len(frame), dtype=bool)
            for column in names:
                hit |= column == normalise(text)
        if not hit.any():
            found.add(
                f"data.visitors.exclude_stations: {entry!r} matches no row (an NLC, or a name in the "
                f"{spec.station!r} or {spec.name!r} column, ignoring case and spaces)"
            )
        out |= hit
    return out


def _coordinate(
    frame: pd.DataFrame,
    column: str,
    lines: np.ndarray,
    use: np.ndarray,
    low: float,
    high: float,
    found: Problems,
) -> np.ndarray:
    text = frame[column].astype(str).str.strip()
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    bad = use & ~(np.isfinite(values) & (values >= low) & (values <= high))
    if bad.any():
        shown = ", ".join(f"line {lines[k]} ({text.iloc[k]!r})" for k in np.flatnonzero(bad)[:_SHOWN])
        more = f" and {int(bad.sum()) - _SHOWN} more" if bad.sum() > _SHOWN else ""
        found.add(
            f"column {column!r}: missing or not a British National Grid coordinate ({low:,.0f} to {high:,.0f} m) "
            f"for a station with footfall at {shown}{more}: give its coordinates, or leave it out with "
            "data.visitors.exclude_stations"
        )
    return values


def _check_names(frame: pd.DataFrame, spec: VisitorsSpec, lines: np.ndarray, use: np.ndarray, found: Problems) -> None:
    if spec.station not in frame.columns or spec.name not in frame.columns:
        return
    a = frame[spec.station].astype(str).map(normalise).to_numpy()
    b = frame[spec.name].astype(str).map(normalise).to_numpy()
    bad = use & (a != "") & (b != "") & (a != b)
    for k in np.flatnonzero(bad):
        found.add(
            f"line {lines[k]}: station {frame[spec.station].iloc[k]!r} has the coordinates of "
            f"{frame[spec.name].iloc[k]!r} (column {spec.name!r}): the footfall and the coordinates are of "
            "different stations; correct the row or leave it out with data.visitors.exclude_stations"
        )


def _check_repeats(frame: pd.DataFrame, spec: VisitorsSpec, lines: np.ndarray, found: Problems) -> None:
    key = frame[spec.mode].astype(str) + "\x00" + frame[spec.nlc].astype(str)
    repeated = key.duplicated(keep=False).to_numpy()
    if not repeated.any():
        return
    groups: dict[str, list[int]] = {}
    for k in np.flatnonzero(repeated):
        groups.setdefault(key.iloc[k], []).append(int(lines[k]))
    for both, ls in groups.items():
        mode, nlc = both.split("\x00")
        found.add(
            f"lines {', '.join(map(str, ls))}: mode {mode} and NLC {nlc} repeated: keep one row per mode and station"
        )


def ward_visitors(stations: StationTable, layer: Any, spec: VisitorsSpec) -> WardVisitors:
    """Sum station footfall onto the wards of ``layer`` (EPSG:27700, ``ward_code`` column).

    Parameters
    ----------
    stations : StationTable
        From :func:`read_stations`.
    layer : geopandas.GeoDataFrame
        The wards planned, in WardData order.
    spec : VisitorsSpec
        ``assign`` and ``radius_m``.

    Returns
    -------
    WardVisitors
    """
    from geo.points import point_load, radius_load

    frame = stations.frame
    x, y, value = (frame[c].to_numpy(dtype=float) for c in ("x", "y", "footfall"))
    if spec.assign == "radius":
        load = radius_load(layer, x, y, value, spec.radius_m)
        how = f"spread over the wards within {spec.radius_m:,.0f} m by area (data.visitors.assign: radius)"
    else:
        load = point_load(layer, x, y, value)
        how = "given to the ward each station stands in (data.visitors.assign: point)"
    codes = layer["ward_code"].to_numpy(dtype=object)
    table = frame.assign(ward_code=np.where(load.ward >= 0, codes[np.maximum(load.ward, 0)], ""))
    notes = list(stations.notes)
    outside = load.ward < 0
    if outside.any():
        names = list(dict.fromkeys(frame.loc[outside, "station"]))
        shown = ", ".join(names[:_SHOWN]) + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")
        lost = float(value[outside].sum())
        notes.append(
            f"visitors: {int(outside.sum())} station row(s) stand in no ward planned (outside London, or in the "
            f"City of London or another excluded borough) and are left out: {lost / 1e6:,.0f} million entries "
            f"and exits a year ({lost / max(value.sum(), 1e-12):.1%} of the file's): {shown}"
        )
    kept = float(value[~outside].sum())
    notes.append(
        f"visitors: {int((~outside).sum())} station row(s), {kept / 1e6:,.0f} million entries and exits in "
        f"{stations.year}, {how}; {int((load.per_ward > 0).sum())} of {len(codes)} wards have some"
    )
    return WardVisitors(load.per_ward, table, stations.year, spec.assign, spec.radius_m, tuple(notes), stations.source)


def load_visitors(spec: VisitorsSpec, layer: Any, resolve: Callable[[str], Path]) -> tuple[WardVisitors, Path]:
    """Read ``data.visitors`` and sum it onto the wards of ``layer``; also return the file read."""
    path = resolve(spec.path)
    return ward_visitors(read_stations(path, spec), layer, spec), path
