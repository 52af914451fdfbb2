"""The ``objective:`` and ``solver:`` blocks: what is maximised and how hard the solver works."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from planner.scenario.base import Strict


class ObjectiveSpec(Strict):
    """What is maximised. See docs/model.md for the value of a ward and every assumption's source."""

    kind: Literal["value", "balance"] = "value"
    """value: need-weighted value of effective capacity with diminishing returns;
    balance: minimise the largest need per effective officer."""
    pcso_model: Literal["own_role", "substitution"] = "own_role"
    """own_role: PCSOs have a value of their own, on their own need (residents, daytime load, volume
    neighbourhood crime, low public confidence: ``need.pcso``), beside the constables' value on need;
    substitution: a PCSO counts as ``pcso_effectiveness`` of a constable in one value per ward."""
    pcso_effectiveness: float = Field(0.6, gt=0, le=1)
    """An assumption, not a published figure: what a PCSO adds relative to a constable. Substitution
    model: a PCSO counts as this fraction of a constable's effective capacity. Own role: the PCSOs'
    value in a ward of average PCSO need is this fraction of the constables' in a ward of average need.
    ``planner cost`` shows how its conclusions move when it moves."""
    saturation: float = Field(1.0, gt=0)
    """Effective officers at which a ward's value has grown by log(2) of its need."""
    pcso_saturation: float | None = Field(None, gt=0)
    """Own role: PCSOs at which a ward's PCSO value has grown by log(2) of its PCSO need (default: saturation)."""
    cost_weight: float = Field(0.01, ge=0)
    """Penalty per million pounds of annual cost, in units of the value (small: a tie-breaker)."""


class SolverSpec(Strict):
    time_limit: float = Field(30.0, gt=0)
    seed: int = 0
    gap: float = Field(1e-4, ge=0)
    """Stop once the certified relative gap is at most this."""
    workers: int = Field(2, ge=1, le=64)
