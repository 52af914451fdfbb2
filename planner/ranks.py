"""The four ranks the planner deploys, and their index in every per-rank array."""

from __future__ import annotations

RANKS: tuple[str, ...] = ("constable", "pcso", "sergeant", "inspector")
"""The four ranks, in the order used for every array."""

CONSTABLE, PCSO, SERGEANT, INSPECTOR = range(4)
"""Index of each rank in :data:`RANKS` and in every (4,) array."""

RANK_LABELS: dict[str, str] = {
    "constable": "constables",
    "pcso": "PCSOs",
    "sergeant": "sergeants",
    "inspector": "inspectors",
}
"""Plain plural of each rank, for messages and tables."""
