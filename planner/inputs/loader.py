"""From a scenario to validated inputs: wards, adjacency, need, baseline.

Reading boundaries and crime is the slow part (about a second for London), so
it is split from the cheap part (combining need with the scenario's weights):
:class:`Geography` holds what the files say, :class:`Inputs` adds the need
and the baseline for one scenario. Callers that re-solve many variants of a
scenario (the app, batches) load once and pass ``inputs=`` to
:func:`planner.api.solve`, which re-derives only what changed.

Paths written in a scenario are looked up in ``data_dir`` first, then beside
the scenario file; an absolute path is used as it is.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.errors import DataError, Problems, ScenarioError
from planner.files import open_regular
from planner.inputs.crime import CrimeWindow, crime_from_frame, read_crime, read_csv_table
from planner.inputs.data import WardData
from planner.inputs.harm import HarmWeights, harm_weights_from_frame, read_harm_weights
from planner.inputs.need import compute_need
from planner.inputs.population import read_population
from planner.scenario import RANKS, CrimeSpec, DataSpec, Scenario
from planner.scenario.base import MAX_HEADCOUNT

Resolver = Callable[[str], Path]


def make_resolver(data_dir: str | Path | None, scenario_dir: str | Path | None) -> Resolver:
    """A function that finds a scenario path in ``data_dir``, then ``scenario_dir``."""
    roots = [Path(d) for d in (data_dir, scenario_dir) if d is not None]

    def resolve(name: str) -> Path:
        path = Path(name).expanduser()
        if path.is_absolute():
            if path.exists():
                return path
            raise DataError(f"file not found: {path}")
        tried = []
        for root in roots or [Path.cwd()]:
            candidate = root / path
            if candidate.exists():
                return candidate
            tried.append(str(candidate))
        hint = "" if data_dir is not None else " (pass --data-dir DIR to say where the data folder is)"
        raise DataError(f"file {name!r} not found; looked in: {', '.join(tried)}{hint}")

    return resolve


def _file_digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for path in sorted(set(paths)):
        h.update(path.name.encode())
        with open_regular(path, "data file") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def _spec_digest(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, eq=False)
class Geography:
    """What the data files (or the synthetic city) say, before any scenario weighting.

    Attributes
    ----------
    layer : geopandas.GeoDataFrame
        Ward polygons in EPSG:27700 (held opaquely: only :mod:`geo` looks inside).
    table : pandas.DataFrame
        ward_code, ward_name, borough_code, borough_name, bcu, in layer order.
    edges, area_km2, x, y : np.ndarray
        Queen adjacency and per-ward geometry figures.
    crime, harm, population
        The crime window, harm weights (or None) and population (or None).
    digest : str
        Hash of every input file read (or of the synthetic city's settings).
    data_key : str
        Hash of the ``data`` block this was loaded from.
    """

    layer: Any
    table: pd.DataFrame
    edges: np.ndarray
    area_km2: np.ndarray
    x: np.ndarray
    y: np.ndarray
    crime: CrimeWindow
    harm: HarmWeights | None
    population: pd.Series | None
    digest: str
    data_key: str
    notes: tuple[str, ...] = field(default=())


def _geo_arrays(layer: Any) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    from geo.adjacency import queen_edges, ward_arrays

    return queen_edges(layer), ward_arrays(layer)


def _synthetic_geography(data: DataSpec) -> Geography:
    from geo.synthetic import synthetic_city

    spec = data.synthetic
    city = synthetic_city(seed=spec.seed, boroughs=spec.boroughs, wards=spec.wards, bcus=spec.bcus)
    layer = city.layer.frame
    edges, arr = _geo_arrays(layer)
    crime = crime_from_frame(city.crime, CrimeSpec(path="synthetic"), "synthetic city crime")
    harm = harm_weights_from_frame(city.harm_weights, "synthetic city harm weights")
    pop = city.population.set_index("ward_code")["population"].astype(float)
    return Geography(
        layer=layer,
        table=pd.DataFrame(layer.drop(columns="geometry")),
        edges=edges,
        **arr,
        crime=crime,
        harm=harm,
        population=pop,
        digest=_spec_digest({"synthetic": spec.model_dump(), "generator": "geo.synthetic v1"}),
        data_key=_spec_digest(data.model_dump(mode="json")),
        notes=(*city.layer.notes, *crime.notes),
    )


def _file_geography(data: DataSpec, resolve: Resolver) -> Geography:
    from geo.boundaries import read_borough_bcu, read_wards

    assert data.wards is not None and data.crime is not None
    used: list[Path] = []
    bcu_table = None
    if data.borough_bcu is not None:
        bpath = resolve(data.borough_bcu.path)
        used.append(bpath)
        bcu_table = read_borough_bcu(bpath, data.borough_bcu.borough_code, data.borough_bcu.bcu)
    wspec = data.wards
    wpath = resolve(wspec.path)
    used.append(wpath)
    ward_layer = read_wards(
        wpath,
        layer=wspec.layer,
        ward_code=wspec.ward_code,
        ward_name=wspec.ward_name,
        borough_code=wspec.borough_code,
        borough_name=wspec.borough_name,
        exclude_boroughs=data.exclude_boroughs,
        borough_bcu=bcu_table,
    )
    layer = ward_layer.frame
    edges, arr = _geo_arrays(layer)
    cpath = resolve(data.crime.path)
    used.append(cpath)
    crime = read_crime(cpath, data.crime)

    def tracking(name: str) -> Path:
        path = resolve(name)
        used.append(path)
        return path

    harm = read_harm_weights(data.harm, tracking)
    population = None
    if data.population is not None:
        population = read_population(tracking(data.population.path), data.population)
    return Geography(
        layer=layer,
        table=pd.DataFrame(layer.drop(columns="geometry")),
        edges=edges,
        **arr,
        crime=crime,
        harm=harm,
        population=population,
        digest=_file_digest(used),
        data_key=_spec_digest(data.model_dump(mode="json")),
        notes=(*ward_layer.notes, *crime.notes),
    )


def load_geography(data: DataSpec, resolve: Resolver) -> Geography:
    """Read (or generate) the wards, adjacency, crime, harm weights and population."""
    if data.source == "synthetic":
        return _synthetic_geography(data)
    return _file_geography(data, resolve)


def build_wards(geo: Geography, scenario: Scenario) -> WardData:
    """Combine a geography with the scenario's need settings into :class:`WardData`."""
    t = geo.table
    codes = t["ward_code"].to_list()
    table = compute_need(codes, geo.crime, geo.harm, geo.population, scenario.need)
    boroughs = t.drop_duplicates("borough_code")[["borough_code", "borough_name", "bcu"]]
    b_index = pd.Index(boroughs["borough_code"])
    frame = table.frame.loc[codes]
    return WardData(
        codes=np.array(codes),
        names=t["ward_name"].to_numpy(),
        borough=b_index.get_indexer(t["borough_code"]),
        borough_codes=boroughs["borough_code"].to_numpy(),
        borough_names=boroughs["borough_name"].to_numpy(),
        borough_bcu=boroughs["bcu"].to_numpy(),
        demand=frame["demand"].to_numpy(),
        harm=frame["harm"].to_numpy(),
        population=frame["population"].to_numpy(),
        need=frame["need"].to_numpy(),
        edges=geo.edges,
        area_km2=geo.area_km2,
        x=geo.x,
        y=geo.y,
        notes=tuple(dict.fromkeys((*geo.notes, *table.notes))),
    )


def read_baseline(path: Path, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Current constables and PCSOs per ward from a CSV (ward_code, constables, pcsos)."""
    table = read_csv_table(path, "baseline allocation")
    found = Problems(str(path), DataError)
    missing = [c for c in ("ward_code", "constables", "pcsos") if c not in table.frame.columns]
    if missing:
        raise DataError(f"missing column(s) {', '.join(missing)}; need ward_code, constables, pcsos", str(path))
    frame = table.frame
    out = {}
    for col in ("constables", "pcsos"):
        vals = pd.to_numeric(frame[col], errors="coerce")
        bad = vals.isna() | (vals < 0) | (vals != np.floor(vals)) | (vals > MAX_HEADCOUNT)
        for k in np.flatnonzero(bad.to_numpy())[:10]:
            found.add(
                f"line {int(table.lines[k])}, column {col}: {frame[col].iloc[k]!r} is not a whole number "
                f"from 0 to {MAX_HEADCOUNT:,}"
            )
        out[col] = vals
    dup = frame["ward_code"].duplicated()
    for k in np.flatnonzero(dup.to_numpy())[:10]:
        found.add(f"line {int(table.lines[k])}: ward {frame['ward_code'].iloc[k]} appears twice")
    absent = sorted(set(codes) - set(frame["ward_code"]))
    if absent:
        found.add(f"{len(absent)} planned wards have no row: {', '.join(absent[:10])}")
    found.raise_if_any()
    idx = pd.Index(frame["ward_code"]).get_indexer(codes)
    return (
        out["constables"].to_numpy()[idx].astype(np.int64),
        out["pcsos"].to_numpy()[idx].astype(np.int64),
    )


def read_borough_caps(path: Path, borough_codes: np.ndarray) -> dict[str, np.ndarray]:
    """Per-borough headcount caps from a CSV (borough_code plus a column per rank, any subset)."""
    table = read_csv_table(path, "per-borough headcount")
    frame = table.frame
    if "borough_code" not in frame.columns:
        raise DataError("missing column borough_code", str(path))
    ranks = [r for r in RANKS if r in frame.columns]
    if not ranks:
        raise DataError(f"no rank columns; expected any of {', '.join(RANKS)}", str(path))
    found = Problems(str(path), DataError)
    idx = pd.Index(frame["borough_code"]).get_indexer(borough_codes)
    caps = {}
    for rank in ranks:
        vals = pd.to_numeric(frame[rank], errors="coerce")
        for k in np.flatnonzero((vals.isna() | (vals < 0) | (vals > MAX_HEADCOUNT)).to_numpy())[:10]:
            found.add(
                f"line {int(table.lines[k])}, column {rank}: {frame[rank].iloc[k]!r} is not a headcount "
                f"from 0 to {MAX_HEADCOUNT:,}"
            )
    found.raise_if_any()  # before any cast: a huge value must not wrap around
    ok = idx >= 0
    for rank in ranks:
        heads = pd.to_numeric(frame[rank], errors="coerce").fillna(0).to_numpy(dtype=float)
        arr = np.full(len(borough_codes), np.iinfo(np.int64).max // 4, dtype=np.int64)
        arr[ok] = np.floor(heads[idx[ok]]).astype(np.int64)
        caps[rank] = arr
    return caps


@dataclass(frozen=True, eq=False)
class Inputs:
    """Everything a solve needs besides the scenario's rules."""

    geography: Geography
    wards: WardData
    baseline: tuple[np.ndarray, np.ndarray] | None
    borough_caps: dict[str, np.ndarray] | None
    need_key: str
    aux_key: str
    aux_digest: str

    @property
    def layer(self) -> Any:
        """Ward polygons (GeoDataFrame, EPSG:27700), in WardData order."""
        return self.geography.layer

    @property
    def digest(self) -> str:
        """Hash of every input file (data, baseline, per-borough caps)."""
        return hashlib.sha256((self.geography.digest + self.aux_digest).encode()).hexdigest()


def _need_key(scenario: Scenario) -> str:
    return _spec_digest(scenario.need.model_dump(mode="json"))


def _aux_key(scenario: Scenario) -> str:
    return _spec_digest([scenario.rules.stability.baseline, scenario.workforce.per_borough])


def load_inputs(
    scenario: Scenario,
    data_dir: str | Path | None = None,
    *,
    scenario_dir: str | Path | None = None,
    reuse: Inputs | None = None,
) -> Inputs:
    """Load (or re-derive from ``reuse``) the inputs of ``scenario``.

    Parameters
    ----------
    scenario : Scenario
    data_dir : str or Path, optional
        Folder that data paths are relative to.
    scenario_dir : str or Path, optional
        The scenario file's folder (second place to look for relative paths).
    reuse : Inputs, optional
        Inputs loaded before; only the parts that depend on settings that
        changed are recomputed.
    """
    if data_dir is not None and not Path(data_dir).is_dir():
        raise ScenarioError(f"--data-dir {data_dir} is not a folder")
    resolve = make_resolver(data_dir, scenario_dir)
    data_key = _spec_digest(scenario.data.model_dump(mode="json"))
    if reuse is not None and reuse.geography.data_key == data_key:
        geo = reuse.geography
    else:
        geo = load_geography(scenario.data, resolve)
    need_key = _need_key(scenario)
    if reuse is not None and reuse.geography is geo and reuse.need_key == need_key:
        wards = reuse.wards
    else:
        wards = build_wards(geo, scenario)
    aux_key = _aux_key(scenario)
    if reuse is not None and reuse.geography is geo and reuse.aux_key == aux_key:
        return Inputs(geo, wards, reuse.baseline, reuse.borough_caps, need_key, aux_key, reuse.aux_digest)
    used: list[Path] = []
    baseline = None
    if scenario.rules.stability.baseline is not None:
        path = resolve(scenario.rules.stability.baseline)
        used.append(path)
        baseline = read_baseline(path, wards.codes)
    caps = None
    if scenario.workforce.per_borough is not None:
        path = resolve(scenario.workforce.per_borough)
        used.append(path)
        caps = read_borough_caps(path, wards.borough_codes)
    aux_digest = _file_digest(used) if used else ""
    return Inputs(geo, wards, baseline, caps, need_key, aux_key, aux_digest)
