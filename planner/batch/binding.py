"""What limits each run's plan, in a planner's words, from the measures stored with the run.

A plan deploys every constable and PCSO unless something stops it. So:

* every officer and PCSO deployed -> the **headcount** binds ("all 4,200
  constables and 1,300 PCSOs are deployed: more officers would cover more need");
* some left undeployed while every sergeant is deployed -> the **sergeants**
  bind ("700 sergeants cap the deployment: at a span of 6 officers per
  sergeant, 620 PCSOs stay undeployed"); likewise **inspectors** and the
  **budget** (less than one more officer's pay left);
* some left undeployed with supervisors and budget to spare -> ward, borough
  or stability **caps** (or the objective's cost weight) hold them back.

Infeasible runs give the solver's reason; failed runs their error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CATEGORIES = {
    "headcount": "Officers available (all deployed)",
    "sergeants": "Sergeants cap the deployment",
    "inspectors": "Inspectors cap the deployment",
    "budget": "The budget caps the deployment",
    "caps": "Ward, borough or stability rules",
    "infeasible": "Infeasible",
    "failed": "Failed",
}
"""Binding-rule categories and their legend labels."""


def _int(row: Mapping[str, Any], key: str) -> int | None:
    value = row.get(key)
    try:
        return None if value is None or value != value else int(value)
    except (TypeError, ValueError):
        return None


def _undeployed_text(row: Mapping[str, Any]) -> tuple[int, str]:
    parts, total = [], 0
    for col, word in (("constables", "constables"), ("pcsos", "PCSOs")):
        have, used = _int(row, f"available_{col}"), _int(row, col)
        if have is not None and used is not None and have > used:
            parts.append(f"{have - used:,} {word}")
            total += have - used
    return total, " and ".join(parts)


def first_reason(error: Any, most: int = 3) -> str:
    """The reason of a stored error or infeasibility message, on one line.

    A heading line ending in a colon ("no plan satisfies every rule:") gives
    way to the points under it (up to ``most``, joined with "; ").
    """
    lines = [line.strip().strip("-•* ").strip() for line in str(error or "").splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return "no reason stored"
    if lines[0].endswith(":") and len(lines) > 1:
        points = lines[1 : 1 + most]
        more = len(lines) - 1 - len(points)
        return "; ".join(points) + (f" (and {more} more)" if more > 0 else "")
    return lines[0]


def binding_rule(
    row: Mapping[str, Any],
    *,
    sergeant_span: float | None = None,
    inspector_span: float | None = None,
    cheapest_officer: float | None = None,
) -> tuple[str, str]:
    """(category, sentence) of what limits one run's plan (see the module docstring).

    Parameters
    ----------
    row : Mapping
        A stored run: status, error, deployed and ``available_*`` by rank, cost_annual, budget.
    sergeant_span, inspector_span : float, optional
        The run's spans of control (for the sentence).
    cheapest_officer : float, optional
        Annual pay of the cheaper of a constable and a PCSO: the budget binds
        when less than this is left (default: the budget binds within 0.1 %).
    """
    status = row.get("status")
    if status == "infeasible":
        return "infeasible", first_reason(row.get("error"))
    if status != "ok":
        return "failed", first_reason(row.get("error"))
    left, which = _undeployed_text(row)
    if left == 0:
        c, p = _int(row, "constables"), _int(row, "pcsos")
        return "headcount", f"all {c or 0:,} constables and {p or 0:,} PCSOs are deployed: more would cover more need"
    caps: list[tuple[str, str]] = []
    s, s_have = _int(row, "sergeants"), _int(row, "available_sergeants")
    if s is not None and s_have is not None and s >= s_have:
        span = f" at a span of {sergeant_span:g} officers per sergeant" if sergeant_span else ""
        caps.append(("sergeants", f"{s_have:,} sergeants cap the deployment{span}"))
    i, i_have = _int(row, "inspectors"), _int(row, "available_inspectors")
    if i is not None and i_have is not None and i >= i_have:
        span = f" at {inspector_span:g} sergeants per inspector" if inspector_span else ""
        caps.append(("inspectors", f"{i_have:,} inspectors cap the deployment{span}"))
    budget, cost = row.get("budget"), row.get("cost_annual")
    if budget is not None and cost is not None and budget == budget:
        slack = cheapest_officer if cheapest_officer else 0.001 * float(budget)
        if float(budget) - float(cost) < slack:
            caps.append(("budget", f"the £{float(budget) / 1e6:,.1f}m budget caps the deployment"))
    if not caps:
        return "caps", f"ward, borough or stability rules (or the cost weight) leave {which} undeployed"
    text = " and ".join(t for _, t in caps)
    return caps[0][0], f"{text}: {which} stay undeployed"
