"""The two tiers of a plan: each ward's ring-fenced ward officers, and the borough hotspot teams.

:func:`planner.rules.tiers.split_constables` reads each ward's constables as
its ward officers (up to the ceiling) and the hotspot-team constables its
borough deploys there. :func:`hotspot_teams` forms each borough's teams:

* as many teams as ``ceil(hotspot constables / team_size)``, at most one per
  inspector of the borough (a team is led by one of them);
* wards are given to teams largest first, each to the team with the most room
  (first fit decreasing), so a ward is served by one team;
* a team's sergeants are its share of the borough's sergeants, in proportion to
  its constables among the borough's constables and PCSOs (largest remainder),
  at least one while the borough has one to spare: the spans of control cover
  every head of the borough, hotspot teams included, so the teams' supervisors
  are counted in the spans, never added to them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from planner.inputs.data import WardData
from planner.problem import AllocationProblem, Deployment
from planner.rounding import largest_remainder
from planner.rules.tiers import split_constables, tier_params

TEAM_COLUMNS: tuple[str, ...] = (
    "borough", "bcu", "team", "wards", "ward_names", "constables", "sergeants", "inspectors",
)  # fmt: skip
"""The columns of hotspot_teams.csv."""


def _pack(sizes: list[int], n_teams: int, capacity: int) -> list[list[int]]:
    """Indices of ``sizes`` per team: largest first, each to the team with the most room left."""
    teams: list[list[int]] = [[] for _ in range(n_teams)]
    room = [capacity] * n_teams
    for k in sorted(range(len(sizes)), key=lambda j: -sizes[j]):
        t = max(range(n_teams), key=lambda j: (room[j], -j))
        teams[t].append(k)
        room[t] -= sizes[k]
    return [t for t in teams if t]


def hotspot_teams(prob: AllocationProblem, wards: WardData, plan: Deployment) -> pd.DataFrame:
    """One row per hotspot team (see the module notes); empty without tiers or hotspot constables."""
    par = tier_params(prob)
    rows: list[dict[str, Any]] = []
    if par is None:
        return pd.DataFrame(rows, columns=list(TEAM_COLUMNS))
    _, hot = split_constables(prob, plan.x)
    bx, bp = plan.borough_heads(prob.borough, prob.n_boroughs)
    for b in range(prob.n_boroughs):
        members = np.flatnonzero((prob.borough == b) & (hot > 0))
        total = int(hot[members].sum())
        if not total:
            continue
        order = members[np.lexsort((wards.codes[members], -hot[members]))]
        n_teams = max(1, min(int(np.ceil(total / par.team_size)), int(plan.i[b])))
        teams = _pack([int(hot[w]) for w in order], n_teams, par.team_size)
        sizes = np.array([sum(int(hot[order[k]]) for k in team) for team in teams], dtype=float)
        heads = int(bx[b] + bp[b])
        pool = int(np.floor(plan.s[b] * total / heads + 1e-9)) if heads else 0
        pool = min(max(pool, min(len(teams), int(plan.s[b]))), int(plan.s[b]))
        sergeants = largest_remainder(sizes * (pool / sizes.sum()), pool) if pool else np.zeros(len(teams), int)
        spare = pool - int(sergeants.sum())
        for t in np.flatnonzero(sergeants == 0):
            donor = int(np.argmax(sergeants))
            if spare > 0:
                sergeants[t], spare = 1, spare - 1
            elif sergeants[donor] > 1:
                sergeants[t], sergeants[donor] = 1, sergeants[donor] - 1
        for k, team in enumerate(teams):
            served = order[team]
            rows.append(
                {
                    "borough": wards.borough_names[b],
                    "bcu": wards.borough_bcu[b],
                    "team": f"{wards.borough_names[b]} hotspot team {k + 1}",
                    "wards": ";".join(str(c) for c in wards.codes[served]),
                    "ward_names": ";".join(str(n) for n in wards.names[served]),
                    "constables": int(sizes[k]),
                    "sergeants": int(sergeants[k]),
                    "inspectors": 1,
                }
            )
    return pd.DataFrame(rows, columns=list(TEAM_COLUMNS))


def tier_summary(prob: AllocationProblem, plan: Deployment, teams: pd.DataFrame) -> dict[str, Any] | None:
    """The ``tiers`` block of summary.json (None without tiers)."""
    par = tier_params(prob)
    if par is None:
        return None
    ward, hot = split_constables(prob, plan.x)
    return {
        "ward_officer_ceiling": par.ceiling,
        "hotspot_per_ward": par.hotspot_per_ward,
        "team_size": par.team_size,
        "ward_pcso_ceiling": par.pcso_ceiling,
        "ward_officers": int(ward.sum()),
        "hotspot_constables": int(hot.sum()),
        "hotspot_teams": len(teams),
        "wards_with_hotspot_constables": int((hot > 0).sum()),
    }
