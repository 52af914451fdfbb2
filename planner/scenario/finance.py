"""The ``finance:`` block of a scenario: a strict schema with sourced defaults.

:class:`planner.scenario.Scenario` validates ``finance`` with :class:`FinanceSpec`
once, at the door (the documented defaults merged in first), and reports every
problem together with its dotted path (``finance.pay.pcso.shift_allowance: ...``).

Defaults and their public sources (see docs/finance.md, "Defaults and sources").
Figures marked *approximate* are planning assumptions, not published figures:
override them in the scenario (any key below) before using totals for a budget.

Pay in force at the plan start (April 2023, i.e. the 2022/23 awards):

* constable: the constables' scale for those appointed on or after 1 April 2013
  (Police Regulations 2003, Annex F, as amended by Home Office Circular 001/2023
  with effect from 1 September 2022): pay points 1-7 = 26,682, 27,804, 28,932,
  30,060, 32,313, 36,852, 43,032 (the 2020 scale plus the flat 1,900 of 2022).
  The *mix* over pay points is approximate (a third at the top, the rest spread
  evenly, reflecting the Police Uplift Programme's many recent joiners).
* sergeant 47,800 and inspector 59,000 (London inspector scale): approximate
  averages of the 2022/23 Annex F scales.
* London weighting 2,502 a year (Annex F, Part 10, 2022/23; uprated with each
  award, 2,677 from September 2023); London allowance 5,338 (Annex U, Part 3,
  maximum from September 2020, Home Office Circular 005/2021).
* PCSO (Metropolitan Police staff, band E): basic 30,507, location allowance
  1,841 (pensionable) and a non-pensionable allowance of 1,000, from the Met's
  PCSO recruitment advert of May 2023; shift disturbance allowance 12.5 % to
  20 % of basic (same advert): 15 % assumed (approximate).
* Police officers' unsocial hours allowance: 2 % of basic (approximate).

Pay awards: police officers 7 % from 1 September 2023 (PRRB, accepted 13 July
2023), 4.75 % from 1 September 2024 (PRRB 2024), 4.2 % from 1 September 2025
(PRRB 2025). Met staff (PCSOs): assumed equal to the officer awards
(approximate: set ``finance.pay_awards.staff`` to the actual settlement).

On-costs: employer contribution to the police pension schemes 31.0 % of
pensionable pay to March 2024 and 35.3 % from April 2024 (2020 valuation);
Met police staff are in the Civil Service pension scheme (alpha): 27.1 % (the
2019-24 band for 23,001-45,500) and 28.97 % from April 2024 (2020 valuation);
an LGPS rate (``lgps``, 18 %, approximate) is provided for other forces.
Employer National Insurance 13.8 % above the secondary threshold 9,100 a year
to March 2025, 15 % above 5,000 from April 2025 (HMRC rates and thresholds).
Apprenticeship Levy 0.5 % of pay (Finance Act 2016).

One-off cost per new joiner (recruitment, vetting, training school) and
equipment (uniform, body armour, radio, body-worn video, mobile device):
approximate planning figures, see ``DEFAULT_PAY``.

Real terms use the GDP deflator growth per financial year in ``inflation``
(approximate, OBR-style forecasts; ``default_inflation`` for other years).

Phasing rules (``phasing.continuity``, ``phasing.additionality``, ``phasing.terminal``) are
planning choices, not sourced figures: at most 2 % of a borough's (and of London's) constables
and PCSOs move between boroughs a quarter (issue 11's default), a funded stream's posts come on
top of the base establishment, and the last quarters' recruits keep the workforce steady after
the plan. ``null`` switches each off.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from planner.errors import ScenarioError
from planner.scenario.base import (
    RANKS,
    Count,
    Flag,
    Integer,
    Money,
    Name,
    Number,
    Pay,
    PositiveCount,
    Rate,
    Seconds,
    Seed,
    Strict,
    counts,
    format_validation_error,
)
from planner.scenario.periods import parse_fy, parse_month, parse_quarter

Component = Literal["basic", "london_weighting", "london_allowance", "other_allowances", "shift_allowance"]
COMPONENTS: tuple[str, ...] = (
    "basic",
    "london_weighting",
    "london_allowance",
    "other_allowances",
    "shift_allowance",
)


# ------------------------------------------------------------------ pay


class RankPay(Strict):
    """Pay of one rank at the plan start, pounds a year per full-time person.

    Give either ``basic`` (an average), or a ``scale`` with a ``point`` (0-based
    index) or a ``mix`` (shares of people on each point, summing to 1).
    """

    basic: Pay | None = Field(None, gt=0)
    scale: tuple[Pay, ...] | None = Field(None, max_length=100)
    point: Integer | None = Field(None, ge=0, le=99)
    mix: tuple[Rate, ...] | None = Field(None, max_length=100)
    london_weighting: Pay = 0.0
    london_allowance: Pay = 0.0
    other_allowances: Pay = 0.0
    shift_allowance: Rate = 0.0
    """Share of basic pay paid as shift or unsocial-hours allowance."""
    pensionable: tuple[Component, ...] = ("basic",)
    pension_scheme: str = "police"
    award_group: str = "police"
    uprate_allowances: Flag = False
    """If true, pay awards also uprate the London allowance and other allowances
    (basic pay and London weighting are always uprated)."""
    recruitment_training: Pay = 0.0
    """One-off cost per new joiner: recruitment, vetting, training school (not their pay)."""
    equipment: Pay = 0.0
    """One-off kit cost per new joiner."""
    non_pay_annual: Pay = 0.0
    """Annual non-pay cost per head (kit replacement, IT, vehicles share)."""

    @model_validator(mode="after")
    def _one_pay_level(self) -> RankPay:
        if self.basic is not None and self.scale is not None:
            raise ValueError("give either basic or scale (with point or mix), not both")
        if self.basic is None and self.scale is None:
            raise ValueError("give basic (an average) or scale with point or mix")
        if self.scale is not None:
            if not self.scale or any(v <= 0 for v in self.scale):
                raise ValueError("scale must list positive pay points")
            if (self.point is None) == (self.mix is None):
                raise ValueError("with scale give exactly one of point or mix")
            if self.point is not None and self.point >= len(self.scale):
                raise ValueError(f"point {self.point} is beyond the {len(self.scale)}-point scale (0-based)")
            if self.mix is not None:
                if len(self.mix) != len(self.scale) or any(v < 0 for v in self.mix):
                    raise ValueError(f"mix needs {len(self.scale)} non-negative shares, one per pay point")
                if abs(sum(self.mix) - 1.0) > 1e-9:
                    raise ValueError(f"mix shares must sum to 1 (got {sum(self.mix):.6g})")
        elif self.point is not None or self.mix is not None:
            raise ValueError("point and mix need a scale")
        return self

    def basic_pay(self) -> float:
        """Average basic pay at the plan start."""
        if self.basic is not None:
            return float(self.basic)
        assert self.scale is not None
        if self.point is not None:
            return float(self.scale[self.point])
        assert self.mix is not None
        return float(sum(s * w for s, w in zip(self.scale, self.mix)))


class Dated(Strict):
    """A rate that applies from a month onwards (``from: 2024-04``)."""

    start: str = Field(alias="from")
    rate: Rate

    @field_validator("start")
    @classmethod
    def _month(cls, v: str) -> str:
        parse_month(v)
        return v

    @property
    def month(self) -> int:
        """The start as a month index (``year * 12 + month - 1``)."""
        return parse_month(self.start)


class NIBand(Dated):
    """Employer National Insurance: ``rate`` on annual pay above ``threshold``, from a month."""

    threshold: Pay


def _sorted(items: tuple[Dated, ...], what: str) -> tuple[Any, ...]:
    months = [d.month for d in items]
    if len(set(months)) != len(months):
        raise ValueError(f"{what}: two entries start in the same month")
    return tuple(sorted(items, key=lambda d: d.month))


# -------------------------------------------------------------- phasing


class RankFlow(Strict):
    """Stock and flow of one rank over the phasing periods."""

    initial: Count | None = None
    """Headcount at the start; default ``workforce.<rank>.headcount``."""
    establishment: Count | None = None
    """Most people the rank may hold outside funding streams; default ``initial``."""
    intake: Annotated[int | tuple[int, ...], counts("intake")] = 0
    """Most recruits (training places) per period: one number, or one per period."""
    lag: Integer = Field(0, ge=0, le=12)
    """Periods in training before a recruit is deployable (recruits are paid meanwhile)."""
    attrition: Rate = 0.0
    """Share of the deployable stock leaving each period (applied in whole people,
    rounded half up, to a precision of 0.01 %)."""
    pipeline: tuple[Count, ...] = ()
    """Recruits already in training at the start: entry k joins the stock in period k+1."""

    @field_validator("intake")
    @classmethod
    def _intake(cls, v: int | tuple[int, ...]) -> int | tuple[int, ...]:
        values = (v,) if isinstance(v, int) else v
        if any(x < 0 for x in values):
            raise ValueError("intake must be non-negative")
        return v

    @field_validator("pipeline")
    @classmethod
    def _pipeline(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if any(x < 0 for x in v):
            raise ValueError("pipeline entries must be non-negative")
        return v

    @model_validator(mode="after")
    def _pipeline_fits_lag(self) -> RankFlow:
        if len(self.pipeline) > max(self.lag, 0) and self.pipeline:
            raise ValueError(f"pipeline has {len(self.pipeline)} entries but lag is {self.lag} periods")
        return self


class Stream(Strict):
    """A funding stream: extra posts of one rank, tracked separately."""

    name: Name
    rank: Literal["constable", "pcso", "sergeant", "inspector"] = "pcso"
    posts: PositiveCount
    by: str | None = None
    """Quarter by which every post must be filled (and kept filled); None: no target."""
    start: str | None = None
    """Earliest quarter in which this stream may recruit; None: from the first period."""
    funder: str = ""
    budget: dict[str, Money] | None = None
    """Most the stream may spend per financial year (``"2023/24": 12.5e6``), pounds."""

    @field_validator("by", "start")
    @classmethod
    def _quarter(cls, v: str | None) -> str | None:
        if v is not None:
            parse_quarter(v)
        return v

    @field_validator("budget")
    @classmethod
    def _fy_keys(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        return _check_fy_map(v, positive=True)


def _check_fy_map(v: dict[str, float] | None, positive: bool) -> dict[str, float] | None:
    if v is None:
        return v
    for key, val in v.items():
        parse_fy(key)
        if positive and not val > 0:
            raise ValueError(f"{key}: must be positive (got {val})")
    return v


RankName = Literal["constable", "pcso", "sergeant", "inspector"]


class Continuity(Strict):
    """How many people may move between boroughs from one quarter to the next.

    A borough whose deployed strength of a rank falls by more than its share of the
    quarter's leavers (the rank's attrition times its strength the quarter before) has
    lost the difference to other boroughs: those are the people *moved*.
    """

    max_move_share: Rate | None = 0.02
    """Most of a rank's deployed people, London-wide, moved between boroughs in a quarter, as a
    share of those deployed the quarter before; None: no London-wide limit."""
    borough_move_share: Rate | None = 0.02
    """Most of one borough's deployed people of a rank moved out to other boroughs in a quarter,
    as a share of its strength the quarter before (rounded down to whole people); None: no
    per-borough limit."""
    ranks: tuple[Literal["constable", "pcso"], ...] = ("constable", "pcso")
    """Ranks the limits apply to (sergeants and inspectors follow the spans of control)."""

    @property
    def active(self) -> bool:
        """Whether continuity limits anything (ranks and at least one share are set)."""
        return bool(self.ranks) and (self.max_move_share is not None or self.borough_move_share is not None)


class Additionality(Strict):
    """A funded stream's posts are on top of the base establishment."""

    base_floor: Rate | None = 1.0
    """Share of its starting strength (``ranks.<rank>.initial``, at most its establishment) that
    the base pool of every rank with a funding stream keeps in post, from the first quarter a
    recruit can reach (after ``lag`` quarters) to the end; None: the base pool may shrink."""


