"""From a scenario to validated inputs: wards, adjacency, need, current deployment.

Reading boundaries and crime is the slow part (about a second for London), so
it is split from the cheap part (combining need with the scenario's weights):
:class:`Geography` holds what the files say, :class:`Inputs` adds the need
and the current deployment for one scenario. Callers that re-solve many variants of a
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
from planner.inputs.confidence import WardConfidence, load_confidence
from planner.inputs.crime import (
    CrimeWindow,
    CsvTable,
    crime_table_from_frame,
    crime_window,
    read_crime_table,
    read_csv_table,
)
from planner.inputs.current import CurrentDeployment, check_regular_file, read_current
from planner.inputs.data import WardData
from planner.inputs.equity import WardEquity, load_equity, synthetic_equity
from planner.inputs.harm import HarmWeights, harm_weights_from_frame, read_harm_weights
from planner.inputs.need import compute_need, pcso_need, windowed_need
from planner.inputs.overrides import WardOverrides, check_minimums, read_overrides
from planner.inputs.population import read_population
from planner.inputs.priorities import PriorityTable, apply_priorities, priority_effect, read_priorities
from planner.inputs.visitors import WardVisitors, load_visitors
from planner.scenario import RANKS, CrimeSpec, DataSpec, Scenario, load_scenario
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
        Hash of the ``data`` block this was loaded from (community priorities
        left out: they are applied when need is built).
    equity : WardEquity or None
        Deprivation and ethnicity per ward (generated for the synthetic city).
    confidence : WardConfidence or None
        Public Attitude Survey confidence per ward.
    visitors : WardVisitors or None
        Station footfall per ward (``data.visitors``).
    notes : tuple of str
        What the readers did that a user should know.
    files : tuple of str
        The files read (as found), whose bytes ``digest`` hashes; empty for the synthetic city.
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
    equity: WardEquity | None = None
    confidence: WardConfidence | None = None
    visitors: WardVisitors | None = None
    crime_table: CsvTable | None = None
    """The crime file as read, to cut other windows from (need over several windows)."""
    crime_spec: CrimeSpec | None = None
    files: tuple[str, ...] = field(default=())


def geography_key(data: DataSpec) -> str:
    """Hash of the parts of the ``data`` block that the geography depends on.

    All but the community priorities and overrides (applied when need is built) and the current deployment (read per
    scenario).
    """
    return _spec_digest(data.model_dump(mode="json", exclude={"priorities", "overrides", "current"}))


def _borough_index(table: pd.DataFrame) -> np.ndarray:
    codes = table["borough_code"].to_numpy()
    return np.asarray(pd.Index(pd.unique(codes)).get_indexer(codes), dtype=np.int64)


def _geo_arrays(layer: Any) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    from geo.adjacency import queen_edges, ward_arrays

    return queen_edges(layer), ward_arrays(layer)


def _synthetic_geography(data: DataSpec, resolve: Resolver) -> Geography:
    from geo.synthetic import synthetic_city

    spec = data.synthetic
    city = synthetic_city(seed=spec.seed, boroughs=spec.boroughs, wards=spec.wards, bcus=spec.bcus)
    layer = city.layer.frame
    edges, arr = _geo_arrays(layer)
    crime_spec = CrimeSpec(path="synthetic")
    crime_table = crime_table_from_frame(city.crime, "synthetic city crime")
    crime = crime_window(crime_table, crime_spec)
    harm = harm_weights_from_frame(city.harm_weights, "synthetic city harm weights")
    pop = city.population.set_index("ward_code")["population"].astype(float)
    table = pd.DataFrame(layer.drop(columns="geometry"))
    equity = None
    if spec.equity:
        codes = table["ward_code"].to_numpy()
        per_ward = crime.counts.groupby("ward_code")["count"].sum().reindex(codes, fill_value=0).to_numpy()
        residents = pop.reindex(codes).to_numpy(dtype=float)
        rate = per_ward / np.maximum(residents, 1.0)
        equity = synthetic_equity(codes, _borough_index(table), rate, residents, spec.seed)
    visitors, digest = None, _spec_digest({"synthetic": spec.model_dump(), "generator": "geo.synthetic v1"})
    if data.visitors is not None:  # a station file in British National Grid metres, as for real wards
        visitors, path = load_visitors(data.visitors, layer, resolve)
        digest = _spec_digest([digest, _file_digest([path])])
    return Geography(
        layer=layer,
        table=table,
        edges=edges,
        area_km2=arr["area_km2"],
        x=arr["x"],
        y=arr["y"],
        crime=crime,
        harm=harm,
        population=pop,
        digest=digest,
        data_key=geography_key(data),
        notes=(
            *city.layer.notes,
            *crime.notes,
            *(equity.notes if equity else ()),
            *(visitors.notes if visitors else ()),
        ),
        equity=equity,
        visitors=visitors,
        crime_table=crime_table,
        crime_spec=crime_spec,
        files=(),
    )


def _file_geography(data: DataSpec, resolve: Resolver) -> Geography:
    from geo.boundaries import read_borough_bcu, read_wards

    assert data.wards is not None
    assert data.crime is not None
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
    crime_table = read_crime_table(cpath)
    crime = crime_window(crime_table, data.crime)

    def tracking(name: str) -> Path:
        path = resolve(name)
        used.append(path)
        return path

    harm = read_harm_weights(data.harm, tracking)
    population = None
    if data.population is not None:
        population = read_population(tracking(data.population.path), data.population)
    table = pd.DataFrame(layer.drop(columns="geometry"))
    codes = table["ward_code"].to_numpy()
    equity, equity_files = load_equity(data, codes, resolve)
    used += equity_files
    confidence = None
    if data.confidence is not None:
        confidence, survey_files = load_confidence(data.confidence, codes, _borough_index(table), resolve, equity)
        used += survey_files
    visitors = None
    if data.visitors is not None:
        visitors, visitors_file = load_visitors(data.visitors, layer, resolve)
        used.append(visitors_file)
    extra = (
        *(equity.notes if equity else ()),
        *(confidence.notes if confidence else ()),
        *(visitors.notes if visitors else ()),
    )
    return Geography(
        layer=layer,
        table=table,
        edges=edges,
        area_km2=arr["area_km2"],
        x=arr["x"],
        y=arr["y"],
        crime=crime,
        harm=harm,
        population=population,
        digest=_file_digest(used),
        data_key=geography_key(data),
        notes=(*ward_layer.notes, *crime.notes, *extra),
        equity=equity,
        confidence=confidence,
        visitors=visitors,
        crime_table=crime_table,
        crime_spec=data.crime,
        files=tuple(str(p) for p in used),
    )


def load_geography(data: DataSpec, resolve: Resolver) -> Geography:
    """Read (or generate) the wards, adjacency, crime, harm weights and population."""
    if data.source == "synthetic":
        return _synthetic_geography(data, resolve)
    return _file_geography(data, resolve)


def cached_geography(data: DataSpec, resolve: Resolver, roots: tuple[str | None, ...]) -> Geography:
    """:func:`load_geography` through the on-disk cache of :mod:`planner.inputs.cache`."""
    from planner.inputs import cache

    key = cache.entry_key(geography_key(data), roots)
    geo = cache.read_entry(key, _file_digest)
    if geo is None:
        geo = load_geography(data, resolve)
        cache.write_entry(key, geo)
    return geo


def build_wards(
    geo: Geography,
    scenario: Scenario,
    priorities: PriorityTable | None = None,
    overrides: WardOverrides | None = None,
) -> WardData:
    """Combine a geography with the need settings, community priorities and overrides into :class:`WardData`.

    The overrides' ``exclude_need`` is applied to need here.
    """
    t = geo.table
    codes = t["ward_code"].to_list()
    boroughs = t.drop_duplicates("borough_code")[["borough_code", "borough_name", "bcu"]]
    b_index = pd.Index(boroughs["borough_code"])
    extra = {
        "visitors": None if geo.visitors is None else geo.visitors.values,
        "exclude": None if overrides is None else overrides.exclude_need,
        "borough": b_index.get_indexer(t["borough_code"]),
    }
    if scenario.need.windows is not None and geo.crime_table is not None and geo.crime_spec is not None:
        table = windowed_need(
            codes, geo.crime_table, geo.crime_spec, geo.crime.months, geo.harm, geo.population, scenario.need,
            **extra,
        )  # fmt: skip
    else:
        table = compute_need(codes, geo.crime, geo.harm, geo.population, scenario.need, **extra)
    frame = table.frame.loc[codes]
    need = frame["need"].to_numpy()
    effect = None
    if priorities is not None:
        effect = priority_effect(codes, geo.crime, priorities)
        need = apply_priorities(need, effect)
    low_confidence = None if geo.confidence is None else geo.confidence.low_confidence
    visitors = None if geo.visitors is None else frame["visitors"].to_numpy()
    need_p, pcso_notes = pcso_need(
        scenario.need.pcso, frame["population"].to_numpy(), frame["demand"].to_numpy(), visitors, low_confidence
    )
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
        need=need,
        edges=geo.edges,
        area_km2=geo.area_km2,
        x=geo.x,
        y=geo.y,
        notes=tuple(dict.fromkeys((*geo.notes, *table.notes, *(effect.notes if effect else ()), *pcso_notes))),
        equity=geo.equity,
        confidence=geo.confidence,
        priorities=effect,
        visitors=None if geo.visitors is None else geo.visitors.values,
        overrides=overrides,
        crime_excluded=table.excluded if table.excluded.any() else None,
        need_pcso=need_p,
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
    """Everything a solve needs besides the scenario's rules.

    Attributes
    ----------
    geography : Geography
    wards : WardData
    current : CurrentDeployment or None
        Today's deployment, read from the CSV of ``data.current``; None when
        the scenario has none or names a scenario instead.
    current_scenario : Path or None
        The scenario file of ``data.current: {scenario: FILE}``, resolved and
        checked (its plan, solved first, is the current deployment); None otherwise.
    borough_caps : dict of rank -> (B,) int, or None
    need_key, aux_key, aux_digest : str
        What the cached parts were derived from.
    """

    geography: Geography
    wards: WardData
    current: CurrentDeployment | None
    current_scenario: Path | None
    borough_caps: dict[str, np.ndarray] | None
    need_key: str
    aux_key: str
    aux_digest: str
    need_digest: str = ""
    """Hash of the community priorities and overrides files (empty without either)."""

    @property
    def overrides(self) -> WardOverrides | None:
        """The per-ward overrides of ``data.overrides`` (same object as ``wards.overrides``), or None."""
        return self.wards.overrides

    @property
    def layer(self) -> Any:
        """Ward polygons (GeoDataFrame, EPSG:27700), in WardData order."""
        return self.geography.layer

    @property
    def baseline(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Current constables and PCSOs per ward, ``(x, p)``, or None (read-only view of :attr:`current`)."""
        return None if self.current is None else self.current.baseline

    @property
    def digest(self) -> str:
        """Hash of every input file (data, priorities, current deployment, per-borough caps)."""
        return hashlib.sha256((self.geography.digest + self.need_digest + self.aux_digest).encode()).hexdigest()


