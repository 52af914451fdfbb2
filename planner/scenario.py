"""Scenario files: the schema, loading and validation.

A scenario is a YAML file that says which data to use and which rules to plan
under. It is validated once, at the door: every unknown key, wrong type,
negative headcount or span below one is reported together, each with its path
in the file (``workforce.pcso.headcount``), and nothing runs until all are
fixed. Defaults are documented on each field; the README lists their sources.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from planner.errors import ScenarioError

RANKS: tuple[str, ...] = ("constable", "pcso", "sergeant", "inspector")
"""The four ranks the planner deploys, in the order used for every array."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


# --------------------------------------------------------------------------- data


class SyntheticSpec(_Strict):
    """The embedded synthetic city (no files needed)."""

    seed: int = 20230401
    boroughs: int = Field(32, ge=2, le=400)
    wards: int = Field(680, ge=4, le=20000)
    bcus: int = Field(12, ge=1, le=200)


class WardsSpec(_Strict):
    """Ward boundary file and the columns that name each ward."""

    path: str
    layer: str | None = None
    ward_code: str = "WD22CD"
    ward_name: str = "WD22NM"
    borough_code: str = "LAD22CD"
    borough_name: str = "LAD22NM"


class BoroughBcuSpec(_Strict):
    """Borough to Basic Command Unit table (CSV)."""

    path: str
    borough_code: str = "borough_code"
    bcu: str = "bcu_name"


class MonthWindow(_Strict):
    """Inclusive window of months, as ``YYYYMM`` integers."""

    start: int | None = Field(None, ge=190001, le=299912)
    end: int | None = Field(None, ge=190001, le=299912)


class CrimeSpec(_Strict):
    """MPS ward-level crime counts (one column per month ``YYYYMM``)."""

    path: str
    months: MonthWindow = MonthWindow()
    drop_partial: bool = True
    partial_threshold: float = Field(
        0.5, gt=0, lt=1, description="a month whose total is below this share of the median month is partial"
    )


class HarmSpec(_Strict):
    """How offences are weighted by harm.

    ``weights`` is a CSV of weights; ``mapping`` an optional CSV that maps the
    crime file's offence names onto the weight table's keys. An offence with no
    weight is an error unless ``default`` is given explicitly.
    """

    weights: str | None = None
    key: str = "offence"
    value: str = "weight"
    mapping: str | None = None
    mapping_offence: str = "offence"
    mapping_key: str = "key"
    offence_level: Literal["minor", "major"] = "minor"
    default: float | None = Field(None, ge=0)


class PopulationSpec(_Strict):
    """Resident population per ward (CSV with a ward code column)."""

    path: str
    ward_code: str = "WD22CD"
    value: str = "pop_total"


class DataSpec(_Strict):
    """Where the wards, crime, harm and population come from."""

    source: Literal["synthetic", "files"] = "synthetic"
    synthetic: SyntheticSpec = SyntheticSpec()
    wards: WardsSpec | None = None
    borough_bcu: BoroughBcuSpec | None = None
    crime: CrimeSpec | None = None
    harm: HarmSpec = HarmSpec()
    population: PopulationSpec | None = None
    exclude_boroughs: tuple[str, ...] = ("E09000001",)
    """Borough codes that are not policed by the force (default: City of London)."""

    @model_validator(mode="after")
    def _files_need_paths(self) -> DataSpec:
        if self.source == "files":
            missing = [k for k in ("wards", "crime") if getattr(self, k) is None]
            if missing:
                raise ValueError(f"source 'files' needs {' and '.join(missing)}")
        return self


# ------------------------------------------------------------------------ need


class NeedWeights(_Strict):
    """Weights of normalised demand, harm and population in the combined need."""

    demand: float = Field(0.3, ge=0)
    harm: float = Field(0.5, ge=0)
    population: float = Field(0.2, ge=0)

    @model_validator(mode="after")
    def _positive(self) -> NeedWeights:
        if self.demand + self.harm + self.population <= 0:
            raise ValueError("at least one of demand, harm, population must be positive")
        return self


