"""Every knob of a solve, in one frozen object.

:class:`SolveParams` holds what the scenario's ``solver`` block sets (time
limit, gap target, seed, CP-SAT workers) and every number the solver stages
used to hard-code: how the column pool is seeded, the price of breaking a rule
in the master LP, how long the borough bound searches, how much CP-SAT may do.
The defaults are the measured ones (docs/performance.md); same inputs and
same parameters give the same plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class BoroughParams:
    """The borough bound with whole supervisors (:func:`planner.solve.borough_primal.refine_with_boroughs`)."""

    stretch: float = 0.1
    """Once within the gap target, work on towards ``stretch * target`` ..."""
    stretch_evals: int = 12
    """... for at most this many more evaluations (counted, not timed, so the answer is repeatable)."""
    max_evals: int = 60
    """Most evaluations of the bound in one solve."""
    plans: int = 4
    """Plans built from new best evaluations (twice as many in all when the search ends above target)."""


@dataclass(frozen=True)
class SolveParams:
    """Every knob of :func:`planner.solve.pipeline.solve_allocation`.

    Parameters
    ----------
    time_limit : float
        Wall-clock seconds for the whole solve (a safety net: the stages stop on
        counts and convergence, and the status says when this limit cut them short).
    gap_target : float
        Stop once the certified relative gap is at most this.
    seed : int
        Seed of every randomised stage (CP-SAT).
    workers : int
        CP-SAT threads.
    polish : bool
        Whether CP-SAT may be used to close a remaining gap.
    seed_radius : int
        The pool starts with every choice within this many of the water-filling estimate, per rank.
    penalty_factor : float
        Price of one unit of breach of a rule row in the master LP, per unit of the steepest value slope.
    cpsat_seconds : float
        Wall seconds CP-SAT polish may take at most (also capped at ``cpsat_share`` of the time limit).
    cpsat_share : float
    cpsat_work : float
        CP-SAT polish's deterministic time limit (CP-SAT's own work units: repeatable on any machine).
    cpsat_radius : int
        Choices within this many of the incumbent (per rank) are offered to CP-SAT polish.
    repair_steps, repair_patience : int
        Most repair steps, and steps without progress before repair gives up.
    search_radius : int
        When repair finds no plan: CP-SAT looks for one within this many of the rounded LP (per ward and rank).
    search_seconds, search_work : float
        That search's wall-clock safety net and its deterministic time limit (CP-SAT work units:
        repeatable on any machine; the work limit is what ends the search in practice).
    improve_candidates : int
        Best additions and removals tried against each other per round of marginal analysis.
    boroughs : BoroughParams
    """

    time_limit: float = 30.0
    gap_target: float = 1e-4
    seed: int = 0
    workers: int = 1
    polish: bool = True
    seed_radius: int = 1
    penalty_factor: float = 5e5
    cpsat_seconds: float = 5.0
    cpsat_share: float = 0.25
    cpsat_work: float = 20.0
    cpsat_radius: int = 2
    repair_steps: int = 200_000
    repair_patience: int = 400
    search_radius: int = 3
    search_seconds: float = 60.0
    search_work: float = 2.0
    improve_candidates: int = 6
    boroughs: BoroughParams = field(default_factory=BoroughParams)

    def but(self, **changes: object) -> SolveParams:
        """A copy with some knobs changed."""
        return replace(self, **changes)  # type: ignore[arg-type]
