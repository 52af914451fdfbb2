"""Deprivation and ethnicity per ward: the inputs of the equity lens.

Two small-area (2021 LSOA) files are joined to wards through a best-fit lookup
that puts each whole LSOA in one ward (ONS "LSOA21 to ward" best fit), always
by code, never by name:

* the **English Indices of Deprivation** (``data.deprivation``): a ward's IMD
  score is the mean of its LSOAs' scores weighted by their residents; its
  **decile** is the national decile that score falls in, read off the LSOA
  file itself (the boundary between two deciles is the midpoint between the
  lowest score of the more deprived decile and the highest of the other), so
  decile 1 is the most deprived tenth of England, as in the source;
* the **Census ethnic group** (``data.ethnicity``, long format): a ward's
  share of each group is the group's residents over all residents of its
  LSOAs.

Wards are then put in groups for the equity table and for rules that compare
groups: by IMD decile, and by **quintile of each ethnic group's share**, the
wards sorted by that share (ties by ward code) and cut into fifths of the
residents (a ward belongs to the fifth its middle resident falls in), so
each quintile holds about a fifth of Londoners.

LSOAs of wards that are not planned (the City of London's) are left out with
a note; a planned ward with no LSOA, or an LSOA of a planned ward missing from
a file, is an error listing every one. Every row of every file is checked and
all problems are reported at once, naming the file and line.

The synthetic city gets generated, clearly labelled, figures
(:func:`synthetic_equity`) so the demo shows the lens; they describe no real
place.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import DataError, Problems
from planner.inputs.crime import CsvTable, parse_numbers
from planner.inputs.tables import read_csv_fast
from planner.scenario import DataSpec, DeprivationSpec, EthnicitySpec, LsoaCountSpec, LsoaLookupSpec

Resolver = Callable[[str], Path]

#: Boundaries between national IMD 2025 deciles 1|2, 2|3, ... 9|10 (scores), read off the London
#: LSOA file as :func:`decile_thresholds` does; used only to label the synthetic city's wards.
IMD2025_THRESHOLDS: tuple[float, ...] = (44.907, 33.5225, 26.595, 21.5375, 17.441, 14.142, 11.1345, 8.38, 5.464)

QUINTILES = 5
_SHOWN = 8


def group_key(label: str) -> str:
    """Short key of an ethnic group label: its first word, lower case ("Black, Black British..." -> "black")."""
    words = re.findall(r"[A-Za-z]+", str(label))
    return words[0].lower() if words else ""


@dataclass(frozen=True)
class Grouping:
    """One way of putting wards in groups (IMD decile, quintile of a group's share).

    Attributes
    ----------
    name : str
        ``imd_decile`` or ``<group>_share_quintile`` (e.g. ``black_share_quintile``).
    title : str
        What the grouping is, in words.
    index : np.ndarray of int, shape (W,)
        Group of each ward, an index into ``keys`` and ``labels``.
    keys : tuple of int
        The decile or quintile number of each group (1 = most deprived, or
        lowest share).
    labels : tuple of str
        Each group in words, with its range.
    """

    name: str
    title: str
    index: np.ndarray
    keys: tuple[int, ...]
    labels: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class WardEquity:
    """Deprivation and ethnic composition per ward, in the plan's ward order.

    Attributes
    ----------
    codes : np.ndarray of str, shape (W,)
        Ward codes (same order as :class:`planner.inputs.data.WardData`).
    imd_score : np.ndarray of float, shape (W,)
        Population-weighted IMD score; NaN when there is no deprivation data.
    imd_decile : np.ndarray of int, shape (W,)
        National IMD decile of the ward's score (1 = most deprived); 0 when
        there is no deprivation data.
    groups : tuple of str
        Short keys of the ethnic groups (``asian``, ``black``, ...); empty
        when there is no ethnicity data.
    group_labels : tuple of str
        The groups as named in the source.
    shares : np.ndarray of float, shape (W, G)
        Share of each ward's residents in each group (rows sum to 1).
    share_quintile : np.ndarray of int, shape (W, G)
        Quintile (1 = lowest fifth of residents by share) of each group's share.
    residents : np.ndarray of float, shape (W,)
        Residents of the ward's LSOAs in the weighting source (NaN if none).
    lsoas : np.ndarray of int, shape (W,)
        Number of LSOAs of each ward (0 for the synthetic city).
    source : str
        The files, or "synthetic (illustrative, not real)".
    notes : tuple of str
        What the readers did that a user should know.
    """

    codes: np.ndarray
    imd_score: np.ndarray
    imd_decile: np.ndarray
    groups: tuple[str, ...]
    group_labels: tuple[str, ...]
    shares: np.ndarray
    share_quintile: np.ndarray
    residents: np.ndarray
    lsoas: np.ndarray
    source: str
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        n = len(self.codes)
        conv = {
            "codes": str, "imd_score": float, "imd_decile": np.int64, "shares": float,
            "share_quintile": np.int64, "residents": float, "lsoas": np.int64,
        }  # fmt: skip
        for name, dtype in conv.items():
            arr: np.ndarray = np.array(getattr(self, name), dtype=dtype, copy=True)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        g = len(self.groups)
        if self.shares.size == 0:
            for name in ("shares", "share_quintile"):
                empty = np.zeros((n, g), dtype=getattr(self, name).dtype)
                empty.setflags(write=False)
                object.__setattr__(self, name, empty)
        found = Problems("ward equity data", DataError)
        for name in ("imd_score", "imd_decile", "residents", "lsoas"):
            if len(getattr(self, name)) != n:
                found.add(f"{name} has {len(getattr(self, name))} entries for {n} wards")
        if self.shares.shape != (n, g) or self.share_quintile.shape != (n, g):
            found.add(f"shares must be ({n}, {g}) for {n} wards and {g} groups")
        if len(self.group_labels) != g:
            found.add("one label per ethnic group is needed")
        if self.has_deprivation and ((self.imd_decile < 1) | (self.imd_decile > 10)).any():
            found.add("IMD deciles must be 1..10")
        if self.has_ethnicity and (
            (~np.isfinite(self.shares)).any() or (self.shares < -1e-12).any() or (self.shares > 1 + 1e-9).any()
        ):
            found.add("ethnic shares must be within 0..1")
        found.raise_if_any()

    @property
    def has_deprivation(self) -> bool:
        """Whether IMD figures are present."""
        return bool(len(self.imd_decile)) and bool((self.imd_decile > 0).all())

    @property
    def has_ethnicity(self) -> bool:
        """Whether ethnic shares are present."""
        return len(self.groups) > 0

    @property
    def synthetic(self) -> bool:
        """Whether the figures were generated (the synthetic city)."""
        return self.source.startswith("synthetic")

    def share(self, group: str) -> np.ndarray:
        """Share of each ward's residents in ``group`` (a key of :attr:`groups`)."""
        return self.shares[:, self.groups.index(group)]

    def groupings(self) -> list[Grouping]:
        """The IMD-decile grouping (if any) and one share-quintile grouping per ethnic group."""
        out = []
        if self.has_deprivation:
            keys = tuple(int(k) for k in np.unique(self.imd_decile))
            index = np.searchsorted(np.array(keys), self.imd_decile)
            labels = []
            for k in keys:
                scores = self.imd_score[self.imd_decile == k]
                where = {1: " (most deprived tenth of England)", 10: " (least deprived tenth of England)"}.get(k, "")
                labels.append(f"IMD decile {k}{where}: ward scores {scores.min():.1f}-{scores.max():.1f}")
            out.append(Grouping("imd_decile", "national IMD decile of the ward", index, keys, tuple(labels)))
        for g, key in enumerate(self.groups):
            q = self.share_quintile[:, g]
            keys = tuple(int(k) for k in np.unique(q))
            index = np.searchsorted(np.array(keys), q)
            labels = []
            for k in keys:
                s = self.shares[q == k, g] * 100
                end = " (lowest)" if k == 1 else (" (highest)" if k == QUINTILES else "")
                labels.append(f"{key} share quintile {k}{end}: {s.min():.1f}-{s.max():.1f} % of residents")
            title = f"fifth of residents by the ward's share of {self.group_labels[g]}"
            out.append(Grouping(f"{key}_share_quintile", title, index, keys, tuple(labels)))
        return out

    def frame(self) -> pd.DataFrame:
        """One row per ward: imd_score, imd_decile, then ``share_<group>`` and ``<group>_share_quintile``."""
        data: dict[str, np.ndarray] = {}
        if self.has_deprivation:
            data["imd_score"] = self.imd_score
            data["imd_decile"] = self.imd_decile
        for g, key in enumerate(self.groups):
            data[f"share_{key}"] = self.shares[:, g]
        for g, key in enumerate(self.groups):
            data[f"{key}_share_quintile"] = self.share_quintile[:, g]
        return pd.DataFrame(data, index=pd.Index(self.codes, name="ward_code"))


# ------------------------------------------------------------------ grouping arithmetic


def decile_thresholds(scores: np.ndarray, deciles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Score boundaries between the deciles present in a small-area file.

    Parameters
    ----------
    scores, deciles : np.ndarray
        Score and national decile (1 = most deprived = highest score) of each small area.

    Returns
    -------
    keys : np.ndarray of int
        The deciles present, ascending.
    lower : np.ndarray of float
        ``lower[k]`` is the lowest score that is in decile ``keys[k]`` (the
        midpoint between that decile's lowest score and the next decile's
        highest); the last is ``-inf``. Non-increasing.
    """
    keys = np.unique(deciles.astype(np.int64))
    lower = np.full(len(keys), -np.inf)
    for k in range(len(keys) - 1):
        lower[k] = 0.5 * (scores[deciles == keys[k]].min() + scores[deciles == keys[k + 1]].max())
    lower = np.minimum.accumulate(lower)  # overlapping deciles cannot make the boundaries go up
    return keys, lower


def decile_of(score: np.ndarray, keys: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """The decile each score falls in, given :func:`decile_thresholds`."""
    score = np.asarray(score, dtype=float)
    # the first decile (most deprived first) whose lower boundary the score reaches
    reached = score[:, None] >= lower[None, :]
    return np.asarray(keys[np.argmax(reached, axis=1)], dtype=np.int64)


def share_quintiles(share: np.ndarray, residents: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Quintile (1..5) of each ward by ``share``, each quintile about a fifth of the residents.

    Wards are sorted by share (ties by code); a ward is in the fifth that its
    middle resident falls in. With no residents at all, wards count equally.
    """
    n = len(share)
    weights = np.asarray(residents, dtype=float)
    weights = np.where(np.isfinite(weights) & (weights > 0), weights, 0.0)
    if not weights.sum() > 0:
        weights = np.ones(n)
    order = np.lexsort((np.asarray(codes, dtype=str), np.asarray(share, dtype=float)))
    w = weights[order]
    middle = (np.cumsum(w) - 0.5 * w) / w.sum()
    q = np.empty(n, dtype=np.int64)
    q[order] = np.minimum(QUINTILES, 1 + np.floor(middle * QUINTILES).astype(np.int64))
    return q


# ------------------------------------------------------------------ readers


def _codes(table: CsvTable, column: str, found: Problems, what: str) -> pd.Series:
    codes = table.frame[column].astype(str).str.strip()
    empty = (codes == "").to_numpy()
    if empty.any():
        lines = ", ".join(str(x) for x in table.lines[empty][:_SHOWN])
        found.add(f"column {column!r}: empty {what} at line(s) {lines}")
    return codes


def _repeated(codes: pd.Series, table: CsvTable, column: str, found: Problems) -> None:
    dup = codes.duplicated(keep="first").to_numpy() & (codes != "").to_numpy()
    if dup.any():
        first = {c: int(table.lines[i]) for i, c in reversed(list(enumerate(codes)))}
        shown = [
            f"line {table.lines[i]} ({codes.iloc[i]}, first on line {first[codes.iloc[i]]})"
            for i in np.flatnonzero(dup)
        ]
        more = f" and {len(shown) - _SHOWN} more" if len(shown) > _SHOWN else ""
        found.add(f"column {column!r}: code repeated at {', '.join(shown[:_SHOWN])}{more}")


def read_lsoa_lookup(path: str | Path, spec: LsoaLookupSpec) -> pd.Series:
    """Read the LSOA to ward lookup.

    Returns
    -------
    pd.Series
        Ward code by LSOA code (index ``lsoa``).

    Raises
    ------
    DataError
        Missing columns, empty codes, an LSOA listed twice (every one named by line).
    """
    table = read_csv_fast(path, "LSOA to ward lookup", (spec.lsoa, spec.ward), "data.lsoa_lookup.lsoa / ward")
    found = Problems(table.source, DataError)
    lsoa = _codes(table, spec.lsoa, found, "LSOA code")
    ward = _codes(table, spec.ward, found, "ward code")
    _repeated(lsoa, table, spec.lsoa, found)
    found.raise_if_any()
    return pd.Series(ward.to_numpy(), index=pd.Index(lsoa.to_numpy(), name="lsoa"), name="ward_code")


def read_deprivation(path: str | Path, spec: DeprivationSpec) -> tuple[pd.DataFrame, str]:
    """Read IMD score and national decile per LSOA.

    Returns
    -------
    frame : pd.DataFrame
        Index ``lsoa``; ``score`` (float) and ``decile`` (int 1..10).
    source : str

    Raises
    ------
    DataError
        Missing columns; an empty or repeated LSOA code; a score that is not a
        finite number; a decile that is not a whole number 1..10 (lines named).
    """
    cols = (spec.lsoa, spec.score, spec.decile)
    table = read_csv_fast(path, "deprivation file", cols, "data.deprivation.lsoa / score / decile", cols[1:])
    found = Problems(table.source, DataError)
    lsoa = _codes(table, spec.lsoa, found, "LSOA code")
    _repeated(lsoa, table, spec.lsoa, found)
    raw = table.frame[spec.score]
    score = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(score)
    if bad.any():
        shown = [f"line {table.lines[i]} ({raw.iloc[i]!r})" for i in np.flatnonzero(bad)[:_SHOWN]]
        found.add(f"column {spec.score!r}: not a number at {', '.join(shown)}")
    decile = parse_numbers(table.frame, spec.decile, table.lines, found, integer=True).to_numpy()
    out_of_range = np.isfinite(decile) & ((decile < 1) | (decile > 10))
    if out_of_range.any():
        shown = [f"line {table.lines[i]} ({decile[i]:g})" for i in np.flatnonzero(out_of_range)[:_SHOWN]]
        found.add(f"column {spec.decile!r}: a decile must be 1..10, found {', '.join(shown)}")
    found.raise_if_any()
    frame = pd.DataFrame(
        {"score": score, "decile": decile.astype(np.int64)}, index=pd.Index(lsoa.to_numpy(), name="lsoa")
    )
    return frame, table.source


def read_ethnicity(path: str | Path, spec: EthnicitySpec) -> tuple[pd.DataFrame, tuple[str, ...], str]:
    """Read residents per LSOA and ethnic group (long format: one row per LSOA and group).

    Returns
    -------
    counts : pd.DataFrame
        Index ``lsoa``, one float column per group label (in first-seen order).
    labels : tuple of str
        The group labels as in the file.
    source : str

    Raises
    ------
    DataError
        Missing columns; empty codes or group names; counts that are not
        numbers >= 0; a (LSOA, group) pair given twice; an LSOA missing a
        group; two groups with the same short key (lines named).
    """
    cols = (spec.lsoa, spec.group, spec.count)
    table = read_csv_fast(path, "ethnicity file", cols, "data.ethnicity.lsoa / group / count", cols[2:])
    found = Problems(table.source, DataError)
    lsoa = _codes(table, spec.lsoa, found, "LSOA code")
    group = _codes(table, spec.group, found, "ethnic group")
    count = parse_numbers(table.frame, spec.count, table.lines, found)
    labels = tuple(str(g) for g in pd.unique(group[group != ""]))
    keys = [group_key(g) for g in labels]
    clash = sorted({k for k in keys if keys.count(k) > 1 or not k})
    if clash:
        found.add(
            f"column {spec.group!r}: groups must differ in their first word (found {', '.join(map(repr, labels))})"
        )
    dup = pd.DataFrame({"l": lsoa, "g": group}).duplicated(keep="first").to_numpy()
    if dup.any():
        shown = [f"line {table.lines[i]} ({lsoa.iloc[i]}, {group.iloc[i]})" for i in np.flatnonzero(dup)[:_SHOWN]]
        found.add(f"the same LSOA and group twice at {', '.join(shown)}")
    found.raise_if_any()
    wide = (
        pd.DataFrame({"lsoa": lsoa.to_numpy(), "group": group.to_numpy(), "n": count.to_numpy()})
        .pivot(index="lsoa", columns="group", values="n")
        .reindex(columns=list(labels))
    )
    gaps = wide.isna().to_numpy()
    if gaps.any():
        at_row, at_col = np.nonzero(gaps)
        pairs = zip(at_row[:_SHOWN], at_col[:_SHOWN], strict=True)
        shown = [f"{wide.index[r]} has no {labels[c]!r} row" for r, c in pairs]
        more = f" and {len(at_row) - _SHOWN} more" if len(at_row) > _SHOWN else ""
        raise DataError(f"every LSOA needs one row per group: {'; '.join(shown)}{more}", source=table.source)
    return wide.astype(float), labels, table.source


def read_lsoa_counts(path: str | Path, spec: LsoaCountSpec) -> pd.Series:
    """Residents per LSOA (index ``lsoa``), e.g. Census 2021 TS007A ``Age: Total``."""
    count_cols = (spec.lsoa, spec.value)
    table = read_csv_fast(
        path, "LSOA residents file", count_cols, "data.deprivation.population.lsoa / value", count_cols[1:]
    )
    found = Problems(table.source, DataError)
    lsoa = _codes(table, spec.lsoa, found, "LSOA code")
    _repeated(lsoa, table, spec.lsoa, found)
    values = parse_numbers(table.frame, spec.value, table.lines, found)
    found.raise_if_any()
    return pd.Series(values.to_numpy(dtype=float), index=pd.Index(lsoa.to_numpy(), name="lsoa"), name="residents")


# ------------------------------------------------------------------ to wards


def _planned_lsoas(lookup: pd.Series, codes: np.ndarray, source: str, notes: list[str]) -> pd.Series:
    """The lookup rows of planned wards; an error if a planned ward has no LSOA."""
    planned = set(codes)
    inside = lookup.isin(planned)
    if not inside.all():
        other = lookup[~inside]
        notes.append(
            f"equity: {len(other):,} LSOA(s) of {other.nunique()} ward(s) not planned (e.g. the City of "
            f"London) left out: {', '.join(sorted(set(other))[:5])}{' ...' if other.nunique() > 5 else ''}"
        )
    absent = sorted(planned - set(lookup[inside]))
    if absent:
        shown = ", ".join(absent[:20]) + (f" and {len(absent) - 20} more" if len(absent) > 20 else "")
        raise DataError(
            f"{len(absent)} planned ward(s) have no LSOA in the lookup: {shown}. Check that the lookup "
            "uses the same ward codes as the boundaries",
            source=source,
        )
    return lookup[inside]


def _cover(index: pd.Index, lsoas: pd.Index, source: str, what: str, notes: list[str]) -> None:
    missing = lsoas.difference(index)
    if len(missing):
        shown = ", ".join(sorted(missing)[:20]) + (f" and {len(missing) - 20} more" if len(missing) > 20 else "")
        raise DataError(f"{len(missing)} LSOA(s) of planned wards have no {what} row: {shown}", source=source)
    extra = index.difference(lsoas)
    if len(extra):
        notes.append(f"equity: {len(extra):,} LSOA row(s) of {Path(source).name} are not in a planned ward: left out")


def ward_equity(
    codes: Sequence[str] | np.ndarray,
    lookup: pd.Series,
    *,
    deprivation: pd.DataFrame | None = None,
    ethnicity: pd.DataFrame | None = None,
    group_labels: Sequence[str] = (),
    weights: pd.Series | None = None,
    sources: dict[str, str] | None = None,
) -> WardEquity:
    """Aggregate LSOA deprivation and ethnicity to the planned wards.

    Parameters
    ----------
    codes : Sequence[str]
        The planned wards, in plan order.
    lookup : pd.Series
        Ward code by LSOA code (:func:`read_lsoa_lookup`).
    deprivation : pd.DataFrame, optional
        ``score`` and ``decile`` by LSOA (:func:`read_deprivation`). The
        decile boundaries are read from every LSOA of the file.
    ethnicity : pd.DataFrame, optional
        Residents by LSOA and group (:func:`read_ethnicity`).
    group_labels : Sequence[str]
        The columns of ``ethnicity`` in order.
    weights : pd.Series, optional
        Residents by LSOA to weight IMD scores by; None: the ethnicity totals.
    sources : dict, optional
        File names by role (``lookup``, ``deprivation``, ``ethnicity``,
        ``weights``), for messages.

    Returns
    -------
    WardEquity
    """
    codes_arr = np.asarray([str(c) for c in codes])
    src = {"lookup": "LSOA lookup", "deprivation": "deprivation", "ethnicity": "ethnicity", "weights": "residents"}
    src.update(sources or {})
    notes: list[str] = []
    planned = _planned_lsoas(lookup, codes_arr, src["lookup"], notes)
    ward_of = pd.Index(codes_arr).get_indexer(planned.to_numpy())
    lsoas = planned.index
    n = len(codes_arr)
    n_lsoa = np.bincount(ward_of, minlength=n)
    residents = np.full(n, np.nan)
    shares = np.zeros((n, 0))
    labels = tuple(str(g) for g in group_labels)
    if ethnicity is not None:
        _cover(ethnicity.index, lsoas, src["ethnicity"], "ethnicity", notes)
        counts = ethnicity.loc[lsoas, list(labels)].to_numpy(dtype=float)
        per_ward = np.zeros((n, len(labels)))
        np.add.at(per_ward, ward_of, counts)
        residents = per_ward.sum(axis=1)
        empty = residents <= 0
        if empty.any():
            raise DataError(
                f"{int(empty.sum())} ward(s) have no residents in the ethnicity file: "
                f"{', '.join(codes_arr[empty][:10])}",
                source=src["ethnicity"],
            )
        shares = per_ward / residents[:, None]
    score = np.full(n, np.nan)
    decile = np.zeros(n, dtype=np.int64)
    if deprivation is not None:
        _cover(deprivation.index, lsoas, src["deprivation"], "deprivation", notes)
        if weights is None:
            if ethnicity is None:
                raise DataError("no residents per LSOA to weight deprivation by", source=src["deprivation"])
            w = ethnicity.loc[lsoas].to_numpy(dtype=float).sum(axis=1)
        else:
            _cover(weights.index, lsoas, src["weights"], "residents", notes)
            w = weights.loc[lsoas].to_numpy(dtype=float)
        s = deprivation.loc[lsoas, "score"].to_numpy(dtype=float)
        wsum = np.bincount(ward_of, weights=w, minlength=n)
        if (wsum <= 0).any():
            raise DataError(
                f"{int((wsum <= 0).sum())} ward(s) have no residents to weight deprivation by: "
                f"{', '.join(codes_arr[wsum <= 0][:10])}",
                source=src["weights"],
            )
        score = np.bincount(ward_of, weights=w * s, minlength=n) / wsum
        keys, lower = decile_thresholds(
            deprivation["score"].to_numpy(dtype=float), deprivation["decile"].to_numpy(dtype=np.int64)
        )
        decile = decile_of(score, keys, lower)
        notes.append(
            "equity: ward IMD score = residents-weighted mean over its LSOAs; decile = the national decile "
            "that score falls in (boundaries read from the LSOA file)"
        )
    quint = np.zeros((n, len(labels)), dtype=np.int64)
    weight_q = residents if ethnicity is not None else np.ones(n)
    for g in range(len(labels)):
        quint[:, g] = share_quintiles(shares[:, g], weight_q, codes_arr)
    used = [src[k] for k in ("lookup", "deprivation", "ethnicity", "weights") if k in (sources or {})]
    return WardEquity(
        codes=codes_arr,
        imd_score=score,
        imd_decile=decile,
        groups=tuple(group_key(g) for g in labels),
        group_labels=labels,
        shares=shares,
        share_quintile=quint,
        residents=residents,
        lsoas=n_lsoa,
        source=" + ".join(used) or "files",
        notes=tuple(notes),
    )


def load_equity(
    data: DataSpec, codes: Sequence[str] | np.ndarray, resolve: Resolver
) -> tuple[WardEquity | None, list[Path]]:
    """Read the deprivation and ethnicity files named by ``data`` and aggregate them to wards.

    Returns
    -------
    equity : WardEquity or None
        None when the scenario names neither file.
    used : list of Path
        The files read (for the input digest).
    """
    if data.deprivation is None and data.ethnicity is None:
        return None, []
    assert data.lsoa_lookup is not None  # the schema requires it
    used: list[Path] = []
    sources: dict[str, str] = {}

    def track(role: str, name: str) -> Path:
        path = resolve(name)
        used.append(path)
        sources[role] = str(path)
        return path

    lookup = read_lsoa_lookup(track("lookup", data.lsoa_lookup.path), data.lsoa_lookup)
    eth: pd.DataFrame | None = None
    labels: tuple[str, ...] = ()
    if data.ethnicity is not None:
        eth, labels, _ = read_ethnicity(track("ethnicity", data.ethnicity.path), data.ethnicity)
    dep, weights = None, None
    if data.deprivation is not None:
        dep, _ = read_deprivation(track("deprivation", data.deprivation.path), data.deprivation)
        if data.deprivation.population is not None:
            pop = data.deprivation.population
            weights = read_lsoa_counts(track("weights", pop.path), pop)
    equity = ward_equity(
        codes, lookup, deprivation=dep, ethnicity=eth, group_labels=labels, weights=weights, sources=sources
    )
    return equity, used


# ------------------------------------------------------------------ the synthetic city

#: Illustrative mean shares (about London's, Census 2021) of the synthetic city's groups.
_SYNTHETIC_GROUPS: tuple[tuple[str, float], ...] = (
    ("Asian, Asian British or Asian Welsh", 0.21),
    ("Black, Black British, Black Welsh, Caribbean or African", 0.135),
    ("Mixed or Multiple ethnic groups", 0.057),
    ("White", 0.54),
    ("Other ethnic group", 0.058),
)


def synthetic_equity(
    codes: Sequence[str] | np.ndarray,
    borough: np.ndarray,
    crime_per_resident: np.ndarray,
    population: np.ndarray,
    seed: int,
) -> WardEquity:
    """Generated deprivation and ethnic shares for the synthetic city (illustrative, not real).

    Deprivation rises with the ward's crime per resident and varies by
    borough; the Black and Asian shares rise with deprivation, as they
    broadly do across London. Same seed, same figures.
    """
    codes_arr = np.asarray([str(c) for c in codes])
    n = len(codes_arr)
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, 12])
    b = np.asarray(borough, dtype=np.int64)
    nb = int(b.max()) + 1 if n else 0
    rate = np.asarray(crime_per_resident, dtype=float)
    rank = (np.argsort(np.argsort(rate, kind="stable"), kind="stable") + 0.5) / max(n, 1)
    z = 0.8 * (rank - 0.5) * 3.4 + rng.normal(0, 0.35, nb)[b] + rng.normal(0, 0.45, n)
    score = np.exp(2.95 + 0.45 * z)
    keys = np.arange(1, 11)
    lower = np.array([*IMD2025_THRESHOLDS, -np.inf])
    decile = decile_of(score, keys, lower)
    base = np.log(np.array([s for _, s in _SYNTHETIC_GROUPS]))
    tilt = np.array([0.5, 0.8, 0.3, -0.6, 0.3])
    logits = base[None, :] + np.outer(z, tilt) + rng.normal(0, 0.3, (nb, 5))[b] + rng.normal(0, 0.25, (n, 5))
    shares = np.exp(logits)
    shares /= shares.sum(axis=1, keepdims=True)
    pop = np.asarray(population, dtype=float)
    quint = np.column_stack([share_quintiles(shares[:, g], pop, codes_arr) for g in range(5)])
    labels = tuple(label for label, _ in _SYNTHETIC_GROUPS)
    return WardEquity(
        codes=codes_arr,
        imd_score=score,
        imd_decile=decile,
        groups=tuple(group_key(g) for g in labels),
        group_labels=labels,
        shares=shares,
        share_quintile=quint,
        residents=pop,
        lsoas=np.zeros(n, dtype=np.int64),
        source="synthetic (illustrative, not real)",
        notes=("equity: the synthetic city's deprivation and ethnicity are generated, not real",),
    )
