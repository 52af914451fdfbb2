"""Harm weights per offence: a weights table plus an optional mapping file.

The harm scheme is the user's choice. A *weights table* is a CSV with one row
per offence class, a key column (``data.harm.key``) and a weight column
(``data.harm.value``); the Cambridge Crime Harm Index summarised per Home Office
offence subgroup is one such table. A *mapping file* (``data.harm.mapping``)
translates the crime file's offence names (``MinorText``, or ``MajorText`` when
``data.harm.offence_level`` is ``major``) into the table's keys, so one table
serves crime files with different classifications. A mapping row may name the
literal key ``EXCLUDE`` to leave an offence out of harm on purpose (e.g. fraud
reported to Action Fraud, which the CCHI does not weight).

A mapping file may also classify each offence in two yes/no columns (names set
by ``data.harm.mapping_neighbourhood`` and ``data.harm.mapping_domestic_sexual``):
``neighbourhood`` (a neighbourhood team can influence it) and
``domestic_sexual``. ``need.offences: neighbourhood`` and
``need.domestic_sexual: exclude`` use them (see :mod:`planner.inputs.need`).

Names are matched exactly after folding case and collapsing whitespace. An
offence recorded in the window with no weight is an error listing every such
offence, unless ``data.harm.default`` is set: then it gets the default and a
note names it. Nothing is ever silently weighted zero.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal

import numpy as np
import pandas as pd

from planner.errors import DataError, Problems, ScenarioError
from planner.inputs.crime import CsvTable, parse_numbers, read_csv_table, require_columns
from planner.inputs.tables import parse_flag
from planner.scenario import HarmSpec

MAX_HARM_WEIGHT = 1e9
"""Largest harm weight accepted (the Cambridge index's largest is about 5,500 days)."""

EXCLUDE = "EXCLUDE"
"""Mapping key that leaves an offence out of harm explicitly."""


def normalise(name: str) -> str:
    """Fold case and collapse whitespace: the form offence names are matched in."""
    return " ".join(str(name).split()).casefold()


@dataclass(frozen=True, eq=False)
class HarmWeights:
    """Weights per offence name, ready to apply to a crime window.

    Attributes
    ----------
    weights : Mapping[str, float]
        Normalised offence name (see :func:`normalise`) to weight. Holds the
        weights table's own keys and every offence of the mapping file.
    default : float or None
        Weight of an offence with none of its own; None makes that an error.
    source : str
        The files the weights came from (table, and mapping if any).
    level : {"minor", "major"}
        Which offence name of the crime file is weighted.
    excluded : frozenset of str
        Normalised offence names mapped to ``EXCLUDE`` (left out of harm).
    keys : Mapping[str, str]
        Normalised offence name to the table key it was weighted by (display).
    mapping_source : str or None
        The mapping file, if any (where a missing offence must be added).
    classes : Mapping[str, Mapping[str, bool]]
        Offence classes of the mapping file: ``"neighbourhood"`` and
        ``"domestic_sexual"`` (each present only when the mapping has its
        column), normalised offence name to yes/no.
    """

    weights: Mapping[str, float]
    default: float | None
    source: str
    level: Literal["minor", "major"] = "minor"
    excluded: frozenset[str] = frozenset()
    keys: Mapping[str, str] = field(default_factory=dict)
    mapping_source: str | None = None
    classes: Mapping[str, Mapping[str, bool]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "weights", MappingProxyType(dict(self.weights)))
        object.__setattr__(self, "keys", MappingProxyType(dict(self.keys)))
        object.__setattr__(self, "excluded", frozenset(self.excluded))
        frozen = {k: MappingProxyType(dict(v)) for k, v in self.classes.items()}
        object.__setattr__(self, "classes", MappingProxyType(frozen))

    def in_class(
        self, offences: Iterable[str], name: str, setting: str, crime_source: str = "the crime file"
    ) -> np.ndarray:
        """Whether each offence is in class ``name`` (``neighbourhood`` or ``domestic_sexual``).

        Parameters
        ----------
        offences : Iterable[str]
            Offence names as in the crime file.
        name : str
            The class (a column of the mapping file).
        setting : str
            The scenario setting that asked for it, for messages.
        crime_source : str
            The crime file, for messages.

        Returns
        -------
        np.ndarray of bool

        Raises
        ------
        ScenarioError
            The mapping file has no such column.
        DataError
            An offence is not in the mapping file (every such offence listed).
        """
        names = [str(o) for o in offences]
        marks = self.classes.get(name)
        if marks is None:
            raise ScenarioError(
                f"{setting} needs a harm mapping file (data.harm.mapping) with a yes/no column {name!r} "
                f"marking each offence; {self.mapping_source or 'no mapping file'} has none",
                source=self.mapping_source or self.source,
            )
        missing = sorted({o for o in names if normalise(o) not in marks})
        if missing:
            raise DataError(
                f"{len(missing)} offence(s) recorded in {crime_source} are not classified in column {name!r} "
                f"(needed by {setting}): {', '.join(map(repr, missing))}. Add a row for each to the mapping file",
                source=self.mapping_source or self.source,
            )
        return np.array([marks[normalise(o)] for o in names], dtype=bool)

    def resolve(self, offences: Iterable[str], crime_source: str = "the crime file") -> OffenceWeights:
        """Give each offence its weight, or raise listing every offence without one.

        Parameters
        ----------
        offences : Iterable[str]
            Offence names as in the crime file (duplicates are ignored).
        crime_source : str
            The crime file, for messages.

        Returns
        -------
        OffenceWeights

        Raises
        ------
        DataError
            If an offence has no weight and no default is set; every such
            offence is listed.
        """
        names = list(dict.fromkeys(str(o) for o in offences))
        weight: dict[str, float] = {}
        excluded: list[str] = []
        defaulted: list[str] = []
        unmapped: list[str] = []
        for name in names:
            key = normalise(name)
            if key in self.excluded:
                excluded.append(name)
            elif key in self.weights:
                weight[name] = float(self.weights[key])
            elif self.default is not None:
                weight[name] = float(self.default)
                defaulted.append(name)
            else:
                unmapped.append(name)
        if unmapped:
            where = self.mapping_source or self.source
            column = "MajorText" if self.level == "major" else "MinorText"
            raise DataError(
                f"{len(unmapped)} offence(s) ({column}) recorded in {crime_source} have no harm weight: "
                f"{', '.join(map(repr, sorted(unmapped)))}. Add a row for each to {where} "
                f"(map it to a key of the weights table, or to {EXCLUDE} to leave it out of harm), "
                "or set data.harm.default to weight them explicitly",
                source=where,
            )
        notes = []
        if excluded:
            notes.append(
                f"harm: {len(excluded)} offence(s) mapped to {EXCLUDE}, left out of harm: "
                + ", ".join(sorted(excluded))
            )
        if defaulted:
            notes.append(
                f"harm: {len(defaulted)} offence(s) with no weight of their own got the default "
                f"{self.default:g} (data.harm.default): " + ", ".join(sorted(defaulted))
            )
        return OffenceWeights(MappingProxyType(weight), tuple(sorted(excluded)), tuple(notes))


@dataclass(frozen=True)
class OffenceWeights:
    """Weights resolved for the offences of one crime window.

    Attributes
    ----------
    weight : Mapping[str, float]
        Offence name (as in the crime file) to weight; excluded offences absent.
    excluded : tuple of str
        Offences left out of harm (mapped to ``EXCLUDE``).
    notes : tuple of str
        What was excluded or defaulted.
    """

    weight: Mapping[str, float]
    excluded: tuple[str, ...]
    notes: tuple[str, ...]


def read_harm_weights(spec: HarmSpec, resolve: Callable[[str], Path]) -> HarmWeights | None:
    """Read the weights table (and mapping file) named by the scenario.

    Parameters
    ----------
    spec : HarmSpec
        ``data.harm`` of the scenario.
    resolve : Callable[[str], Path]
        Turns a path as written in the scenario into a file path (e.g.
        relative to ``--data-dir`` or to the scenario's folder).

    Returns
    -------
    HarmWeights or None
        None when ``spec.weights`` is None: harm then equals plain counts.

    Raises
    ------
    DataError
        Listing every problem: missing/empty files, missing columns, empty,
        negative or non-numeric weights (row named), duplicate keys, a
        mapping row whose key is not in the weights table, an offence mapped
        twice.
    """
    if spec.weights is None:
        return None
    table = read_csv_table(resolve(spec.weights), "harm weights file")
    if spec.alternative_value is not None and spec.alternative_value not in table.header:
        raise DataError(
            f"header (line 1): no column {spec.alternative_value!r} for data.harm.alternative_value "
            f"(found: {', '.join(table.header)})",
            source=table.source,
        )
    weights, display = _read_table(table, spec)
    keys = {k: display[k] for k in weights}
    excluded: set[str] = set()
    mapping_source = None
    sources = [table.source]
    classes: dict[str, dict[str, bool]] = {}
    if spec.mapping is not None:
        mapping = read_csv_table(resolve(spec.mapping), "harm mapping file")
        mapping_source = mapping.source
        sources.append(mapping.source)
        mapped, excluded = _read_mapping(mapping, spec, weights, table.source)
        classes = _read_classes(mapping, spec)
        for offence, key in mapped.items():
            weights[offence] = weights[key]
            keys[offence] = display[key]
    return HarmWeights(
        weights=weights,
        default=spec.default,
        source=" + ".join(sources),
        level=spec.offence_level,
        excluded=frozenset(excluded),
        keys=keys,
        mapping_source=mapping_source,
        classes=classes,
    )


def _read_classes(table: CsvTable, spec: HarmSpec) -> dict[str, dict[str, bool]]:
    """The yes/no class columns of a mapping file that has them (every row must be marked)."""
    found = Problems(table.source, DataError)
    out: dict[str, dict[str, bool]] = {}
    columns = {"neighbourhood": spec.mapping_neighbourhood, "domestic_sexual": spec.mapping_domestic_sexual}
    offences = table.frame[spec.mapping_offence]
    for name, column in columns.items():
        if column not in table.header:
            continue
        marks: dict[str, bool] = {}
        for offence, cell, line in zip(offences, table.frame[column], table.lines, strict=True):
            flag = parse_flag(cell)
            if flag is None:
                found.add(f"line {line}: column {column!r} is {cell!r} for offence {offence!r}: write yes or no")
            elif normalise(offence):
                marks[normalise(offence)] = flag
        out[name] = marks
    found.raise_if_any()
    return out


def harm_weights_from_frame(
    df: pd.DataFrame,
    source: str,
    *,
    key: str = "offence",
    value: str = "weight",
    default: float | None = None,
    level: Literal["minor", "major"] = "minor",
) -> HarmWeights:
    """Build :class:`HarmWeights` from a table in memory (e.g. the synthetic city's).

    Checked as a weights file is (rows numbered as in ``df.to_csv(index=False)``).

    Parameters
    ----------
    df : pd.DataFrame
        One row per offence class, columns ``key`` and ``value``.
    source : str
        Names the table in messages.
    key, value : str
        The key and weight columns.
    default : float or None
        Weight of offences with none of their own (None: an error).
    level : {"minor", "major"}
        Which offence name of the crime data the keys are.

    Returns
    -------
    HarmWeights
    """
    frame = df.reset_index(drop=True).astype(str).map(str.strip)
    table = CsvTable(tuple(str(c) for c in df.columns), frame, np.arange(2, len(df) + 2, dtype=np.int64), source)
    spec = HarmSpec(key=key, value=value, default=default, offence_level=level)
    weights, display = _read_table(table, spec)
    return HarmWeights(weights, default, source, level, keys={k: display[k] for k in weights})


def _read_table(table: CsvTable, spec: HarmSpec) -> tuple[dict[str, float], dict[str, str]]:
    require_columns(table, (spec.key, spec.value), "data.harm.key / data.harm.value")
    found = Problems(table.source, DataError)
    values = parse_numbers(table.frame, spec.value, table.lines, found, maximum=MAX_HARM_WEIGHT)
    weights: dict[str, float] = {}
    display: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for i, (raw, value) in enumerate(zip(table.frame[spec.key], values, strict=True)):
        line = int(table.lines[i])
        key = normalise(raw)
        if not key:
            found.add(f"line {line}: column {spec.key!r} is empty: every weight needs its offence key")
        elif key == normalise(EXCLUDE):
            found.add(f"line {line}: {EXCLUDE!r} is reserved for mapping files; rename this key")
        elif key in weights:
            found.add(
                f"line {line}: key {raw!r} repeats line {first_line[key]} "
                "(keys are compared ignoring case and spaces): keep one row per key"
            )
        elif not np.isnan(value):
            weights[key] = float(value)
            display[key] = str(raw)
            first_line[key] = line
    found.raise_if_any()
    return weights, display


def _read_mapping(
    table: CsvTable, spec: HarmSpec, weights: Mapping[str, float], weights_source: str
) -> tuple[dict[str, str], set[str]]:
    cols = (spec.mapping_offence, spec.mapping_key)
    require_columns(table, cols, "data.harm.mapping_offence / data.harm.mapping_key")
    found = Problems(table.source, DataError)
    mapped: dict[str, str] = {}
    excluded: set[str] = set()
    first_line: dict[str, int] = {}
    frame = table.frame
    for i, (offence, key) in enumerate(zip(frame[cols[0]], frame[cols[1]], strict=True)):
        line = int(table.lines[i])
        o, k = normalise(offence), normalise(key)
        if not o or not k:
            empty = cols[0] if not o else cols[1]
            found.add(f"line {line}: column {empty!r} is empty")
            continue
        if o in first_line:
            found.add(f"line {line}: offence {offence!r} is mapped again (first on line {first_line[o]})")
            continue
        first_line[o] = line
        if k == normalise(EXCLUDE):
            excluded.add(o)
        elif k in weights:
            mapped[o] = k
        else:
            found.add(
                f"line {line}: key {key!r} (for offence {offence!r}) is not a key of the weights table "
                f"{weights_source}: use one of its keys or {EXCLUDE}"
            )
    found.raise_if_any()
    return mapped, excluded


def weights_frame(harm: HarmWeights) -> pd.DataFrame:
    """The weights as a table (offence, key, weight), for reports."""
    rows = [(name, harm.keys.get(name, name), w) for name, w in harm.weights.items()]
    rows += [(name, EXCLUDE, np.nan) for name in sorted(harm.excluded)]
    return pd.DataFrame(rows, columns=["offence", "key", "weight"])