class Terminal(Strict):
    """Recruitment in the last quarters keeps the workforce steady after the plan."""

    hold: Rate | None = 1.0
    """Share of its last-quarter strength that every pool keeps in each quarter after the plan in
    which this plan's recruits are still graduating (the rank's ``lag`` quarters), leavers
    replaced by recruits made before the end; None: recruitment may stop before the end."""


class PhasingSpec(Strict):
    """Multi-period phasing of the uplift."""

    ranks: dict[RankName, RankFlow] = Field(default_factory=dict)
    streams: tuple[Stream, ...] = Field((), max_length=100)
    budget: dict[str, Money] | None = None
    """Most the four ranks may cost per financial year, pounds (pay, on-costs, one-off)."""
    deploy_all: Flag = False
    """If true, every deployable person must be deployed to a borough each period."""
    time_limit: Seconds | None = None
    """Seconds; default ``solver.time_limit``."""
    seed: Seed | None = None
    """Default ``solver.seed``."""
    gap: Number = Field(1e-3, ge=0, le=1)
    """Relative MIP gap at which the recruitment stage stops (the tangent approximation of the
    value is itself about 0.3 %, so closing further buys little; budgets make closing slow)."""
    tangents: Integer = Field(24, ge=2, le=200)
    """Tangent lines approximating each borough's concave value."""
    continuity: Continuity = Continuity()
    """Moves between boroughs from one quarter to the next (default: at most 2 % of a borough's and of
    London's constables and PCSOs)."""
    additionality: Additionality = Additionality()
    """The base pool of a rank with funding streams keeps its starting strength (default on)."""
    terminal: Terminal = Terminal()
    """The last quarters' recruits replace the leavers expected after the plan (default on)."""

    @field_validator("budget")
    @classmethod
    def _fy_keys(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        return _check_fy_map(v, positive=True)

    @model_validator(mode="after")
    def _unique_streams(self) -> PhasingSpec:
        names = [s.name for s in self.streams]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"stream names must be unique (repeated: {', '.join(dup)})")
        return self


