"""The 2018 -> 2022 ward transition: the old neighbourhood model carried to the new wards.

``planner transition`` (:mod:`planner.transition.cli`) writes ``current_2022.csv``,
a current deployment on the 2022 wards for ``data.current``. See docs/stability.md.
"""

from planner.rounding import largest_remainder, round_within_groups
from planner.transition.api import Transition, build_transition, carry_over, write_transition
from planner.transition.model import NeighbourhoodModel, read_model

__all__ = [
    "NeighbourhoodModel",
    "Transition",
    "build_transition",
    "carry_over",
    "largest_remainder",
    "read_model",
    "round_within_groups",
    "write_transition",
]
