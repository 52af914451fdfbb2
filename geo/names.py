"""Deterministic, plausible but fictional names for the synthetic city.

Ward and borough names are composed from word lists ("Ashford", "Holmwick
Green", "Brambury and Selton"); BCU names follow the Met's compass pattern
("Central North BCU", "South East BCU") chosen by where each BCU lies.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

STEMS = (
    "Ash", "Bark", "Beck", "Bel", "Black", "Bram", "Brent", "Brook", "Bur", "Cal", "Carl", "Chad",
    "Clay", "Cold", "Cran", "Dal", "Dun", "Elm", "Fair", "Fern", "Fins", "Gold", "Graves", "Hal",
    "Hart", "Hay", "Hazel", "Hen", "Holm", "Hurst", "Ken", "Kings", "Lang", "Lea", "Lim", "Long",
    "Mar", "Mill", "Mor", "Nor", "Oak", "Pen", "Prim", "Queens", "Red", "Rox", "Rush", "Sel",
    "Shel", "Stan", "Stock", "Sud", "Thorn", "Tol", "Wal", "Wel", "Whit", "Wil", "Wind", "Wor",
)  # fmt: skip
SUFFIXES = (
    "bury", "by", "combe", "den", "don", "field", "ford", "gate", "ham", "hurst", "ley",
    "mere", "stead", "stone", "thorpe", "ton", "well", "wich", "wick", "worth",
)  # fmt: skip
FEATURES = (
    "Park", "Green", "Common", "Hill", "Vale", "Town", "Village", "Heath", "Fields", "Gardens",
    "Cross", "Bridge", "End", "Rise", "Marsh", "Wharf", "Grove", "Lane", "Square", "Central",
)  # fmt: skip
#: Compass bearings (degrees clockwise from north) of the eight directions.
COMPASS = {
    "North": 0, "North East": 45, "East": 90, "South East": 135,
    "South": 180, "South West": 225, "West": 270, "North West": 315,
}  # fmt: skip


def compounds() -> list[str]:
    """Every stem + suffix place name ("Ashbury", ...), in a fixed order."""
    return [s + x for s in STEMS for x in SUFFIXES]


def borough_names(k: int, rng: np.random.Generator) -> list[str]:
    """``k`` distinct borough names, about one in seven a pair ("X and Y").

    Parameters
    ----------
    k : int
        Number of boroughs (at most ``len(compounds()) // 2``).
    rng : numpy.random.Generator

    Returns
    -------
    list of str
    """
    pool = compounds()
    if k > len(pool) // 2:
        raise ValueError(f"at most {len(pool) // 2} borough names are available, asked for {k}")
    picked = [pool[i] for i in rng.choice(len(pool), size=2 * k, replace=False)]
    pair = rng.random(k) < 0.15
    return [f"{picked[i]} and {picked[k + i]}" if pair[i] else picked[i] for i in range(k)]


def ward_names(n: int, rng: np.random.Generator) -> list[str]:
    """``n`` distinct ward names: a place name, often with a feature ("Ashford Green").

    Parameters
    ----------
    n : int
        Number of wards (at most ``len(compounds()) * (len(FEATURES) + 1)``).
    rng : numpy.random.Generator

    Returns
    -------
    list of str
    """
    pool = compounds()
    size = len(pool) * (len(FEATURES) + 1)
    if n > size:
        raise ValueError(f"at most {size} ward names are available, asked for {n}")
    names = []
    for idx in rng.choice(size, size=n, replace=False).tolist():
        place, feature = divmod(int(idx), len(FEATURES) + 1)
        names.append(pool[place] if feature == len(FEATURES) else f"{pool[place]} {FEATURES[feature]}")
    return names


def _candidates() -> tuple[list[str], np.ndarray, np.ndarray]:
    """BCU name candidates, their positions on the unit disc and a preference cost."""
    names: list[str] = []
    pos: list[tuple[float, float]] = []
    cost: list[float] = []

    def add(name: str, bearing: float, radius: float, extra: float) -> None:
        rad = np.deg2rad(bearing)
        names.append(name + " BCU")
        pos.append((radius * np.sin(rad), radius * np.cos(rad)))
        cost.append(extra)

    for d in ("North", "East", "South", "West"):
        add(f"Central {d}", COMPASS[d], 0.3, 0.0)
    for d, b in COMPASS.items():
        add(d, b, 0.7, 0.0)
    for d, b in COMPASS.items():
        add(f"Outer {d}", b, 0.95, 0.5)
        add(f"Inner {d}", b, 0.5, 0.5)
    return names, np.array(pos), np.array(cost)


def bcu_names(xy: np.ndarray, centre: tuple[float, float], radius: float) -> list[str]:
    """Compass names for BCUs from where they lie ("Central North BCU", "East BCU").

    Parameters
    ----------
    xy : np.ndarray of float, shape (k, 2)
        Centroid of each BCU (metres).
    centre : tuple of float
        The city's centre.
    radius : float
        The city's radius (metres), to scale positions to the unit disc.

    Returns
    -------
    list of str
        Distinct names, best matching positions first (up to 28 compass names,
        then "Area N BCU").
    """
    names, pos, cost = _candidates()
    rel = (np.asarray(xy, dtype=float) - np.asarray(centre)) / radius
    k = len(rel)
    if k > len(names):
        extra = k - len(names)
        names += [f"Area {i + 1} BCU" for i in range(extra)]
        pos = np.vstack([pos, np.zeros((extra, 2))])
        cost = np.concatenate([cost, np.full(extra, 10.0)])
    dist = np.hypot(rel[:, None, 0] - pos[None, :, 0], rel[:, None, 1] - pos[None, :, 1]) + cost[None, :]
    rows, cols = linear_sum_assignment(dist)
    out = [""] * k
    for r, c in zip(rows.tolist(), cols.tolist()):
        out[r] = names[c]
    return out
