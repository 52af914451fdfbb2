"""The ``workforce:`` block: headcount, availability and annual cost per rank."""

from __future__ import annotations

from pydantic import Field

from planner.scenario.base import Count, Number, PathText, Pay, Strict


class RankSpec(Strict):
    """Headcount, availability and annual cost of one rank."""

    headcount: Count
    availability: Number = Field(0.8, ge=0.01, le=1)
    """Share of time available after abstraction (training, leave, sickness, court, aid), 0.01 to 1."""
    annual_cost: Pay = Field(gt=0)
    """Salary plus on-costs (employer pension, NI, London weighting), pounds per year (at most 10 million)."""


def _rank(headcount: int, availability: float, annual_cost: float) -> RankSpec:
    return RankSpec(headcount=headcount, availability=availability, annual_cost=annual_cost)


class WorkforceSpec(Strict):
    """Neighbourhood workforce available, by rank. Defaults: docs/model.md, 'Defaults and their sources'."""

    constable: RankSpec = _rank(4200, 0.78, 66_000)
    pcso: RankSpec = _rank(1300, 0.85, 44_000)
    sergeant: RankSpec = _rank(700, 0.80, 80_000)
    inspector: RankSpec = _rank(140, 0.85, 96_000)
    per_borough: PathText | None = None
    """Optional CSV: borough_code plus a column per rank with a borough headcount cap."""

    def rank(self, name: str) -> RankSpec:
        """Return the spec of rank ``name`` (one of :data:`RANKS`)."""
        return getattr(self, name)