class NeedSpec(_Strict):
    """How the combined need of each ward is formed."""

    weights: NeedWeights = NeedWeights()
    demand_weighted: bool = False
    """If true, demand counts offences weighted by harm class; else plain counts."""


# ------------------------------------------------------------------- workforce


class RankSpec(_Strict):
    """Headcount, availability and annual cost of one rank."""

    headcount: int = Field(ge=0)
    availability: float = Field(0.8, gt=0, le=1)
    """Share of time available after abstraction (training, leave, sickness, court, aid)."""
    annual_cost: float = Field(gt=0)
    """Salary plus on-costs (employer pension, NI, London weighting), pounds per year."""


def _rank(headcount: int, availability: float, annual_cost: float) -> RankSpec:
    return RankSpec(headcount=headcount, availability=availability, annual_cost=annual_cost)


class WorkforceSpec(_Strict):
    """Neighbourhood workforce available, by rank. Defaults: README, 'Defaults and sources'."""

    constable: RankSpec = _rank(4200, 0.78, 66_000)
    pcso: RankSpec = _rank(1300, 0.85, 44_000)
    sergeant: RankSpec = _rank(700, 0.80, 80_000)
    inspector: RankSpec = _rank(140, 0.85, 96_000)
    per_borough: str | None = None
    """Optional CSV: borough_code plus a column per rank with a borough headcount cap."""

    def rank(self, name: str) -> RankSpec:
        """Return the spec of rank ``name`` (one of :data:`RANKS`)."""
        return getattr(self, name)  # type: ignore[no-any-return]


# ----------------------------------------------------------------------- rules


class WardFloor(_Strict):
    constable: int = Field(2, ge=0)
    pcso: int = Field(1, ge=0)


class WardCap(_Strict):
    constable: int | None = Field(None, ge=0)
    pcso: int | None = Field(None, ge=0)


class Supervision(_Strict):
    """Spans of control."""

    sergeant_span: float = Field(8.0, ge=1)
    """Supervisees (constables plus PCSOs) per sergeant, at most."""
    inspector_span: float = Field(6.0, ge=1)
    """Sergeants per inspector, at most."""
    min_sergeants_per_borough: int = Field(1, ge=0)
    min_inspectors_per_borough: int = Field(1, ge=0)


class Stability(_Strict):
    """Limit on change from a current deployment."""

    baseline: str | None = None
    """CSV with ward_code, constables, pcsos."""
    max_change_per_ward: int | None = Field(None, ge=0)
    """Per ward and rank, at most this many more or fewer than the baseline."""
    max_total_moves: int | None = Field(None, ge=0)
    """London-wide, at most this many officers and PCSOs moved from their ward."""


class BoroughShare(_Strict):
    """Bounds on each borough's share of constables plus PCSOs, relative to its share of need."""

    min_ratio: float | None = Field(None, ge=0)
    max_ratio: float | None = Field(None, ge=0)


class RulesSpec(_Strict):
    ward_floor: WardFloor = WardFloor()
    ward_cap: WardCap = WardCap()
    supervision: Supervision = Supervision()
    budget: float | None = Field(None, gt=0)
    """Annual pay budget for the four ranks, pounds. None: no budget rule."""
    stability: Stability = Stability()
    borough_share: BoroughShare = BoroughShare()


# ------------------------------------------------------------------- objective


class ObjectiveSpec(_Strict):
    kind: Literal["value", "balance"] = "value"
    """value: need-weighted value of effective capacity with diminishing returns;
    balance: minimise the largest need per effective officer."""
    pcso_effectiveness: float = Field(0.6, gt=0, le=1)
    """A PCSO counts as this fraction of a constable's effective capacity."""
    saturation: float = Field(1.0, gt=0)
    """Effective officers at which a ward's value has grown by log(2) of its need."""
    cost_weight: float = Field(0.01, ge=0)
    """Penalty per million pounds of annual cost, in units of the value (small: a tie-breaker)."""


class SolverSpec(_Strict):
    time_limit: float = Field(30.0, gt=0)
    seed: int = 0
    gap: float = Field(1e-4, ge=0)
    """Stop once the certified relative gap is at most this."""
    workers: int = Field(2, ge=1, le=64)


# ------------------------------------------------------------------ scenario