# -------------------------------------------------------------- finance


class FinanceSpec(Strict):
    """The whole ``finance:`` block, defaults merged in."""

    start: str = "2023Q2"
    """First quarter of the plan."""
    periods: Integer = Field(8, ge=1, le=80)
    """Number of quarters (default 8: 2023Q2 to 2025Q1, financial years 2023/24 and 2024/25)."""
    price_base: str | None = None
    """Financial year whose prices real-terms figures are in; default the first year."""
    cost_year: str | None = None
    """Financial year whose average annual cost the single-year planner uses; default the first year."""
    pay: dict[Literal["constable", "pcso", "sergeant", "inspector"], RankPay] | None = None
    """Pay model per rank; None: keep ``workforce.<rank>.annual_cost``."""
    pension: dict[str, tuple[Dated, ...]] = Field(default_factory=dict)
    national_insurance: tuple[NIBand, ...] = ()
    apprenticeship_levy: Rate = 0.005
    pay_awards: dict[str, tuple[Dated, ...]] = Field(default_factory=dict)
    inflation: dict[str, Number] = Field(default_factory=dict)
    """Growth of the price level (GDP deflator) in each financial year."""
    default_inflation: Number = Field(0.02, ge=-0.5, le=1)
    phasing: PhasingSpec | None = None

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data: Any) -> Any:
        return with_defaults(data) if isinstance(data, Mapping) else data

    @field_validator("start")
    @classmethod
    def _start(cls, v: str) -> str:
        parse_quarter(v)
        return v

    @field_validator("price_base", "cost_year")
    @classmethod
    def _fy(cls, v: str | None) -> str | None:
        if v is not None:
            parse_fy(v)
        return v

    @field_validator("inflation")
    @classmethod
    def _infl(cls, v: dict[str, float]) -> dict[str, float]:
        for key, val in v.items():
            parse_fy(key)
            if not -0.5 <= val <= 1:
                raise ValueError(f"{key}: inflation must be between -0.5 and 1 (got {val})")
        return v

    @field_validator("pension", "pay_awards")
    @classmethod
    def _dated_maps(cls, v: dict[str, tuple[Dated, ...]]) -> dict[str, tuple[Dated, ...]]:
        return {k: _sorted(items, k) for k, items in v.items()}

    @field_validator("national_insurance")
    @classmethod
    def _ni(cls, v: tuple[NIBand, ...]) -> tuple[NIBand, ...]:
        return _sorted(v, "national_insurance")

    @model_validator(mode="after")
    def _references(self) -> FinanceSpec:
        start = parse_quarter(self.start)
        problems = []
        for rank, rp in (self.pay or {}).items():
            if rp.pension_scheme not in self.pension:
                problems.append(f"pay.{rank}.pension_scheme: no scheme {rp.pension_scheme!r} in pension")
            elif self.pension[rp.pension_scheme][0].month > start:
                problems.append(f"pension.{rp.pension_scheme}: first rate starts after the plan start")
            if rp.award_group not in self.pay_awards:
                problems.append(f"pay.{rank}.award_group: no group {rp.award_group!r} in pay_awards")
        if self.pay is not None and (not self.national_insurance or self.national_insurance[0].month > start):
            problems.append("national_insurance: needs a band in force at the plan start")
        if problems:
            raise ValueError("; ".join(problems))
        return self


