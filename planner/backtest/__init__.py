"""Backtests: plan on earlier crime, judge on the crime that came after.

``planner backtest SCENARIO`` makes the optimised plan on the scenario's
``backtest.earlier`` crime window (an older file, with the harm mapping of its
own offence classification), and what a force might do instead: officers in
proportion to last period's crime, in proportion to need, equally per ward,
and today's deployment when one is given. It then judges every one of them on
the scenario's own, later, window: by the planner's value on the later need
(also as a share of what a plan made with hindsight gains over the ward
floors) and by plain measures, and counts the people a hindsight plan would
have moved. See :func:`run_backtest` and docs/equity.md.
"""

from planner.backtest.judge import judge_deployments
from planner.backtest.run import BacktestResult, run_backtest, write_backtest
from planner.backtest.simple import equal_per_ward, floors_only, proportional, with_supervisors
from planner.problem import Deployment

__all__ = [
    "BacktestResult",
    "Deployment",
    "equal_per_ward",
    "floors_only",
    "judge_deployments",
    "proportional",
    "run_backtest",
    "with_supervisors",
    "write_backtest",
]
