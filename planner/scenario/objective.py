"""The ``objective:`` and ``solver:`` blocks: what is maximised and how hard the solver works."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from planner.scenario.base import Integer, Number, Seconds, Seed, Strict

MIN_SATURATION = 1e-3
MAX_SATURATION = 1e4
MAX_COST_WEIGHT = 1e6


class ObjectiveSpec(Strict):
    kind: Literal["value", "balance"] = "value"
    """value: need-weighted value of effective capacity with diminishing returns;
    balance: minimise the largest need per effective officer."""
    pcso_effectiveness: Number = Field(0.6, ge=0.01, le=1)
    """A PCSO counts as this fraction of a constable's effective capacity (0.01 to 1)."""
    saturation: Number = Field(1.0, ge=MIN_SATURATION, le=MAX_SATURATION)
    """Effective officers at which a ward's value has grown by log(2) of its need (0.001 to 10,000)."""
    cost_weight: Number = Field(0.01, ge=0, le=MAX_COST_WEIGHT)
    """Penalty per million pounds of annual cost, in units of the value (small: a tie-breaker; at most 1e6)."""


class SolverSpec(Strict):
    time_limit: Seconds = 30.0
    seed: Seed = 0
    gap: Number = Field(1e-4, ge=0, le=1)
    """Stop once the certified relative gap is at most this."""
    workers: Integer = Field(2, ge=1, le=64)
