"""The ``data:`` block: where the wards, crime, harm weights and population come from."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from planner.scenario.base import Flag, Integer, Name, Number, PathText, Seed, Strict

MAX_SYNTHETIC_WARDS = 20_000
MAX_SYNTHETIC_BOROUGHS = 400
MAX_SYNTHETIC_BCUS = 200


class SyntheticSpec(Strict):
    """The embedded synthetic city (no files needed)."""

    seed: Seed = 20230401
    boroughs: Integer = Field(32, ge=2, le=MAX_SYNTHETIC_BOROUGHS)
    wards: Integer = Field(680, ge=4, le=MAX_SYNTHETIC_WARDS)
    bcus: Integer = Field(12, ge=1, le=MAX_SYNTHETIC_BCUS)
    equity: Flag = True
    """Generate illustrative (not real) deprivation and ethnicity per ward for the equity lens."""

    @model_validator(mode="after")
    def _sizes_agree(self) -> SyntheticSpec:
        problems = []
        if self.boroughs > self.wards:
            problems.append(f"boroughs ({self.boroughs}) is more than wards ({self.wards}): every borough needs a ward")
        if self.bcus > self.boroughs:
            problems.append(f"bcus ({self.bcus}) is more than boroughs ({self.boroughs}): every BCU needs a borough")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class WardsSpec(Strict):
    """Ward boundary file and the columns that name each ward."""

    path: PathText
    layer: str | None = None
    ward_code: str = "WD22CD"
    ward_name: str = "WD22NM"
    borough_code: str = "LAD22CD"
    borough_name: str = "LAD22NM"


class BoroughBcuSpec(Strict):
    """Borough to Basic Command Unit table (CSV)."""

    path: PathText
    borough_code: str = "borough_code"
    bcu: str = "bcu_name"


class MonthWindow(Strict):
    """Inclusive window of months, as ``YYYYMM`` integers."""

    start: Integer | None = Field(None, ge=190001, le=299912)
    end: Integer | None = Field(None, ge=190001, le=299912)


class CrimeSpec(Strict):
    """MPS ward-level crime counts (one column per month ``YYYYMM``)."""

    path: PathText
    months: MonthWindow = MonthWindow()
    drop_partial: Flag = True
    partial_threshold: Number = Field(
        0.5, gt=0, lt=1, description="a month whose total is below this share of the median month is partial"
    )
    exclude_labels: tuple[Name, ...] = ()
    """Borough labels (``LookUp_BoroughName``, matched exactly) whose rows are another command's crime:
    the rows are dropped, and each ward filed under such a label is planned as a residential ward
    (``need.excluded_crime``). London: ``["Aviation Security (SO18)"]``, the aviation command that
    polices Heathrow Villages' recorded crime."""


class HarmSpec(Strict):
    """How offences are weighted by harm.

    ``weights`` is a CSV of weights; ``mapping`` an optional CSV that maps the
    crime file's offence names onto the weight table's keys. An offence with no
    weight is an error unless ``default`` is given explicitly.
    """

    weights: PathText | None = None
    key: str = "offence"
    value: str = "weight"
    mapping: PathText | None = None
    mapping_offence: str = "offence"
    mapping_key: str = "key"
    offence_level: Literal["minor", "major"] = "minor"
    default: Number | None = Field(None, ge=0, le=1e9)
    """Harm weight of an offence missing from the table (units of the table, e.g. days); at most 1e9."""
    alternative_value: str | None = None
    """Another weight column of the same table (e.g. ``cchi_mean_days`` when ``value`` is the median)
    that ``planner validate`` compares with ``value``; None: no comparison."""
    mapping_neighbourhood: str = "neighbourhood"
    """Mapping column marking offences a neighbourhood team can influence (``yes``/``no``), used by
    ``need.offences: neighbourhood``."""
    mapping_domestic_sexual: str = "domestic_sexual"
    """Mapping column marking domestic and sexual offences (``yes``/``no``), used by
    ``need.domestic_sexual: exclude``."""


class PopulationSpec(Strict):
    """Resident population per ward (CSV with a ward code column)."""

    path: PathText
    ward_code: str = "WD22CD"
    value: str = "pop_total"