def _need_key(scenario: Scenario, priorities_digest: str = "") -> str:
    spec = scenario.data.priorities
    over = scenario.data.overrides
    return _spec_digest(
        [
            scenario.need.model_dump(mode="json"),
            spec and spec.model_dump(),
            over and over.model_dump(),
            priorities_digest,
        ]
    )


def _headcount(scenario: Scenario) -> dict[str, int]:
    return {rank: scenario.workforce.rank(rank).headcount for rank in RANKS}


def _aux_key(scenario: Scenario) -> str:
    current = None if scenario.data.current is None else scenario.data.current.model_dump(mode="json")
    return _spec_digest([current, _headcount(scenario), scenario.workforce.per_borough])


def resolve_scenario_file(name: str, data_dir: str | Path | None, scenario_dir: str | Path | None) -> Path:
    """Find the scenario named by ``data.current: {scenario: FILE}`` and check it.

    Looked up beside the scenario first (scenarios name each other), then in
    ``data_dir``; an absolute path is used as it is. The file must be a
    regular file holding a valid scenario; its data are not read here.

    Raises
    ------
    planner.errors.DataError
        If the file is not found or is not a regular file.
    planner.errors.ScenarioError
        If it is not a valid scenario (every problem listed).
    """
    path = make_resolver(scenario_dir, data_dir)(name)
    load_scenario(check_regular_file(path, "data.current scenario"))
    return path


