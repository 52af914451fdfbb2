"""Ward boundaries: read, check, repair and label them.

:func:`read_wards` turns a GeoJSON, GeoPackage or shapefile of ward polygons
into a :class:`WardLayer`: one row per ward in British National Grid metres,
with code, name, borough and Basic Command Unit, sorted and checked. Every
fault is reported at once as a :class:`planner.errors.DataError` naming the
file, the row (the feature's position in the file, counting from 1) and the
column; invalid geometries are repaired, never silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo.projection import BNG, to_bng
from geo.tables import read_text_csv
from planner.errors import DataError, Problems
from planner.files import require_regular

#: Columns of :attr:`WardLayer.frame`, in order.
FRAME_COLUMNS = ("ward_code", "ward_name", "borough_code", "borough_name", "bcu", "geometry")
_POLYGONAL = ("Polygon", "MultiPolygon")


@dataclass(frozen=True, eq=False)
class WardLayer:
    """Checked ward polygons with their borough and BCU.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        One row per ward, EPSG:27700, columns ``ward_code, ward_name,
        borough_code, borough_name, bcu, geometry`` (all text columns are
        ``str``), sorted by ``borough_code`` then ``ward_code``, index
        ``0..W-1``. Row ``i`` is ward ``i`` of every array derived from it.
    notes : tuple of str
        What the reader did that a user should know: geometries repaired,
        boroughs excluded.
    """

    frame: gpd.GeoDataFrame
    notes: tuple[str, ...] = field(default=())

    @property
    def n_wards(self) -> int:
        """Number of wards W."""
        return len(self.frame)

    @property
    def codes(self) -> np.ndarray:
        """Ward codes, shape (W,)."""
        return self.frame["ward_code"].to_numpy(dtype=object)


# ---------------------------------------------------------------- reading
def _read_vector(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    source = str(path)
    missing = "file not found; check the path (relative paths are relative to --data-dir)"
    # a pipe or a device would block GDAL for ever: only files (and shapefile folders) are opened
    require_regular(path, "boundary file", missing=missing, allow_dir=True)
    if path.is_file() and path.stat().st_size == 0:
        raise DataError("is empty (0 bytes); expected a GeoJSON, GeoPackage or shapefile", source)
    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # pyogrio raises several GDAL error classes
        raise DataError(f"cannot be read as GeoJSON, GeoPackage or shapefile ({exc})", source) from exc
    if layer is None and len(layers) > 1:
        raise DataError(f"has {len(layers)} layers ({', '.join(layers)}); choose one with `layer`", source)
    if layer is not None and layer not in layers:
        raise DataError(f"has no layer {layer!r}; its layers are: {', '.join(layers)}", source)
    try:
        gdf = pyogrio.read_dataframe(path, layer=layer)
    except Exception as exc:
        raise DataError(f"cannot be read as GeoJSON, GeoPackage or shapefile ({exc})", source) from exc
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        raise DataError("has no geometry column; expected ward polygons", source)
    if len(gdf) == 0:
        raise DataError("has no features (the layer is empty)", source)
    return gdf.reset_index(drop=True)


def _text(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Values as stripped ``str`` and a mask of missing / blank ones."""
    values = series.astype(object).to_numpy()
    missing = pd.isna(values)
    text = np.array(["" if m else str(v).strip() for v, m in zip(values, missing)], dtype=object)
    return text, missing | (text == "")


def _rows(positions: Iterable[int], limit: int = 20) -> str:
    """Row numbers for a message, "row 3" / "rows 3, 7", from 0-based positions (rows count from 1)."""
    nums = [str(int(p) + 1) for p in positions]
    more = f" and {len(nums) - limit} more" if len(nums) > limit else ""
    return ("row " if len(nums) == 1 else "rows ") + ", ".join(nums[:limit]) + more


