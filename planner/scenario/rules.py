"""The ``rules:`` block: floors, caps, spans of control, budget, stability and borough shares."""

from __future__ import annotations

from planner.scenario.base import Count, Money, PathText, Ratio, Span, Strict


class WardFloor(Strict):
    constable: Count = 2
    pcso: Count = 1


class WardCap(Strict):
    constable: Count | None = None
    pcso: Count | None = None


class Supervision(Strict):
    """Spans of control."""

    sergeant_span: Span = 8.0
    """Supervisees (constables plus PCSOs) per sergeant, at most."""
    inspector_span: Span = 6.0
    """Sergeants per inspector, at most."""
    min_sergeants_per_borough: Count = 1
    min_inspectors_per_borough: Count = 1


class Stability(Strict):
    """Limit on change from a current deployment."""

    baseline: PathText | None = None
    """CSV with ward_code, constables, pcsos."""
    max_change_per_ward: Count | None = None
    """Per ward and rank, at most this many more or fewer than the baseline."""
    max_total_moves: Count | None = None
    """London-wide, at most this many officers and PCSOs moved from their ward."""


class BoroughShare(Strict):
    """Bounds on each borough's share of constables plus PCSOs, relative to its share of need."""

    min_ratio: Ratio | None = None
    max_ratio: Ratio | None = None


class RulesSpec(Strict):
    ward_floor: WardFloor = WardFloor()
    ward_cap: WardCap = WardCap()
    supervision: Supervision = Supervision()
    budget: Money | None = None
    """Annual pay budget for the four ranks, pounds (at most 1e13). None: no budget rule."""
    stability: Stability = Stability()
    borough_share: BoroughShare = BoroughShare()
