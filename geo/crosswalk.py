"""Move per-ward figures between ward vintages (e.g. 2018 wards -> 2022 wards).

A crosswalk is a table ``old_code, new_code, weight``: the share of each old
ward's figure that goes to each new ward. The weights of every old ward sum
to 1, so :func:`apportion` preserves totals exactly.

Two ways to make one:

* :func:`area_crosswalk`: overlay the two boundary layers in British National
  Grid and weight by the area of each piece (the best available choice when
  only boundaries exist). Pieces thinner than ``sliver_m`` are digitising
  slivers between files of different resolution and are dropped; areas of an
  old ward that no new ward covers (e.g. the Thames, which the 2018 GLA wards
  include and the 2022 ONS wards do not) do not count.
* :func:`lookup_crosswalk`: from a published many-to-many code lookup with no
  weights (the ONS 2011 -> 2022 ward lookup): each old ward is split equally
  among the new wards it maps to. This is crude (a sliver counts as much as
  the bulk); prefer the area overlay, or population-weighted lookups, when
  they exist.

:func:`reweight_crosswalk` turns an area crosswalk into a population-weighted
one when population is known per new ward only (e.g. Census LSOAs summed to
the 2022 wards): each piece of an old ward carries its new ward's density.
"""

from __future__ import annotations

from pathlib import Path
from typing import overload

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.projection import require_bng
from geo.tables import read_text_csv
from planner.errors import DataError, Problems

CROSSWALK_COLUMNS = ("old_code", "new_code", "weight")


def _codes(frame: gpd.GeoDataFrame, column: str, what: str) -> np.ndarray:
    if column not in frame.columns:
        raise DataError(f"has no column {column!r}; columns: {', '.join(map(str, frame.columns))}", what)
    codes = frame[column].astype(str).to_numpy()
    dup = pd.Index(codes)
    if dup.has_duplicates:
        raise DataError(f"duplicate codes in {column!r}: {', '.join(sorted(set(dup[dup.duplicated()])))}", what)
    return codes


def area_crosswalk(
    old_frame: gpd.GeoDataFrame,
    new_frame: gpd.GeoDataFrame,
    *,
    old_code: str = "ward_code",
    new_code: str = "ward_code",
    sliver_m: float = 20.0,
    unmatched: str = "error",
) -> pd.DataFrame:
    """Area-weighted crosswalk from one ward layer to another.

    Parameters
    ----------
    old_frame, new_frame : geopandas.GeoDataFrame
        Ward polygons in EPSG:27700 (e.g. :attr:`WardLayer.frame`).
    old_code, new_code : str
        Code columns of each.
    sliver_m : float
        Pieces whose mean width (2 x area / perimeter) is below this many
        metres are dropped as slivers, unless an old ward has nothing else.
        0 keeps every piece.
    unmatched : {"error", "drop"}
        What to do with old wards that overlap no new ward.

    Returns
    -------
    pandas.DataFrame
        ``old_code, new_code, weight``, sorted by ``old_code, new_code``;
        the weights of each old ward sum to 1.

    Raises
    ------
    planner.errors.DataError
        If a frame is not in EPSG:27700, a code column is missing or has
        duplicates, or (``unmatched="error"``) an old ward overlaps no new ward.
    """
    if unmatched not in ("error", "drop"):
        raise ValueError(f"unmatched must be 'error' or 'drop', got {unmatched!r}")
    require_bng(old_frame, "old ward layer")
    require_bng(new_frame, "new ward layer")
    old_codes = _codes(old_frame, old_code, "old ward layer")
    new_codes = _codes(new_frame, new_code, "new ward layer")
    old_g = old_frame.geometry.to_numpy()
    new_g = new_frame.geometry.to_numpy()
    left, right = shapely.STRtree(new_g).query(old_g, predicate="intersects")
    pieces = shapely.intersection(old_g[left], new_g[right])
    area = shapely.area(pieces)
    perimeter = shapely.length(pieces)
    width = np.where(perimeter > 0, 2 * area / np.maximum(perimeter, 1e-12), 0.0)
    table = pd.DataFrame({"old": left, "new": right, "area": area, "width": width})
    table = table[table["area"] > 0]
    widest = table.groupby("old")["width"].transform("max")
    table = table[(table["width"] >= sliver_m) | (table["width"] == widest)]
    missing = np.setdiff1d(np.arange(len(old_codes)), table["old"].to_numpy())
    if len(missing) and unmatched == "error":
        listed = ", ".join(old_codes[missing[:20]]) + (" ..." if len(missing) > 20 else "")
        raise DataError(
            f"{len(missing)} old wards overlap no new ward: {listed}; pass unmatched='drop' to leave them out",
            "area crosswalk",
        )
    weight = table["area"] / table.groupby("old")["area"].transform("sum")
    out = pd.DataFrame(
        {
            "old_code": old_codes[table["old"].to_numpy()],
            "new_code": new_codes[table["new"].to_numpy()],
            "weight": weight.to_numpy(dtype=float),
        }
    )
    return out.sort_values(["old_code", "new_code"]).reset_index(drop=True)


