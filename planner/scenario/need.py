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


class PcsoNeedWeights(Strict):
    """Weights of the PCSOs' own need: what PCSOs are for (visibility and engagement), each component
    divided by its mean over the wards. A component with no data (no visitors file, no survey) is left out,
    with a note, and the others reweighted."""

    residents: float = Field(0.4, ge=0)
    visitors: float = Field(0.2, ge=0)
    """Daytime load: station entries and exits (``data.visitors``)."""
    neighbourhood_crime: float = Field(0.3, ge=0)
    """Volume of recorded crime (the neighbourhood offences when a filter is set)."""
    low_confidence: float = Field(0.1, ge=0)
    """Low public confidence (``data.confidence``, the Public Attitude Survey)."""

    @model_validator(mode="after")
    def _positive(self) -> PcsoNeedWeights:
        if self.residents + self.visitors + self.neighbourhood_crime + self.low_confidence <= 0:
            raise ValueError("at least one PCSO need weight must be positive")
        return self


class NeedSpec(Strict):
    """How the combined need of each ward is formed."""

    weights: NeedWeights = NeedWeights()
    demand_weighted: bool = False
    """If true, demand counts offences weighted by harm class; else plain counts."""
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

    months: int = Field(12, ge=1, le=120)
    every: int = Field(3, ge=1, le=120)
    combine: Literal["mean", "worst"] = "mean"