# ------------------------------------------------------------ defaults

_CONSTABLE_SCALE_2022 = (26_682.0, 27_804.0, 28_932.0, 30_060.0, 32_313.0, 36_852.0, 43_032.0)
_CONSTABLE_MIX = (0.12, 0.11, 0.11, 0.11, 0.11, 0.11, 0.33)

DEFAULT_PAY: dict[str, dict[str, Any]] = {
    "constable": {
        "scale": _CONSTABLE_SCALE_2022,
        "mix": _CONSTABLE_MIX,
        "london_weighting": 2_502.0,
        "london_allowance": 5_338.0,
        "shift_allowance": 0.02,
        "pensionable": ("basic",),
        "pension_scheme": "police",
        "award_group": "police",
        "recruitment_training": 12_000.0,
        "equipment": 3_500.0,
        "non_pay_annual": 1_500.0,
    },
    "pcso": {
        "basic": 30_507.0,
        "london_weighting": 1_841.0,
        "london_allowance": 1_000.0,
        "shift_allowance": 0.15,
        "pensionable": ("basic", "london_weighting"),
        "pension_scheme": "pcsps_alpha",
        "award_group": "staff",
        "recruitment_training": 6_000.0,
        "equipment": 2_000.0,
        "non_pay_annual": 1_000.0,
    },
    "sergeant": {
        "basic": 47_800.0,
        "london_weighting": 2_502.0,
        "london_allowance": 5_338.0,
        "shift_allowance": 0.02,
        "pensionable": ("basic",),
        "pension_scheme": "police",
        "award_group": "police",
        "recruitment_training": 2_000.0,
        "equipment": 500.0,
        "non_pay_annual": 1_500.0,
    },
    "inspector": {
        "basic": 59_000.0,
        "london_weighting": 2_502.0,
        "london_allowance": 5_338.0,
        "shift_allowance": 0.0,
        "pensionable": ("basic",),
        "pension_scheme": "police",
        "award_group": "police",
        "recruitment_training": 2_000.0,
        "equipment": 500.0,
        "non_pay_annual": 1_500.0,
    },
}
"""Pay per rank at the plan start (April 2023); sources in the module docstring."""

