"""Finance: what options cost, and phasing the uplift over several years.

Submodules: :mod:`~planner.scenario.finance` (the ``finance:`` scenario block and its
sourced defaults), :mod:`~planner.finance.costing` (pay and on-costs per rank,
plan costs by rank, ward and borough, everyone in post), :mod:`~planner.finance.phasing`
(quarter-by-quarter recruitment and deployment; :mod:`~planner.finance.flows`,
:mod:`~planner.finance.deploy`, :mod:`~planner.finance.exchange`,
:mod:`~planner.finance.phasing_rules` for continuity, additionality and the terminal
condition, :mod:`~planner.finance.feasibility`, :mod:`~planner.finance.phasing_result`),
:mod:`~planner.finance.compare` (``planner cost``), :mod:`~planner.finance.band` (how its
conclusion moves with the value assumptions), :mod:`~planner.finance.export` (XLSX, CSV,
charts) and :mod:`~planner.finance.cli`. Importing this package does not import OR-Tools.
"""

from planner.finance.costing import (
    PlanCosts,
    RankCost,
    annual_cost_per_rank,
    cost_rates,
    plan_costs,
    rank_breakdown,
    rank_cost,
    unit_costs,
)
from planner.scenario.finance import FinanceSpec, finance_of, parse_finance

__all__ = [
    "FinanceSpec",
    "PlanCosts",
    "RankCost",
    "annual_cost_per_rank",
    "cost_rates",
    "finance_of",
    "parse_finance",
    "plan_costs",
    "rank_breakdown",
    "rank_cost",
    "unit_costs",
]
