"""The ``need:`` block: how demand, harm and population combine into need."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from planner.scenario.base import Strict


class NeedWeights(Strict):
    """Weights of normalised demand, harm and population in the combined need."""

    demand: float = Field(0.3, ge=0)
    harm: float = Field(0.5, ge=0)
    population: float = Field(0.2, ge=0)

    @model_validator(mode="after")
    def _positive(self) -> NeedWeights:
        if self.demand + self.harm + self.population <= 0:
            raise ValueError("at least one of demand, harm, population must be positive")
        return self


class NeedSpec(Strict):
    """How the combined need of each ward is formed."""

    weights: NeedWeights = NeedWeights()
    demand_weighted: bool = False
    """If true, demand counts offences weighted by harm class; else plain counts."""
    windows: NeedWindows | None = None
    """Need over several rolling windows of the crime data (see :class:`NeedWindows`); None: one window."""


class NeedWindows(Strict):
    """Need over several crime windows, so that a plan does not chase one window's noise.

    Windows of ``months`` months end at the end of the scenario's crime window
    and every ``every`` months before it, as many as fit inside it. Each gives
    a need (each ward's mix of demand, harm and population, divided by its mean);
    ``combine`` makes one of them per ward: ``mean`` (the average), or
    ``worst`` (each ward's lowest window: the need every window supports). Both
    keep each ward's value separate and concave, so plans stay certified.
    """

    months: int = Field(12, ge=1, le=120)
    every: int = Field(3, ge=1, le=120)
    combine: Literal["mean", "worst"] = "mean"