def _check_columns(gdf: gpd.GeoDataFrame, wanted: Mapping[str, str | None], source: str) -> None:
    available = [c for c in gdf.columns if c != gdf.geometry.name]
    missing = [f"{col!r} (the {role} column)" for role, col in wanted.items() if col and col not in gdf.columns]
    if missing:
        raise DataError(
            f"column {' and '.join(missing)} not found; available columns: {', '.join(map(str, available))}. "
            "Map the right columns in the scenario's boundary settings",
            source,
        )


def _check_codes(codes: np.ndarray, missing: np.ndarray, column: str, found: Problems) -> None:
    if missing.any():
        found.add(f"{_rows(np.flatnonzero(missing))}: ward code (column {column!r}) is missing")
    present = pd.Series(np.flatnonzero(~missing), index=codes[~missing])
    dup = present[present.index.duplicated(keep=False)]
    for code, rows in dup.groupby(level=0, sort=True):
        found.add(f"ward code {code} (column {column!r}) appears in {_rows(rows.to_numpy())}")


def _check_geometries(geoms: np.ndarray, codes: np.ndarray, found: Problems) -> None:
    none = pd.isna(geoms)
    if none.any():
        found.add(f"{_rows(np.flatnonzero(none))}: no geometry")
    empty = ~none & shapely.is_empty(geoms)
    if empty.any():
        found.add(f"{_rows(np.flatnonzero(empty))}: empty geometry")
    for pos in np.flatnonzero(~none & ~empty):
        geom = geoms[pos]
        if geom.geom_type in _POLYGONAL:
            continue
        if geom.geom_type == "GeometryCollection" and not polygonal_part(geom).is_empty:
            continue
        found.add(
            f"row {pos + 1} (ward {codes[pos] or '?'}): geometry is a {geom.geom_type} "
            "with no polygon, not a Polygon or MultiPolygon"
        )


def _drop_stray_parts(geoms: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Replace GeometryCollections by their polygons (dropping stray lines / points)."""
    out = np.array(geoms, dtype=object)
    mixed = np.flatnonzero(shapely.get_type_id(out) == 7)
    for pos in mixed:
        out[pos] = polygonal_part(out[pos])
    return out, [str(labels[pos]) for pos in mixed]


# ---------------------------------------------------------------- repair
def polygonal_part(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygons of a (possibly mixed) geometry, as Polygon or MultiPolygon.

    Parameters
    ----------
    geom : shapely.Geometry
        E.g. the output of :func:`shapely.make_valid`, which may mix polygons
        with lines and points.

    Returns
    -------
    shapely.Geometry
        A Polygon, a MultiPolygon, or an empty Polygon if there is no area.
    """
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in _POLYGONAL]
    polys = [q for p in parts for q in shapely.get_parts(p)]
    if not polys:
        return shapely.Polygon()
    if len(polys) == 1:
        return polys[0]
    return shapely.MultiPolygon(polys)


def repair_geometries(geoms: np.ndarray, labels: np.ndarray, found: Problems) -> tuple[np.ndarray, list[str]]:
    """Repair invalid polygons with :func:`shapely.make_valid` and say which.

    Parameters
    ----------
    geoms : np.ndarray of shapely.Geometry
        Polygons (in metres, so that areas in the report are km²).
    labels : np.ndarray of str
        How to name each geometry in the report (e.g. ``"E05000001 (Abbey)"``).
    found : planner.errors.Problems
        Receives a problem for any geometry with no area left after repair.

    Returns
    -------
    geoms : np.ndarray of shapely.Geometry
        The geometries, repaired ones replaced by their polygonal part.
    repaired : list of str
        One line per repaired geometry: label, GEOS reason, area before/after.
    """
    out = np.array(geoms, dtype=object)
    bad = np.flatnonzero(~shapely.is_valid(out))
    repaired: list[str] = []
    for pos in bad:
        reason = shapely.is_valid_reason(out[pos])
        fixed = polygonal_part(shapely.make_valid(out[pos]))
        if fixed.is_empty or fixed.area <= 0:
            found.add(f"ward {labels[pos]}: invalid geometry ({reason}) has no area left after repair")
            continue
        repaired.append(
            f"{labels[pos]}: {reason}; area {shapely.area(out[pos]) / 1e6:.3f} -> {fixed.area / 1e6:.3f} km²"
        )
        out[pos] = fixed
    return out, repaired


