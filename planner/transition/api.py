"""From the 2018 wards to the 2022 wards: the neighbourhood model carried across the boundary change.

Until May 2022 the Met's neighbourhood model sat on the 2018 wards: 2
dedicated ward officers and 1 PCSO on each of the 632 borough wards. The 2022
wards (679 in the 32 boroughs) cut across them. :func:`carry_over` rebuilds
the old model, overlays the two ward sets in British National Grid and moves
each old team onto the new wards by the share of its area (or of its
residents) in each, then rounds to whole people per new ward with a
largest-remainder rounding that keeps London's and every borough's totals.
:func:`build_transition` does it from the files of the data folder, and
:func:`write_transition` writes the result where ``data.current`` can use it.

The City of London is policed by the City of London Police, not the Met: its
wards are left out of both vintages. Wards are joined on codes, never names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from planner.errors import DataError, ScenarioError
from planner.rounding import round_within_groups
from planner.transition.model import NeighbourhoodModel, read_model
from planner.transition.summary import summarise, summary_text

Weights = Literal["area", "population"]

CITY_OF_LONDON = "E09000001"
FILES: dict[str, str] = {
    "wards_2018": "london_wards_2018_bng.gpkg",
    "wards_2022": "london_wards_2022_bng.gpkg",
    "census": "census2021_ts007a_age_lsoa_london.csv",
    "lookup": "lsoa21_to_ward_bestfit_london.csv",
}
"""The files of the data folder the transition reads (see the data folder's SOURCES.md)."""
COLUMNS_2018 = {"ward_code": "GSS_CODE", "ward_name": "NAME", "borough_code": "LAGSSCODE", "borough_name": "DISTRICT"}
"""The GLA 2018 ward file's columns."""
COLUMNS_2022 = {"ward_code": "WD22CD", "ward_name": "WD22NM", "borough_code": "LAD22CD", "borough_name": "LAD22NM"}
"""The ONS 2022 ward file's columns."""


@dataclass(frozen=True, eq=False)
class Transition:
    """The 2018 model, the overlay and the deployment it gives on the 2022 wards.

    Attributes
    ----------
    crosswalk : pandas.DataFrame
        ``ward_2018, ward_2022, share``: the share of each 2018 ward's team
        that goes to each 2022 ward (each 2018 ward's shares sum to 1).
    wards_2018 : pandas.DataFrame
        ``ward_code, ward_name, borough_code, borough, constables, pcsos``: the old model.
    wards_2022 : pandas.DataFrame
        ``ward_code, ward_name, borough_code, borough, constables, pcsos``
        (whole people) and ``constables_unrounded, pcsos_unrounded`` (the
        shares before rounding), one row per 2022 ward.
    model : NeighbourhoodModel
        The 2018 model and the 2022 floor used.
    weights : {"area", "population"}
        What the shares are proportional to.
    notes : tuple of str
        What the readers did (wards excluded, geometries repaired).
    """

    crosswalk: pd.DataFrame
    wards_2018: pd.DataFrame
    wards_2022: pd.DataFrame
    model: NeighbourhoodModel
    weights: Weights
    notes: tuple[str, ...] = field(default=())

    def summary(self) -> dict[str, Any]:
        """The plain summary (also written as summary.json); see :func:`planner.transition.summary.summarise`."""
        return summarise(self)

    def summary_text(self) -> str:
        """The summary in a few plain sentences, with units."""
        return summary_text(self.summary())


def _ward_table(frame: Any) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ward_code": frame["ward_code"].astype(str).to_numpy(),
            "ward_name": frame["ward_name"].astype(str).to_numpy(),
            "borough_code": frame["borough_code"].astype(str).to_numpy(),
            "borough": frame["borough_name"].astype(str).to_numpy(),
        }
    )


