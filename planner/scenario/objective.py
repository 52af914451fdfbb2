"""The ``objective:`` and ``solver:`` blocks: what is maximised and how hard the solver works."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from planner.scenario.base import Strict


class ObjectiveSpec(Strict):
    kind: Literal["value", "balance"] = "value"
    """value: need-weighted value of effective capacity with diminishing returns;
    balance: minimise the largest need per effective officer."""
    pcso_effectiveness: float = Field(0.6, gt=0, le=1)
    """A PCSO counts as this fraction of a constable's effective capacity."""
    saturation: float = Field(1.0, gt=0)
    """Effective officers at which a ward's value has grown by log(2) of its need."""
    cost_weight: float = Field(0.01, ge=0)
    """Penalty per million pounds of annual cost, in units of the value (small: a tie-breaker)."""


class SolverSpec(Strict):
    time_limit: float = Field(30.0, gt=0)
    seed: int = 0
    gap: float = Field(1e-4, ge=0)
    """Stop once the certified relative gap is at most this."""
    workers: int = Field(2, ge=1, le=64)
