"""The need model: demand, harm, population and daytime load per ward, and their mix.

For each ward of the plan, over the months of the crime window:

* **demand** = recorded offences. With ``need.demand_weighted`` each offence
  counts ``sqrt(weight)`` times its harm weight, rescaled so that London-wide
  weighted demand equals the plain count (a homicide is "more work" than a
  shoplifting, but not thousands of times more, as it is for harm);
* **harm** = sum over offences of count x harm weight (with no weights
  table, harm is the plain count);
* **population** = resident population;
* **visitors** = station footfall a year (``data.visitors``, see
  :mod:`planner.inputs.visitors`), the daytime load residents miss.

Each is divided by its mean over the wards, and the combined need is their
weighted mean with the scenario's weights ``w_d, w_h, w_p, w_v``::

    need = (w_d * demand / mean(demand) + w_h * harm / mean(harm)
            + w_p * population / mean(population)
            + w_v * visitors / mean(visitors)) / (w_d + w_h + w_p + w_v)

so need has mean exactly 1 over the wards, does not change when every count is
scaled by the same factor, and grows with a ward's own counts.

Which crime counts is the scenario's choice: ``need.offences: neighbourhood``
keeps only offences a neighbourhood team can influence and
``need.domestic_sexual: exclude`` leaves out domestic and sexual offences
(both marked in the harm mapping file). A ward whose own crime is excluded (an
``exclude_need`` override, or rows filed under ``data.crime.exclude_labels``)
keeps its residents and visitors; its crime in need is, offence by offence,
its residents times the rate per resident of the other wards of its borough
(``need.excluded_crime: borough_rate``, the default: planned as a residential
ward of its borough), or nothing (``zero``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import DataError, ScenarioError
from planner.inputs.crime import CrimeWindow, CsvTable, crime_window, read_crime
from planner.inputs.harm import HarmWeights, read_harm_weights
from planner.inputs.population import read_population
from planner.scenario import CrimeSpec, DataSpec, MonthWindow, NeedSpec, NeedWindows, PcsoNeedWeights

COLUMNS: tuple[str, ...] = ("demand", "harm", "population", "visitors", "need")


@dataclass(frozen=True, eq=False)
class NeedTable:
    """Per-ward demand, harm, population, visitors and combined need.

    Attributes
    ----------
    frame : pd.DataFrame
        Index ``ward_code`` (in the order asked for), float columns
        ``demand``, ``harm``, ``population``, ``visitors`` (0 without
        station data), ``need``.
    notes : tuple of str
        What the crime reader, harm weights and need model did (months
        dropped, offences excluded or defaulted, wards dropped).
    months : tuple of int
        The crime window's months, ``YYYYMM``.
    excluded : np.ndarray of bool
        Wards whose own crime was left out of need (in ward order; empty
        when the table was built without this information).
    """

    frame: pd.DataFrame
    notes: tuple[str, ...]
    months: tuple[int, ...]
    excluded: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

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
    visitors: np.ndarray | None = None,
    exclude: np.ndarray | None = None,
    borough: np.ndarray | None = None,
) -> NeedTable:
    """Combine crime, harm weights, population and visitors into need per ward.

    Parameters
    ----------
    ward_codes : Sequence[str]
        The wards of the plan, in output order (unique).
    crime : CrimeWindow
        Counts per ward and offence. Rows for other wards (City of London,
        an excluded borough) are dropped with a note. Its
        ``excluded_wards`` have their own crime left out of need.
    harm : HarmWeights or None
        Weights per offence; None: harm equals plain counts (noted).
    population : pd.Series or None
        Population by ward code; must cover every ward. None: zeros, allowed
        only when the population weight is 0.
    spec : NeedSpec
        Weights of the mix, whether demand is harm-weighted, which offences
        count, and what an excluded ward's crime becomes.
    allow_no_crime : bool
        Accept wards with no crime rows at all (their counts are 0). Default
        False: such a ward is usually a code mismatch, so it is an error.
    visitors : np.ndarray of float, shape (W,), optional
        Station footfall per ward, in ``ward_codes`` order; None: none
        (then ``need.weights.visitors`` must be 0).
    exclude : np.ndarray of bool, shape (W,), optional
        Wards whose own crime is left out of need (``exclude_need``
        overrides), besides ``crime.excluded_wards``.
    borough : np.ndarray of int, shape (W,), optional
        Borough of each ward, for ``need.excluded_crime: borough_rate``;
        None: all wards are one borough.

    Returns
    -------
    NeedTable

    Raises
    ------
    DataError
        Duplicate ward codes; wards with no crime rows; offences with no
        harm weight or not classified for the offence filters; wards with
        no population; a component that is zero for every ward but has a
        positive weight.
    ScenarioError
        A positive population or visitors weight with no such data,
        weighted demand with no harm weights, an offence filter with no
        mapping column to filter by.
    """
    codes = _unique_codes(ward_codes)
    w = spec.weights
    if population is None and w.population > 0:
        raise ScenarioError(
            f"need.weights.population is {w.population:g} but no population data is given: "
            "set data.population, or set need.weights.population to 0"
        )
    if visitors is None and w.visitors > 0:
        raise ScenarioError(
            f"need.weights.visitors is {w.visitors:g} but no station footfall is given: "
            "set data.visitors, or set need.weights.visitors to 0"
        )
    if spec.demand_weighted and harm is None:
        raise ScenarioError("need.demand_weighted needs harm weights: set data.harm.weights, or turn it off")
    excluded = _excluded_mask(codes, crime, exclude)
    notes = list(crime.notes)
    counts = _counts_for(codes, crime, allow_no_crime, notes, set(np.asarray(codes)[excluded]))
    matrix, offences = _offence_matrix(codes, counts, harm.level if harm is not None else "minor")
    matrix, offences = _filter_offences(matrix, offences, harm, spec, crime.source or "the crime file", notes)
    pop = _population(codes, population)
    if excluded.any():
        matrix = _replace_excluded(matrix, excluded, pop if population is not None else None, borough, spec, notes)
        notes.append(_excluded_note(codes, excluded, spec))
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
    visit = np.zeros(len(codes)) if visitors is None else _visitors(visitors, len(codes))

    parts = {
        "demand": (demand, w.demand),
        "harm": (harm_v, w.harm),
        "population": (pop, w.population),
        "visitors": (visit, w.visitors),
    }
    need = combine(parts)
    used = [f"{weight_of:g} x {name}" for name, (_, weight_of) in parts.items() if name != "visitors" or weight_of > 0]
    notes.append(f"need = ({' + '.join(used)}) / {w.total:g}, each divided by its mean over {len(codes)} wards")
    frame = pd.DataFrame(
        {"demand": demand, "harm": harm_v, "population": pop, "visitors": visit, "need": need},
        index=pd.Index(codes, name="ward_code"),
    )
    return NeedTable(frame, tuple(notes), crime.months, excluded)


def combine(parts: dict[str, tuple[np.ndarray, float]]) -> np.ndarray:
    """The weighted mean of components, each divided by its mean over the wards.

    Parameters
    ----------
    parts : dict of name -> (values, weight)
        Each component's per-ward values (same length) and its weight
        (``>= 0``, at least one positive). A component of weight 0 is left
        out.

    Returns
    -------
    np.ndarray of float
        ``sum_c weight_c * values_c / mean(values_c) / sum_c weight_c``: mean 1.

    Raises
    ------
    DataError
        A component with a positive weight is zero in every ward.
    """
    total = sum(weight for _, weight in parts.values())
    need = np.zeros(len(next(iter(parts.values()))[0]))
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
    return need / total


def _visitors(visitors: np.ndarray, n: int) -> np.ndarray:
    values = np.asarray(visitors, dtype=float)
    if values.shape != (n,):
        raise DataError(f"visitors has shape {values.shape}, expected one figure per ward ({n})", source="need model")
    if not (np.isfinite(values) & (values >= 0)).all():
        raise DataError("visitors has a negative or missing figure", source="need model")
    return values


def _excluded_mask(codes: list[str], crime: CrimeWindow, exclude: np.ndarray | None) -> np.ndarray:
    mask = np.isin(np.asarray(codes, dtype=object), list(crime.excluded_wards))
    if exclude is not None:
        extra = np.asarray(exclude, dtype=bool)
        if extra.shape != mask.shape:
            raise DataError(f"exclude has {extra.size} entries for {mask.size} wards", source="need model")
        mask |= extra
    return mask


def _offence_matrix(codes: list[str], counts: pd.DataFrame, level: str) -> tuple[np.ndarray, list[str]]:
    """Offences per ward (rows in ``codes`` order) and the offence of each column."""
    by_offence = counts.pivot_table(
        index="ward_code", columns=level, values="count", aggfunc="sum", fill_value=0, sort=False
    ).reindex(index=codes, fill_value=0)
    return by_offence.to_numpy(dtype=float), [str(c) for c in by_offence.columns]


def _filter_offences(
    matrix: np.ndarray, offences: list[str], harm: HarmWeights | None, spec: NeedSpec, source: str, notes: list[str]
) -> tuple[np.ndarray, list[str]]:
    """Keep the offences the scenario counts (``need.offences``, ``need.domestic_sexual``)."""
    keep = np.ones(len(offences), dtype=bool)
    asks = []
    if spec.offences == "neighbourhood":
        asks.append(("neighbourhood", "need.offences: neighbourhood", True))
    if spec.domestic_sexual == "exclude":
        asks.append(("domestic_sexual", "need.domestic_sexual: exclude", False))
    if not asks:
        return matrix, offences
    totals = matrix.sum(axis=0)
    recorded = totals > 0
    for name, setting, wanted in asks:
        if harm is None:
            raise ScenarioError(
                f"{setting} needs a harm mapping file (data.harm.weights and data.harm.mapping) that marks "
                f"each offence in a yes/no column {name!r}"
            )
        marked = np.zeros(len(offences), dtype=bool)
        marked[recorded] = harm.in_class(
            [o for o, r in zip(offences, recorded, strict=True) if r], name, setting, source
        )
        drop = recorded & (marked != wanted)
        keep &= ~drop
        if drop.any():
            share = float(totals[drop].sum() / totals.sum()) if totals.sum() > 0 else 0.0
            notes.append(
                f"{setting}: {int(drop.sum())} offence categories left out of need, "
                f"{int(totals[drop].sum()):,} offences ({share:.1%} of those in the wards planned): "
                + ", ".join(o for o, d in zip(offences, drop, strict=True) if d)
            )
    return matrix[:, keep], [o for o, k in zip(offences, keep, strict=True) if k]


def _replace_excluded(
    matrix: np.ndarray,
    excluded: np.ndarray,
    population: np.ndarray | None,
    borough: np.ndarray | None,
    spec: NeedSpec,
    notes: list[str],
) -> np.ndarray:
    """The excluded wards' rows replaced by ``need.excluded_crime``."""
    out = matrix.copy()
    if spec.excluded_crime == "zero":
        out[excluded] = 0.0
        return out
    n = len(excluded)
    group = np.zeros(n, dtype=np.int64) if borough is None else np.asarray(borough, dtype=np.int64)
    size = population if population is not None else np.ones(n)
    if population is None:
        notes.append("need: no population data, so an excluded ward gets its borough's mean crime per ward")
    base = ~excluded
    london = out[base].sum(axis=0) / max(float(size[base].sum()), 1e-12) if base.any() else np.zeros(out.shape[1])
    for g in np.unique(group[excluded]):
        peers = base & (group == g)
        people = float(size[peers].sum())
        rate = out[peers].sum(axis=0) / people if people > 0 else london
        if not people > 0:
            notes.append("need: an excluded ward's borough has no other ward with residents: London's rate used")
        rows = excluded & (group == g)
        out[rows] = size[rows, None] * rate[None, :]
    return out