def lookup_crosswalk(path: str | Path, old_col: str = "WD11CD", new_col: str = "WD22CD") -> pd.DataFrame:
    """Crosswalk from a many-to-many code lookup, splitting each old ward equally.

    Parameters
    ----------
    path : str or pathlib.Path
        CSV lookup (e.g. the ONS "Wards (2011) to Wards (2022)" lookup), one
        row per old-new pair (repeated pairs count once).
    old_col, new_col : str
        Old and new code columns.

    Returns
    -------
    pandas.DataFrame
        ``old_code, new_code, weight`` with ``weight = 1 / (number of new
        wards of that old ward)``, sorted.

    Raises
    ------
    planner.errors.DataError
        For a missing, empty or unparsable file, a missing column, or rows with
        an empty code (naming the lines; line 1 is the header).
    """
    source = str(path)
    table = read_text_csv(path, (old_col, new_col))
    if table.empty:
        raise DataError("has a header but no rows", source)
    found = Problems(source, DataError)
    pairs = pd.DataFrame({"old_code": table[old_col].str.strip(), "new_code": table[new_col].str.strip()})
    for col, name in ((old_col, "old_code"), (new_col, "new_code")):
        blank = np.flatnonzero((pairs[name] == "").to_numpy())
        if len(blank):
            lines = ", ".join(str(i + 2) for i in blank[:20])
            found.add(f"line{'s' if len(blank) > 1 else ''} {lines}: column {col!r} is empty")
    found.raise_if_any()
    pairs = pairs.drop_duplicates()
    pairs["weight"] = 1.0 / pairs.groupby("old_code")["new_code"].transform("size").astype(float)
    return pairs.sort_values(["old_code", "new_code"]).reset_index(drop=True)


