"""The equity lens in ``planner cost``: officers in the most and least deprived wards of each option.

For each compared plan, the rows of :func:`planner.report.equity.plan_equity` for the national IMD
deciles at the two ends that the plan's wards reach (decile 1 is the most deprived tenth of
England; London has few wards in decile 10, so the least deprived decile *present* is used and
named): officers (constables + PCSOs, head count) per 1,000 residents and per unit of need, and
the ratio of the most to the least deprived decile (above 1: more officers per resident, or per
unit of need, where deprivation is highest).

An option whose data have no deprivation file (``data.deprivation``) gets no equity figures; the
summary row then says so in ``equity_note``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from planner.report.equity import UNAVAILABLE, plan_equity


@dataclass(frozen=True)
class DecileRates:
    """One IMD decile's officers per 1,000 residents and per unit of need."""

    decile: int
    wards: int
    residents: float
    officers: int
    per_1000_residents: float
    per_need: float


@dataclass(frozen=True)
class DeprivationEnds:
    """The most and least deprived IMD deciles a plan's wards reach, and their officers per resident and need."""

    most: DecileRates
    least: DecileRates

    @property
    def residents_ratio(self) -> float:
        """Officers per 1,000 residents in the most deprived decile over the least deprived (NaN if undefined)."""
        return _div(self.most.per_1000_residents, self.least.per_1000_residents)

    @property
    def need_ratio(self) -> float:
        """Officers per unit of need in the most deprived decile over the least deprived (NaN if undefined)."""
        return _div(self.most.per_need, self.least.per_need)


def _div(a: float, b: float) -> float:
    return a / b if math.isfinite(a) and math.isfinite(b) and b > 0 else math.nan


def deprivation_ends(plan: Any) -> DeprivationEnds | None:
    """The two ends of the IMD deciles for a plan, or None when its wards carry no deprivation data."""
    wards = getattr(plan, "wards", None)
    eq = getattr(wards, "equity", None)
    if eq is None or not eq.has_deprivation:
        return None
    table = plan_equity(plan)
    if table is None:
        return None
    rows = table[table["grouping"] == "imd_decile"].sort_values("group")
    if rows.empty:
        return None

    def rates(row: Any) -> DecileRates:
        return DecileRates(
            decile=int(row["group"]),
            wards=int(row["wards"]),
            residents=float(row["residents"]),
            officers=int(row["officers"]),
            per_1000_residents=float(row["officers_per_1000_residents"]),
            per_need=float(row["officers_per_need"]),
        )

    return DeprivationEnds(most=rates(rows.iloc[0]), least=rates(rows.iloc[-1]))


def equity_fields(plan: Any) -> dict[str, Any]:
    """The summary-row fields of :func:`deprivation_ends` (NaN and a note when there are no data)."""
    ends = deprivation_ends(plan)
    keys = ("decile", "wards", "officers", "officers_per_1000_residents", "officers_per_need")
    if ends is None:
        out: dict[str, Any] = {f"imd_{end}_{k}": math.nan for end in ("most_deprived", "least_deprived") for k in keys}
        out.update({"imd_residents_ratio": math.nan, "imd_need_ratio": math.nan, "equity_note": UNAVAILABLE})
        return out
    out = {}
    for end, r in (("most_deprived", ends.most), ("least_deprived", ends.least)):
        values = (r.decile, r.wards, r.officers, r.per_1000_residents, r.per_need)
        out.update({f"imd_{end}_{k}": v for k, v in zip(keys, values)})
    out.update({"imd_residents_ratio": ends.residents_ratio, "imd_need_ratio": ends.need_ratio, "equity_note": ""})
    return out


def equity_line(row: Mapping[Any, Any]) -> str | None:
    """One plain line for the terminal from a summary row's equity fields (None without data)."""
    most, least = row.get("imd_most_deprived_decile"), row.get("imd_least_deprived_decile")
    if most is None or least is None or not np.isfinite(most) or not np.isfinite(least):
        return None

    def num(x: float, fmt: str) -> str:
        return format(x, fmt) if np.isfinite(x) else "-"

    def wards(n: Any) -> str:
        return f"{int(n)} ward{'' if int(n) == 1 else 's'}"

    return (
        f"  deprivation: {num(row['imd_most_deprived_officers_per_1000_residents'], '.2f')} officers per 1,000 "
        f"residents in IMD decile {int(most)} (most deprived; {wards(row['imd_most_deprived_wards'])}) against "
        f"{num(row['imd_least_deprived_officers_per_1000_residents'], '.2f')} in decile {int(least)} (least "
        f"deprived present; {wards(row['imd_least_deprived_wards'])}), x{num(row['imd_residents_ratio'], '.2f')}; "
        f"per unit of need {num(row['imd_most_deprived_officers_per_need'], '.3g')} against "
        f"{num(row['imd_least_deprived_officers_per_need'], '.3g')} officers, x{num(row['imd_need_ratio'], '.2f')}"
    )