class Scenario(_Strict):
    """A whole scenario, as read from YAML."""

    name: str = Field(min_length=1)
    description: str = ""
    data: DataSpec = DataSpec()
    need: NeedSpec = NeedSpec()
    workforce: WorkforceSpec = WorkforceSpec()
    rules: RulesSpec = RulesSpec()
    objective: ObjectiveSpec = ObjectiveSpec()
    solver: SolverSpec = SolverSpec()
    teams: dict[str, Any] | None = None
    """Neighbourhood team design settings (see planner.teams)."""
    finance: dict[str, Any] | None = None
    """Cost model and phasing settings (see planner.finance)."""

    def to_dict(self) -> dict[str, Any]:
        """Plain data, ready for YAML or JSON."""
        return self.model_dump(mode="json")

    def to_yaml(self) -> str:
        """The scenario as YAML text that :func:`load_scenario` reads back."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    def with_changes(self, changes: Mapping[str, Any]) -> Scenario:
        """Return a copy with dotted-path fields replaced, validated again.

        Parameters
        ----------
        changes : Mapping[str, Any]
            e.g. ``{"workforce.pcso.headcount": 2900, "rules.supervision.sergeant_span": 7}``.
        """
        raw = self.to_dict()
        for dotted, value in changes.items():
            set_dotted(raw, dotted, value)
        return scenario_from_dict(raw, source=f"scenario {self.name!r} with changes")

    def digest(self) -> str:
        """A stable hash of the scenario content."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def set_dotted(raw: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``raw['a']['b']['c'] = value`` for ``dotted == 'a.b.c'``.

    Raises
    ------
    ScenarioError
        If a path segment does not exist in the scenario.
    """
    keys = dotted.split(".")
    node: Any = raw
    for i, key in enumerate(keys[:-1]):
        if not isinstance(node, dict) or key not in node:
            raise ScenarioError(f"unknown scenario field {'.'.join(keys[: i + 1])!r} (in {dotted!r})")
        if node[key] is None:
            node[key] = {}
        node = node[key]
    if not isinstance(node, dict) or (keys[-1] not in node and not _open_block(keys)):
        raise ScenarioError(f"unknown scenario field {dotted!r}")
    node[keys[-1]] = value


def _open_block(keys: list[str]) -> bool:
    return keys[0] in ("teams", "finance")


def format_validation_error(err: Mapping[str, Any], block: str | None = None) -> str:
    """One pydantic error as ``path.to.key: message (got value)``.

    ``block`` prefixes the path for blocks validated by their own schema (``teams``, ``finance``).
    """
    loc = ".".join(str(p) for p in err.get("loc", ()) if not str(p).startswith("function-"))
    if block is not None:
        loc = block + (f".{loc}" if loc else "")
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return f"{loc}: unknown key"
    if kind == "missing":
        return f"{loc}: required key is missing"
    msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    got = err.get("input")
    shown = f" (got {got!r})" if not isinstance(got, dict | list | tuple) and got is not None else ""
    return f"{loc or '(top level)'}: {msg}{shown}"


def scenario_from_dict(raw: Any, source: str = "scenario") -> Scenario:
    """Validate plain data as a :class:`Scenario`, reporting every problem at once."""
    if not isinstance(raw, dict):
        raise ScenarioError(f"expected a mapping at the top level, got {type(raw).__name__}", source=source)
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError([format_validation_error(e) for e in exc.errors()], source=source) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file.

    Parameters
    ----------
    path : str or Path
        The YAML file.

    Returns
    -------
    Scenario
        The validated, immutable scenario.

    Raises
    ------
    ScenarioError
        If the file is missing, is not valid YAML, or breaks the schema; every
        problem is listed.
    """
    path = Path(path)
    if not path.is_file():
        raise ScenarioError("file not found", source=str(path))
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"{where}malformed YAML: {problem}", source=str(path)) from None
    except UnicodeDecodeError:
        raise ScenarioError("not a UTF-8 text file", source=str(path)) from None
    if raw is None:
        raise ScenarioError("the file is empty", source=str(path))
    return scenario_from_dict(raw, source=str(path))
