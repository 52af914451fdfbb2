"""Scenario files: the schema, loading and validation.

A scenario is a YAML file that says which data to use and which rules to plan
under. It is validated once, at the door (:func:`load_scenario`): every
unknown key, wrong type, negative headcount or span below one is reported
together, each with its path in the file (``workforce.pcso.headcount``), and
nothing runs until all are fixed. One module per block: :mod:`.data`,
:mod:`.need`, :mod:`.workforce`, :mod:`.rules`, :mod:`.objective`,
:mod:`.teams`, :mod:`.finance`, :mod:`.backtest`; :mod:`.model` holds the whole scenario.
"""

from planner.scenario.backtest import BacktestSpec, EarlierWindow
from planner.scenario.base import RANKS, Strict, format_validation_error
from planner.scenario.data import (
    BoroughBcuSpec,
    ConfidenceSpec,
    CrimeSpec,
    CurrentSpec,
    DataSpec,
    DeprivationSpec,
    EthnicitySpec,
    HarmSpec,
    LsoaCountSpec,
    LsoaLookupSpec,
    MonthWindow,
    PopulationSpec,
    PrioritiesSpec,
    SyntheticSpec,
    WardsSpec,
)
from planner.scenario.finance import FinanceSpec
from planner.scenario.model import Scenario, load_scenario, scenario_from_dict, set_dotted
from planner.scenario.need import NeedSpec, NeedWeights, NeedWindows, PcsoNeedWeights
from planner.scenario.objective import ObjectiveSpec, SolverSpec
from planner.scenario.rules import (
    BoroughDamping,
    BoroughShare,
    RulesSpec,
    Stability,
    Supervision,
    Tiers,
    WardCap,
    WardFloor,
)
from planner.scenario.teams import TeamsSpec
from planner.scenario.workforce import RankSpec, WorkforceSpec

__all__ = [
    "RANKS",
    "BacktestSpec",
    "BoroughBcuSpec",
    "BoroughDamping",
    "BoroughShare",
    "ConfidenceSpec",
    "CrimeSpec",
    "CurrentSpec",
    "DataSpec",
    "DeprivationSpec",
    "EarlierWindow",
    "EthnicitySpec",
    "FinanceSpec",
    "HarmSpec",
    "LsoaCountSpec",
    "LsoaLookupSpec",
    "MonthWindow",
    "NeedSpec",
    "NeedWeights",
    "NeedWindows",
    "ObjectiveSpec",
    "PcsoNeedWeights",
    "PopulationSpec",
    "PrioritiesSpec",
    "RankSpec",
    "RulesSpec",
    "Scenario",
    "SolverSpec",
    "Stability",
    "Strict",
    "Supervision",
    "SyntheticSpec",
    "TeamsSpec",
    "Tiers",
    "WardCap",
    "WardFloor",
    "WardsSpec",
    "WorkforceSpec",
    "format_validation_error",
    "load_scenario",
    "scenario_from_dict",
    "set_dotted",
]
