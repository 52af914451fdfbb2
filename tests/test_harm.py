"""Harm weights: tables, mapping files, EXCLUDE, defaults and the two real MPS mappings."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from planner.errors import DataError
from planner.inputs.crime import read_crime
from planner.inputs.harm import (
    EXCLUDE,
    HarmWeights,
    harm_weights_from_frame,
    normalise,
    read_harm_weights,
    weights_frame,
)
from planner.scenario import CrimeSpec, HarmSpec

REPO = Path(__file__).resolve().parents[1]
MAPPINGS = REPO / "scenarios" / "harm"
CCHI = {
    "weights": "harm_weights_cchi_subgroup.csv",
    "key": "prc_offence_subgroup",
    "value": "cchi_median_days",
}


@pytest.fixture
def need_data(test_data_dir: Path) -> Path:
    return test_data_dir / "need"


def resolver(*folders: Path) -> Callable[[str], Path]:
    def resolve(name: str) -> Path:
        for folder in folders:
            if (folder / name).exists():
                return folder / name
        return folders[0] / name

    return resolve


def harm(folder: Path, **kw: object) -> HarmWeights:
    out = read_harm_weights(HarmSpec.model_validate(kw), resolver(folder))
    assert out is not None
    return out


def test_no_weights_means_none(need_data: Path) -> None:
    assert read_harm_weights(HarmSpec(), resolver(need_data)) is None


def test_table_matches_ignoring_case_and_spaces(need_data: Path) -> None:
    h = harm(need_data, weights="weights.csv")
    r = h.resolve(["SHOPLIFTING", "violence with  INJURY"])
    assert dict(r.weight) == {"SHOPLIFTING": 1.0, "violence with  INJURY": 10.0}
    assert r.excluded == () and r.notes == ()
    assert normalise("  Violence \t with injury ") == "violence with injury"


def test_unknown_offences_are_all_listed(need_data: Path) -> None:
    h = harm(need_data, weights="weights.csv")
    with pytest.raises(DataError) as err:
        h.resolve(["SHOPLIFTING", "UNICORN THEFT", "KNIFE ANGLING"], "crime_unknown_offence.csv")
    msg = str(err.value)
    assert "weights.csv" in msg and "crime_unknown_offence.csv" in msg
    assert "'KNIFE ANGLING'" in msg and "'UNICORN THEFT'" in msg and "2 offence(s)" in msg
    assert "data.harm.default" in msg


def test_explicit_default_is_noted(need_data: Path) -> None:
    h = harm(need_data, weights="weights.csv", default=3)
    r = h.resolve(["SHOPLIFTING", "UNICORN THEFT"])
    assert r.weight["UNICORN THEFT"] == 3.0
    assert any("UNICORN THEFT" in n and "default 3" in n for n in r.notes)


def test_default_zero_is_explicit_not_silent(need_data: Path) -> None:
    r = harm(need_data, weights="weights.csv", default=0).resolve(["UNICORN THEFT"])
    assert r.weight["UNICORN THEFT"] == 0.0 and r.notes


def test_mapping_and_exclude(need_data: Path) -> None:
    h = harm(need_data, weights="weights_by_class.csv", key="class", value="days", mapping="mapping.csv")
    r = h.resolve(["SHOPLIFTING", "VIOLENCE WITH INJURY", "OTHER THEFT"])
    assert dict(r.weight) == {"SHOPLIFTING": 1.0, "VIOLENCE WITH INJURY": 10.0}
    assert r.excluded == ("OTHER THEFT",)
    assert any(EXCLUDE in n and "OTHER THEFT" in n for n in r.notes)
    assert "mapping.csv" in h.source and "weights_by_class.csv" in h.source
    table = weights_frame(h)
    assert set(table.key) >= {"Theft", "Violence", EXCLUDE}


def test_unmapped_offence_points_at_mapping_file(need_data: Path) -> None:
    h = harm(need_data, weights="weights_by_class.csv", key="class", value="days", mapping="mapping.csv")
    with pytest.raises(DataError) as err:
        h.resolve(["SHOPLIFTING", "ROBBERY"])
    assert "mapping.csv" in str(err.value) and "'ROBBERY'" in str(err.value)


BROKEN = [
    ({"weights": "weights_negative.csv"}, ["weights_negative.csv", "negative", "line 3", "'weight'"]),
    ({"weights": "weights_nonnumeric.csv"}, ["weights_nonnumeric.csv", "not a number", "line 2", "'one'"]),
    ({"weights": "weights_duplicate.csv"}, ["weights_duplicate.csv", "line 4", "repeats line 2"]),
    (
        {"weights": "weights.csv", "value": "days"},
        ["weights.csv", "'days'", "data.harm.key / data.harm.value"],
    ),
    ({"weights": "missing.csv"}, ["missing.csv", "not found"]),
    ({"weights": "crime_empty.csv"}, ["crime_empty.csv", "empty"]),
    (
        {
            "weights": "weights_by_class.csv",
            "key": "class",
            "value": "days",
            "mapping": "mapping_bad_key.csv",
        },
        ["mapping_bad_key.csv", "line 3", "'Violent crime'", "not a key of the weights table"],
    ),
    (
        {
            "weights": "weights_by_class.csv",
            "key": "class",
            "value": "days",
            "mapping": "mapping_repeated.csv",
        },
        ["mapping_repeated.csv", "line 4", "mapped again", "line 2"],
    ),
    (
        {"weights": "weights_by_class.csv", "key": "class", "value": "days", "mapping": "weights.csv"},
        ["weights.csv", "'key'", "data.harm.mapping_offence / data.harm.mapping_key"],
    ),
]


@pytest.mark.parametrize(("kw", "expected"), BROKEN, ids=[str(b[0]) for b in BROKEN])
def test_broken_weights_name_the_fault(need_data: Path, kw: dict[str, str], expected: list[str]) -> None:
    with pytest.raises(DataError) as err:
        read_harm_weights(HarmSpec.model_validate(kw), resolver(need_data))
    msg = str(err.value)
    for part in expected:
        assert part in msg, f"{part!r} not in {msg!r}"


# ------------------------------------------------------------------ real data

REAL = [
    ("mps_ward_crime_2024_2026.csv", "mps_2024_minor_to_cchi.csv", 33, {"FRAUD AND FORGERY", "NFIB"}),
    ("mps_ward_crime_2021_2023.csv", "mps_2021_minor_to_cchi.csv", 56, {"Historical Fraud and Forgery"}),
]


@pytest.mark.london
@pytest.mark.parametrize(("crime_file", "mapping", "n", "excluded"), REAL, ids=["2024-26", "2021-23"])
def test_real_mapping_covers_every_offence(
    london_data_dir: Path, crime_file: str, mapping: str, n: int, excluded: set[str]
) -> None:
    raw = pd.read_csv(london_data_dir / crime_file, usecols=["MinorText"])
    table = pd.read_csv(MAPPINGS / mapping, keep_default_na=False)
    offences = set(raw.MinorText)
    assert len(offences) == n
    assert set(table.offence) == offences  # every offence mapped, nothing else, by the mapping itself
    assert not table.offence.duplicated().any()
    keys = set(pd.read_csv(london_data_dir / CCHI["weights"]).prc_offence_subgroup)
    assert set(table.key) - {EXCLUDE} <= keys
    assert set(table.offence[table.key == EXCLUDE]) == excluded

    h = harm(london_data_dir, **CCHI, mapping=str(MAPPINGS / mapping))
    r = h.resolve(sorted(offences), crime_file)
    assert set(r.excluded) == excluded
    assert len(r.weight) == n - len(excluded)
    assert all(math.isfinite(w) and w > 0 for w in r.weight.values())


@pytest.mark.london
def test_real_2024_weights_spot_checks(london_data_dir: Path) -> None:
    h = harm(london_data_dir, **CCHI, mapping=str(MAPPINGS / "mps_2024_minor_to_cchi.csv"))
    w = h.resolve(
        [
            "RES BURGLARY OF A HOME",
            "RES BURGLARY OF UNCONNECTED BUILDING",
            "BURGLARY BUSINESS AND COMMUNITY",
            "THEFT OR UNAUTH TAKING OF A MOTOR VEH",
            "VIOLENT DISORDER",
            "DEATH SERIOUS INJURY ILLEGAL DRIVING",
            "HOMICIDE",
            "SHOPLIFTING",
        ]
    ).weight
    assert w["RES BURGLARY OF A HOME"] == w["RES BURGLARY OF UNCONNECTED BUILDING"] == 273.5
    assert w["BURGLARY BUSINESS AND COMMUNITY"] == 183.5
    assert w["THEFT OR UNAUTH TAKING OF A MOTOR VEH"] == 5.0
    assert w["VIOLENT DISORDER"] == 7.5
    assert w["DEATH SERIOUS INJURY ILLEGAL DRIVING"] == 365.0
    assert w["HOMICIDE"] == 5475.0 and w["SHOPLIFTING"] == 1.0


@pytest.mark.london
def test_real_crime_window_resolves_with_mapping(london_data_dir: Path) -> None:
    crime = read_crime(london_data_dir / "mps_ward_crime_2024_2026.csv", CrimeSpec(path="x"))
    h = harm(london_data_dir, **CCHI, mapping=str(MAPPINGS / "mps_2024_minor_to_cchi.csv"))
    r = h.resolve(crime.counts.minor.unique(), crime.source)
    assert len(r.weight) + len(r.excluded) == 33


def test_weights_from_frame() -> None:
    df = pd.DataFrame({"offence": ["SHOPLIFTING", "RAPE"], "weight": [1.0, 2000.0]})
    h = harm_weights_from_frame(df, "synthetic harm weights")
    assert dict(h.resolve(["Shoplifting", "RAPE"]).weight) == {"Shoplifting": 1.0, "RAPE": 2000.0}
    bad = pd.DataFrame({"offence": ["SHOPLIFTING", "RAPE"], "weight": [1.0, -5.0]})
    with pytest.raises(DataError) as err:
        harm_weights_from_frame(bad, "synthetic harm weights")
    assert "synthetic harm weights" in str(err.value) and "line 3" in str(err.value)
