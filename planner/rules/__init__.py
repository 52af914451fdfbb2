"""The rules a plan must keep, one module per rule family, and the registry the solver stages loop over.

See :mod:`planner.rules.base` for what a rule is and :mod:`planner.rules.registry`
for the list. Public names: :data:`REGISTRY`, :class:`RuleKey`, :func:`build_problem`,
:func:`check_plan`, :func:`conflicts`, :func:`binding`, :func:`rows_of`.
"""

from planner.rules.base import BuildContext, RowBlock, Rule, RuleCheck, RuleKey
from planner.rules.registry import REGISTRY, binding, build_problem, check_plan, checks, conflicts, describe_rows, rule
from planner.rules.rows import RowSet, WardPrices, rows_of

__all__ = [
    "REGISTRY",
    "BuildContext",
    "RowBlock",
    "RowSet",
    "Rule",
    "RuleCheck",
    "RuleKey",
    "WardPrices",
    "binding",
    "build_problem",
    "check_plan",
    "checks",
    "conflicts",
    "describe_rows",
    "rows_of",
    "rule",
]