# ---------------------------------------------------------------- public
def read_wards(
    path: str | Path,
    *,
    layer: str | None = None,
    ward_code: str = "WD22CD",
    ward_name: str | None = "WD22NM",
    borough_code: str = "LAD22CD",
    borough_name: str | None = "LAD22NM",
    exclude_boroughs: Iterable[str] = ("E09000001",),
    borough_bcu: Mapping[str, str] | None = None,
) -> WardLayer:
    """Read, check and repair ward boundaries.

    Parameters
    ----------
    path : str or pathlib.Path
        A GeoJSON, GeoPackage or shapefile (``.shp``) of ward polygons with a
        declared CRS (any; reprojected to EPSG:27700).
    layer : str, optional
        The layer to read from a multi-layer file (required when there are
        several).
    ward_code, ward_name, borough_code, borough_name : str
        The file's columns holding each field (defaults: the ONS 2022 ward
        file). ``ward_name`` / ``borough_name`` may be ``None`` to use the code.
    exclude_boroughs : iterable of str
        Borough codes whose wards are dropped, with a note (default: the City
        of London, E09000001, which is policed by the City of London Police).
    borough_bcu : mapping of str to str, optional
        Borough code -> Basic Command Unit (e.g. from :func:`read_borough_bcu`).
        Every remaining borough must be in it. Without it ``bcu`` is ``""``.

    Returns
    -------
    WardLayer
        The checked wards (see :class:`WardLayer`) and notes.

    Raises
    ------
    planner.errors.DataError
        For a missing, unreadable or empty file, missing columns (naming the
        available ones), missing or duplicate ward codes (naming the rows),
        missing borough codes, null, empty or non-polygon geometries, no CRS,
        a borough with two names, or a borough without a BCU. All problems
        found in one pass are reported together.
    """
    source = str(path)
    gdf = _read_vector(Path(path), layer)
    columns = {"ward code": ward_code, "ward name": ward_name, "borough code": borough_code}
    columns["borough name"] = borough_name
    _check_columns(gdf, columns, source)

    found = Problems(source, DataError)
    codes, no_code = _text(gdf[ward_code])
    _check_codes(codes, no_code, ward_code, found)
    boroughs, no_borough = _text(gdf[borough_code])
    if no_borough.any():
        rows = _rows(np.flatnonzero(no_borough))
        found.add(f"{rows}: borough code (column {borough_code!r}) is missing")
    names = _text(gdf[ward_name])[0] if ward_name else codes
    bnames = _text(gdf[borough_name])[0] if borough_name else boroughs
    names = np.where(names == "", codes, names)
    bnames = np.where(bnames == "", boroughs, bnames)
    geoms = gdf.geometry.to_numpy()
    _check_geometries(geoms, codes, found)
    found.raise_if_any()

    gdf = to_bng(gdf, source)
    labels = np.array([f"{c} ({n})" for c, n in zip(codes, names)], dtype=object)
    geoms, mixed = _drop_stray_parts(gdf.geometry.to_numpy(), labels)
    geoms, repaired = repair_geometries(geoms, labels, found)
    found.raise_if_any()

    frame = pd.DataFrame(
        {"ward_code": codes, "ward_name": names, "borough_code": boroughs, "borough_name": bnames}
    ).astype(str)
    notes: list[str] = []
    if mixed:
        notes.append(
            f"{len(mixed)} ward geometr{'y was a' if len(mixed) == 1 else 'ies were'} GeometryCollection; "
            "kept the polygons and dropped stray lines / points: " + "; ".join(mixed)
        )
    if repaired:
        notes.append(
            f"repaired {len(repaired)} invalid ward geometr{'y' if len(repaired) == 1 else 'ies'} "
            "with shapely.make_valid (kept the polygonal part): " + "; ".join(repaired)
        )
    keep, excluded_notes = _exclude(frame, tuple(exclude_boroughs))
    notes.extend(excluded_notes)
    if not keep.any():
        raise DataError("no wards left after excluding boroughs " + ", ".join(exclude_boroughs), source)
    frame, geoms = frame[keep].reset_index(drop=True), geoms[keep]
    _check_borough_names(frame, borough_name, found)
    frame["bcu"] = _attach_bcu(frame, borough_bcu, found)
    found.raise_if_any()
    if borough_bcu is None:
        notes.append("no borough -> BCU table given; the bcu column is empty")

    out = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=BNG), crs=BNG)
    out = out.sort_values(["borough_code", "ward_code"], kind="stable").reset_index(drop=True)
    return WardLayer(frame=out[list(FRAME_COLUMNS)], notes=tuple(notes))