DEFAULT_PENSION: dict[str, list[dict[str, Any]]] = {
    "police": [{"from": "2019-04", "rate": 0.31}, {"from": "2024-04", "rate": 0.353}],
    "pcsps_alpha": [{"from": "2019-04", "rate": 0.271}, {"from": "2024-04", "rate": 0.2897}],
    "lgps": [{"from": "2019-04", "rate": 0.18}],
}
DEFAULT_NI: list[dict[str, Any]] = [
    {"from": "2022-11", "rate": 0.138, "threshold": 9_100.0},
    {"from": "2025-04", "rate": 0.15, "threshold": 5_000.0},
]
_AWARDS = [
    {"from": "2023-09", "rate": 0.07},
    {"from": "2024-09", "rate": 0.0475},
    {"from": "2025-09", "rate": 0.042},
]
DEFAULT_AWARDS: dict[str, list[dict[str, Any]]] = {"police": _AWARDS, "staff": _AWARDS}
DEFAULT_INFLATION: dict[str, float] = {"2023/24": 0.07, "2024/25": 0.03, "2025/26": 0.025, "2026/27": 0.02}

DEFAULT_FLOWS: dict[str, dict[str, Any]] = {
    "constable": {"intake": 150, "lag": 2, "attrition": 0.015},
    "pcso": {"intake": 300, "lag": 1, "attrition": 0.025},
    "sergeant": {"intake": 40, "lag": 1, "attrition": 0.015},
    "inspector": {"intake": 8, "lag": 1, "attrition": 0.015},
}
"""Approximate planning assumptions: training places per quarter, training lag in
quarters, attrition per quarter (about 6 % a year for officers, 10 % for PCSOs)."""