def _read_current(
    scenario: Scenario, wards: WardData, resolve: Resolver, data_dir: str | Path | None,
    scenario_dir: str | Path | None, used: list[Path],
) -> tuple[CurrentDeployment | None, Path | None]:  # fmt: skip
    spec = scenario.data.current
    if spec is None:
        return None, None
    if spec.scenario is not None:
        path = resolve_scenario_file(spec.scenario, data_dir, scenario_dir)
        used.append(path)
        return None, path
    assert spec.path is not None
    ward_file = resolve(spec.path)
    borough_file = None if spec.boroughs is None else resolve(spec.boroughs)
    current = read_current(ward_file, wards, boroughs=borough_file, headcount=_headcount(scenario))
    used.extend(p for p in (ward_file, borough_file) if p is not None)
    return current, None


def load_inputs(
    scenario: Scenario,
    data_dir: str | Path | None = None,
    *,
    scenario_dir: str | Path | None = None,
    reuse: Inputs | None = None,
    cache: bool = False,
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
    cache : bool
        Keep the parsed data files in the user's cache folder and reuse them
        while the files are unchanged (:mod:`planner.inputs.cache`; off when
        ``PLANNER_CACHE=off``). The command line turns it on.
    """
    if data_dir is not None and not Path(data_dir).is_dir():
        raise ScenarioError(f"--data-dir {data_dir} is not a folder")
    resolve = make_resolver(data_dir, scenario_dir)
    key = geography_key(scenario.data)
    if reuse is not None and reuse.geography.data_key == key:
        geo = reuse.geography
    elif cache:
        from planner.inputs.cache import enabled

        roots = (None if data_dir is None else str(data_dir), None if scenario_dir is None else str(scenario_dir))
        geo = cached_geography(scenario.data, resolve, roots) if enabled() else load_geography(scenario.data, resolve)
    else:
        geo = load_geography(scenario.data, resolve)
    prio_path = None if scenario.data.priorities is None else resolve(scenario.data.priorities.path)
    over_path = None if scenario.data.overrides is None else resolve(scenario.data.overrides.path)
    need_files = [p for p in (prio_path, over_path) if p is not None]
    need_digest = _file_digest(need_files) if need_files else ""
    need_key = _need_key(scenario, need_digest)
    if reuse is not None and reuse.geography is geo and reuse.need_key == need_key:
        wards = reuse.wards
        if wards.overrides is not None:
            check_minimums(wards.overrides, _headcount(scenario))
    else:
        overrides = None
        if over_path is not None:
            t = geo.table
            overrides = read_overrides(
                over_path, t["ward_code"].tolist(), t["ward_name"].tolist(), _headcount(scenario)
            )
        wards = build_wards(geo, scenario, None if prio_path is None else read_priorities(prio_path), overrides)
    aux_key = _aux_key(scenario)
    if reuse is not None and reuse.geography is geo and reuse.aux_key == aux_key:
        return Inputs(
            geo, wards, reuse.current, reuse.current_scenario, reuse.borough_caps, need_key, aux_key,
            reuse.aux_digest, need_digest,
        )  # fmt: skip
    used: list[Path] = []
    current, current_scenario = _read_current(scenario, wards, resolve, data_dir, scenario_dir, used)
    caps = None
    if scenario.workforce.per_borough is not None:
        path = resolve(scenario.workforce.per_borough)
        used.append(path)
        caps = read_borough_caps(path, wards.borough_codes)
    aux_digest = _file_digest(used) if used else ""
    return Inputs(geo, wards, current, current_scenario, caps, need_key, aux_key, aux_digest, need_digest)
