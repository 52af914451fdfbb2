"""Synthetic recorded crime, harm weights and population for the synthetic city.

The crime table has exactly the layout of the MPS "Ward Level Crime (most
recent 24 months)" file (``MajorText, MinorText, WardName, WardCode,
LookUp_BoroughName``, then one integer column per month ``YYYYMM``) and uses
its 2024-26 offence names. Counts are Poisson draws around a per-ward rate:

    rate(ward, offence) = population x (1 + sum_k m[offence, k] x K_k(ward)) x noise

where the kernels ``K_k`` are the city's hotspots (a central business district
with very high theft, night-time-economy town centres with violence and
disorder, transport hubs with theft and robbery, a ring of residential suburbs
with burglary and vehicle crime) and ``noise`` is log-normal, so the result is
heavy-tailed like London (there, the top 10 % of wards hold 29 % of crime).
Offence totals per ward follow the real London 2024-26 totals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Month columns of the 24-month window, 2024-04 .. 2026-03.
MONTHS = tuple(f"{2024 + (3 + i) // 12}{(3 + i) % 12 + 1:02d}" for i in range(24))
#: The partial first month: tiny counts, as in the real file (column total 47).
PARTIAL_MONTH = "202403"
ID_COLUMNS = ("MajorText", "MinorText", "WardName", "WardCode", "LookUp_BoroughName")

# (MajorText, MinorText, London total 2024-04..2026-03, {kernel: multiplier}, illustrative harm days)
_OFFENCES: tuple[tuple[str, str, int, dict[str, float], float], ...] = (
    ("ARSON AND CRIMINAL DAMAGE", "ARSON", 4233, {"res": 0.5}, 150),
    ("ARSON AND CRIMINAL DAMAGE", "CRIMINAL DAMAGE", 104102, {"nte": 1.0, "res": 0.4}, 5),
    ("BURGLARY", "BURGLARY - RESIDENTIAL", 2, {"res": 1.0}, 200),
    ("BURGLARY", "BURGLARY BUSINESS AND COMMUNITY", 32355, {"cbd": 8, "nte": 2}, 120),
    ("BURGLARY", "RES BURGLARY OF A HOME", 47141, {"res": 2.0}, 200),
    ("BURGLARY", "RES BURGLARY OF UNCONNECTED BUILDING", 18455, {"res": 2.5}, 60),
    ("DRUG OFFENCES", "POSSESSION OF DRUGS", 55115, {"cbd": 10, "nte": 4, "hub": 2}, 3),
    ("DRUG OFFENCES", "TRAFFICKING OF DRUGS", 37692, {"nte": 3}, 150),
    ("FRAUD AND FORGERY", "FRAUD AND FORGERY", 137, {"cbd": 5}, 5),
    (
        "MISCELLANEOUS CRIMES AGAINST SOCIETY",
        "MISC CRIMES AGAINST SOCIETY",
        22979,
        {"nte": 1.5, "cbd": 3},
        10,
    ),
    ("NFIB FRAUD", "NFIB", 8, {"cbd": 5}, 5),
    ("POSSESSION OF WEAPONS", "POSSESSION OF WEAPONS", 10527, {"nte": 3, "cbd": 4, "hub": 2}, 200),
    ("PUBLIC ORDER OFFENCES", "OTHER OFFENCES PUBLIC ORDER", 15418, {"nte": 3, "cbd": 8}, 7),
    ("PUBLIC ORDER OFFENCES", "PUBLIC FEAR ALARM OR DISTRESS", 66667, {"nte": 3, "cbd": 8}, 7),
    ("PUBLIC ORDER OFFENCES", "RACE OR RELIGIOUS AGG PUBLIC FEAR", 26482, {"nte": 2, "cbd": 8}, 15),
    ("PUBLIC ORDER OFFENCES", "VIOLENT DISORDER", 136, {"nte": 5, "cbd": 5}, 100),
    ("ROBBERY", "ROBBERY OF BUSINESS PROPERTY", 15675, {"nte": 2, "cbd": 6}, 300),
    ("ROBBERY", "ROBBERY OF PERSONAL PROPERTY", 48597, {"cbd": 20, "nte": 4, "hub": 6}, 300),
    ("SEXUAL OFFENCES", "OTHER SEXUAL OFFENCES", 33167, {"nte": 2, "cbd": 6, "hub": 2}, 150),
    ("SEXUAL OFFENCES", "RAPE", 17223, {"nte": 1.5, "cbd": 2}, 2000),
    ("THEFT", "BICYCLE THEFT", 28752, {"cbd": 30, "hub": 6}, 2),
    ("THEFT", "OTHER THEFT", 203275, {"cbd": 50, "hub": 25, "nte": 3}, 2),
    ("THEFT", "SHOPLIFTING", 173546, {"cbd": 25, "nte": 6, "hub": 4}, 1),
    ("THEFT", "THEFT FROM THE PERSON", 175251, {"cbd": 160, "hub": 30, "nte": 6}, 3),
    ("VEHICLE OFFENCES", "AGGRAVATED VEHICLE TAKING", 950, {"res": 1.5}, 30),
    ("VEHICLE OFFENCES", "INTERFERING WITH A MOTOR VEHICLE", 19109, {"res": 1.5}, 2),
    ("VEHICLE OFFENCES", "THEFT FROM A VEHICLE", 93018, {"res": 1.0, "cbd": 4}, 4),
    ("VEHICLE OFFENCES", "THEFT OR UNAUTH TAKING OF A MOTOR VEH", 62333, {"res": 2.0}, 6),
    ("VIOLENCE AGAINST THE PERSON", "DEATH SERIOUS INJURY ILLEGAL DRIVING", 270, {"res": 0.5}, 400),
    ("VIOLENCE AGAINST THE PERSON", "HOMICIDE", 187, {"nte": 1.0}, 5000),
    ("VIOLENCE AGAINST THE PERSON", "STALKING AND HARASSMENT", 112959, {"res": 0.3, "cbd": 1}, 20),
    ("VIOLENCE AGAINST THE PERSON", "VIOLENCE WITH INJURY", 125481, {"nte": 4, "cbd": 8}, 250),
    ("VIOLENCE AGAINST THE PERSON", "VIOLENCE WITHOUT INJURY", 229147, {"nte": 3, "cbd": 10}, 15),
)
KERNELS = ("cbd", "nte", "hub", "res")
#: Ward count the real totals refer to (London 2022).
_LONDON_WARDS = 679
#: Offences with a summer peak (violence, disorder, night-time economy).
_SUMMER = {"VIOLENCE AGAINST THE PERSON", "PUBLIC ORDER OFFENCES", "ROBBERY", "SEXUAL OFFENCES"}


def offences() -> pd.DataFrame:
    """The real MPS 2024-26 offence list, ``MajorText, MinorText``, sorted."""
    return pd.DataFrame([o[:2] for o in _OFFENCES], columns=["MajorText", "MinorText"])


def harm_weights() -> pd.DataFrame:
    """Illustrative harm weights in days per offence (keyed by ``MinorText``).

    These are round numbers for the synthetic demo only, of the right order
    of magnitude; they are NOT the Cambridge Crime Harm Index (use the real
    ``harm_weights_cchi_subgroup.csv`` for that).

    Returns
    -------
    pandas.DataFrame
        Columns ``offence`` (str) and ``weight`` (float, days).
    """
    return pd.DataFrame({"offence": [o[1] for o in _OFFENCES], "weight": [float(o[4]) for o in _OFFENCES]})


@dataclass(frozen=True)
class Hotspots:
    """Per-ward kernel values (shape (W,) each), in ``[0, ~1]``."""

    cbd: np.ndarray
    nte: np.ndarray
    hub: np.ndarray
    res: np.ndarray


def _bump(xy: np.ndarray, centres: np.ndarray, radius: float) -> np.ndarray:
    """Sum of Gaussian bumps of ``radius`` metres at ``centres``, capped at 1."""
    if len(centres) == 0:
        return np.zeros(len(xy))
    d2 = ((xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    return np.minimum(np.exp(-d2 / radius**2).sum(axis=1), 1.0)


def hotspots(
    xy: np.ndarray,
    area_km2: np.ndarray,
    cbd: tuple[float, float],
    centre: tuple[float, float],
    radius: float,
    rng: np.random.Generator,
) -> Hotspots:
    """Place the city's hotspots and evaluate them at each ward centroid.

    Parameters
    ----------
    xy : np.ndarray of float, shape (W, 2)
        Ward centroids (metres).
    area_km2 : np.ndarray of float, shape (W,)
        Ward areas; town centres and hubs are drawn among the denser (smaller) wards.
    cbd : tuple of float
        The central business district's position.
    centre : tuple of float
        The city's centre.
    radius : float
        The city's radius in metres.
    rng : numpy.random.Generator

    Returns
    -------
    Hotspots
    """
    w = len(xy)
    scale = w / _LONDON_WARDS
    n_nte = min(w, max(2, round(8 * scale)))
    n_hub = min(w, max(1, round(3 * scale)))
    dense = 1.0 / np.maximum(area_km2, 1e-6)
    nte_at = rng.choice(w, size=n_nte, replace=False, p=dense / dense.sum())
    hub_at = rng.choice(w, size=n_hub, replace=False)
    dist = np.hypot(*(xy - np.asarray(centre)).T) / radius
    return Hotspots(
        cbd=_bump(xy, np.array([cbd]), 1800.0),
        nte=_bump(xy, xy[nte_at], 900.0),
        hub=_bump(xy, xy[hub_at], 600.0),
        res=np.exp(-(((dist - 0.6) / 0.25) ** 2)),
    )


def population(w: int, rng: np.random.Generator, per_ward: float = 12_950.0) -> np.ndarray:
    """Resident population per ward (London: 8.8M in 679 wards, 4.5k-24k each).

    Parameters
    ----------
    w : int
        Number of wards.
    rng : numpy.random.Generator
    per_ward : float
        Mean population per ward.

    Returns
    -------
    np.ndarray of int64, shape (W,)
    """
    raw = rng.lognormal(0.0, 0.25, size=w)
    return np.maximum(np.rint(raw / raw.mean() * per_ward), 1000).astype(np.int64)


def rates(pop: np.ndarray, spots: Hotspots, rng: np.random.Generator) -> np.ndarray:
    """Expected offences per ward and offence over the 24 months.

    Parameters
    ----------
    pop : np.ndarray, shape (W,)
    spots : Hotspots
    rng : numpy.random.Generator

    Returns
    -------
    np.ndarray of float, shape (W, O)
        Each column sums to the London 2024-26 total of that offence scaled
        by ``W / 679``.
    """
    w = len(pop)
    mult = np.array([[o[3].get(k, 0.0) for k in KERNELS] for o in _OFFENCES])  # (O, 4)
    kern = np.column_stack([getattr(spots, k) for k in KERNELS])  # (W, 4)
    ward_noise = rng.lognormal(0.0, 0.35, size=(w, 1))
    cell_noise = rng.lognormal(0.0, 0.3, size=(w, len(_OFFENCES)))
    lam = pop[:, None] * (1.0 + kern @ mult.T) * ward_noise * cell_noise
    totals = np.array([o[2] for o in _OFFENCES], dtype=float) * w / _LONDON_WARDS
    return lam / lam.sum(axis=0, keepdims=True) * totals[None, :]


def crime_table(
    lam: np.ndarray,
    ward_codes: np.ndarray,
    ward_names: np.ndarray,
    borough_names: np.ndarray,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Draw monthly counts and lay them out exactly like the MPS ward crime file.

    Parameters
    ----------
    lam : np.ndarray of float, shape (W, O)
        Expected offences over the 24 months (from :func:`rates`).
    ward_codes, ward_names, borough_names : np.ndarray of str, shape (W,)
        The ward's code, name and borough name (``LookUp_BoroughName``).
    rng : numpy.random.Generator

    Returns
    -------
    pandas.DataFrame
        Columns ``MajorText, MinorText, WardName, WardCode, LookUp_BoroughName,
        202403, 202404, ..., 202603`` (counts int64). Rows are ward x offence,
        sorted by borough name, ward name, MajorText, MinorText as in the real
        file; rows with no offence in any month are left out, also as there.
    """
    w, o = lam.shape
    month_of_year = np.array([int(m[4:]) for m in MONTHS])
    summer = np.array([rec[0] in _SUMMER for rec in _OFFENCES])
    amp = np.where(summer, 0.08, 0.03)
    season = 1.0 + amp[:, None] * np.cos(2 * np.pi * (month_of_year[None, :] - 7) / 12)  # (O, 24)
    season *= 24 / season.sum(axis=1, keepdims=True)
    partial = np.full((o, 1), 6.5e-4)
    factor = np.hstack([partial, season]) / 24.0  # (O, 25)
    counts = rng.poisson(lam[:, :, None] * factor[None, :, :])  # (W, O, 25)

    order = np.lexsort((ward_names, borough_names))
    counts = counts[order].reshape(w * o, -1)
    ward_idx = np.repeat(order, o)
    off_idx = np.tile(np.arange(o), w)
    keep = counts.sum(axis=1) > 0
    ward_idx, off_idx, counts = ward_idx[keep], off_idx[keep], counts[keep]
    table = offences()
    frame = pd.DataFrame(
        {
            "MajorText": table["MajorText"].to_numpy()[off_idx],
            "MinorText": table["MinorText"].to_numpy()[off_idx],
            "WardName": np.asarray(ward_names, dtype=object)[ward_idx],
            "WardCode": np.asarray(ward_codes, dtype=object)[ward_idx],
            "LookUp_BoroughName": np.asarray(borough_names, dtype=object)[ward_idx],
        }
    ).astype(str)
    months = pd.DataFrame(counts.astype(np.int64), columns=[PARTIAL_MONTH, *MONTHS])
    return pd.concat([frame, months], axis=1)
