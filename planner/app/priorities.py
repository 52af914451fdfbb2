"""Community priorities set in the app: a ward panel's priorities, checked like ``data.priorities``, and what moves.

A commander chooses a ward and up to :data:`~planner.inputs.priorities.MAX_PER_WARD`
priorities for it (an offence group of the crime data or a named theme, each
with a weight in (0, 1]). The table of every ward's priorities is checked by
the planner's own readers (:func:`~planner.inputs.priorities.priorities_from_frame`,
:func:`~planner.inputs.priorities.priority_effect`), written as the CSV that
``data.priorities`` names, and the scenario is solved again with it; the page
then shows what moved between the plan without and with the edit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from planner.inputs.crime import CrimeWindow
from planner.inputs.harm import normalise
from planner.inputs.priorities import (
    MAX_PER_WARD,
    THEMES,
    PriorityEffect,
    priorities_from_frame,
    priority_effect,
    read_priorities,
)
from planner.report.result import Plan
from planner.scenario import Scenario
from planner.textsafe import safe_frame

COLUMNS: list[str] = ["ward_code", "priority", "weight"]


def empty_table() -> pd.DataFrame:
    """A priorities table with no rows."""
    return pd.DataFrame({"ward_code": pd.Series(dtype=str), "priority": pd.Series(dtype=str),
                         "weight": pd.Series(dtype=float)})  # fmt: skip


def priority_choices(crime: CrimeWindow) -> list[str]:
    """What a ward can name as a priority: the themes, then the offence groups and subgroups of the crime data."""
    seen = {normalise(t) for t in THEMES}
    out = list(THEMES)
    counts = crime.counts
    for column in ("major", "minor"):
        if column not in counts.columns:
            continue
        for name in sorted({str(n) for n in counts[column].dropna().unique()}, key=str.casefold):
            if normalise(name) not in seen:
                seen.add(normalise(name))
                out.append(name)
    return out


def scenario_table(scenario: Scenario, scenario_dir: str | None, data_dir: str | None) -> pd.DataFrame:
    """The scenario's own priorities (``data.priorities``), or no rows when it has none.

    Raises
    ------
    planner.errors.DataError
        If the file is missing or broken (every problem named by line).
    """
    spec = scenario.data.priorities
    if spec is None:
        return empty_table()
    path = Path(spec.path)
    if not path.is_absolute():
        for folder in (scenario_dir, data_dir):
            if folder is not None and (Path(folder) / path).is_file():
                path = Path(folder) / path
                break
    return read_priorities(path).frame[COLUMNS].copy()


def ward_rows(table: pd.DataFrame, ward_code: str) -> list[tuple[str, float]]:
    """The priorities of one ward, as (priority, weight) in table order."""
    rows = table[table["ward_code"].astype(str) == ward_code]
    return [(str(p), float(w)) for p, w in zip(rows["priority"], rows["weight"])]


def set_ward(table: pd.DataFrame, ward_code: str, rows: list[tuple[str, float]]) -> pd.DataFrame:
    """``table`` with the priorities of ``ward_code`` replaced by ``rows`` (blank priorities left out)."""
    keep = table[table["ward_code"].astype(str) != ward_code][COLUMNS]
    new = pd.DataFrame([(ward_code, p.strip(), float(w)) for p, w in rows if p and p.strip()], columns=COLUMNS).astype(
        {"ward_code": str, "priority": str, "weight": float}
    )
    return pd.concat([keep, new], ignore_index=True) if len(keep) else new


def check(table: pd.DataFrame, codes: np.ndarray, crime: CrimeWindow) -> PriorityEffect:
    """Check ``table`` as ``data.priorities`` would be checked; what it does to need.

    Raises
    ------
    planner.errors.DataError
        Every problem at once, each naming its row (line 2 is the first row, as in the CSV).
    """
    parsed = priorities_from_frame(table[COLUMNS].reset_index(drop=True), "community priorities set in the app")
    return priority_effect(codes, crime, parsed)


def write_table(table: pd.DataFrame, path: str | Path) -> Path:
    """Write the table as a ``data.priorities`` CSV (atomically: a temporary file, then renamed)."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp")
    safe_frame(table[COLUMNS]).to_csv(tmp, index=False)
    tmp.replace(target)
    return target


def with_priorities(scenario: Scenario, path: str | Path | None) -> Scenario:
    """``scenario`` with ``data.priorities`` set to the CSV at ``path`` (None: no priorities)."""
    return scenario.with_changes({"data.priorities": None if path is None else {"path": str(path)}})


def ward_effect(before: Plan, after: Plan, ward_code: str) -> pd.DataFrame:
    """The chosen ward without and with the priorities: need, constables, PCSOs (Figure / Without / With / Change)."""
    w = int(np.flatnonzero(before.wards.codes == ward_code)[0])
    rows = [
        ("Need (average ward = 1)", float(before.wards.need[w]), float(after.wards.need[w]), "{:.2f}", "{:+.2f}"),
        ("Constables (people)", int(before.constables[w]), int(after.constables[w]), "{:,}", "{:+,}"),
        ("PCSOs (people)", int(before.pcsos[w]), int(after.pcsos[w]), "{:,}", "{:+,}"),
    ]
    return pd.DataFrame(
        [(name, f.format(a), f.format(b), d.format(b - a)) for name, a, b, f, d in rows],
        columns=["Figure", "Without the change", "With it", "Change"],
    )


__all__ = [
    "MAX_PER_WARD",
    "check",
    "empty_table",
    "priority_choices",
    "scenario_table",
    "set_ward",
    "ward_effect",
    "ward_rows",
    "with_priorities",
    "write_table",
]