def _exclude(frame: pd.DataFrame, exclude: tuple[str, ...]) -> tuple[np.ndarray, list[str]]:
    drop = frame["borough_code"].isin(exclude).to_numpy()
    notes = []
    for code, rows in frame[drop].groupby("borough_code", sort=True):
        name = rows["borough_name"].iloc[0]
        notes.append(f"excluded the {len(rows)} wards of borough {code} ({name}) (exclude_boroughs)")
    return ~drop, notes


def _check_borough_names(frame: pd.DataFrame, column: str | None, found: Problems) -> None:
    per = frame.groupby("borough_code", sort=True)["borough_name"].unique()
    for code, names in per.items():
        if len(names) > 1:
            listed = ", ".join(sorted(names))
            found.add(f"borough {code} has {len(names)} names in column {column!r}: {listed}")


def _attach_bcu(frame: pd.DataFrame, table: Mapping[str, str] | None, found: Problems) -> pd.Series:
    if table is None:
        return pd.Series("", index=frame.index, dtype=str)
    bcu = frame["borough_code"].map(lambda code: str(table.get(code, "") or "").strip())
    lacking = frame.loc[bcu == "", ["borough_code", "borough_name"]].drop_duplicates()
    for code, name in lacking.itertuples(index=False):
        found.add(f"borough {code} ({name}) has no BCU in the borough -> BCU table; add a row for it")
    return bcu.astype(str)


def read_borough_bcu(path: str | Path, borough_code: str = "borough_code", bcu: str = "bcu_name") -> dict[str, str]:
    """Read the borough -> Basic Command Unit table.

    Parameters
    ----------
    path : str or pathlib.Path
        A CSV with at least the two columns below (e.g. ``borough_bcu.csv``).
    borough_code, bcu : str
        Column names of the borough code and the BCU name.

    Returns
    -------
    dict of str to str
        Borough code -> BCU, sorted by code. Rows with an empty BCU (e.g. the
        City of London, not policed by the Met) are skipped.

    Raises
    ------
    planner.errors.DataError
        For a missing, empty or unparsable file, a missing column (naming the
        available ones), a row with a BCU but no borough code, or a borough
        listed twice (naming the lines; line 1 is the header).
    """
    source = str(path)
    table = read_text_csv(path, (borough_code, bcu))
    found = Problems(source, DataError)
    codes = table[borough_code].str.strip()
    names = table[bcu].str.strip()
    lines = table.index.to_numpy() + 2
    for line in lines[(codes == "").to_numpy() & (names != "").to_numpy()]:
        found.add(f"line {line}: column {borough_code!r} is empty but {bcu!r} is {names[line - 2]!r}")
    used = codes != ""
    dup = codes[used & codes.duplicated(keep=False)]
    for code, rows in dup.groupby(dup, sort=True):
        found.add(f"borough {code} appears on lines {', '.join(str(i + 2) for i in rows.index)}")
    found.raise_if_any()
    keep = used & (names != "")
    return dict(sorted(zip(codes[keep], names[keep])))
