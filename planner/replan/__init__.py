"""Stability across data windows: how many people a re-plan moves when the crime window shifts.

:func:`window_stability` plans on a window ending some months earlier, then
re-plans on the latest window twice: from scratch, and from the earlier plan
as today's deployment with the scenario's stability rules (or the default
move threshold). ``planner stability SCENARIO`` prints and writes the table.
"""

from planner.replan.api import DEFAULT_THRESHOLD, ShiftResult, window_stability, write_stability

__all__ = ["DEFAULT_THRESHOLD", "ShiftResult", "window_stability", "write_stability"]
