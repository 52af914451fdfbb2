"""The ``data:`` block: where the wards, crime, harm weights and population come from."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from planner.scenario.base import Strict


class SyntheticSpec(Strict):
    """The embedded synthetic city (no files needed)."""

    seed: int = 20230401
    boroughs: int = Field(32, ge=2, le=400)
    wards: int = Field(680, ge=4, le=20000)
    bcus: int = Field(12, ge=1, le=200)


class WardsSpec(Strict):
    """Ward boundary file and the columns that name each ward."""

    path: str
    layer: str | None = None
    ward_code: str = "WD22CD"
    ward_name: str = "WD22NM"
    borough_code: str = "LAD22CD"
    borough_name: str = "LAD22NM"


class BoroughBcuSpec(Strict):
    """Borough to Basic Command Unit table (CSV)."""

    path: str
    borough_code: str = "borough_code"
    bcu: str = "bcu_name"


class MonthWindow(Strict):
    """Inclusive window of months, as ``YYYYMM`` integers."""

    start: int | None = Field(None, ge=190001, le=299912)
    end: int | None = Field(None, ge=190001, le=299912)


class CrimeSpec(Strict):
    """MPS ward-level crime counts (one column per month ``YYYYMM``)."""

    path: str
    months: MonthWindow = MonthWindow()
    drop_partial: bool = True
    partial_threshold: float = Field(
        0.5, gt=0, lt=1, description="a month whose total is below this share of the median month is partial"
    )


class HarmSpec(Strict):
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


class PopulationSpec(Strict):
    """Resident population per ward (CSV with a ward code column)."""

    path: str
    ward_code: str = "WD22CD"
    value: str = "pop_total"


class CurrentSpec(Strict):
    """The current deployment: a CSV of people per ward, or "the plan of another scenario".

    Written in a scenario as a plain path (``current: out/allocation.csv``), as
    ``{path: FILE, boroughs: FILE}`` (a ward file and a borough file, e.g. the
    ``allocation.csv`` and ``boroughs.csv`` that ``planner solve`` writes), or as
    ``{scenario: FILE}`` (the plan of that scenario). See docs/stability.md.
    """

    path: str | None = Field(None, min_length=1)
    """CSV with ``ward_code, constables, pcsos`` (optionally ``sergeants, inspectors`` per ward)."""
    boroughs: str | None = Field(None, min_length=1)
    """Optional CSV with ``borough_code`` (or ``borough``, the name) and ``sergeants``, ``inspectors``."""
    scenario: str | None = Field(None, min_length=1)
    """A scenario YAML file whose plan is the current deployment."""

    @model_validator(mode="before")
    @classmethod
    def _plain_path(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"path": value}
        if not isinstance(value, dict | CurrentSpec):
            raise ValueError("expected a CSV path, {path: FILE, boroughs: FILE} or {scenario: FILE}")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> CurrentSpec:
        if (self.path is None) == (self.scenario is None):
            raise ValueError("give either a CSV (path) or a scenario (scenario), exactly one of them")
        if self.boroughs is not None and self.path is None:
            raise ValueError("boroughs goes with path (the ward CSV), not with scenario")
        return self


class DataSpec(Strict):
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
    current: CurrentSpec | None = None
    """The deployment today (see :class:`CurrentSpec`); None: plan from scratch."""

    @model_validator(mode="after")
    def _files_need_paths(self) -> DataSpec:
        if self.source == "files":
            missing = [k for k in ("wards", "crime") if getattr(self, k) is None]
            if missing:
                raise ValueError(f"source 'files' needs {' and '.join(missing)}")
        return self