def carry_over(
    old: Any,
    new: Any,
    *,
    model: NeighbourhoodModel | None = None,
    population: pd.Series | None = None,
    sliver_m: float = 20.0,
) -> Transition:
    """Carry the neighbourhood model from the old wards to the new ones.

    Parameters
    ----------
    old, new : geopandas.GeoDataFrame
        Ward layers in EPSG:27700 with ``ward_code, ward_name, borough_code,
        borough_name, geometry`` (e.g. :attr:`geo.boundaries.WardLayer.frame`).
    model : NeighbourhoodModel, optional
        People per old ward; default 2 constables and 1 PCSO on every ward.
    population : pandas.Series, optional
        Residents per new ward (indexed by new code, every new ward). Given,
        each piece of an old ward weighs its area times its new ward's
        density; otherwise its area.
    sliver_m : float
        Overlay pieces thinner than this many metres are digitising slivers
        and carry nothing (see :func:`geo.crosswalk.area_crosswalk`).

    Returns
    -------
    Transition

    Raises
    ------
    planner.errors.DataError
        If an old ward overlaps no new ward, the model names unknown wards,
        or the population misses a new ward.
    """
    from geo.adjacency import ward_arrays
    from geo.crosswalk import apportion, area_crosswalk, reweight_crosswalk

    model = model or NeighbourhoodModel()
    old_t, new_t = _ward_table(old), _ward_table(new)
    x, p = model.counts(old_t["ward_code"].tolist())
    wards_2018 = old_t.assign(constables=x, pcsos=p)
    cw = area_crosswalk(old, new, old_code="ward_code", new_code="ward_code", sliver_m=sliver_m)
    weights: Weights = "area"
    if population is not None:
        density = population.reindex(new_t["ward_code"]) / ward_arrays(new)["area_km2"]
        if density.isna().any():
            lacking = new_t["ward_code"][density.isna().to_numpy()].tolist()
            raise DataError(f"{len(lacking)} 2022 wards have no population: {', '.join(lacking[:10])}", "population")
        cw = reweight_crosswalk(cw, density)
        weights = "population"
    cw = cw[cw["weight"] > 0].reset_index(drop=True)
    moved = apportion(wards_2018.set_index("ward_code")[["constables", "pcsos"]].astype(float), cw)
    moved = moved.reindex(new_t["ward_code"]).fillna(0.0)
    groups = new_t["borough_code"].to_numpy()
    wards_2022 = new_t.assign(
        constables=round_within_groups(moved["constables"].to_numpy(), groups),
        pcsos=round_within_groups(moved["pcsos"].to_numpy(), groups),
        constables_unrounded=moved["constables"].to_numpy(),
        pcsos_unrounded=moved["pcsos"].to_numpy(),
    )
    crosswalk = pd.DataFrame(
        {"ward_2018": cw["old_code"].to_numpy(), "ward_2022": cw["new_code"].to_numpy(), "share": cw["weight"]}
    )
    return Transition(crosswalk, wards_2018, wards_2022, model, weights)


def _read_layer(path: Path, layer: str, columns: dict[str, str]) -> Any:
    from geo.boundaries import read_wards

    return read_wards(
        path,
        layer=layer,
        ward_code=columns["ward_code"],
        ward_name=columns["ward_name"],
        borough_code=columns["borough_code"],
        borough_name=columns["borough_name"],
        exclude_boroughs=(CITY_OF_LONDON,),
    )


def _resolve(data_dir: Path, name: str) -> Path:
    path = data_dir / name
    if not path.is_file():
        raise DataError(f"{name} not found in the data folder {data_dir} (see its SOURCES.md)", str(path))
    return path


def build_transition(
    data_dir: str | Path | None = None, *, model: str | Path | None = None, weights: Weights = "area"
) -> Transition:
    """Rebuild the 2018 model from the data folder and carry it to the 2022 wards.

    Parameters
    ----------
    data_dir : str or Path, optional
        The data folder with the files of :data:`FILES` (default: the current folder).
    model : str or Path, optional
        A ``--model`` file (YAML or CSV, see :mod:`planner.transition.model`).
    weights : {"area", "population"}
        Split each 2018 ward by area, or by residents (Census 2021 LSOAs summed
        to the 2022 wards through the ONS best-fit lookup, spread evenly over
        each 2022 ward's area: the data folder has no LSOA boundaries).

    Returns
    -------
    Transition
    """
    from planner.inputs.population import population_from_lsoa

    if weights not in ("area", "population"):
        raise ScenarioError(f"weights must be 'area' or 'population', got {weights!r}")
    folder = Path(data_dir) if data_dir is not None else Path.cwd()
    if not folder.is_dir():
        raise ScenarioError(f"--data-dir {folder} is not a folder")
    spec = read_model(model)
    old = _read_layer(_resolve(folder, FILES["wards_2018"]), "london_wards_2018", COLUMNS_2018)
    new = _read_layer(_resolve(folder, FILES["wards_2022"]), "london_wards_2022", COLUMNS_2022)
    population = None
    if weights == "population":
        population = population_from_lsoa(
            _resolve(folder, FILES["census"]), _resolve(folder, FILES["lookup"]), ward_codes=new.frame["ward_code"]
        )
    result = carry_over(old.frame, new.frame, model=spec, population=population)
    notes = tuple(
        f"{vintage} wards: {note}"
        for vintage, layer in (("2018", old), ("2022", new))
        for note in layer.notes
        if "no borough -> BCU table" not in note  # BCUs play no part here
    )
    return Transition(result.crosswalk, result.wards_2018, result.wards_2022, spec, result.weights, notes)


def transition_writers(result: Transition) -> dict[str, Callable[[Path], None]]:
    """Writers for transition.csv, current_2018.csv, current_2022.csv and summary.json."""
    from planner.report.outputs import write_json

    summary = result.summary()
    tables = {
        "transition.csv": result.crosswalk,
        "current_2018.csv": result.wards_2018,
        "current_2022.csv": result.wards_2022,
    }

    def table_writer(frame: pd.DataFrame) -> Callable[[Path], None]:
        return lambda path: frame.to_csv(path, index=False)  # full precision: shares sum to 1 when read back

    writers: dict[str, Callable[[Path], None]] = {name: table_writer(frame) for name, frame in tables.items()}
    writers["summary.json"] = lambda path: write_json(path, summary)
    return writers


def write_transition(result: Transition, out_dir: str | Path) -> list[Path]:
    """Write the four files into ``out_dir``, all or nothing."""
    from planner.report.outputs import commit_files

    return commit_files(out_dir, transition_writers(result))