DEFAULT_STREAMS: list[dict[str, Any]] = [
    {"name": "mayor", "rank": "pcso", "posts": 500, "by": "2024Q1", "funder": "Mayor of London"},
    {"name": "turnaround", "rank": "pcso", "posts": 1_100, "by": "2025Q1", "funder": "MPS Turnaround Plan"},
]
"""The 1,600 extra PCSOs: the Mayor-funded 500 and the other 1,100 (target dates approximate)."""

_PAY_LEVEL_KEYS = ("basic", "scale", "point", "mix")


def _merge_pay(user: Mapping[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for rank in RANKS:
        base = copy.deepcopy(DEFAULT_PAY[rank])
        given = user.get(rank)
        if isinstance(given, Mapping):
            if any(k in given for k in _PAY_LEVEL_KEYS):
                for k in _PAY_LEVEL_KEYS:
                    base.pop(k, None)
            base.update(given)
        elif given is not None:
            base = given  # let validation report the wrong type
        merged[rank] = base
    for rank in user:
        if rank not in merged:
            merged[rank] = user[rank]
    return merged


def _merge_phasing(user: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(user)
    ranks = user.get("ranks") or {}
    if isinstance(ranks, Mapping):
        flows: dict[str, Any] = {}
        for rank in RANKS:
            given = ranks.get(rank)
            flows[rank] = {**DEFAULT_FLOWS[rank], **given} if isinstance(given, Mapping) else given
            if flows[rank] is None:
                flows[rank] = dict(DEFAULT_FLOWS[rank])
        flows.update({k: v for k, v in ranks.items() if k not in flows})
        out["ranks"] = flows
    if "streams" not in user:
        out["streams"] = copy.deepcopy(DEFAULT_STREAMS)
    return out


def with_defaults(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The user's ``finance`` mapping with the documented defaults merged in.

    Pay is merged per rank and key (a rank that sets any of basic, scale, point
    or mix replaces the default pay level); pension schemes, pay-award groups and
    inflation years are merged by key; national insurance bands and phasing
    streams are replaced as a whole when given.
    """
    out: dict[str, Any] = dict(raw)
    if out.get("pay") is not None:
        out["pay"] = _merge_pay(out["pay"]) if isinstance(out["pay"], Mapping) else out["pay"]
    for key, default in (("pension", DEFAULT_PENSION), ("pay_awards", DEFAULT_AWARDS)):
        given = out.get(key) or {}
        out[key] = {**copy.deepcopy(default), **given} if isinstance(given, Mapping) else given
    out.setdefault("national_insurance", copy.deepcopy(DEFAULT_NI))
    given_infl = out.get("inflation") or {}
    out["inflation"] = {**DEFAULT_INFLATION, **given_infl} if isinstance(given_infl, Mapping) else given_infl
    if isinstance(out.get("phasing"), Mapping):
        out["phasing"] = _merge_phasing(out["phasing"])
    return out


def parse_finance(raw: Mapping[str, Any] | None, source: str = "scenario") -> FinanceSpec:
    """Validate a ``finance`` mapping (defaults merged in), reporting every problem at once.

    Raises
    ------
    ScenarioError
        Each problem prefixed ``finance.`` with its dotted path.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ScenarioError(f"finance: expected a mapping, got {type(raw).__name__}", source=source)
    try:
        return FinanceSpec.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError([format_validation_error(e, "finance") for e in exc.errors()], source=source) from None


def finance_of(scenario: Any) -> FinanceSpec:
    """The finance settings of a :class:`~planner.scenario.Scenario` (all defaults when it has none)."""
    spec = scenario.finance
    return spec if isinstance(spec, FinanceSpec) else parse_finance(spec, source=f"scenario {scenario.name!r}")


def default_pay_spec() -> FinanceSpec:
    """A finance spec with the documented default pay model switched on."""
    return parse_finance({"pay": {}}, source="default finance")
