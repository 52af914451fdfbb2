"""What a rule is: one protocol, one enum of keys, and the linear rows every solver stage reads.

A rule family (headcount, spans of control, budget, stability, ...) is one
module of :mod:`planner.rules` holding one :class:`Rule`. It says, once:

* :meth:`Rule.build`: what it takes from the scenario and inputs (fields of
  the :class:`~planner.problem.AllocationProblem` it owns, and bounds on each
  ward's counts or each borough's supervisors);
* :meth:`Rule.rows`: its linear rows over the decision (see :class:`RowBlock`).
  From them, and nothing else, the solver stages derive the rule's rows in the
  master LP, its constraints in CP-SAT, its prices in the Lagrangian bounds
  and its activity in the repair of a plan (:mod:`planner.rules.rows`);
* :meth:`Rule.check`: whether a finished plan keeps it, recomputed from the plan;
* :meth:`Rule.conflicts` and :meth:`Rule.binding`: plain words with numbers
  when it conflicts with other rules before any solve, or binds a plan.

Every row is ``lo <= sum_w (x_w A + p_w B + under/over terms) + sum_b (s_b C + i_b D) <= hi``
where, per ward, ``under_x = max(0, x0 - x)`` and ``over_x = max(0, x - x0)``
are the shortfall and excess against the current deployment ``x0`` (likewise
for PCSOs). With non-negative coefficients on them a row stays convex, so
the Lagrangian of each ward stays concave and every bound stays valid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from planner.inputs.data import WardData
    from planner.inputs.workforce import Workforce
    from planner.problem import AllocationProblem, Deployment
    from planner.scenario import Scenario


class RuleKey(str, Enum):
    """The name of every rule family, used for rows, checks, messages and the registry."""

    WARD_LIMITS = "ward_limits"
    TIERS = "tiers"
    OVERRIDES = "overrides"
    HEADCOUNT = "headcount"
    SUPERVISION = "supervision"
    BUDGET = "budget"
    STABILITY = "stability"
    BOROUGH_DAMPING = "borough_damping"
    BOROUGH_SHARE = "borough_share"
    BOROUGH_CAPS = "borough_caps"
    MIN_EFFECTIVE = "min_effective"
    FAIRNESS = "fairness"


TERMS: tuple[str, ...] = ("x", "p", "under_x", "over_x", "under_p", "over_p")
"""The per-ward terms a row may weigh: constables, PCSOs, and their shortfall and excess against today."""

BOROUGH_TERMS: tuple[str, ...] = ("s", "i")
"""The per-borough terms a row may weigh: sergeants and inspectors."""


@dataclass(frozen=True, eq=False)
class RowBlock:
    """Some rows of one rule: ``lo <= A z <= hi`` with ``z`` the ward and borough terms.

    Parameters
    ----------
    key : RuleKey
        The rule the rows belong to.
    name : str
        Row-name prefix, unique within the rule (the LP names row ``k`` ``name + str(k)`` when
        there is more than one).
    labels : tuple of str
        A plain label per row ("constables", "Brent"), for messages.
    coef : mapping of term -> sparse (R, W) or (R, B) matrix
        Coefficients of each term of :data:`TERMS` (per ward) and :data:`BOROUGH_TERMS`
        (per borough); absent terms are zero.
    lo, hi : (R,) float
        Row limits (``-inf`` / ``inf`` where open).
    unit : str
        What one unit of the row is, for messages ("heads", "pounds million").
    """

    key: RuleKey
    name: str
    labels: tuple[str, ...]
    coef: Mapping[str, sp.csr_matrix]
    lo: np.ndarray
    hi: np.ndarray
    unit: str = "heads"

    def __post_init__(self) -> None:
        n = len(self.labels)
        if self.lo.shape != (n,) or self.hi.shape != (n,):
            raise ValueError(f"rows {self.name}: {n} labels but limits of shape {self.lo.shape}, {self.hi.shape}")
        unknown = set(self.coef) - set(TERMS) - set(BOROUGH_TERMS)
        if unknown:
            raise ValueError(f"rows {self.name}: unknown terms {sorted(unknown)}")

    @property
    def n_rows(self) -> int:
        """Number of rows R."""
        return len(self.labels)


def ward_rows(n_wards: int, groups: np.ndarray, values: np.ndarray, n_rows: int) -> sp.csr_matrix:
    """A (R, W) matrix with ``values[w]`` in row ``groups[w]`` (a ward in no row: group -1)."""
    keep = groups >= 0
    return sp.csr_matrix(
        (np.asarray(values, dtype=float)[keep], (groups[keep], np.flatnonzero(keep))), shape=(n_rows, n_wards)
    )


def one_row(values: np.ndarray) -> sp.csr_matrix:
    """A single row (1, n) holding ``values``."""
    values = np.asarray(values, dtype=float)
    return sp.csr_matrix(values.reshape(1, -1))


@dataclass(frozen=True)
class WardBounds:
    """Bounds a rule puts on each ward's constables and PCSOs (None: no bound from this rule)."""

    lo_x: np.ndarray | None = None
    hi_x: np.ndarray | None = None
    lo_p: np.ndarray | None = None
    hi_p: np.ndarray | None = None


