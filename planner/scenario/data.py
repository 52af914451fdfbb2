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
    equity: bool = True
    """Generate illustrative (not real) deprivation and ethnicity per ward for the equity lens."""


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


class LsoaLookupSpec(Strict):
    """Small area (2021 LSOA) to ward lookup: each LSOA in one ward (best fit)."""

    path: str
    lsoa: str = "LSOA21CD"
    ward: str = "WD25CD"


class LsoaCountSpec(Strict):
    """Residents per 2021 LSOA (CSV), used to weight small-area figures."""

    path: str
    lsoa: str = "geography code"
    value: str = "Age: Total"


class DeprivationSpec(Strict):
    """English Indices of Deprivation per 2021 LSOA: score and national decile (1 = most deprived).

    Averaged over each ward's LSOAs weighted by residents: ``population`` if
    given, else the Census totals of ``data.ethnicity``.
    """

    path: str
    lsoa: str = "lsoa21_code"
    score: str = "IMD_score"
    decile: str = "IMD_decile"
    population: LsoaCountSpec | None = None


class EthnicitySpec(Strict):
    """Census ethnic group per 2021 LSOA, long format (one row per LSOA and group)."""

    path: str
    lsoa: str = "lsoa21_code"
    group: str = "ethnic_group"
    count: str = "n"
    total: str = "total_residents"


class ConfidenceSpec(Strict):
    """MOPAC Public Attitude Survey by neighbourhood, and the ward to neighbourhood mapping."""

    path: str
    mapping: str = "pas/ward_to_pas_neighbourhood.csv"
    measure: Literal["good_job", "fair", "listen", "stop_search"] = "good_job"
    """good_job: "how good a job are the police in your area doing" (% excellent or good), the
    survey's headline confidence measure; fair: treat everyone fairly; listen: listen to local
    concerns; stop_search: confident stop and search is used fairly."""


class PrioritiesSpec(Strict):
    """Community priorities per ward: a CSV of ``ward_code, priority, weight`` (see planner.inputs.priorities)."""

    path: str


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
    lsoa_lookup: LsoaLookupSpec | None = None
    """LSOA to ward lookup, needed by ``deprivation`` and ``ethnicity``."""
    deprivation: DeprivationSpec | None = None
    """Index of Multiple Deprivation per LSOA (for the equity lens); None: none (synthetic: generated)."""
    ethnicity: EthnicitySpec | None = None
    """Census ethnic group per LSOA (for the equity lens); None: none (synthetic: generated)."""
    confidence: ConfidenceSpec | None = None
    """Public Attitude Survey confidence per ward; None: none."""
    priorities: PrioritiesSpec | None = None
    """Community priorities that raise a ward's need; None: none."""

    @model_validator(mode="after")
    def _files_need_paths(self) -> DataSpec:
        if self.source == "files":
            missing = [k for k in ("wards", "crime") if getattr(self, k) is None]
            if missing:
                raise ValueError(f"source 'files' needs {' and '.join(missing)}")
        if (self.deprivation is not None or self.ethnicity is not None) and self.lsoa_lookup is None:
            raise ValueError("data.deprivation and data.ethnicity need data.lsoa_lookup (LSOA to ward)")
        if self.deprivation is not None and self.deprivation.population is None and self.ethnicity is None:
            raise ValueError(
                "data.deprivation needs residents per LSOA to weight by: set data.ethnicity "
                "or data.deprivation.population"
            )
        return self
