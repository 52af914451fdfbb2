"""What changes from today, ward by ward: moved, added and removed people per rank, for an area.

Counted the way forces count it, by :mod:`planner.report.changes`: a person
who changes ward is **moved**; a new post filled is **added** (never a move);
a post left vacant is **removed**. "Today" is the plan's current deployment
(the scenario's ``data.current``: a file, or the plan of another scenario);
when the scenario has none, the app counts from the plan of the scenario as
filed and says so.

Per ward, ``today + moved in + added - moved out - removed = plan`` holds for
every rank; sergeants and inspectors are counted per borough, and only when
today's file gives them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planner.app.layers import DIVERGING, SEQ_BLUE, LayerSpec, LayerView, Legend, PlanView, change_classes, painted
from planner.app.layers import sequential_classes as _sequential
from planner.report.changes import FIELDS, Changes, RankChange
from planner.report.result import Plan

#: Plain names of the ranks (plural).
RANK_WORDS: dict[str, str] = {
    "constables": "Constables",
    "pcsos": "PCSOs",
    "sergeants": "Sergeants",
    "inspectors": "Inspectors",
}

#: Plain names of the measures of change (people of a rank per ward).
MEASURES: dict[str, str] = {
    "net": "Change from today",
    "moved_in": "Moved in from other wards",
    "moved_out": "Moved out to other wards",
    "added": "Added (new posts filled)",
    "removed": "Removed (posts left vacant)",
}

_FIELD_WORDS: dict[str, str] = {
    "before": "today",
    "after": "in the plan",
    "moved_in": "moved in",
    "moved_out": "moved out",
    "added": "added (new posts)",
    "removed": "removed (posts left vacant)",
}

#: Plain headers of :meth:`planner.report.changes.Changes.ward_table` (changes.csv), with units.
WARD_HEADERS: dict[str, str] = {
    "ward_code": "Ward code",
    "ward_name": "Ward",
    "borough": "Borough",
    **{
        f"{rank}_{f}": f"{RANK_WORDS[rank]} {_FIELD_WORDS[f]} (people)"
        for rank in ("constables", "pcsos")
        for f in FIELDS
    },
}


@dataclass(frozen=True, eq=False)
class Today:
    """The change from today of one plan.

    Attributes
    ----------
    label : str
        What "today" is, in words ("today's deployment (current.csv)").
    changes : Changes
    own : bool
        True when today is the scenario's own current deployment; False when the
        app stands in the plan of the scenario as filed.
    """

    label: str
    changes: Changes
    own: bool


def _source_words(sources: tuple[str, ...]) -> str:
    if not sources:
        return "today's deployment"
    first = sources[0]
    if "planner-app-" in first:  # the app's own baseline file: the plan of the scenario as filed
        return "the plan of the scenario as filed"
    if first.startswith("the plan of "):
        return f"today's deployment ({first})"
    return f"today's deployment (file {Path(first).name})"


def today_of(plan: Plan, filed: Plan | None = None) -> Today | None:
    """The change from today of ``plan``: from its current deployment, else from ``filed`` (None if neither).

    Parameters
    ----------
    plan : Plan
    filed : Plan, optional
        The plan of the scenario as filed, used when ``plan`` has no current
        deployment (and only when it is on the same wards).
    """
    own = plan.changes()
    if own is not None:
        assert plan.current is not None
        return Today(_source_words(plan.current.sources), own, "planner-app-" not in "".join(plan.current.sources))
    if filed is None or filed is plan or not np.array_equal(filed.wards.codes, plan.wards.codes):
        return None
    changes = Changes.of(
        (filed.constables, filed.pcsos, filed.sergeants, filed.inspectors),
        (plan.constables, plan.pcsos, plan.sergeants, plan.inspectors),
    )
    return Today("the plan of the scenario as filed", changes, False)


def _fields(change: RankChange, mask: np.ndarray) -> dict[str, int]:
    return {f: int(np.asarray(getattr(change, f))[mask].sum()) for f in FIELDS}


def rank_table(today: Today, ward_mask: np.ndarray, borough_mask: np.ndarray) -> pd.DataFrame:
    """Per rank, in the area's wards (supervisors: its boroughs): today, plan, moved in and out, added, removed, net.

    Every count is people; supervisors appear only when today's deployment gives them.
    """
    rows = []
    for rank, change in today.changes.ranks().items():
        mask = borough_mask if rank in ("sergeants", "inspectors") else ward_mask
        f = _fields(change, mask)
        rows.append(
            {
                "Rank": RANK_WORDS[rank],
                "Today (people)": f["before"],
                "In the plan (people)": f["after"],
                "Moved in (people)": f["moved_in"],
                "Moved out (people)": f["moved_out"],
                "Added: new posts filled (people)": f["added"],
                "Removed: posts left vacant (people)": f["removed"],
                "Net change (people)": f["after"] - f["before"],
            }
        )
    return pd.DataFrame(rows)


def ward_table(today: Today, plan: Plan, mask: np.ndarray, *, changed_only: bool = True) -> pd.DataFrame:
    """changes.csv for the wards of ``mask`` with plain headers, wards with the largest change first."""
    w = plan.wards
    table = today.changes.ward_table(w.codes, w.names, w.borough_names[w.borough])
    x, p = today.changes.constables, today.changes.pcsos
    size = np.abs(np.asarray(x.after) - np.asarray(x.before)) + np.abs(np.asarray(p.after) - np.asarray(p.before))
    keep = np.asarray(mask, dtype=bool) & ((size > 0) if changed_only else True)
    order = np.flatnonzero(keep)
    order = order[np.lexsort((w.codes[order], -size[order]))]
    return table.iloc[order].rename(columns=WARD_HEADERS).reset_index(drop=True)


def sentence(today: Today, ward_mask: np.ndarray, where: str = "") -> str:
    """Moved, added and removed per rank in the area, in one plain line."""
    parts = []
    for rank in ("constables", "pcsos"):
        f = _fields(today.changes.ranks()[rank], ward_mask)
        bits = [f"{f['moved_out']:,} move out and {f['moved_in']:,} move in"]
        if f["added"]:
            bits.append(f"{f['added']:,} added (new posts)")
        if f["removed"]:
            bits.append(f"{f['removed']:,} removed (posts left vacant)")
        parts.append(f"{RANK_WORDS[rank]}: " + ", ".join(bits))
    return f"From {today.label}{where}: " + "; ".join(parts) + "."


def measure_values(today: Today, rank: str, measure: str) -> np.ndarray:
    """People of ``rank`` (constables, pcsos or both) per ward for ``measure`` (a key of :data:`MEASURES`)."""
    ranks = ("constables", "pcsos") if rank == "both" else (rank,)
    total = np.zeros(len(today.changes.constables.before), dtype=float)
    for r in ranks:
        c = today.changes.ranks()[r]
        if measure == "net":
            total += np.asarray(c.after, dtype=float) - np.asarray(c.before, dtype=float)
        else:
            total += np.asarray(getattr(c, measure), dtype=float)
    return total


def today_layer(today: Today, rank: str, measure: str, mask: np.ndarray | None = None) -> LayerView:
    """The map layer of ``measure`` for ``rank`` ("constables", "pcsos" or "both"), classes fitted to ``mask``."""
    values = measure_values(today, rank, measure)
    noun = {"both": "constables + PCSOs", "constables": "constables", "pcsos": "PCSOs"}[rank]
    basis = values if mask is None or not np.any(mask) else values[np.asarray(mask, dtype=bool)]
    if measure == "net":
        breaks, cols, labels = change_classes(basis)
        note = "Losses and gains are each split into classes of about equal numbers of wards."
        text = [f"{round(v):+,}" if v else "0" for v in values]
    else:
        breaks, cols, labels = _sequential(basis, SEQ_BLUE if measure != "removed" else DIVERGING[:3][::-1], True)
        note = ""
        text = [f"{round(v):,}" for v in values]
    title = MEASURES[measure]
    spec = LayerSpec(f"today_{measure}", title, True, True, f"{title.lower()}: {noun} per ward")
    unit = f"{noun} per ward (people), from {today.label}"
    return painted(spec, values, breaks, Legend(title, unit, tuple(cols), tuple(labels), note), text)


def current_view(plan: Plan) -> PlanView | None:
    """The scenario's own current deployment as a reference for the map and headline figures.

    None when it has none, or when it is only the app's copy of the plan as filed, made for the stability limits.
    """
    cur = plan.current
    if cur is None or "planner-app-" in "".join(cur.sources):
        return None
    return PlanView(_source_words(cur.sources), np.asarray(cur.constables), np.asarray(cur.pcsos))
