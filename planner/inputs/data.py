"""Immutable problem data: the validated ward table the solver core sees.

Everything geographic has been turned into arrays by :mod:`geo` before it gets
here; everything about crime and population into per-ward numbers by
:mod:`planner.inputs.need`. :class:`WardData` is checked once when it is built and
never changes afterwards (its arrays are read-only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from planner.errors import DataError, Problems

if TYPE_CHECKING:
    from planner.inputs.confidence import WardConfidence
    from planner.inputs.equity import WardEquity
    from planner.inputs.overrides import WardOverrides
    from planner.inputs.priorities import PriorityEffect


def _frozen(values: Any, dtype: Any) -> np.ndarray:
    arr = np.array(values, dtype=dtype, copy=True)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class WardData:
    """Per-ward figures and the borough / BCU structure, as arrays.

    Parameters
    ----------
    codes, names : np.ndarray of str, shape (W,)
        Ward GSS codes (unique) and names.
    borough : np.ndarray of int, shape (W,)
        Index of each ward's borough into ``borough_codes``.
    borough_codes, borough_names, borough_bcu : np.ndarray of str, shape (B,)
        Borough codes, names and the Basic Command Unit of each borough.
    demand, harm, population, need : np.ndarray of float, shape (W,)
        Recorded offences in the window, harm (sum of count x weight),
        resident population, and the combined need (weighted mix of the three,
        each normalised to mean 1 over the wards).
    edges : np.ndarray of int, shape (E, 2)
        Ward adjacency (queen contiguity), each pair once with ``i < j``.
    area_km2, x, y : np.ndarray of float, shape (W,)
        Area and centroid (British National Grid metres).
    notes : tuple of str
        What the loaders did that a user should know (months dropped,
        geometries repaired, wards excluded).
    equity : WardEquity or None
        Deprivation (IMD score and decile) and ethnic composition per ward,
        and the ward groupings of the equity lens; None when the scenario
        has neither (see :mod:`planner.inputs.equity`).
    confidence : WardConfidence or None
        Public Attitude Survey confidence per ward and its ``low_confidence``
        share (see :mod:`planner.inputs.confidence`); None when not given.
    priorities : PriorityEffect or None
        The community priorities already applied to ``need`` (factor per
        ward); None when there are none (see :mod:`planner.inputs.priorities`).
    visitors : np.ndarray of float, shape (W,), or None
        Station footfall given to each ward, entries plus exits a year
        (daytime load; see :mod:`planner.inputs.visitors`); None when the
        scenario has no ``data.visitors``.
    overrides : WardOverrides or None
        Per-ward minimums, maximums, locks, need exclusions and their
        reasons (see :mod:`planner.inputs.overrides`); None: none.
    crime_excluded : np.ndarray of bool, shape (W,), or None
        Wards whose own recorded crime was left out of need (an
        ``exclude_need`` override or ``data.crime.exclude_labels``): their
        ``demand`` and ``harm`` follow ``need.excluded_crime``. None: none
        was (or the data were built without this information).
    """

    codes: np.ndarray
    names: np.ndarray
    borough: np.ndarray
    borough_codes: np.ndarray
    borough_names: np.ndarray
    borough_bcu: np.ndarray
    demand: np.ndarray
    harm: np.ndarray
    population: np.ndarray
    need: np.ndarray
    edges: np.ndarray
    area_km2: np.ndarray
    x: np.ndarray
    y: np.ndarray
    notes: tuple[str, ...] = field(default=())
    equity: WardEquity | None = None
    confidence: WardConfidence | None = None
    priorities: PriorityEffect | None = None
    visitors: np.ndarray | None = None
    overrides: WardOverrides | None = None
    crime_excluded: np.ndarray | None = None
    need_pcso: np.ndarray | None = None
    """(W,) the PCSOs' own need (mean 1): residents, daytime visitors, crime volume, low confidence."""

    def __post_init__(self) -> None:
        conv = {
            "codes": str, "names": str, "borough": np.int64, "borough_codes": str,
            "borough_names": str, "borough_bcu": str, "demand": float, "harm": float,
            "population": float, "need": float, "edges": np.int64, "area_km2": float,
            "x": float, "y": float,
        }  # fmt: skip
        for name, dtype in conv.items():
            object.__setattr__(self, name, _frozen(getattr(self, name), dtype))
        for name, dtype in (("visitors", float), ("crime_excluded", bool)):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, _frozen(getattr(self, name), dtype))
        if self.edges.size == 0:
            object.__setattr__(self, "edges", _frozen(np.zeros((0, 2)), np.int64))
        self._validate()

    def _validate(self) -> None:  # noqa: C901
        found = Problems("ward data", DataError)
        n = len(self.codes)
        if n == 0:
            found.add("no wards")
        for name in ("names", "borough", "demand", "harm", "population", "need", "area_km2", "x", "y"):
            if len(getattr(self, name)) != n:
                found.add(f"{name} has {len(getattr(self, name))} entries for {n} wards")
        nb = len(self.borough_codes)
        for name in ("borough_names", "borough_bcu"):
            if len(getattr(self, name)) != nb:
                found.add(f"{name} has {len(getattr(self, name))} entries for {nb} boroughs")
        found.raise_if_any()
        dup = pd.Index(self.codes)
        if dup.has_duplicates:
            found.add(f"duplicate ward codes: {', '.join(sorted(set(dup[dup.duplicated()])))}")
        if n and (self.borough.min() < 0 or self.borough.max() >= nb):
            found.add("a ward's borough index is out of range")
        for name in ("demand", "harm", "population", "need"):
            bad = ~np.isfinite(getattr(self, name)) | (getattr(self, name) < 0)
            if bad.any():
                found.add(f"{name} is negative or missing for wards {', '.join(self.codes[bad][:5])}")
        if self.edges.ndim != 2 or self.edges.shape[1] != 2:
            found.add("edges must be an (E, 2) array")
        elif len(self.edges) and (self.edges.min() < 0 or self.edges.max() >= n):
            found.add("an adjacency edge names a ward out of range")
        for name in ("equity", "confidence"):
            extra = getattr(self, name)
            if extra is not None and not np.array_equal(extra.codes, self.codes):
                found.add(f"the {name} data is not in the same ward order as the wards")
        if self.priorities is not None and len(self.priorities.factor) != n:
            found.add("the priority factors are not one per ward")
        for name in ("visitors", "crime_excluded"):
            extra = getattr(self, name)
            if extra is not None and extra.shape != (n,):
                found.add(f"{name} has shape {extra.shape}, expected one entry per ward ({n})")
        if self.visitors is not None and self.visitors.shape == (n,):
            bad = ~np.isfinite(self.visitors) | (self.visitors < 0)
            if bad.any():
                found.add(f"visitors is negative or missing for wards {', '.join(self.codes[bad][:5])}")
        if self.overrides is not None and not np.array_equal(self.overrides.codes, self.codes):
            found.add("the overrides are not in the same ward order as the wards")
        found.raise_if_any()

    # ---------------------------------------------------------------- views
    @property
    def n_wards(self) -> int:
        """Number of wards W."""
        return len(self.codes)

    @property
    def n_boroughs(self) -> int:
        """Number of boroughs B."""
        return len(self.borough_codes)

    @property
    def ward_bcu(self) -> np.ndarray:
        """BCU of each ward, shape (W,)."""
        return self.borough_bcu[self.borough]

    def frame(self) -> pd.DataFrame:
        """The ward table as a DataFrame indexed by ward code (with ``visitors`` when there are any)."""
        table = pd.DataFrame(
            {
                "ward_name": self.names,
                "borough_code": self.borough_codes[self.borough],
                "borough": self.borough_names[self.borough],
                "bcu": self.ward_bcu,
                "demand": self.demand,
                "harm": self.harm,
                "population": self.population,
                "need": self.need,
                "area_km2": self.area_km2,
            },
            index=pd.Index(self.codes, name="ward_code"),
        )
        if self.visitors is not None:
            table.insert(list(table.columns).index("need"), "visitors", self.visitors)
        return table

    def neighbours(self) -> list[list[int]]:
        """Adjacency lists, one per ward."""
        out: list[list[int]] = [[] for _ in range(self.n_wards)]
        for i, j in self.edges:
            out[int(i)].append(int(j))
            out[int(j)].append(int(i))
        return out
