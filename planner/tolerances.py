"""Every numerical tolerance of the engine, in one place, with its unit and why it is that size.

A rule holds on a plan when its left-hand side is within :data:`FEASIBILITY`
of its limit (in the row's own units: heads, sergeants, pounds million, people
moved); money is compared to the pound within :data:`MONEY`. The solver's
internal thresholds (when a price is worth a column, when the LP's elastic
variables count as zero, when a move improves a plan) are here too, so that a
reader can see every one and a change of one is a change of one line.
"""

from __future__ import annotations

FEASIBILITY = 1e-9
"""Absolute slack on a rule's row (heads, supervisors, pounds million, moves) when checking a plan."""

MONEY = 1e-6
"""Pounds: a plan's annual cost may exceed its budget by this (floating-point sums of pay)."""

CEIL = 1e-9
"""Subtracted before rounding up a ratio of whole numbers (``ceil(heads / span - CEIL)``), so that an exact
multiple is not rounded one too high by floating point."""

ELASTIC = 1e-7
"""The master LP's elastic (violation) variables at or below this count as zero: the LP is feasible."""

PRICE_IN = 1e-9
"""Relative improvement of a ward's best choice over the column pool that brings a new column in."""

IMPROVE = 1e-12
"""Objective units: a local move must gain more than this to be taken (stops cycling on ties)."""

LP_CONVERGED = 1e-2
"""Column generation stops when the LP is within this fraction of the gap target of its Lagrangian bound."""

BOUND_SLACK = 1e-9
"""Relative: a bound below a feasible plan's objective by more than this is a fault, not a certificate."""
