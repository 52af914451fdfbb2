"""The ``need:`` block: how demand, harm and population combine into need."""

from __future__ import annotations

from pydantic import model_validator

from planner.scenario.base import Flag, Strict, Weight


class NeedWeights(Strict):
    """Weights of normalised demand, harm and population in the combined need."""

    demand: Weight = 0.3
    harm: Weight = 0.5
    population: Weight = 0.2

    @model_validator(mode="after")
    def _positive(self) -> NeedWeights:
        if self.demand + self.harm + self.population <= 0:
            raise ValueError("at least one of demand, harm, population must be positive")
        return self


class NeedSpec(Strict):
    """How the combined need of each ward is formed."""

    weights: NeedWeights = NeedWeights()
    demand_weighted: Flag = False
    """If true, demand counts offences weighted by harm class; else plain counts."""
