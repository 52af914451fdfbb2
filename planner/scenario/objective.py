"""The ``objective:`` and ``solver:`` blocks: what is maximised and how hard the solver works."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from planner.scenario.base import Integer, Number, Seconds, Seed, Strict

MIN_SATURATION = 1e-3
MAX_SATURATION = 1e4
MAX_COST_WEIGHT = 1e6


class ObjectiveSpec(Strict):
    """What is maximised. See docs/model.md for the value of a ward and every assumption's source."""

    kind: Literal["value", "balance"] = "value"
    """value: need-weighted value of effective capacity with diminishing returns;
    balance: minimise the largest need per effective officer."""
    pcso_model: Literal["own_role", "substitution"] = "own_role"
    """own_role: PCSOs have a value of their own, on their own need (residents, daytime load, volume
    neighbourhood crime, low public confidence: ``need.pcso``), beside the constables' value on need;
    substitution: a PCSO counts as ``pcso_effectiveness`` of a constable in one value per ward."""
    pcso_effectiveness: Number = Field(0.6, ge=0.01, le=1)
    """An assumption, not a published figure: what a PCSO adds relative to a constable (0.01 to 1).
    Substitution model: a PCSO counts as this fraction of a constable's effective capacity. Own role: the
    PCSOs' value in a ward of average PCSO need is this fraction of the constables' in a ward of average
    need. ``planner cost`` shows how its conclusions move when it moves."""
    saturation: Number = Field(1.0, ge=MIN_SATURATION, le=MAX_SATURATION)
    """Effective officers at which a ward's value has grown by log(2) of its need (0.001 to 10,000)."""
    pcso_saturation: Number | None = Field(None, ge=MIN_SATURATION, le=MAX_SATURATION)
    """Own role: PCSOs at which a ward's PCSO value has grown by log(2) of its PCSO need (0.001 to 10,000;
    default: saturation)."""
    cost_weight: Number = Field(0.01, ge=0, le=MAX_COST_WEIGHT)
    """Penalty per million pounds of annual cost, in units of the value (small: a tie-breaker; at most 1e6)."""


class SolverSpec(Strict):
    """The ``solver:`` block: time limit, seed, gap to stop at and worker threads."""

    time_limit: Seconds = 30.0
    seed: Seed = 0
    gap: Number = Field(1e-4, ge=0, le=1)
    """Stop once the certified relative gap is at most this."""
    workers: Integer = Field(2, ge=1, le=64)
