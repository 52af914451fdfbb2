"""Words for the things a batch varies and measures: what a planner reads instead of field paths.

``label("rules.supervision.sergeant_span")`` is "Sergeant span of control";
``unit(...)`` is "officers per sergeant"; ``value_text(field, 7)`` is
"7 officers per sergeant". Fields without an entry get a label built from
their path ("need.weights.harm" -> "Need weight: harm"), never the path itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

RANK_WORDS = {"constable": "constable", "pcso": "PCSO", "sergeant": "sergeant", "inspector": "inspector"}

_KNOWN: dict[str, tuple[str, str]] = {
    "rules.supervision.sergeant_span": ("Sergeant span of control", "officers per sergeant"),
    "rules.supervision.inspector_span": ("Inspector span of control", "sergeants per inspector"),
    "rules.supervision.min_sergeants_per_borough": ("Minimum sergeants per borough", "sergeants"),
    "rules.supervision.min_inspectors_per_borough": ("Minimum inspectors per borough", "inspectors"),
    "rules.ward_floor.constable": ("Constables per ward, at least", "constables"),
    "rules.ward_floor.pcso": ("PCSOs per ward, at least", "PCSOs"),
    "rules.ward_cap.constable": ("Constables per ward, at most", "constables"),
    "rules.ward_cap.pcso": ("PCSOs per ward, at most", "PCSOs"),
    "rules.budget": ("Annual pay budget", "£"),
    "rules.stability.max_change_per_ward": ("Change per ward, at most", "officers"),
    "rules.stability.max_total_moves": ("Officers moved, at most", "officers"),
    "rules.borough_share.min_ratio": ("Borough share of officers vs need, at least", "x need share"),
    "rules.borough_share.max_ratio": ("Borough share of officers vs need, at most", "x need share"),
    "objective.pcso_effectiveness": ("PCSO effectiveness vs a constable", "x a constable"),
    "objective.saturation": ("Saturation of need", ""),
    "objective.cost_weight": ("Weight of cost in the objective", ""),
    "objective.kind": ("Objective", ""),
    "solver.time_limit": ("Solver time limit", "s"),
    "solver.seed": ("Solver seed", ""),
    "solver.gap": ("Solver gap target", ""),
    "solver.workers": ("Solver threads", ""),
    "description": ("Scenario description", ""),
}
for _rank, _word in RANK_WORDS.items():
    _plural = f"{_word}s"
    _KNOWN[f"workforce.{_rank}.headcount"] = (f"{_word[0].upper()}{_word[1:]} headcount", _plural)
    _KNOWN[f"workforce.{_rank}.availability"] = (f"{_word[0].upper()}{_word[1:]} availability", "share")
    _KNOWN[f"workforce.{_rank}.annual_cost"] = (f"{_word[0].upper()}{_word[1:]} annual cost", "£ a year")

MEASURES: dict[str, str] = {
    "cost_annual": "Annual pay cost (£m)",
    "need_covered": "Need covered (%)",
    "worst_load": "Worst-served wards' load (x the London rate; lower is better)",
    "wards_below_standard": "Wards below the London rate",
    "worst_wards": "Worst-served wards",
    "binding": "What limits the plan",
    "status": "Outcome",
    "constables": "Constables deployed",
    "pcsos": "PCSOs deployed",
    "sergeants": "Sergeants deployed",
    "inspectors": "Inspectors deployed",
    "gap": "Optimality gap",
    "reason": "Why",
}


def _words(part: str) -> str:
    return RANK_WORDS.get(part, part.replace("_", " "))


def label(dotted: str) -> str:
    """A human label for a scenario field (or a stored measure)."""
    if dotted in _KNOWN:
        return _KNOWN[dotted][0]
    if dotted in MEASURES:
        return MEASURES[dotted]
    parts = dotted.split(".")
    if len(parts) == 1:
        text = _words(parts[0])
    else:
        head = " ".join(_words(p) for p in parts[:-1][-2:])
        text = f"{head}: {_words(parts[-1])}"
    return text[:1].upper() + text[1:]


def unit(dotted: str) -> str:
    """The unit of a scenario field's values ('' when it has none)."""
    return _KNOWN.get(dotted, ("", ""))[1]


def value_text(dotted: str, value: Any) -> str:
    """A value with its unit: ``7 officers per sergeant``, ``£120.0m``, ``1,300 PCSOs``."""
    if value is None:
        return "none"
    u = unit(dotted)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if u.startswith("£"):
        return f"£{value / 1e6:,.1f}m" + (" a year" if "year" in u else "")
    number = f"{value:,}" if isinstance(value, int) or float(value).is_integer() else f"{value:,.3g}"
    if isinstance(value, float) and value.is_integer():
        number = f"{int(value):,}"
    if u == "share":
        return f"{100 * value:.0f} %"
    if u == "s":
        return f"{number} s"
    return f"{number} {u}".strip()


def describe_params(params: Mapping[str, Any]) -> str:
    """``"PCSO headcount 1,700 PCSOs; Sergeant span of control 7 officers per sergeant"``."""
    return "; ".join(f"{label(k)} {value_text(k, v)}" for k, v in params.items()) or "the base scenario"


def money_m(pounds: float | None) -> str:
    """``123_400_000`` -> ``"£123.4m"``."""
    if pounds is None or (isinstance(pounds, float) and not math.isfinite(pounds)):
        return "-"
    return f"£{pounds / 1e6:,.1f}m"