def reweight_crosswalk(crosswalk: pd.DataFrame, density: pd.Series) -> pd.DataFrame:
    """Weight an area crosswalk by a density known per new ward (e.g. residents per km²).

    With density uniform inside each new ward, the piece of old ward ``o`` in
    new ward ``n`` holds ``area(o ∩ n) x density(n)``; as the area weights are
    ``area(o ∩ n) / area(o)``, the new weights are ``w(o, n) x density(n)``,
    normalised per old ward. An old ward whose pieces all have density 0 keeps
    its area weights.

    Parameters
    ----------
    crosswalk : pandas.DataFrame
        ``old_code, new_code, weight`` from :func:`area_crosswalk`.
    density : pandas.Series
        Indexed by new code; finite and >= 0, one value for every new code of
        the crosswalk.

    Returns
    -------
    pandas.DataFrame
        ``old_code, new_code, weight`` in the same order; weights sum to 1 per old code.

    Raises
    ------
    planner.errors.DataError
        If a new code has no density, or a density is negative or not finite.
    """
    found = Problems("reweight crosswalk", DataError)
    index = pd.Index(density.index.astype(str))
    if index.has_duplicates:
        found.add(f"density lists new codes twice: {', '.join(sorted(set(index[index.duplicated()]))[:10])}")
    values = density.to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        found.add(f"density is negative or not finite for {', '.join(index[bad][:10])}")
    found.raise_if_any()
    by_code = pd.Series(values, index=index)
    new_codes = crosswalk["new_code"].astype(str)
    absent = sorted(set(new_codes) - set(index))
    if absent:
        raise DataError(f"{len(absent)} new codes have no density: {', '.join(absent[:10])}", "reweight crosswalk")
    raw = crosswalk["weight"].to_numpy(dtype=float) * by_code.reindex(new_codes.to_numpy()).to_numpy()
    totals = pd.Series(raw).groupby(crosswalk["old_code"].astype(str).to_numpy()).transform("sum").to_numpy()
    weight = np.where(totals > 0, raw / np.where(totals > 0, totals, 1.0), crosswalk["weight"].to_numpy(dtype=float))
    return crosswalk.assign(weight=weight)


@overload
def apportion(values: pd.Series, crosswalk: pd.DataFrame) -> pd.Series: ...
@overload
def apportion(values: pd.DataFrame, crosswalk: pd.DataFrame) -> pd.DataFrame: ...
def apportion(values: pd.Series | pd.DataFrame, crosswalk: pd.DataFrame) -> pd.Series | pd.DataFrame:
    """Move per-ward values from old codes to new codes, preserving totals.

    Parameters
    ----------
    values : pandas.Series or pandas.DataFrame
        Indexed by old ward code (each code once); numeric, no missing values.
        Counts, populations and other additive quantities only: rates and
        averages do not apportion by sums.
    crosswalk : pandas.DataFrame
        ``old_code, new_code, weight`` (from :func:`area_crosswalk` or
        :func:`lookup_crosswalk`); the weights of each old code must sum to 1.

    Returns
    -------
    pandas.Series or pandas.DataFrame
        Indexed by new code (``new_code``, sorted), for every new ward that
        receives something from ``values``. Column sums equal those of
        ``values`` (up to floating point).

    Raises
    ------
    planner.errors.DataError
        If ``values`` has duplicate or missing entries, old codes absent from
        the crosswalk, or the crosswalk's weights do not sum to 1.
    """
    found = Problems("apportion", DataError)
    missing_cols = [c for c in CROSSWALK_COLUMNS if c not in crosswalk.columns]
    if missing_cols:
        raise DataError(f"crosswalk lacks columns {', '.join(missing_cols)}", "apportion")
    index = pd.Index(values.index.astype(str))
    if index.has_duplicates:
        found.add(f"values list old codes twice: {', '.join(sorted(set(index[index.duplicated()]))[:10])}")
    if values.isna().to_numpy().any():
        found.add("values have missing entries (NaN); fill or drop them first")
    absent = index.difference(pd.Index(crosswalk["old_code"].astype(str).unique()))
    if len(absent):
        found.add(f"{len(absent)} old codes are not in the crosswalk: {', '.join(absent[:10])}")
    used = crosswalk[crosswalk["old_code"].astype(str).isin(index)]
    sums = used.groupby("old_code")["weight"].sum()
    off = sums[(sums - 1.0).abs() > 1e-9]
    if len(off):
        found.add(f"crosswalk weights do not sum to 1 for old codes {', '.join(map(str, off.index[:10]))}")
    found.raise_if_any()
    moved = values.copy()
    moved.index = index
    share = moved.reindex(used["old_code"].astype(str).to_numpy())
    weight = used["weight"].to_numpy(dtype=float)
    share = share.mul(weight, axis=0) if isinstance(share, pd.DataFrame) else share * weight
    share.index = pd.Index(used["new_code"].astype(str).to_numpy(), name="new_code")
    return share.groupby(level=0, sort=True).sum()
