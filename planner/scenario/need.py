"""The ``need:`` block: how demand, harm, population and daytime load combine into need."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from planner.scenario.base import Strict


class NeedWeights(Strict):
    """Weights of normalised demand, harm, population and visitors in the combined need."""

    demand: float = Field(0.3, ge=0)
    harm: float = Field(0.5, ge=0)
    population: float = Field(0.2, ge=0)
    visitors: float = Field(0.0, ge=0)
    """Station footfall (``data.visitors``); default 0, so plans without it are unchanged."""

    @model_validator(mode="after")
    def _positive(self) -> NeedWeights:
        if self.total <= 0:
            raise ValueError("at least one of demand, harm, population must be positive (or visitors)")
        return self

    @property
    def total(self) -> float:
        """Sum of the four weights (need divides by it)."""
        return self.demand + self.harm + self.population + self.visitors


class NeedSpec(Strict):
    """How the combined need of each ward is formed."""

    weights: NeedWeights = NeedWeights()
    demand_weighted: bool = False
    """If true, demand counts offences weighted by harm class; else plain counts."""
    offences: Literal["all", "neighbourhood"] = "all"
    """all: every offence counts in demand and harm; neighbourhood: only offences a neighbourhood
    team can influence (marked in the harm mapping's ``neighbourhood`` column)."""
    domestic_sexual: Literal["include", "exclude"] = "include"
    """exclude: leave out offences marked in the harm mapping's ``domestic_sexual`` column."""
    excluded_crime: Literal["borough_rate", "zero"] = "borough_rate"
    """The crime in need of a ward whose own crime is excluded (an ``exclude_need`` override or
    ``data.crime.exclude_labels``): borough_rate: its residents times the borough's rate per
    resident, offence by offence (planned as a residential ward); zero: none."""
