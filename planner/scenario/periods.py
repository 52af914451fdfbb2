"""Calendar arithmetic for finance: months, quarters and UK financial years.

Months are integers ``year * 12 + (month - 1)``; quarters are calendar
quarters labelled ``"2023Q2"`` (April to June 2023); financial years run
April to March and are labelled ``"2023/24"``. All functions are pure.
"""

from __future__ import annotations

import re

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_FY = re.compile(r"^(\d{4})/(\d{2})$")


def parse_month(text: str) -> int:
    """``"2023-09"`` -> month index. Raises ValueError with the expected form."""
    m = _MONTH.match(str(text).strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"expected a month as YYYY-MM, e.g. 2023-09 (got {text!r})")
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def month_label(month: int) -> str:
    """Month index -> ``"YYYY-MM"``."""
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def parse_quarter(text: str) -> int:
    """``"2023Q2"`` -> index of the quarter's first month."""
    m = _QUARTER.match(str(text).strip().upper())
    if not m:
        raise ValueError(f"expected a calendar quarter as YYYYQn, e.g. 2023Q2 (got {text!r})")
    return int(m.group(1)) * 12 + (int(m.group(2)) - 1) * 3


def quarter_label(first_month: int) -> str:
    """Index of a quarter's first month -> ``"2023Q2"``."""
    return f"{first_month // 12}Q{first_month % 12 // 3 + 1}"


def parse_fy(text: str) -> int:
    """``"2023/24"`` -> 2023 (the calendar year in which the financial year starts)."""
    m = _FY.match(str(text).strip())
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise ValueError(f"expected a financial year as YYYY/YY, e.g. 2023/24 (got {text!r})")
    return int(m.group(1))


def fy_label(year: int) -> str:
    """2023 -> ``"2023/24"``."""
    return f"{year}/{(year + 1) % 100:02d}"


def fy_of_month(month: int) -> int:
    """The financial year (its starting calendar year) that contains a month."""
    year, mon = divmod(month, 12)
    return year if mon >= 3 else year - 1


def fy_months(year: int) -> list[int]:
    """The twelve month indices of financial year ``year`` (April to March)."""
    start = year * 12 + 3
    return list(range(start, start + 12))
