"""The ``teams:`` block of a scenario, validated strictly.

:class:`planner.scenario.Scenario` validates ``teams`` with :class:`TeamsSpec`;
:func:`parse_teams` validates a mapping on its own and raises a
:class:`~planner.errors.ScenarioError` listing every problem, each prefixed
``teams.`` (``teams.tolerance: Input should be less than 1 (got 1.5)``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, model_validator

from planner.errors import ScenarioError
from planner.scenario.base import (
    Flag,
    Integer,
    Number,
    PathText,
    PositiveCount,
    Seconds,
    Seed,
    Strict,
    counts,
    format_validation_error,
)


class SizeSpec(Strict):
    """How many teams each borough gets. Set at most one of the three keys.

    With none set, a team is one inspector's command: ``sergeants_per_team``
    defaults to ``rules.supervision.inspector_span`` (rounded down).
    """

    sergeants_per_team: PositiveCount | None = None
    """Target sergeants per team: teams = ceil(borough supervisees / (this x sergeant_span))."""
    wards_per_team: Number | None = Field(None, gt=0, le=100_000)
    """Target wards per team: teams = round(borough wards / this)."""
    teams_per_borough: Annotated[int | dict[str, int] | None, counts("teams_per_borough", minimum=1)] = None
    """A fixed number of teams, for every borough or per borough code (others use the default)."""
    max_sergeants_per_team: PositiveCount | None = None
    """Optional hard cap: a team's supervisees at most this many sergeants' spans."""
    adjust: Flag = True
    """When a borough's count cannot meet the tolerance or contiguity, try nearby counts (noted);
    false: fail with the wards at fault instead."""

    @model_validator(mode="after")
    def _one_rule(self) -> SizeSpec:
        chosen = [k for k in ("sergeants_per_team", "wards_per_team", "teams_per_borough") if getattr(self, k)]
        if len(chosen) > 1:
            raise ValueError(f"set only one of {', '.join(chosen)}")
        count = self.teams_per_borough
        values = count.values() if isinstance(count, dict) else [count] if count is not None else []
        if any(v < 1 for v in values):
            raise ValueError("teams_per_borough must be at least 1")
        return self


class TeamsSpec(Strict):
    """Neighbourhood team design settings (scenario key ``teams``)."""

    from_: Literal["plan", "need"] = Field("plan", alias="from")
    """plan: design on the solved allocation (officers per ward); need: on need alone, before allocation."""
    balance: Literal["auto", "need", "officers"] = "auto"
    """Workload balanced across a borough's teams. auto: officers (constables + PCSOs) from a plan, need
    otherwise."""
    tolerance: Number = Field(0.15, gt=0, lt=1)
    """Every team's workload within this fraction of its borough's mean team workload (hard)."""
    balance_target: Number = Field(0.05, ge=0, lt=1)
    """Deviations up to this count as balanced; among those, the most compact teams win."""
    size: SizeSpec = SizeSpec()
    current: PathText | None = None
    """CSV with ward_code, team_id: the current team map (seeds the design; locked teams come from it)."""
    locked: tuple[str, ...] = ()
    """team_id values of the current map kept exactly as they are."""
    seed_from_current: Flag = True
    """Start the search from the current map's unlocked teams."""
    method: Literal["auto", "exact", "heuristic"] = "auto"
    """auto: heuristic everywhere, then CP-SAT on boroughs of at most exact_max_wards free wards."""
    exact_max_wards: Integer = Field(28, ge=2, le=80)
    time_limit: Seconds = 20.0
    """Seconds for the whole design, shared between boroughs."""
    seed: Seed | None = None
    """Random seed; default: solver.seed."""
    restarts: Integer = Field(16, ge=1, le=10_000)
    """Heuristic restarts per borough."""
    joint: Flag = True
    """Size sergeants and inspectors from the teams (rather than the borough ratio) and report the change."""
    minimise_sergeants: Flag | None = None
    """Prefer the split needing the fewest sergeants (before balance within the target and compactness).
    Default: on when designing from a plan in joint mode, off from need (supervisees are only estimated)."""

    @model_validator(mode="after")
    def _consistent(self) -> TeamsSpec:
        if self.balance_target > self.tolerance:
            raise ValueError(f"balance_target ({self.balance_target}) must not exceed tolerance ({self.tolerance})")
        if self.locked and not self.current:
            raise ValueError("locked teams need a current team map (teams.current)")
        if self.balance == "officers" and self.from_ == "need":
            raise ValueError("balance 'officers' needs an allocation: use from: plan, or balance: need")
        return self

    @property
    def counts_sergeants(self) -> bool:
        """Whether fewer sergeants come first in the objective."""
        if self.minimise_sergeants is None:
            return self.joint and self.from_ == "plan"
        return self.minimise_sergeants

    @property
    def balance_on(self) -> Literal["need", "officers"]:
        """The workload actually balanced."""
        if self.balance == "auto":
            return "officers" if self.from_ == "plan" else "need"
        return self.balance


def parse_teams(raw: Mapping[str, Any] | None, source: str = "scenario") -> TeamsSpec:
    """Validate a scenario's ``teams`` block.

    Parameters
    ----------
    raw : Mapping or None
        ``scenario.teams``; None gives every default.
    source : str
        Named in the error message (the scenario file).

    Returns
    -------
    TeamsSpec

    Raises
    ------
    ScenarioError
        Every problem at once, each prefixed ``teams.``.
    """
    if raw is None:
        raw = {}
    if isinstance(raw, TeamsSpec):
        return raw
    if not isinstance(raw, Mapping):
        raise ScenarioError(f"teams: expected a mapping, got {type(raw).__name__}", source=source)
    try:
        return TeamsSpec.model_validate(dict(raw))
    except ValidationError as exc:
        raise ScenarioError([format_validation_error(e, "teams") for e in exc.errors()], source=source) from None


def teams_of(scenario: Any) -> TeamsSpec:
    """The teams settings of a :class:`~planner.scenario.Scenario` (every default when it has none)."""
    spec = scenario.teams
    return spec if isinstance(spec, TeamsSpec) else parse_teams(spec, source=f"scenario {scenario.name!r}")