@dataclass(frozen=True)
class SupervisorBounds:
    """Bounds a rule puts on each borough's sergeants and inspectors (None: no bound from this rule)."""

    lo_s: np.ndarray | None = None
    hi_s: np.ndarray | None = None
    lo_i: np.ndarray | None = None
    hi_i: np.ndarray | None = None


@dataclass(frozen=True)
class Built:
    """What a rule contributes to a problem: fields it owns, bounds, and parameters for its own use."""

    fields: Mapping[str, Any] = field(default_factory=dict)
    ward: WardBounds = WardBounds()
    supervisors: SupervisorBounds = SupervisorBounds()
    params: Any = None


@dataclass(frozen=True, eq=False)
class BuildContext:
    """Everything a rule may read when a problem is built.

    The wards, the scenario, the workforce, the current deployment and other optional inputs.
    """

    wards: WardData
    scenario: Scenario
    workforce: Workforce
    current: tuple[np.ndarray, np.ndarray] | None = None
    borough_caps: Mapping[str, np.ndarray] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def n_wards(self) -> int:
        """Number of wards W."""
        return self.wards.n_wards

    @property
    def n_boroughs(self) -> int:
        """Number of boroughs B."""
        return self.wards.n_boroughs


@dataclass(frozen=True)
class RuleCheck:
    """One named check of a finished plan: whether it holds and, if not, by how much and where."""

    name: str
    ok: bool
    detail: str = ""


class Rule:
    """One rule family. Subclasses set :attr:`key` and :attr:`title` and override what applies to them.

    The defaults do nothing, so a rule that only bounds ward counts overrides
    :meth:`build` and :meth:`check`; a rule with rows overrides :meth:`rows`
    and gets its LP rows, CP-SAT constraints, Lagrangian prices and repair for free.
    """

    key: ClassVar[RuleKey]
    title: ClassVar[str]
    """Plain name, as a user would say it ("spans of control")."""

    def build(self, ctx: BuildContext) -> Built | None:
        """The rule's contribution to a problem built from ``ctx`` (None: the rule is off)."""
        return None

    def rows(self, prob: AllocationProblem) -> list[RowBlock]:
        """The rule's linear rows on ``prob`` (empty when it has none or is off)."""
        return []

    def check(self, prob: AllocationProblem, plan: Deployment) -> list[RuleCheck]:
        """Recompute the rule on a finished plan."""
        return []

    def conflicts(self, prob: AllocationProblem) -> list[str]:
        """Plain statements, with numbers, of conflicts that simple arithmetic shows before any solve."""
        return []

    def binding(self, prob: AllocationProblem, plan: Deployment) -> list[str]:
        """Plain statements, with numbers, of where the rule limits ``plan`` (empty when it does not)."""
        return []

    def row_title(self, name: str) -> str:
        """Plain name of one of this rule's row blocks (``name`` as in :attr:`RowBlock.name`)."""
        return self.title


def fmt_n(value: float) -> str:
    """A count for people: ``1,358``."""
    return f"{round(float(value)):,}"


def fmt_money(value: float) -> str:
    """Pounds for people: ``£1,234,567``."""
    return f"£{float(value):,.0f}"
