"""The ``rules:`` block: floors, caps, spans of control, budget, stability and borough shares."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from planner.scenario.base import Count, Flag, Integer, Money, Note, Number, Rate, Ratio, Span, Strict


class WardFloor(Strict):
    """The fewest constables and PCSOs every ward holds."""

    constable: Count = 2
    pcso: Count = 1


class WardCap(Strict):
    """The most constables and PCSOs any ward holds (None: no cap)."""

    constable: Count | None = None
    pcso: Count | None = None


class AreaSpans(Strict):
    """Spans of control for one BCU or borough, replacing the London-wide ones it names."""

    sergeant_span: Span | None = None
    """Supervisees (constables plus PCSOs) per sergeant, at most, in this area."""
    inspector_span: Span | None = None
    """Sergeants per inspector, at most, in this area."""
    reason: Note = ""
    """Why this area differs (shown beside the spans in the summary)."""


class Supervision(Strict):
    """Spans of control."""

    sergeant_span: Span = 8.0
    """Supervisees (constables plus PCSOs) per sergeant, at most."""
    inspector_span: Span = 6.0
    """Sergeants per inspector, at most."""
    min_sergeants_per_borough: Count = 1
    min_inspectors_per_borough: Count = 1
    per_bcu: dict[str, AreaSpans] = Field(default_factory=dict, max_length=1000)
    """Spans for named areas: a key is a BCU as the data names it (e.g. ``Central West BCU``) or a borough
    code (``E09000033``); a borough's own entry wins over its BCU's. Unknown keys are errors."""


class Stability(Strict):
    """Limit on change from the current deployment (``data.current``)."""

    max_change_per_ward: Count | None = None
    """Per ward and rank, at most this many more or fewer than the current deployment."""
    max_total_moves: Count | None = None
    """London-wide, at most this many constables and PCSOs moved from one ward to another (filling a new
    post is never a move)."""
    max_moves_share: Rate | None = None
    """Per rank, at most this share of today's constables (and of today's PCSOs) moved between wards."""
    move_threshold: Number = Field(0.0, ge=0, le=10)
    """A person is moved only if the move gains at least this share of what one more constable adds to an
    average ward today (0: moves are free). Keeps plans from chasing small changes in the data."""

    @model_validator(mode="before")
    @classmethod
    def _baseline_moved(cls, value: Any) -> Any:
        if isinstance(value, dict) and "baseline" in value:
            raise ValueError(
                f"baseline has moved to data.current: write `data: {{current: {value['baseline']}}}` "
                "instead of rules.stability.baseline"
            )
        return value


class Tiers(Strict):
    """The neighbourhood model's two tiers of constables (and the ward PCSOs' ceiling).

    Dedicated ward officers are ring-fenced per ward, between the ward floor and
    ``ward_officer_ceiling``; beyond that, a borough's flexible pool is deployed
    as hotspot (town-centre) teams to the wards where need concentrates, at most
    ``hotspot_per_ward`` of them in one ward, in teams of ``team_size`` constables
    led by the borough's sergeants and inspectors (counted in the spans of control).
    """

    ward_officer_ceiling: Integer | None = Field(None, ge=0, le=1000)
    """Most dedicated ward officers in one ward; None: no tiers (every constable is a ward officer)."""
    hotspot_per_ward: Integer = Field(21, ge=0, le=1000)
    """Most hotspot-team constables deployed to one ward (default: one town-centre team, 21 in 2021)."""
    team_size: Integer = Field(21, ge=1, le=1000)
    """Constables per hotspot team (in 2021 typically 1 inspector, 2 sergeants and 21 constables)."""
    ward_pcso_ceiling: Integer | None = Field(None, ge=0, le=1000)
    """Most PCSOs in one ward (ward PCSOs are ring-fenced to their ward); None: no ceiling."""


class BoroughDamping(Strict):
    """No borough loses more than a share of its current strength in one plan (resource allocation damping)."""

    max_loss: Rate | None = None
    """Per borough and rank (constables, PCSOs), at most this share of today's strength lost."""
    no_losers: Flag = False
    """No borough has fewer constables or PCSOs than today (the same as ``max_loss: 0``)."""


class BoroughShare(Strict):
    """Bounds on each borough's share of constables plus PCSOs, relative to its share of need."""

    min_ratio: Ratio | None = None
    max_ratio: Ratio | None = None


class Fairness(Strict):
    """Officers per unit of need in every group of wards (IMD decile) within a band around London's rate.

    With ``N_g`` a group's share of London's need and ``X`` the officers the plan deploys, each group ``g``
    gets between ``(1 - tolerance) * N_g * X`` and ``(1 + tolerance) * N_g * X`` officers: its officers per
    unit of need (``need_index`` in ``equity.csv``) within ``tolerance`` of London's. Off unless
    ``tolerance`` is given; the plan's summary then reports the price of fairness (value lost against
    the plan solved without this rule).
    """

    tolerance: Rate | None = None
    """Largest relative distance of a group's officers per unit of need from London's (0.1: within 10 %);
    None: no fairness rule."""
    by: str = Field("imd_decile", pattern=r"^(imd_decile|[a-z]{1,20}_share_quintile)$", max_length=40)
    """The grouping of wards: ``imd_decile`` (national IMD decile, needs ``data.deprivation``) or
    ``<group>_share_quintile`` (quintile of an ethnic group's share of residents, needs ``data.ethnicity``)."""
    officers: Literal["all", "constables", "separately"] = "all"
    """What is counted: ``all`` constables plus PCSOs (the equity lens's officers, so the rule bounds
    ``equity.csv``'s need index), ``constables`` warranted constables only, ``separately`` constables and
    PCSOs each within the band."""


class RulesSpec(Strict):
    """The ``rules:`` block: one field per rule family, from the ward floors to fairness."""

    ward_floor: WardFloor = WardFloor()
    ward_cap: WardCap = WardCap()
    supervision: Supervision = Supervision()
    budget: Money | None = None
    """Annual pay budget for the four ranks, pounds (at most 1e13). None: no budget rule."""
    stability: Stability = Stability()
    tiers: Tiers = Tiers()
    borough_damping: BoroughDamping = BoroughDamping()
    borough_share: BoroughShare = BoroughShare()
    fairness: Fairness = Fairness()
