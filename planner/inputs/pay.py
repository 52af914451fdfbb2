"""The pay model: what one person of each rank costs, month by month.

Every figure is rounded to the penny (half up) as a payroll would, component by
component, so that a cost can be recomputed by hand. The sourced defaults are in
:mod:`planner.scenario.finance`; the cost of whole plans is in
:mod:`planner.finance.costing`.

The annual cost of one person in a month is::

    basic          = round(basic_0 * award_factor)
    london_weighting = round(lw_0 * award_factor)
    london_allowance, other_allowances (uprated only if ``uprate_allowances``)
    shift_allowance = round(shift_share * basic)
    gross          = basic + london_weighting + london_allowance + other_allowances + shift_allowance
    employer_pension = round(pension_rate * pensionable)      # pensionable: the listed components
    employer_ni    = round(ni_rate * max(0, gross - ni_threshold))
    apprenticeship_levy = round(levy_rate * gross)
    total          = gross + employer_pension + employer_ni + apprenticeship_levy + non_pay_annual

where ``award_factor`` multiplies ``(1 + rate)`` over the pay awards dated after
the plan's first month and on or before the month. A financial year's (or a
quarter's) cost is the sum over its months of ``total / 12``, rounded to the
penny (half up, in exact integer arithmetic).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from planner.scenario import RANKS, Scenario
from planner.scenario.finance import FinanceSpec, finance_of
from planner.scenario.periods import fy_label, fy_of_month, parse_fy, parse_quarter

_DEFAULT_GROUP = {"constable": "police", "pcso": "staff", "sergeant": "police", "inspector": "police"}


def round_pence(x: float) -> float:
    """Round pounds to the penny, half up (as payroll does)."""
    return float(Decimal(repr(float(x))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def to_pence(x: float) -> int:
    """Pounds -> whole pence, half up."""
    return int(Decimal(repr(float(x))).scaleb(2).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class RankCost:
    """Annual cost of one full-time person of a rank, at the rates in force in one month.

    All amounts are pounds a year, rounded to the penny.
    """

    rank: str
    month: int
    basic: float
    london_weighting: float
    london_allowance: float
    other_allowances: float
    shift_allowance: float
    employer_pension: float
    employer_ni: float
    apprenticeship_levy: float
    non_pay: float
    pension_rate: float
    ni_rate: float
    ni_threshold: float
    award_factor: float

    @property
    def gross(self) -> float:
        """Pay before on-costs."""
        parts = (self.basic, self.london_weighting, self.london_allowance, self.other_allowances)
        return round_pence(sum(parts) + self.shift_allowance)

    @property
    def on_costs(self) -> float:
        """Employer pension, national insurance and apprenticeship levy."""
        return round_pence(self.employer_pension + self.employer_ni + self.apprenticeship_levy)

    @property
    def total(self) -> float:
        """Gross pay plus on-costs plus non-pay."""
        return round_pence(self.gross + self.on_costs + self.non_pay)

    def as_dict(self) -> dict[str, Any]:
        """Plain data, including gross, on_costs and total."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out.update(gross=self.gross, on_costs=self.on_costs, total=self.total)
        return out


def _rate_at(items: tuple[Any, ...], month: int) -> Any:
    current = None
    for item in items:
        if item.month <= month:
            current = item
    if current is None:
        raise ValueError(f"no rate in force in month {month}")
    return current


def award_factor(spec: FinanceSpec, group: str, month: int) -> float:
    """Product of ``1 + rate`` over awards of ``group`` after the plan start, up to ``month``."""
    start = parse_quarter(spec.start)
    factor = 1.0
    for award in spec.pay_awards.get(group, ()):
        if start < award.month <= month:
            factor *= 1.0 + award.rate
    return factor


def rank_cost(spec: FinanceSpec, rank: str, month: int) -> RankCost:
    """The itemised annual cost of one person of ``rank`` at the rates of ``month``.

    Raises
    ------
    ValueError
        If the spec has no pay model (``finance.pay``).
    """
    if spec.pay is None:
        raise ValueError("finance.pay is not set: there is no pay model to itemise")
    rp = spec.pay[rank]  # type: ignore[index]
    f = award_factor(spec, rp.award_group, month)
    fa = f if rp.uprate_allowances else 1.0
    parts = {
        "basic": round_pence(rp.basic_pay() * f),
        "london_weighting": round_pence(rp.london_weighting * f),
        "london_allowance": round_pence(rp.london_allowance * fa),
        "other_allowances": round_pence(rp.other_allowances * fa),
    }
    parts["shift_allowance"] = round_pence(rp.shift_allowance * parts["basic"])
    gross = round_pence(sum(parts.values()))
    pension_rate = _rate_at(spec.pension[rp.pension_scheme], month).rate
    ni = _rate_at(spec.national_insurance, month)
    pensionable = round_pence(sum(parts[c] for c in rp.pensionable))
    return RankCost(
        rank=rank,
        month=month,
        employer_pension=round_pence(pension_rate * pensionable),
        employer_ni=round_pence(ni.rate * max(0.0, gross - ni.threshold)),
        apprenticeship_levy=round_pence(spec.apprenticeship_levy * gross),
        non_pay=round_pence(rp.non_pay_annual),
        pension_rate=pension_rate,
        ni_rate=ni.rate,
        ni_threshold=ni.threshold,
        award_factor=f,
        **parts,
    )


