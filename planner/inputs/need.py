"""The need model: demand, harm and population per ward, and their mix.

For each ward of the plan, over the months of the crime window:

* **demand** = recorded offences. With ``need.demand_weighted`` each offence
  counts ``sqrt(weight)`` times its harm weight, rescaled so that London-wide
  weighted demand equals the plain count (a homicide is "more work" than a
  shoplifting, but not thousands of times more, as it is for harm);
* **harm** = sum over offences of count x harm weight (with no weights
  table, harm is the plain count);
* **population** = resident population.

Each is divided by its mean over the wards, and the combined need is their
weighted mean with the scenario's weights ``w_d, w_h, w_p``::

    need = (w_d * demand / mean(demand) + w_h * harm / mean(harm)
            + w_p * population / mean(population)) / (w_d + w_h + w_p)

so need has mean exactly 1 over the wards, does not change when every count is
scaled by the same factor, and grows with a ward's own counts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import DataError, ScenarioError
from planner.inputs.crime import CrimeWindow, CsvTable, crime_window, read_crime
from planner.inputs.harm import HarmWeights, read_harm_weights
from planner.inputs.population import read_population
from planner.scenario import CrimeSpec, DataSpec, MonthWindow, NeedSpec, NeedWindows, PcsoNeedWeights

COLUMNS: tuple[str, ...] = ("demand", "harm", "population", "need")


@dataclass(frozen=True, eq=False)
class NeedTable:
    """Per-ward demand, harm, population and combined need.

    Attributes
    ----------
    frame : pd.DataFrame
        Index ``ward_code`` (in the order asked for), float columns
        ``demand``, ``harm``, ``population``, ``need``.
    notes : tuple of str
        What the crime reader, harm weights and need model did (months
        dropped, offences excluded or defaulted, wards dropped).
    months : tuple of int
        The crime window's months, ``YYYYMM``.
    """

    frame: pd.DataFrame
    notes: tuple[str, ...]
    months: tuple[int, ...]

    def array(self, column: str) -> np.ndarray:
        """One column as a float array in ward order."""
        return self.frame[column].to_numpy(dtype=float)


def compute_need(
    ward_codes: Sequence[str],
    crime: CrimeWindow,
    harm: HarmWeights | None,
    population: pd.Series | None,
    spec: NeedSpec,
    *,
    allow_no_crime: bool = False,
) -> NeedTable:
    """Combine crime, harm weights and population into need per ward.

    Parameters
    ----------
    ward_codes : Sequence[str]
        The wards of the plan, in output order (unique).
    crime : CrimeWindow
        Counts per ward and offence. Rows for other wards (City of London,
        an excluded borough) are dropped with a note.
    harm : HarmWeights or None
        Weights per offence; None: harm equals plain counts (noted).
    population : pd.Series or None
        Population by ward code; must cover every ward. None: zeros, allowed
        only when the population weight is 0.
    spec : NeedSpec
        Weights of the mix and whether demand is harm-weighted.
    allow_no_crime : bool
        Accept wards with no crime rows at all (their counts are 0). Default
        False: such a ward is usually a code mismatch, so it is an error.

    Returns
    -------
    NeedTable

    Raises
    ------
    DataError
        Duplicate ward codes; wards with no crime rows; offences with no
        harm weight; wards with no population; a component that is zero for
        every ward but has a positive weight.
    ScenarioError
        A positive population weight with no population data, or weighted
        demand with no harm weights.
    """
    codes = _unique_codes(ward_codes)
    w = spec.weights
    if population is None and w.population > 0:
        raise ScenarioError(
            f"need.weights.population is {w.population:g} but no population data is given: "
            "set data.population, or set need.weights.population to 0"
        )
    if spec.demand_weighted and harm is None:
        raise ScenarioError("need.demand_weighted needs harm weights: set data.harm.weights, or turn it off")
    notes = list(crime.notes)
    counts = _counts_for(codes, crime, allow_no_crime, notes)
    level = harm.level if harm is not None else "minor"
    by_offence = counts.pivot_table(
        index="ward_code", columns=level, values="count", aggfunc="sum", fill_value=0, sort=False
    ).reindex(index=codes, fill_value=0)
    matrix = by_offence.to_numpy(dtype=float)
    offences = [str(c) for c in by_offence.columns]
    recorded = [o for o, total in zip(offences, matrix.sum(axis=0), strict=True) if total > 0]

    if harm is None:
        weight = np.ones(len(offences))
        use = np.ones(len(offences), dtype=bool)
        notes.append("harm: no weights table (data.harm.weights): harm is the plain count of offences")
    else:
        resolved = harm.resolve(recorded, crime.source or "the crime file")
        notes.extend(resolved.notes)
        weight = np.array([resolved.weight.get(o, 0.0) for o in offences])
        use = np.array([o in resolved.weight for o in offences])
    demand = _demand(matrix, weight, use, spec.demand_weighted, notes)
    harm_v = matrix[:, use] @ weight[use]
    pop = _population(codes, population)

    parts = {"demand": (demand, w.demand), "harm": (harm_v, w.harm), "population": (pop, w.population)}
    need = np.zeros(len(codes))
    for name, (values, weight_of) in parts.items():
        if weight_of == 0:
            continue
        mean = float(values.mean())
        if not mean > 0:
            raise DataError(
                f"{name} is zero for every ward, so it cannot be normalised: "
                f"check the data or set need.weights.{name} to 0",
                source="need model",
            )
        need += weight_of * values / mean
    need /= w.demand + w.harm + w.population
    notes.append(
        f"need = ({w.demand:g} x demand + {w.harm:g} x harm + {w.population:g} x population) / "
        f"{w.demand + w.harm + w.population:g}, each divided by its mean over {len(codes)} wards"
    )
    frame = pd.DataFrame(
        {"demand": demand, "harm": harm_v, "population": pop, "need": need},
        index=pd.Index(codes, name="ward_code"),
    )
    return NeedTable(frame, tuple(notes), crime.months)


def _unique_codes(ward_codes: Sequence[str]) -> list[str]:
    codes = [str(c) for c in ward_codes]
    if not codes:
        raise DataError("no wards to compute need for", source="need model")
    index = pd.Index(codes)
    if index.has_duplicates:
        dups = sorted(set(index[index.duplicated()]))
        raise DataError(f"ward codes repeated: {', '.join(dups)}", source="need model")
    return codes


def _counts_for(codes: list[str], crime: CrimeWindow, allow_no_crime: bool, notes: list[str]) -> pd.DataFrame:
    counts = crime.counts
    inside = counts["ward_code"].isin(codes).to_numpy()
    if not inside.all():
        other = counts.loc[~inside]
        wards = list(pd.unique(other["ward_code"]))
        shown = ", ".join(wards[:10]) + (f" and {len(wards) - 10} more" if len(wards) > 10 else "")
        notes.append(
            f"crime: dropped {len(other):,} row(s) ({int(other['count'].sum()):,} offences) for "
            f"{len(wards)} ward code(s) not among the {len(codes)} wards planned: {shown}"
        )
        counts = counts.loc[inside]
    absent = sorted(set(codes) - set(counts["ward_code"]))
    if absent:
        shown = ", ".join(absent[:20]) + (f" and {len(absent) - 20} more" if len(absent) > 20 else "")
        if not allow_no_crime:
            raise DataError(
                f"{len(absent)} ward(s) have no crime rows at all: {shown}. "
                "Check that the crime file uses the same ward codes as the boundaries (2022 codes)",
                source=crime.source or "crime data",
            )
        notes.append(f"crime: {len(absent)} ward(s) have no crime rows and count 0: {shown}")
    return counts


def _demand(matrix: np.ndarray, weight: np.ndarray, use: np.ndarray, weighted: bool, notes: list[str]) -> np.ndarray:
    if not weighted:
        return np.asarray(matrix.sum(axis=1), dtype=float)
    per = np.where(use, np.sqrt(np.maximum(weight, 0.0)), 0.0)
    totals = matrix.sum(axis=0)
    weighted_total = float(totals @ per)
    if not weighted_total > 0:
        raise DataError("weighted demand is zero for every ward: every weight is 0", source="need model")
    per *= float(totals[use].sum()) / weighted_total
    notes.append(
        "demand: each offence weighted by the square root of its harm weight, rescaled so that the "
        "weighted total equals the count of weighted offences (need.demand_weighted)"
    )
    return np.asarray(matrix @ per, dtype=float)


def _population(codes: list[str], population: pd.Series | None) -> np.ndarray:
    if population is None:
        return np.zeros(len(codes))
    series = pd.Series(population)
    series.index = series.index.astype(str)
    if series.index.has_duplicates:
        dups = sorted(set(series.index[series.index.duplicated()]))
        raise DataError(f"population: ward codes repeated: {', '.join(dups[:10])}", source="population")
    values = series.reindex(codes)
    values = pd.to_numeric(values, errors="coerce")
    gaps = [c for c, v in zip(codes, values, strict=True) if not np.isfinite(v) or v < 0]
    if gaps:
        shown = ", ".join(gaps[:20]) + (f" and {len(gaps) - 20} more" if len(gaps) > 20 else "")
        raise DataError(
            f"{len(gaps)} ward(s) have no valid population figure: {shown}",
            source=str(series.name or "population"),
        )
    return values.to_numpy(dtype=float)


def need_from_files(
    ward_codes: Sequence[str],
    data: DataSpec,
    need: NeedSpec,
    resolve: Callable[[str], Path],
    *,
    allow_no_crime: bool = False,
) -> NeedTable:
    """Read crime, harm weights and population named by the scenario and compute need.

    Parameters
    ----------
    ward_codes : Sequence[str]
        The wards of the plan (City of London and excluded boroughs already
        left out), in output order.
    data : DataSpec
        ``scenario.data``; ``data.crime`` is required, ``data.population``
        optional (then the population weight must be 0).
    need : NeedSpec
        ``scenario.need``.
    resolve : Callable[[str], Path]
        Turns a path written in the scenario into a file path.
    allow_no_crime : bool
        As for :func:`compute_need`.

    Returns
    -------
    NeedTable
    """
    if data.crime is None:
        raise ScenarioError("data.crime is required to compute need from files")
    crime = read_crime(resolve(data.crime.path), data.crime)
    harm = read_harm_weights(data.harm, resolve)
    population = None
    if data.population is not None:
        population = read_population(resolve(data.population.path), data.population, ward_codes=ward_codes)
    return compute_need(ward_codes, crime, harm, population, need, allow_no_crime=allow_no_crime)


def _month_index(month: int) -> int:
    return (month // 100) * 12 + (month % 100) - 1


def _month_of(index: int) -> int:
    return (index // 12) * 100 + index % 12 + 1


def window_bounds(months: Sequence[int], spec: NeedWindows) -> list[tuple[int, int]]:
    """The (first, last) months ``YYYYMM`` of each need window: ``spec.months`` long, ending at the last of
    ``months`` and every ``spec.every`` months before it, as many as fit after the first of ``months``."""
    if not months:
        return []
    first, last = _month_index(min(months)), _month_index(max(months))
    out = []
    end = last
    while end - spec.months + 1 >= first:
        out.append((_month_of(end - spec.months + 1), _month_of(end)))
        end -= spec.every
    return out


def windowed_need(
    ward_codes: Sequence[str],
    table: CsvTable,
    crime_spec: CrimeSpec,
    months: Sequence[int],
    harm: HarmWeights | None,
    population: pd.Series | None,
    spec: NeedSpec,
) -> NeedTable:
    """Need over the rolling windows of ``spec.windows`` cut from the crime table, combined per ward.

    Demand, harm and population are the windows' means; ``need`` is their mean,
    or each ward's lowest (``combine: worst``).

    Raises
    ------
    ScenarioError
        If no window of the asked length fits in the crime window.
    """
    assert spec.windows is not None
    bounds = window_bounds(months, spec.windows)
    if not bounds:
        raise ScenarioError(
            f"need.windows.months is {spec.windows.months} but the crime window has {len(months)} months: "
            "shorten the windows or widen data.crime.months"
        )
    tables = [
        compute_need(
            ward_codes,
            crime_window(table, crime_spec.model_copy(update={"months": MonthWindow(start=lo, end=hi)})),
            harm,
            population,
            spec,
        )
        for lo, hi in bounds
    ]
    frames = [t.frame for t in tables]
    combined = sum(frames[1:], frames[0]) / len(frames)
    if spec.windows.combine == "worst":
        combined["need"] = np.minimum.reduce([f["need"].to_numpy() for f in frames])
    shown = ", ".join(f"{lo}-{hi}" for lo, hi in bounds)
    notes = [
        *tables[0].notes,
        f"need: {spec.windows.combine} of {len(bounds)} windows of {spec.windows.months} months: {shown}",
    ]
    kept = tuple(sorted({m for t in tables for m in t.months}))
    return NeedTable(combined, tuple(dict.fromkeys(notes)), kept)


def pcso_need(
    weights: PcsoNeedWeights,
    residents: np.ndarray,
    crime_volume: np.ndarray,
    visitors: np.ndarray | None = None,
    low_confidence: np.ndarray | None = None,
) -> tuple[np.ndarray, tuple[str, ...]]:
    """The PCSOs' own need per ward: the weighted mean of residents, daytime visitors, volume of crime and
    low public confidence, each divided by its mean over the wards (so the result has mean 1).

    A component with a positive weight but no data (None) or no spread (zero everywhere) is left out and
    the rest reweighted; the notes say which.
    """
    parts = {
        "residents": (residents, weights.residents),
        "visitors": (visitors, weights.visitors),
        "neighbourhood_crime": (crime_volume, weights.neighbourhood_crime),
        "low_confidence": (low_confidence, weights.low_confidence),
    }
    total = np.zeros(len(residents))
    used, notes = 0.0, []
    for name, (values, weight) in parts.items():
        if weight <= 0:
            continue
        if values is None:
            notes.append(f"PCSO need: no {name.replace('_', ' ')} data, so its weight ({weight:g}) is left out")
            continue
        arr = np.asarray(values, dtype=float)
        mean = float(arr.mean())
        if not np.isfinite(mean) or mean <= 0:
            notes.append(f"PCSO need: {name.replace('_', ' ')} is zero everywhere, so it is left out")
            continue
        total += weight * arr / mean
        used += weight
    if used <= 0:
        raise ScenarioError(
            "need.pcso: none of the PCSO need components has data; set need.pcso.residents above 0, or use "
            "objective.pcso_model: substitution"
        )
    names = [n.replace("_", " ") for n, (v, w) in parts.items() if w > 0 and v is not None]
    notes.append(f"PCSO need: weighted mean of {', '.join(names)}, each divided by its mean over the wards")
    return total / used, tuple(notes)
