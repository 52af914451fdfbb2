"""The ``need:`` block: how demand, harm, population and daytime load combine into need."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from planner.scenario.base import Flag, Integer, Strict, Weight


class NeedWeights(Strict):
    """Weights of normalised demand, harm, population and visitors in the combined need."""

    demand: Weight = 0.3
    harm: Weight = 0.5
    population: Weight = 0.2
    visitors: Weight = 0.0
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


class PcsoNeedWeights(Strict):
    """Weights of the PCSOs' own need: what PCSOs are for (visibility and engagement).

    Each component is divided by its mean over the wards. A component with no data (no visitors file, no survey) is left
    out, with a note, and the others reweighted.
    """

    residents: Weight = 0.4
    visitors: Weight = 0.2
    """Daytime load: station entries and exits (``data.visitors``)."""
    neighbourhood_crime: Weight = 0.3
    """Volume of recorded crime (the neighbourhood offences when a filter is set)."""
    low_confidence: Weight = 0.1
    """Low public confidence (``data.confidence``, the Public Attitude Survey)."""

    @model_validator(mode="after")
    def _positive(self) -> PcsoNeedWeights:
        if self.residents + self.visitors + self.neighbourhood_crime + self.low_confidence <= 0:
            raise ValueError("at least one PCSO need weight must be positive")
        return self


class NeedSpec(Strict):
    """How the combined need of each ward is formed."""

    weights: NeedWeights = NeedWeights()
    demand_weighted: Flag = False
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
    pcso: PcsoNeedWeights = PcsoNeedWeights()
    """The PCSOs' own need (``objective.pcso_model: own_role``)."""
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

    months: Integer = Field(12, ge=1, le=120)
    every: Integer = Field(3, ge=1, le=120)
    combine: Literal["mean", "worst"] = "mean"
