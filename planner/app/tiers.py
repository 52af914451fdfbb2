"""The two tiers of constables as the app shows them: ward officers per ward, hotspot teams per borough.

A plan with tiers (``rules.tiers`` in the scenario) splits each ward's
constables into its ring-fenced **ward officers** (up to the ward ceiling)
and the **hotspot-team constables** its borough's flexible pool deploys
there; the borough's teams are listed by :meth:`planner.report.result.Plan.hotspot_teams`.
This module gives those figures for an area in plain words and units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.app.area import ALL_WARDS, Area, borough_mask, ward_mask
from planner.report.result import Plan
from planner.rules.tiers import split_constables, tier_params


def has_tiers(plan: Plan) -> bool:
    """Whether the plan splits constables into ward officers and hotspot teams."""
    return tier_params(plan.problem) is not None


@dataclass(frozen=True)
class TierTotals:
    """Constables of each tier in an area (people), and the hotspot teams working there."""

    ward_officers: int
    hotspot_constables: int
    wards_with_hotspot: int
    teams: int
    team_sergeants: int


def tier_totals(plan: Plan, area: Area = ALL_WARDS, teams: pd.DataFrame | None = None) -> TierTotals:
    """Ward officers, hotspot-team constables and the teams (of the area's boroughs) in ``area``."""
    inside = ward_mask(plan.wards, area)
    ward, hot = split_constables(plan.problem, plan.constables)
    t = plan.hotspot_teams() if teams is None else teams
    t = t[t["borough"].astype(str).isin(_borough_names(plan, area))]
    return TierTotals(
        ward_officers=int(ward[inside].sum()),
        hotspot_constables=int(hot[inside].sum()),
        wards_with_hotspot=int((hot[inside] > 0).sum()),
        teams=len(t),
        team_sergeants=int(t["sergeants"].sum()) if len(t) else 0,
    )


def _borough_names(plan: Plan, area: Area) -> set[str]:
    names = np.asarray(plan.wards.borough_names).astype(str)
    return set(names[borough_mask(plan.wards, area)].tolist())


#: Plain headers of the hotspot team table.
TEAM_HEADERS: dict[str, str] = {
    "team": "Team",
    "borough": "Borough",
    "bcu": "BCU",
    "wards_served": "Wards served",
    "ward_names": "Wards (names)",
    "constables": "Constables (people)",
    "sergeants": "Sergeants (people)",
    "inspectors": "Inspectors (people)",
}


def team_table(plan: Plan, area: Area = ALL_WARDS, teams: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per hotspot team of the area's boroughs, with plain headers (wards as names, "; " between)."""
    t = plan.hotspot_teams() if teams is None else teams
    t = t[t["borough"].astype(str).isin(_borough_names(plan, area))]
    out = pd.DataFrame(
        {
            "team": t["team"].astype(str),
            "borough": t["borough"].astype(str),
            "bcu": t["bcu"].astype(str),
            "wards_served": [len(str(w).split(";")) if str(w) else 0 for w in t["wards"]],
            "ward_names": [str(n).replace(";", "; ") for n in t["ward_names"]],
            "constables": t["constables"].astype(np.int64),
            "sergeants": t["sergeants"].astype(np.int64),
            "inspectors": t["inspectors"].astype(np.int64),
        }
    )
    return out.rename(columns=TEAM_HEADERS).reset_index(drop=True)


def tier_note(plan: Plan) -> str:
    """The tier rules of the plan in one sentence (empty without tiers)."""
    par = tier_params(plan.problem)
    if par is None:
        return ""
    parts = [f"at most {par.ceiling} ward officers (constables) per ward"]
    if par.pcso_ceiling is not None:
        parts.append(f"at most {par.pcso_ceiling} PCSOs per ward")
    parts.append(
        f"up to {par.hotspot_per_ward} more constables per ward from the borough's hotspot teams "
        f"(teams of up to {par.team_size} constables, each led by an inspector; their sergeants are counted "
        "in the borough's spans)"
    )
    return "Two tiers of constables: " + "; ".join(parts) + "."


def tier_rows(plan: Plan, area: Area = ALL_WARDS) -> list[tuple[str, str, str]]:
    """Figure / value / change rows of the tiers in ``area`` for the table beside the map (none without tiers)."""
    if not has_tiers(plan):
        return []
    t = tier_totals(plan, area)
    return [
        ("Ward officers (ring-fenced)", f"{t.ward_officers:,} constables", ""),
        (
            "Hotspot teams",
            f"{t.hotspot_constables:,} constables in {t.wards_with_hotspot:,} wards ({t.teams:,} teams)",
            "",
        ),
    ]


def with_tier_rows(figures: pd.DataFrame, plan: Plan, area: Area = ALL_WARDS) -> pd.DataFrame:
    """:func:`planner.app.area.area_figures`' table with the tier rows inserted after "Constables"."""
    rows = tier_rows(plan, area)
    if not rows:
        return figures
    at = (
        int(np.flatnonzero(figures["Figure"].to_numpy() == "Constables")[0]) + 1
        if "Constables" in set(figures["Figure"])
        else len(figures)
    )
    extra = pd.DataFrame(rows, columns=list(figures.columns))
    return pd.concat([figures.iloc[:at], extra, figures.iloc[at:]], ignore_index=True)