def _excluded_note(codes: list[str], excluded: np.ndarray, spec: NeedSpec) -> str:
    shown = ", ".join(np.asarray(codes, dtype=object)[excluded][:20])
    what = (
        "residents times their borough's crime per resident (need.excluded_crime: borough_rate)"
        if spec.excluded_crime == "borough_rate"
        else "no crime (need.excluded_crime: zero)"
    )
    return f"need: {int(excluded.sum())} ward(s) with their own crime excluded count {what}: {shown}"


def _unique_codes(ward_codes: Sequence[str]) -> list[str]:
    codes = [str(c) for c in ward_codes]
    if not codes:
        raise DataError("no wards to compute need for", source="need model")
    index = pd.Index(codes)
    if index.has_duplicates:
        dups = sorted(set(index[index.duplicated()]))
        raise DataError(f"ward codes repeated: {', '.join(dups)}", source="need model")
    return codes


def _counts_for(
    codes: list[str], crime: CrimeWindow, allow_no_crime: bool, notes: list[str], excused: set[str] | None = None
) -> pd.DataFrame:
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
    absent = sorted(set(codes) - set(counts["ward_code"]) - (excused or set()))
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
    """The (first, last) months ``YYYYMM`` of each need window.

    Each is ``spec.months`` long, ending at the last of ``months`` and every ``spec.every`` months before it, as many as
    fit after the first of ``months``.
    """
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
    *,
    visitors: np.ndarray | None = None,
    exclude: np.ndarray | None = None,
    borough: np.ndarray | None = None,
) -> NeedTable:
    """Need over the rolling windows of ``spec.windows`` cut from the crime table, combined per ward.

    Demand, harm and population are the windows' means; ``need`` is their mean,
    or each ward's lowest (``combine: worst``). ``visitors``, ``exclude`` and
    ``borough`` are passed to :func:`compute_need` for every window.

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
            visitors=visitors,
            exclude=exclude,
            borough=borough,
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
    excluded = np.logical_or.reduce([t.excluded for t in tables])
    return NeedTable(combined, tuple(dict.fromkeys(notes)), kept, excluded)


def pcso_need(
    weights: PcsoNeedWeights,
    residents: np.ndarray,
    crime_volume: np.ndarray,
    visitors: np.ndarray | None = None,
    low_confidence: np.ndarray | None = None,
) -> tuple[np.ndarray, tuple[str, ...]]:
    """The PCSOs' own need per ward, with mean 1.

    The weighted mean of residents, daytime visitors, volume of crime and low public confidence, each divided by its
    mean over the wards.

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
