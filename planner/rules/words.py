"""Plain words for the rules' checks (the keys of ``Plan.check()`` and ``check_plan``), wherever people read them."""

from __future__ import annotations

#: Rule check key (``Plan.check()``) -> what it says, in words.
RULE_WORDS: dict[str, str] = {
    "ward_floors": "Every ward has at least its floor of constables and PCSOs",
    "ward_caps": "No ward has more than its cap",
    "tiers": "Ward officers within the ceiling, the rest from borough hotspot teams",
    "overrides": "Every overridden ward is within its override",
    "headcount_constable": "Constables deployed are within the headcount",
    "headcount_pcso": "PCSOs deployed are within the headcount",
    "headcount_sergeant": "Sergeants deployed are within the headcount",
    "headcount_inspector": "Inspectors deployed are within the headcount",
    "sergeant_span": "Each borough has enough sergeants for its constables and PCSOs",
    "inspector_span": "Each borough has enough inspectors for its sergeants",
    "min_supervisors": "Each borough has at least its fewest sergeants and inspectors",
    "borough_caps": "No borough has more than its own headcount cap",
    "borough_share": "Each borough's share of officers is within its limits",
    "budget": "The pay cost is within the budget",
    "stability": "Change from the baseline is within the stability limits",
    "borough_damping": "No borough loses more than its damping allows",
    "fairness": "Officers per unit of need in every group of wards are within the fairness band",
    "min_effective": "Every ward has at least its fewest effective officers",
}


def rule_words(key: str) -> str:
    """A rule check's key in words (an unknown key gets its words separated and capitalised)."""
    return RULE_WORDS.get(key, key.replace("_", " ").capitalize())
