"""The ``backtest:`` block: the earlier crime window a plan is made on, to be judged on the scenario's own.

``planner backtest`` plans on ``backtest.earlier`` (an older crime file, with
the harm mapping of its own offence classification) and judges every plan on
the scenario's ``data.crime`` window, which comes after it.
"""

from __future__ import annotations

from pydantic import Field

from planner.scenario.base import Strict
from planner.scenario.data import CrimeSpec


class EarlierWindow(Strict):
    """The crime a backtest plans on."""

    crime: CrimeSpec
    harm_mapping: str | None = None
    """Mapping of the earlier file's offence names to the weights table (replaces data.harm.mapping);
    None: the scenario's own mapping."""


class BacktestSpec(Strict):
    """Plan on an earlier window, judge on the scenario's window."""

    earlier: EarlierWindow
    current: str | None = None
    """CSV of today's deployment (ward_code, constables, pcsos) to judge alongside; None: the
    scenario's data.current if it has a CSV there."""
    top_share: float = Field(0.1, gt=0, lt=1)
    """Share of wards (by later harm) in the "top harm" group of the plain measures."""
