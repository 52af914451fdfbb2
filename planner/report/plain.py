"""Numbers for people: money, counts, durations and the optimality certificate in plain words.

The command line and the app say the same thing the same way: money in
pounds with thousands separators (``£402.7m a year``), a missing amount as a
word (``no budget``), never ``NaN``, and the certificate as what it proves
(``proved within 0.002 % of the best possible plan``).

>>> money(402_688_000)
'£402.7m'
>>> money(float("nan"), missing="no budget")
'no budget'
>>> certificate("optimal", 2.01e-05)
'proved within 0.0021 % of the best possible plan'
"""

from __future__ import annotations

import math
from typing import Any

STATUS_WORDS = {
    "optimal": "Optimal",
    "feasible": "Good plan, not proved best",
    "time_limit": "Best plan found in the time allowed",
    "infeasible": "No plan satisfies every rule",
}


def _number(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def money(x: Any, *, missing: str = "none", exact: bool = False) -> str:
    """Pounds for people: ``£402.7m``, ``£38,500``, ``-£1.2m``; ``missing`` for None or NaN.

    Parameters
    ----------
    x : number
    missing : str
        Text for no amount (None, NaN, infinite).
    exact : bool
        Whole pounds with separators (``£402,688,000``) rather than millions.
    """
    v = _number(x)
    if v is None:
        return missing
    sign = "-" if v < 0 else ""
    a = abs(v)
    if exact or a < 1e6:
        return f"{sign}£{a:,.0f}"
    if a < 1e9:
        return f"{sign}£{a / 1e6:,.1f}m"
    return f"{sign}£{a / 1e9:,.2f}bn"


def count(n: Any, noun: str = "", plural: str | None = None, *, missing: str = "none") -> str:
    """A whole number with separators and its noun: ``1,600 PCSOs``, ``1 ward``."""
    v = _number(n)
    if v is None:
        return missing
    k = round(v)
    text = f"{k:,}"
    if not noun:
        return text
    return f"{text} {noun if abs(k) == 1 else (plural or noun + 's')}"


def signed(n: Any) -> str:
    """A change as a signed whole number: ``+1,600``, ``-12``, ``0``."""
    v = _number(n)
    if v is None:
        return "–"
    k = round(v)
    return f"{k:+,}" if k else "0"


def duration(seconds: Any) -> str:
    """``0.23 s``, ``12 s``, ``3 min 05 s``."""
    v = _number(seconds)
    if v is None:
        return "–"
    if v < 10:
        return f"{v:.2f} s"
    if v < 60:
        return f"{v:.0f} s"
    m, s = divmod(round(v), 60)
    return f"{m} min {s:02d} s"


def percent(share: Any, decimals: int | None = None, *, up: bool = False) -> str:
    """A share (0-1) as a percentage: ``12.5 %``, ``0.0021 %`` (two significant figures below 1 %).

    ``up`` rounds up at the shown precision, for a bound ("within 0.0021 %" must not understate).
    """
    v = _number(share)
    if v is None:
        return "–"
    p = 100 * v
    if decimals is None:
        decimals = 1 if abs(p) >= 1 or p == 0 else min(8, 1 - math.floor(math.log10(abs(p))))
    if up:
        scale = 10.0**decimals
        p = math.ceil(p * scale - 1e-9) / scale
    return f"{p:.{decimals}f} %"


def certificate(status: Any, gap: Any) -> str:
    """The optimality certificate in plain words.

    ``gap`` is the relative distance between the plan and the proven bound
    that no plan can beat, so the plan is *proved within* that share of the
    best possible plan.
    """
    key = str(getattr(status, "value", status))
    g = _number(gap)
    if key == "infeasible":
        return "no plan satisfies every rule"
    if g is None:
        return "no bound proved, so how close this plan is to the best is unknown"
    if g <= 0:
        return "proved the best possible plan"
    within = f"proved within {percent(g, up=True)} of the best possible plan"
    if key == "optimal":
        return within
    if key == "time_limit":
        return f"{within} (the time limit stopped the search)"
    return f"{within} (above the gap asked for)"


def status_words(status: Any) -> str:
    """A solve status for people (``Optimal``, ``Best plan found in the time allowed``...)."""
    key = str(getattr(status, "value", status))
    return STATUS_WORDS.get(key, key.replace("_", " ").capitalize())
