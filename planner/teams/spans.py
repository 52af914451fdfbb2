"""Spans of control: sergeants per team and inspectors over teams.

A sergeant leads at most ``sergeant_span`` supervisees (constables plus
PCSOs), so a team with ``s`` supervisees gets ``ceil(s / sergeant_span)``
sergeants (at least one). An inspector leads at most ``floor(inspector_span)``
sergeants and whole teams: teams are packed into inspectors first-fit
decreasing, preferring an inspector who already leads a neighbouring team; a
team with more sergeants than one inspector may lead gets several inspectors
of its own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def team_sergeants(supervisees: np.ndarray, sergeant_span: float) -> np.ndarray:
    """Sergeants each team needs: ``ceil(supervisees / span)``, at least 1."""
    sup = np.asarray(supervisees, dtype=float)
    return np.maximum(np.ceil(sup / sergeant_span - 1e-9), 1).astype(np.int64)


def inspector_capacity(inspector_span: float) -> int:
    """Most sergeants one inspector may lead (the span rounded down, at least 1)."""
    return max(math.floor(inspector_span + 1e-9), 1)


def assign_inspectors(
    sergeants: np.ndarray,
    team_borough: np.ndarray,
    adjacent: Sequence[set[int]],
    inspector_span: float,
    borough_codes: Sequence[str],
) -> list[tuple[str, ...]]:
    """Give every team its inspector(s), never more than the span each.

    Parameters
    ----------
    sergeants : np.ndarray of int, shape (T,)
        Sergeants of each team.
    team_borough : np.ndarray of int, shape (T,)
        Borough index of each team (inspectors never cross boroughs).
    adjacent : sequence of set of int
        Teams that share a ward border with each team.
    inspector_span : float
        Sergeants per inspector, at most.
    borough_codes : sequence of str
        Borough codes, used in the inspector ids ``<borough>-I01``.

    Returns
    -------
    list of tuple of str
        The inspector id(s) of each team.
    """
    cap = inspector_capacity(inspector_span)
    out: list[tuple[str, ...]] = [() for _ in range(len(sergeants))]
    for b in np.unique(team_borough):
        teams = np.flatnonzero(team_borough == b).tolist()
        counter = 0

        def new_id(b: int = int(b)) -> str:
            nonlocal counter
            counter += 1
            return f"{borough_codes[b]}-I{counter:02d}"

        bins: list[tuple[str, int, set[int]]] = []  # id, sergeants used, teams
        for t in sorted(teams, key=lambda t: (-int(sergeants[t]), t)):
            s = int(sergeants[t])
            if s > cap:
                out[t] = tuple(new_id() for _ in range(math.ceil(s / cap)))
                continue
            best, best_key = -1, None
            for i, (_, used, members) in enumerate(bins):
                if used + s <= cap:
                    key = (not (members & adjacent[t]), cap - used - s, i)
                    if best_key is None or key < best_key:
                        best, best_key = i, key
            if best < 0:
                bins.append((new_id(), s, {t}))
                out[t] = (bins[-1][0],)
            else:
                ident, used, members = bins[best]
                members.add(t)
                bins[best] = (ident, used + s, members)
                out[t] = (ident,)
    return out


def inspector_loads(inspectors: Sequence[tuple[str, ...]], sergeants: np.ndarray) -> dict[str, float]:
    """Sergeants led by each inspector (a team shared by several splits evenly)."""
    load: dict[str, float] = {}
    for ids, s in zip(inspectors, np.asarray(sergeants).tolist()):
        for ident in ids:
            load[ident] = load.get(ident, 0.0) + s / len(ids)
    return load
