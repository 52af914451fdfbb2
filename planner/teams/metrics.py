"""Quality measures of a team map, computed from arrays only.

Balance: relative deviation of each team's workload from its borough's mean.
Compactness: Polsby-Popper ``4 pi A / P^2`` of each team's dissolved polygon
(1 for a circle, about 0.785 for a square), from ward areas, perimeters and
shared border lengths (see :mod:`geo.compactness`). Cut edges: adjacent ward
pairs of the same borough that are in different teams.
"""

from __future__ import annotations

import numpy as np


def team_area_perimeter(
    team_of: np.ndarray,
    n_teams: int,
    edges: np.ndarray,
    area: np.ndarray,
    perimeter: np.ndarray,
    shared: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Area and perimeter of each team's union of wards.

    Perimeter = sum of ward perimeters - 2 x border shared inside the team.
    Wards with ``team_of < 0`` are ignored.
    """
    team_of = np.asarray(team_of, dtype=np.int64)
    ok = team_of >= 0
    t_area = np.bincount(team_of[ok], weights=np.asarray(area)[ok], minlength=n_teams)
    t_perim = np.bincount(team_of[ok], weights=np.asarray(perimeter)[ok], minlength=n_teams)
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    if len(edges):
        a, b = team_of[edges[:, 0]], team_of[edges[:, 1]]
        inside = (a == b) & (a >= 0)
        t_perim -= 2 * np.bincount(a[inside], weights=np.asarray(shared)[inside], minlength=n_teams)
    return t_area, t_perim


def polsby_popper(area: np.ndarray, perimeter: np.ndarray) -> np.ndarray:
    """``4 pi A / P^2`` elementwise (0 where the perimeter is 0)."""
    area, perimeter = np.asarray(area, dtype=float), np.asarray(perimeter, dtype=float)
    out = np.zeros_like(area)
    ok = perimeter > 0
    out[ok] = 4 * np.pi * area[ok] / perimeter[ok] ** 2
    return out


def cut_edges(team_of: np.ndarray, edges: np.ndarray, ward_borough: np.ndarray) -> np.ndarray:
    """Mask of edges inside one borough whose wards are in different teams."""
    team_of = np.asarray(team_of)
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    same_borough = ward_borough[edges[:, 0]] == ward_borough[edges[:, 1]]
    return np.asarray(same_borough & (team_of[edges[:, 0]] != team_of[edges[:, 1]]))


def deviation(load: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Relative deviation ``load / mean - 1`` (0 where the mean is 0)."""
    load, mean = np.asarray(load, dtype=float), np.asarray(mean, dtype=float)
    out = np.zeros_like(load)
    ok = mean > 0
    out[ok] = load[ok] / mean[ok] - 1
    return out


def summary_stats(values: np.ndarray) -> dict[str, float | None]:
    """Mean, min and max of ``values`` (None when empty), rounded for JSON."""
    values = np.asarray(values, dtype=float)
    if not len(values):
        return {"mean": None, "min": None, "max": None}
    return {
        "mean": round(float(values.mean()), 4),
        "min": round(float(values.min()), 4),
        "max": round(float(values.max()), 4),
    }
