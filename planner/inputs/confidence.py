"""Public confidence per ward, from MOPAC's Public Attitude Survey (PAS).

The survey file (``data.confidence.path``) gives, per MOPAC neighbourhood
("Borough - Area") and for three groups of respondents (White British, Asian,
Black), the percentage answering positively to four questions, pooled over
2015-16 to 2020-21. It has three header lines (question, group, measure).
**A blank cell is a suppressed small sample, not zero**: it is read as
missing, and a neighbourhood with every cell blank has no figure at all.

Neighbourhoods are carried to wards by the mapping table shipped in
``scenarios/pas/`` (see :mod:`planner.inputs.pas_mapping`), which is checked
against the survey: every neighbourhood of the survey has at least one ward,
every planned ward has a neighbourhood, every neighbourhood named in the
mapping is in the survey.

A ward's **confidence** (for the chosen question, ``data.confidence.measure``)
is the mean of its neighbourhood's group figures weighted by the ward's own
residents in those groups (Census: White for White British, Asian, Black;
equal weights without ethnicity data), over the groups that have a figure;
a ward in two overlapping neighbourhoods takes the mean of those with one. It
is a small-area estimate, not a ward survey.

For planning, :attr:`WardConfidence.low_confidence` is the share of residents
*not* confident (``1 - confidence / 100``), with the wards whose figures are
all suppressed given their borough's mean (or London's, if the whole borough
is suppressed) and flagged in :attr:`WardConfidence.imputed`: a need driver
can use it without ever reading a suppressed cell as zero.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import DataError, Problems
from planner.files import read_bytes
from planner.inputs.crime import read_csv_table, require_columns
from planner.inputs.equity import WardEquity
from planner.scenario import ConfidenceSpec

Resolver = Callable[[str], Path]

MEASURES: dict[str, tuple[str, str]] = {
    "fair": ("treat everyone fairly", "police treat everyone fairly (% agree)"),
    "listen": ("listen to the concerns", "police listen to local concerns (% agree)"),
    "good_job": ("job", "police do a good job (% excellent or good)"),
    "stop_search": ("stop and search", "stop and search is used fairly (% confident)"),
}
"""Measure key -> (words that identify its question in the header, label)."""

GROUPS: dict[str, str] = {"White British": "white", "Asian": "asian", "Black": "black"}
"""Survey respondent group -> the Census group (key of :class:`WardEquity`) that weights it."""

_SHOWN = 8


@dataclass(frozen=True, eq=False)
class Survey:
    """The PAS file: percentages per neighbourhood, measure and group (NaN = suppressed).

    Attributes
    ----------
    neighbourhoods : tuple of str
        "Borough - Area", in file order.
    values : dict of measure -> np.ndarray, shape (N, 3)
        Percent per neighbourhood and group (columns in :data:`GROUPS` order); NaN where suppressed.
    lines : np.ndarray of int
        Line of each neighbourhood in the file.
    source : str
    """

    neighbourhoods: tuple[str, ...]
    values: dict[str, np.ndarray]
    lines: np.ndarray
    source: str

    @property
    def suppressed(self) -> list[str]:
        """Neighbourhoods with every cell blank."""
        stacked = np.stack(list(self.values.values()), axis=1)  # (N, M, G)
        empty = np.isnan(stacked).all(axis=(1, 2))
        return [n for n, e in zip(self.neighbourhoods, empty, strict=True) if e]


def read_survey(path: str | Path) -> Survey:  # noqa: C901
    """Read the PAS neighbourhood-by-ethnicity file.

    Raises
    ------
    DataError
        Every problem at once: header lines that do not name a known question
        and group for each column, a measure or group missing, empty or
        repeated neighbourhood names, names without " - ", values that are
        not numbers 0..100 (line and column named).
    """
    path = Path(path)
    source = str(path)
    raw = read_bytes(path, "Public Attitude Survey file",
                     missing="Public Attitude Survey file not found: check the path and --data-dir")  # fmt: skip
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[tuple[int, list[str]]] = []
    start = 1
    for record in reader:
        if "".join(record).strip():
            records.append((start, [c.strip() for c in record]))
        start = reader.line_num + 1
    found = Problems(source, DataError)
    if len(records) < 4:
        raise DataError("expected three header lines (question, group, measure) and data rows", source=source)
    (_, questions), (_, groups), _measures = records[0], records[1], records[2]
    width = len(questions)
    columns: dict[tuple[str, str], int] = {}
    for j in range(1, width):
        q = questions[j].casefold()
        measure = next((k for k, (words, _) in MEASURES.items() if words in q), None)
        group = groups[j] if j < len(groups) else ""
        if measure is None:
            found.add(f"line 1, column {j + 1}: question {questions[j]!r} is not one of the four PAS questions")
        elif group not in GROUPS:
            found.add(f"line 2, column {j + 1}: group {group!r} is not one of {', '.join(GROUPS)}")
        elif (measure, group) in columns:
            found.add(f"line 1, column {j + 1}: {measure} / {group} appears twice")
        else:
            columns[(measure, group)] = j
    missing = [f"{m} / {g}" for m in MEASURES for g in GROUPS if (m, g) not in columns]
    if missing and not found:
        found.add(f"header: no column for {', '.join(missing)}")
    found.raise_if_any()
    names: list[str] = []
    lines: list[int] = []
    values = {m: np.full((len(records) - 3, len(GROUPS)), np.nan) for m in MEASURES}
    seen: dict[str, int] = {}
    for r, (line, rec) in enumerate(records[3:]):
        if len(rec) != width:
            found.add(f"line {line}: has {len(rec)} fields but the header has {width}")
            continue
        name = rec[0]
        if not name:
            found.add(f"line {line}: the neighbourhood name is empty")
        elif " - " not in name:
            found.add(f"line {line}: neighbourhood {name!r} is not named 'Borough - Area'")
        elif name in seen:
            found.add(f"line {line}: neighbourhood {name!r} repeats line {seen[name]}")
        seen.setdefault(name, line)
        names.append(name)
        lines.append(line)
        for (measure, group), j in columns.items():
            cell = rec[j]
            if cell == "":
                continue  # suppressed small sample: missing, never zero
            try:
                v = float(cell)
            except ValueError:
                v = np.nan
            if not (np.isfinite(v) and 0 <= v <= 100):
                found.add(f"line {line}, column {j + 1} ({measure} / {group}): {cell!r} is not a percentage 0..100")
                continue
            values[measure][r, list(GROUPS).index(group)] = v
    found.raise_if_any()
    return Survey(tuple(names), values, np.asarray(lines, dtype=np.int64), source)


@dataclass(frozen=True, eq=False)
class NeighbourhoodMapping:
    """Ward to PAS neighbourhood rows (a ward may be in two overlapping neighbourhoods)."""

    ward_codes: np.ndarray
    neighbourhoods: np.ndarray
    source: str


def read_mapping(
    path: str | Path, survey: Survey, codes: Sequence[str] | np.ndarray
) -> tuple[NeighbourhoodMapping, list[str]]:
    """Read and check the ward to neighbourhood mapping against the survey and the planned wards.

    Parameters
    ----------
    path : str or Path
        CSV with ``ward_code`` and ``neighbourhood`` (other columns are for reading).
    survey : Survey
        The survey it maps to.
    codes : Sequence[str]
        The planned wards.

    Returns
    -------
    mapping : NeighbourhoodMapping
        The rows of planned wards.
    notes : list of str

    Raises
    ------
    DataError
        Every problem at once: empty cells, a neighbourhood not in the survey
        (line named), a (ward, neighbourhood) row repeated, a ward whose code
        does not belong to the neighbourhood's borough column, a survey
        neighbourhood with no ward, a planned ward with no neighbourhood.
    """
    table = read_csv_table(path, "PAS neighbourhood mapping")
    require_columns(table, ("ward_code", "neighbourhood"), "the mapping's header (ward_code, neighbourhood)")
    found = Problems(table.source, DataError)
    frame = table.frame
    ward = pd.Series(frame["ward_code"].astype(str).str.strip().tolist(), dtype=object)
    hood = pd.Series(frame["neighbourhood"].astype(str).str.strip().tolist(), dtype=object)
    known = set(survey.neighbourhoods)
    first: dict[tuple[str, str], int] = {}
    for k, (w, n) in enumerate(zip(ward, hood, strict=True)):
        line = int(table.lines[k])
        if not w or not n:
            found.add(f"line {line}: {'ward_code' if not w else 'neighbourhood'} is empty")
            continue
        if n not in known:
            found.add(f"line {line}: neighbourhood {n!r} is not in the survey file {survey.source}")
        if (w, n) in first:
            found.add(f"line {line}: ward {w} and {n!r} repeat line {first[(w, n)]}")
        first.setdefault((w, n), line)
    present = set(hood)
    unmatched = [n for n in survey.neighbourhoods if n not in present]
    if unmatched:
        found.add(f"{len(unmatched)} survey neighbourhood(s) have no ward: {', '.join(unmatched[:_SHOWN])}")
    planned = set(codes)
    uncovered = sorted(planned - set(ward))
    if uncovered:
        shown = ", ".join(uncovered[:20]) + (f" and {len(uncovered) - 20} more" if len(uncovered) > 20 else "")
        found.add(f"{len(uncovered)} planned ward(s) have no neighbourhood: {shown}")
    found.raise_if_any()
    notes = []
    inside = ward.isin(planned).to_numpy()
    if not inside.all():
        notes.append(f"confidence: {int((~inside).sum())} mapping row(s) for wards not planned left out")
    mapping = NeighbourhoodMapping(ward.to_numpy()[inside], hood.to_numpy()[inside], table.source)
    return mapping, notes


@dataclass(frozen=True, eq=False)
class WardConfidence:
    """Public confidence per ward (one survey question), in the plan's ward order.

    Attributes
    ----------
    codes : np.ndarray of str, shape (W,)
    measure : str
        Key of :data:`MEASURES`.
    label : str
        The measure in words, with its unit.
    confidence : np.ndarray of float, shape (W,)
        Percent positive; NaN where every figure of the ward's neighbourhood(s) is suppressed.
    low_confidence : np.ndarray of float, shape (W,)
        Share not positive, ``1 - confidence / 100``, in 0..1; imputed where
        ``confidence`` is NaN (see :attr:`imputed`).
    imputed : np.ndarray of bool, shape (W,)
        Wards whose figure was suppressed and filled with the borough's (or London's) mean.
    by_group : np.ndarray of float, shape (W, 3)
        The neighbourhood figure per respondent group (:data:`GROUPS` order), NaN where suppressed.
    neighbourhoods : np.ndarray of str, shape (W,)
        The ward's neighbourhood(s), joined with "; ".
    source : str
    notes : tuple of str
    """

    codes: np.ndarray
    measure: str
    label: str
    confidence: np.ndarray
    low_confidence: np.ndarray
    imputed: np.ndarray
    by_group: np.ndarray
    neighbourhoods: np.ndarray
    source: str
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        for name, dtype in (
            ("codes", str), ("confidence", float), ("low_confidence", float), ("imputed", bool),
            ("by_group", float), ("neighbourhoods", str),
        ):  # fmt: skip
            arr = np.array(getattr(self, name), dtype=dtype, copy=True)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        n = len(self.codes)
        bad = [k for k in ("confidence", "low_confidence", "imputed", "neighbourhoods") if len(getattr(self, k)) != n]
        if bad or self.by_group.shape != (n, len(GROUPS)):
            raise DataError(f"confidence arrays do not match the {n} wards: {', '.join(bad) or 'by_group'}")
        low = self.low_confidence
        if (~np.isfinite(low)).any() or (low < 0).any() or (low > 1).any():
            raise DataError("low_confidence must be a share 0..1 for every ward")

    def frame(self) -> pd.DataFrame:
        """One row per ward: neighbourhood(s), confidence, per group, low_confidence and whether imputed.

        Confidence is in percent, NaN where suppressed.
        """
        data = {"pas_neighbourhood": self.neighbourhoods, "confidence": self.confidence}
        for g, name in enumerate(GROUPS):
            data[f"confidence_{GROUPS[name]}"] = self.by_group[:, g]
        data["low_confidence"] = self.low_confidence
        data["confidence_imputed"] = self.imputed
        return pd.DataFrame(data, index=pd.Index(self.codes, name="ward_code"))


def ward_confidence(
    survey: Survey,
    mapping: NeighbourhoodMapping,
    codes: Sequence[str] | np.ndarray,
    borough: np.ndarray,
    measure: str = "good_job",
    equity: WardEquity | None = None,
) -> WardConfidence:
    """Carry one survey measure to the wards (see the module docstring for the rule).

    Parameters
    ----------
    survey, mapping
        From :func:`read_survey` and :func:`read_mapping`.
    codes : Sequence[str]
        Planned wards, in plan order.
    borough : np.ndarray of int, shape (W,)
        Borough index of each ward (for imputing suppressed wards).
    measure : str
        Key of :data:`MEASURES`.
    equity : WardEquity, optional
        Ethnic shares to weight the groups by; None (or without ethnicity): equal weights.
    """
    codes_arr = np.asarray([str(c) for c in codes])
    n = len(codes_arr)
    values = survey.values[measure]  # (N, G)
    hood_index = pd.Index(survey.neighbourhoods)
    ward_pos = pd.Index(codes_arr).get_indexer(pd.Index(mapping.ward_codes))
    hood_pos = hood_index.get_indexer(pd.Index(mapping.neighbourhoods))
    weights = np.ones((n, len(GROUPS)))
    weighting = "equal weights for the three respondent groups (no ethnicity data)"
    if equity is not None and equity.has_ethnicity and all(g in equity.groups for g in GROUPS.values()):
        weights = np.column_stack([equity.share(g) for g in GROUPS.values()])
        weighting = "groups weighted by the ward's Census residents (White, Asian, Black)"
    # per mapping row: the residents-weighted mean of the groups with a figure
    v = values[hood_pos]  # (R, G)
    w = np.where(np.isnan(v), 0.0, weights[ward_pos])
    wsum = w.sum(axis=1)
    row_value = np.where(wsum > 0, np.nansum(v * w, axis=1) / np.where(wsum > 0, wsum, 1.0), np.nan)
    has = np.isfinite(row_value)
    total = np.bincount(ward_pos[has], weights=row_value[has], minlength=n)
    count = np.bincount(ward_pos[has], minlength=n)
    confidence = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    by_group = np.full((n, len(GROUPS)), np.nan)
    names = np.full(n, "", dtype=object)
    for r in range(len(ward_pos)):  # a ward's groups: from its first neighbourhood with a figure
        i = ward_pos[r]
        names[i] = f"{names[i]}; {mapping.neighbourhoods[r]}" if names[i] else mapping.neighbourhoods[r]
        if np.isnan(by_group[i]).all():
            by_group[i] = v[r]
    low, imputed, fill_note = _impute(1.0 - confidence / 100.0, np.asarray(borough, dtype=np.int64))
    label = MEASURES[measure][1]
    suppressed = survey.suppressed
    notes = [
        f"confidence: {label}, Public Attitude Survey 2015-16 to 2020-21 by neighbourhood; {weighting}",
    ]
    if suppressed:
        notes.append(
            f"confidence: {len(suppressed)} survey neighbourhood(s) have every figure suppressed (small samples, "
            f"blank in the source; not zero): {', '.join(suppressed)}"
        )
    if imputed.any():
        notes.append(f"confidence: {int(imputed.sum())} ward(s) have no figure; {fill_note}")
    return WardConfidence(
        codes=codes_arr,
        measure=measure,
        label=label,
        confidence=confidence,
        low_confidence=low,
        imputed=imputed,
        by_group=by_group,
        neighbourhoods=names.astype(str),
        source=f"{survey.source} + {mapping.source}",
        notes=tuple(notes),
    )


def _impute(low: np.ndarray, borough: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
    """Fill NaN with the borough mean (over wards with a figure), else the London mean."""
    missing = ~np.isfinite(low)
    if not missing.any():
        return low, missing, ""
    have = ~missing
    if not have.any():
        raise DataError("no ward has a confidence figure: every survey cell of the planned wards is suppressed")
    nb = int(borough.max()) + 1
    s = np.bincount(borough[have], weights=low[have], minlength=nb)
    c = np.bincount(borough[have], minlength=nb)
    london = float(low[have].mean())
    borough_mean = np.where(c > 0, s / np.maximum(c, 1), london)
    filled = np.where(missing, borough_mean[borough], low)
    whole = int(np.sum(missing & (c[borough] == 0)))
    note = "their low_confidence is the mean of their borough's other wards"
    if whole:
        note += f" ({whole} in boroughs with no figure at all: London's mean, {london:.3f})"
    return filled, missing, note


def load_confidence(
    spec: ConfidenceSpec,
    codes: Sequence[str] | np.ndarray,
    borough: np.ndarray,
    resolve: Resolver,
    equity: WardEquity | None = None,
) -> tuple[WardConfidence, list[Path]]:
    """Read the survey and the mapping named by ``data.confidence`` and carry the measure to wards."""
    survey_path = resolve(spec.path)
    mapping_path = resolve(spec.mapping)
    survey = read_survey(survey_path)
    mapping, notes = read_mapping(mapping_path, survey, codes)
    result = ward_confidence(survey, mapping, codes, borough, spec.measure, equity)
    if notes:
        result = WardConfidence(**{**result.__dict__, "notes": (*result.notes, *notes)})
    return result, [survey_path, mapping_path]