class CurrentSpec(Strict):
    """The current deployment: a CSV of people per ward, or "the plan of another scenario".

    Written in a scenario as a plain path (``current: out/allocation.csv``), as
    ``{path: FILE, boroughs: FILE}`` (a ward file and a borough file, e.g. the
    ``allocation.csv`` and ``boroughs.csv`` that ``planner solve`` writes), or as
    ``{scenario: FILE}`` (the plan of that scenario). See docs/stability.md.
    """

    path: PathText | None = None
    """CSV with ``ward_code, constables, pcsos`` (optionally ``sergeants, inspectors`` per ward)."""
    boroughs: PathText | None = None
    """Optional CSV with ``borough_code`` (or ``borough``, the name) and ``sergeants``, ``inspectors``."""
    scenario: PathText | None = None
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

    path: PathText
    lsoa: str = "LSOA21CD"
    ward: str = "WD25CD"


class LsoaCountSpec(Strict):
    """Residents per 2021 LSOA (CSV), used to weight small-area figures."""

    path: PathText
    lsoa: str = "geography code"
    value: str = "Age: Total"


class DeprivationSpec(Strict):
    """English Indices of Deprivation per 2021 LSOA: score and national decile (1 = most deprived).

    Averaged over each ward's LSOAs weighted by residents: ``population`` if
    given, else the Census totals of ``data.ethnicity``.
    """

    path: PathText
    lsoa: str = "lsoa21_code"
    score: str = "IMD_score"
    decile: str = "IMD_decile"
    population: LsoaCountSpec | None = None


class EthnicitySpec(Strict):
    """Census ethnic group per 2021 LSOA, long format (one row per LSOA and group)."""

    path: PathText
    lsoa: str = "lsoa21_code"
    group: str = "ethnic_group"
    count: str = "n"
    total: str = "total_residents"


class ConfidenceSpec(Strict):
    """MOPAC Public Attitude Survey by neighbourhood, and the ward to neighbourhood mapping."""

    path: PathText
    mapping: PathText = "pas/ward_to_pas_neighbourhood.csv"
    measure: Literal["good_job", "fair", "listen", "stop_search"] = "good_job"
    """good_job: "how good a job are the police in your area doing" (% excellent or good), the
    survey's headline confidence measure; fair: treat everyone fairly; listen: listen to local
    concerns; stop_search: confident stop and search is used fairly."""


class PrioritiesSpec(Strict):
    """Community priorities per ward: a CSV of ``ward_code, priority, weight`` (see planner.inputs.priorities)."""

    path: PathText


class VisitorsSpec(Strict):
    """Daytime load: station footfall per ward (TfL annualised entries and exits with BNG coordinates).

    Each station's footfall of ``year`` goes to the ward it stands in (``assign: point``) or is
    spread over the wards within ``radius_m`` of it in proportion to the area of the circle in each
    (``assign: radius``). See :mod:`planner.inputs.visitors`.
    """

    path: PathText
    year: Integer = Field(2019, ge=1900, le=2999)
    """Footfall column ``annualised_enex_{year}``; 2019 is the last pre-pandemic year."""
    assign: Literal["point", "radius"] = "point"
    radius_m: Number = Field(800.0, gt=0, le=5000)
    """Walking radius of ``assign: radius``, metres."""
    exclude_stations: tuple[str | int, ...] = ()
    """Stations left out: a station name (``station`` or ``NAME`` column, ignoring case and spaces)
    or a National Location Code (``NLC``). Every entry must match a row."""
    station: str = "station"
    name: str = "NAME"
    nlc: str = "NLC"
    mode: str = "mode"
    easting: str = "EASTING"
    northing: str = "NORTHING"
    value: str = "annualised_enex_{year}"
    """Footfall column; ``{year}`` is replaced by ``year``."""


class OverridesSpec(Strict):
    """Per-ward overrides, as a plain path or ``{path: FILE}``.

    A CSV of ``ward_code, constables_min, constables_max, pcsos_min, pcsos_max, exclude_need, reason`` (see
    :mod:`planner.inputs.overrides`).
    """

    path: PathText

    @model_validator(mode="before")
    @classmethod
    def _plain_path(cls, value: Any) -> Any:
        return {"path": value} if isinstance(value, str) else value


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
    visitors: VisitorsSpec | None = None
    """Station footfall per ward (daytime load, the ``visitors`` need component); None: none."""
    overrides: OverridesSpec | None = None
    """Per-ward minimums, maximums, locks and need exclusions, each with a reason; None: none."""

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
