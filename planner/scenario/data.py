"""The ``data:`` block: where the wards, crime, harm weights and population come from."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from planner.scenario.base import Flag, Integer, Number, PathText, Seed, Strict

MAX_SYNTHETIC_WARDS = 20_000
MAX_SYNTHETIC_BOROUGHS = 400
MAX_SYNTHETIC_BCUS = 200


class SyntheticSpec(Strict):
    """The embedded synthetic city (no files needed)."""

    seed: Seed = 20230401
    boroughs: Integer = Field(32, ge=2, le=MAX_SYNTHETIC_BOROUGHS)
    wards: Integer = Field(680, ge=4, le=MAX_SYNTHETIC_WARDS)
    bcus: Integer = Field(12, ge=1, le=MAX_SYNTHETIC_BCUS)

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


class PopulationSpec(Strict):
    """Resident population per ward (CSV with a ward code column)."""

    path: PathText
    ward_code: str = "WD22CD"
    value: str = "pop_total"


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

    @model_validator(mode="after")
    def _files_need_paths(self) -> DataSpec:
        if self.source == "files":
            missing = [k for k in ("wards", "crime") if getattr(self, k) is None]
            if missing:
                raise ValueError(f"source 'files' needs {' and '.join(missing)}")
        return self
