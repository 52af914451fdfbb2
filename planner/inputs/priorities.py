"""Community priorities: ward panels raise the need of their ward for what they care about.

``data.priorities`` names a CSV with one row per (ward, priority)::

    ward_code,priority,weight
    E05013567,BURGLARY,0.5
    E05013567,neighbourhood crime,0.3

A **priority** is an offence group or subgroup of the crime file
(``MajorText`` or ``MinorText``, matched ignoring case and spaces) or one of
the named **themes** of :data:`THEMES` (sets of offence names covering both
MPS classifications). A ward has at most :data:`MAX_PER_WARD` priorities;
each **weight** is in (0, :data:`MAX_WEIGHT`].

**The rule.** For a ward ``w`` and a priority ``g``, let ``r`` be the share
of the ward's recorded offences that fall in ``g`` divided by that share
London-wide (``r = 1``: as common in the ward as in London; a ward with no
offences has ``r = 0``), capped at :data:`MAX_RELATIVE`. The ward's need is
multiplied by::

    factor = min(MAX_FACTOR, 1 + sum over its priorities of weight * min(r, MAX_RELATIVE))

and then every ward's need is divided by the mean over the wards, so need
keeps its mean of 1: priorities move officers between wards, they do not
create more. A priority therefore counts more where its offences are a larger
part of the ward's crime, and a panel cannot more than double its ward's need.

Unknown wards, unknown priorities, bad weights, repeated or too many
priorities are errors naming the file and line, all reported at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import DataError, Problems
from planner.inputs.crime import CrimeWindow, parse_numbers, read_csv_table, require_columns
from planner.inputs.harm import normalise

MAX_PER_WARD = 3
MAX_WEIGHT = 1.0
MAX_RELATIVE = 3.0
MAX_FACTOR = 2.0

THEMES: dict[str, tuple[str, ...]] = {
    "neighbourhood crime": (
        # Home Office "neighbourhood crime": domestic burglary, personal robbery, theft from the
        # person, vehicle offences; names of the 2024 and the 2021 MPS classifications
        "res burglary of a home", "res burglary of unconnected building", "burglary - residential",
        "domestic burglary", "robbery of personal property", "theft from the person", "theft from person",
        "vehicle offences",
    ),
    "violence against women and girls": (
        "sexual offences", "rape", "other sexual offences", "stalking and harassment",
    ),
    "violence": ("violence against the person",),
    "knife and weapon crime": ("possession of weapons",),
    "drugs": ("drug offences",),
    "anti-social behaviour": (
        # no anti-social behaviour data is published per ward: public order and criminal damage stand in
        "public order offences", "arson and criminal damage",
    ),
    "shop theft": ("shoplifting",),
}  # fmt: skip
"""Named themes -> offence groups or subgroups (normalised names) they cover."""


@dataclass(frozen=True, eq=False)
class PriorityTable:
    """Community priorities as read, one row per (ward, priority).

    Attributes
    ----------
    frame : pd.DataFrame
        ``ward_code``, ``priority`` (as written), ``weight`` (float), ``line`` (int).
    source : str
        The file (or "in memory").
    """

    frame: pd.DataFrame
    source: str


def priorities_from_frame(df: pd.DataFrame, source: str = "priorities") -> PriorityTable:
    """Check a table of ``ward_code, priority, weight`` (rows numbered as in its CSV).

    Raises
    ------
    DataError
        Every problem at once, by line: empty cells, a weight that is not a
        number in (0, 1], the same priority twice for a ward, more than three
        priorities for a ward.
    """
    frame = df.reset_index(drop=True).copy()
    if "line" not in frame.columns:
        frame["line"] = np.arange(2, len(frame) + 2)
    found = Problems(source, DataError)
    for col in ("ward_code", "priority"):
        frame[col] = frame[col].astype(str).str.strip()
        for line in frame.loc[frame[col].isin(["", "nan", "None"]), "line"]:
            found.add(f"line {line}: {col} is empty")
    lines = frame["line"].to_numpy(dtype=np.int64)
    weight = parse_numbers(frame.astype({"weight": object}), "weight", lines, found).to_numpy()
    out = np.isfinite(weight) & ((weight <= 0) | (weight > MAX_WEIGHT))
    for bad in np.flatnonzero(out):
        found.add(f"line {lines[bad]}: weight {weight[bad]:g} is outside (0, {MAX_WEIGHT:g}]")
    key = frame["ward_code"] + "\x00" + frame["priority"].map(normalise)
    first: dict[str, int] = {}
    for k, kv in enumerate(key):
        if kv in first:
            found.add(f"line {lines[k]}: ward {frame['ward_code'].iloc[k]} repeats priority "
                      f"{frame['priority'].iloc[k]!r} (line {first[kv]})")  # fmt: skip
        first.setdefault(kv, int(lines[k]))
    per_ward = frame.groupby("ward_code", sort=False)["line"].apply(list)
    for ward, ls in per_ward.items():
        if len(ls) > MAX_PER_WARD:
            found.add(f"lines {', '.join(map(str, ls))}: ward {ward} has {len(ls)} priorities; at most {MAX_PER_WARD}")
    found.raise_if_any()
    frame["weight"] = weight
    return PriorityTable(frame[["ward_code", "priority", "weight", "line"]].reset_index(drop=True), source)


def read_priorities(path: str | Path) -> PriorityTable:
    """Read ``data.priorities`` (CSV ``ward_code, priority, weight``); see :func:`priorities_from_frame`."""
    table = read_csv_table(path, "priorities file")
    require_columns(table, ("ward_code", "priority", "weight"), "the priorities file's header")
    frame = table.frame[["ward_code", "priority", "weight"]].copy()
    frame["line"] = table.lines
    return priorities_from_frame(frame, table.source)


@dataclass(frozen=True, eq=False)
class PriorityEffect:
    """What the priorities do to need.

    Attributes
    ----------
    factor : np.ndarray of float, shape (W,)
        Multiplier of each ward's need before the mean is restored (1 = no priority).
    relative : pd.DataFrame
        One row per priority: ``ward_code``, ``priority``, ``weight``,
        ``relative`` (the capped ``r`` of the rule), ``line``.
    notes : tuple of str
    """

    factor: np.ndarray
    relative: pd.DataFrame
    notes: tuple[str, ...]


def _offence_sets(crime: CrimeWindow) -> tuple[dict[str, set[str]], dict[str, str]]:
    """Normalised offence name -> the minor names it covers; and the display name of each."""
    counts = crime.counts
    covers: dict[str, set[str]] = {}
    shown: dict[str, str] = {}
    for major, minor in counts[["major", "minor"]].drop_duplicates().itertuples(index=False):
        for name in (major, minor):
            covers.setdefault(normalise(name), set()).add(str(minor))
            shown.setdefault(normalise(name), str(name))
    return covers, shown


def priority_effect(codes: Sequence[str] | np.ndarray, crime: CrimeWindow, table: PriorityTable) -> PriorityEffect:
    """Apply the rule of the module docstring.

    Parameters
    ----------
    codes : Sequence[str]
        The planned wards, in plan order.
    crime : CrimeWindow
        The crime window need is built from.
    table : PriorityTable

    Raises
    ------
    DataError
        A ward that is not planned, or a priority that is neither an offence
        group of the crime file nor a theme (line named, all at once).
    """
    codes_arr = [str(c) for c in codes]
    index = pd.Index(codes_arr)
    covers, _ = _offence_sets(crime)
    frame = table.frame
    found = Problems(table.source, DataError)
    where = index.get_indexer(pd.Index(frame["ward_code"]))
    for bad in np.flatnonzero(where < 0):
        found.add(f"line {frame['line'].iloc[bad]}: ward {frame['ward_code'].iloc[bad]} is not a ward of the plan")
    minors_of: list[set[str]] = []
    for _, row in frame.iterrows():
        name = normalise(row["priority"])
        if name in covers:
            minors_of.append(covers[name])
        elif name in THEMES:
            wanted: set[str] = set()
            for part in THEMES[name]:
                wanted |= covers.get(part, set())
            if not wanted:
                found.add(f"line {row['line']}: theme {row['priority']!r} matches no offence of {crime.source}")
            minors_of.append(wanted)
        else:
            found.add(
                f"line {row['line']}: priority {row['priority']!r} is not an offence group of "
                f"{crime.source or 'the crime file'} nor a theme ({', '.join(THEMES)})"
            )
            minors_of.append(set())
    found.raise_if_any()
    counts = crime.counts[crime.counts["ward_code"].isin(index)]
    by_minor = counts.pivot_table(
        index="ward_code", columns="minor", values="count", aggfunc="sum", fill_value=0
    ).reindex(index=codes_arr, fill_value=0)
    ward_total = by_minor.to_numpy(dtype=float).sum(axis=1)
    london_total = float(ward_total.sum())
    relative = np.zeros(len(frame))
    for k, minors in enumerate(minors_of):
        cols = [m for m in by_minor.columns if m in minors]
        in_group = by_minor[cols].to_numpy(dtype=float).sum(axis=1)
        london_share = in_group.sum() / london_total if london_total > 0 else 0.0
        w = where[k]
        if london_share > 0 and ward_total[w] > 0:
            relative[k] = min(MAX_RELATIVE, (in_group[w] / ward_total[w]) / london_share)
    add = np.zeros(len(codes_arr))
    np.add.at(add, where, frame["weight"].to_numpy(dtype=float) * relative)
    factor = np.minimum(MAX_FACTOR, 1.0 + add)
    capped = int(np.sum(1.0 + add > MAX_FACTOR))
    out = frame.assign(relative=relative)[["ward_code", "priority", "weight", "relative", "line"]]
    notes = [
        f"priorities: {len(frame)} priorit{'y' if len(frame) == 1 else 'ies'} in {int((factor != 1).sum())} ward(s) "
        f"from {table.source}: need x (1 + weight x the priority's share of the ward's offences relative to "
        f"London's, capped at {MAX_RELATIVE:g}), at most x {MAX_FACTOR:g}; then rescaled to mean 1"
    ]
    if capped:
        notes.append(f"priorities: {capped} ward(s) reached the cap of x {MAX_FACTOR:g}")
    return PriorityEffect(factor, out.reset_index(drop=True), tuple(notes))


def apply_priorities(need: np.ndarray, effect: PriorityEffect) -> np.ndarray:
    """Multiply need by the priority factors and restore its mean (the rule's last step)."""
    raised = np.asarray(need, dtype=float) * effect.factor
    mean = float(raised.mean())
    return raised * (float(np.mean(need)) / mean) if mean > 0 else raised
