"""The current team map (CSV ``ward_code, team_id``): read, check, lock and seed.

Locked teams are kept exactly; the other current teams only seed the search.
Every problem is reported at once, naming the rows and wards at fault: unknown
or repeated ward codes, a team that spans two boroughs, a locked team that is
not in the file or is not contiguous on the ward adjacency graph.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import InputError, Problems
from planner.files import read_bytes
from planner.inputs.data import WardData
from planner.teams.graph import components, neighbour_lists
from planner.teams.report import ward_list


@dataclass(frozen=True, eq=False)
class CurrentMap:
    """A checked team map over the wards of a :class:`~planner.inputs.data.WardData`.

    Parameters
    ----------
    team : np.ndarray of str, shape (W,)
        Current team of each ward, ``""`` for wards the map leaves out.
    locked : tuple of str
        Team ids to keep exactly.
    """

    team: np.ndarray
    locked: tuple[str, ...]

    def locked_mask(self) -> np.ndarray:
        """True for wards in a locked team."""
        return np.isin(self.team, list(self.locked)) & (self.team != "")


def read_current_map(path: str | Path, wards: WardData, locked: Sequence[str] = ()) -> CurrentMap:
    """Read and check a current team map.

    Parameters
    ----------
    path : str or Path
        CSV with columns ``ward_code`` and ``team_id`` (other columns ignored).
    wards : WardData
        The wards being planned.
    locked : sequence of str
        Team ids to keep as they are.

    Raises
    ------
    InputError
        Naming the file and every row, ward and team at fault.
    """
    path = Path(path)
    data = read_bytes(path, "team map file", error=InputError, missing="team map file not found (teams.current)")
    try:
        frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"not a readable CSV file: {exc}", source=str(path)) from None
    return current_from_frame(frame, wards, locked, source=str(path))


def current_from_frame(
    frame: pd.DataFrame, wards: WardData, locked: Sequence[str] = (), source: str = "team map"
) -> CurrentMap:
    """Check a team map already in a DataFrame (see :func:`read_current_map`)."""
    found = Problems(source, InputError)
    missing = [c for c in ("ward_code", "team_id") if c not in frame.columns]
    if missing:
        found.add(f"missing column(s) {', '.join(missing)}; found {', '.join(map(str, frame.columns))}")
        found.raise_if_any()
    codes = frame["ward_code"].astype(str).str.strip().to_numpy()
    teams = frame["team_id"].astype(str).str.strip().to_numpy()
    row = np.arange(len(frame)) + 2  # 1-based file line, after the header
    for what, values in (("ward_code", codes), ("team_id", teams)):
        empty = values == ""
        if empty.any():
            found.add(f"rows {', '.join(map(str, row[empty][:10]))}: {what} is empty")
    pos = {c: i for i, c in enumerate(wards.codes.tolist())}
    unknown = [(r, c) for r, c in zip(row, codes) if c and c not in pos]
    if unknown:
        listed = ", ".join(f"{c} (row {r})" for r, c in unknown[:10])
        found.add(f"{len(unknown)} ward code(s) not among the planned wards: {listed}")
    seen: dict[str, int] = {}
    for r, c in zip(row, codes):
        if c in seen:
            found.add(f"row {r}: ward {c} is listed again (first on row {seen[c]}); give each ward one team")
        elif c:
            seen[c] = int(r)
    found.raise_if_any()
    team = np.full(wards.n_wards, "", dtype=object)
    for c, t in zip(codes, teams):
        team[pos[c]] = t
    team = team.astype(str)
    _check_teams(wards, team, tuple(locked), found)
    found.raise_if_any()
    return CurrentMap(team, tuple(locked))


def _check_teams(wards: WardData, team: np.ndarray, locked: tuple[str, ...], found: Problems) -> None:
    ids = sorted(set(team.tolist()) - {""})
    for t in locked:
        if t not in ids:
            found.add(f"teams.locked names team {t!r}, which is not in the team map")
    nbrs = neighbour_lists(wards.n_wards, wards.edges)
    for t in ids:
        idx = np.flatnonzero(team == t)
        boroughs = sorted(set(wards.borough_names[wards.borough[idx]].tolist()))
        if len(boroughs) > 1:
            found.add(f"team {t!r} spans boroughs {', '.join(boroughs)}; a team must lie in one borough")
        if t in locked:
            pieces = components(idx.tolist(), nbrs)
            if len(pieces) > 1:
                listed = "; ".join(f"[{ward_list(wards, p)}]" for p in pieces)
                found.add(
                    f"locked team {t!r} is not contiguous: its wards form {len(pieces)} separate pieces "
                    f"{listed}; unlock it or fix its wards"
                )
