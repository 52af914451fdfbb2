"""Workforce and cost: headcount, availability after abstraction, and annual cost per rank.

The figures come from the scenario (``workforce.<rank>``); when the scenario
carries a detailed pay model (``finance.pay``), :mod:`planner.inputs.pay` derives
each rank's annual cost from it instead. Either way the solver sees four
numbers per rank, in the order of :data:`planner.scenario.RANKS`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.ranks import RANKS
from planner.scenario import Scenario

CONSTABLE, PCSO, SERGEANT, INSPECTOR = range(4)


@dataclass(frozen=True, eq=False)
class Workforce:
    """Per-rank arrays, shape (4,), in :data:`RANKS` order.

    Parameters
    ----------
    headcount : np.ndarray of int
        People available for neighbourhood policing, London-wide.
    availability : np.ndarray of float
        Share of their time left after abstraction.
    annual_cost : np.ndarray of float
        Pounds per person per year (salary plus on-costs).
    cost_source : str
        Where the costs came from ("scenario workforce" or "finance pay model").
    """

    headcount: np.ndarray
    availability: np.ndarray
    annual_cost: np.ndarray
    cost_source: str = "scenario workforce"

    def __post_init__(self) -> None:
        for name, dtype in (("headcount", np.int64), ("availability", float), ("annual_cost", float)):
            arr = np.array(getattr(self, name), dtype=dtype)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    def cost_of(self, counts: np.ndarray) -> float:
        """Annual cost in pounds of ``counts`` people per rank, shape (4,)."""
        return float(np.dot(np.asarray(counts, dtype=float), self.annual_cost))

    def as_dict(self) -> dict[str, dict[str, float]]:
        """Per-rank figures as plain data."""
        return {
            rank: {
                "headcount": int(self.headcount[k]),
                "availability": float(self.availability[k]),
                "annual_cost": float(self.annual_cost[k]),
            }
            for k, rank in enumerate(RANKS)
        }


def rank_annual_costs(scenario: Scenario) -> tuple[np.ndarray, str]:
    """Annual cost per rank and where it came from.

    Uses the finance pay model when the scenario has one, else
    ``workforce.<rank>.annual_cost``.
    """
    if scenario.finance is not None and scenario.finance.pay is not None:
        from planner.inputs.pay import annual_cost_per_rank

        costs = annual_cost_per_rank(scenario)
        if costs is not None:
            return np.array([costs[r] for r in RANKS], dtype=float), "finance pay model"
    return np.array([scenario.workforce.rank(r).annual_cost for r in RANKS], dtype=float), "scenario workforce"


def workforce_from_scenario(scenario: Scenario) -> Workforce:
    """Build the :class:`Workforce` of a scenario."""
    costs, source = rank_annual_costs(scenario)
    return Workforce(
        headcount=np.array([scenario.workforce.rank(r).headcount for r in RANKS]),
        availability=np.array([scenario.workforce.rank(r).availability for r in RANKS]),
        annual_cost=costs,
        cost_source=source,
    )