# ------------------------------------------------------------ rates per month


@dataclass(frozen=True)
class CostRates:
    """Per-rank cost rates of a scenario, with or without a detailed pay model.

    Without ``finance.pay`` the scenario's ``workforce.<rank>.annual_cost`` is
    the cost at the plan start, uprated by the pay awards of the rank's group
    (``staff`` for PCSOs, ``police`` otherwise); national insurance changes are
    then not modelled separately.
    """

    spec: FinanceSpec
    workforce_cost: dict[str, float]
    _cache: dict[tuple[str, int], float] = field(default_factory=dict, compare=False, repr=False)

    @property
    def detailed(self) -> bool:
        """True when a pay model itemises the costs."""
        return self.spec.pay is not None

    def annual_rate(self, rank: str, month: int) -> float:
        """Annual cost of one person of ``rank`` at the rates in force in ``month``."""
        key = (rank, month)
        if key not in self._cache:
            if self.spec.pay is not None:
                value = rank_cost(self.spec, rank, month).total
            else:
                group = _DEFAULT_GROUP[rank]
                value = round_pence(self.workforce_cost[rank] * award_factor(self.spec, group, month))
            self._cache[key] = value
        return self._cache[key]

    def months_cost(self, rank: str, months: list[int] | range) -> float:
        """Cost of one person over the given months (``annual / 12`` each), to the penny (half up)."""
        pence = sum(to_pence(self.annual_rate(rank, m)) for m in months)
        return ((2 * pence + 12) // 24) / 100

    def fy_cost(self, rank: str, year: int) -> float:
        """Cost of one person over financial year ``year`` (April to March)."""
        start = year * 12 + 3
        return self.months_cost(rank, range(start, start + 12))

    def one_off(self, rank: str) -> float:
        """One-off cost per new joiner (recruitment, training school, equipment)."""
        if self.spec.pay is None:
            return 0.0
        rp = self.spec.pay[rank]  # type: ignore[index]
        return round_pence(rp.recruitment_training + rp.equipment)

    def price_index(self, year: int) -> float:
        """Price level of financial year ``year`` relative to the price base year."""
        base = self.price_base
        idx = 1.0
        for y in range(base + 1, year + 1):
            idx *= 1.0 + self.spec.inflation.get(fy_label(y), self.spec.default_inflation)
        for y in range(year + 1, base + 1):
            idx /= 1.0 + self.spec.inflation.get(fy_label(y), self.spec.default_inflation)
        return idx

    @property
    def price_base(self) -> int:
        """Financial year (start year) whose prices real-terms figures are in."""
        if self.spec.price_base:
            return parse_fy(self.spec.price_base)
        return fy_of_month(parse_quarter(self.spec.start))

    @property
    def cost_year(self) -> int:
        """Financial year whose cost the single-year planner uses."""
        if self.spec.cost_year:
            return parse_fy(self.spec.cost_year)
        return fy_of_month(parse_quarter(self.spec.start))

    def horizon_months(self) -> list[int]:
        """The months of the plan horizon (``periods`` quarters from ``start``)."""
        start = parse_quarter(self.spec.start)
        return list(range(start, start + 3 * self.spec.periods))


def cost_rates(scenario: Scenario) -> CostRates:
    """The cost rates of a scenario (validating its ``finance`` block)."""
    spec = finance_of(scenario)
    wf = {r: float(scenario.workforce.rank(r).annual_cost) for r in RANKS}
    return CostRates(spec=spec, workforce_cost=wf)


def annual_cost_per_rank(scenario: Scenario) -> dict[str, float] | None:
    """Annual cost per person of each rank in the cost year, from ``finance.pay``.

    Returns
    -------
    dict[str, float] or None
        Pounds per rank (to the penny) for the financial year ``finance.cost_year``
        (default the plan's first year); None when the scenario has no
        ``finance.pay`` block, so the core keeps ``workforce.<rank>.annual_cost``.

    Raises
    ------
    ScenarioError
        If the ``finance`` block is invalid (problems prefixed ``finance.``).
    """
    if scenario.finance is None or scenario.finance.pay is None:
        return None
    rates = cost_rates(scenario)
    return {r: rates.fy_cost(r, rates.cost_year) for r in RANKS}
