"""Population and the combined need: hand-computed examples, properties and real London."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from planner.errors import DataError, ScenarioError
from planner.inputs.crime import CrimeWindow, read_crime
from planner.inputs.harm import HarmWeights, read_harm_weights
from planner.inputs.need import compute_need, need_from_files
from planner.inputs.population import population_from_lsoa, read_population
from planner.scenario import CrimeSpec, DataSpec, HarmSpec, NeedSpec, PopulationSpec

REPO = Path(__file__).resolve().parents[1]
A, B, C = "E05000001", "E05000002", "E05000003"
CITY = "E09000001"


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


def small(need_data: Path) -> tuple[CrimeWindow, HarmWeights, pd.Series]:
    crime = read_crime(need_data / "crime_small.csv", CrimeSpec(path="crime_small.csv"))
    harm = read_harm_weights(HarmSpec(weights="weights.csv"), resolver(need_data))
    assert harm is not None
    pop = read_population(need_data / "population.csv", PopulationSpec(path="population.csv"))
    return crime, harm, pop


def spec(d: float = 0.3, h: float = 0.5, p: float = 0.2, weighted: bool = False) -> NeedSpec:
    return NeedSpec.model_validate({"weights": {"demand": d, "harm": h, "population": p}, "demand_weighted": weighted})


# -------------------------------------------------------------- hand computed


def test_three_wards_by_hand(need_data: Path) -> None:
    crime, harm, pop = small(need_data)
    t = compute_need([A, B, C], crime, harm, pop, spec())
    f = t.frame
    # months 202401-202403 (202404 is partial): shoplifting 30/15/0, violence with injury 3/6/9
    assert list(f.index) == [A, B, C] and f.index.name == "ward_code"
    assert list(f.columns) == ["demand", "harm", "population", "visitors", "need"]
    np.testing.assert_array_equal(f.visitors, [0, 0, 0])  # no station data
    np.testing.assert_array_equal(f.demand, [33, 21, 9])
    np.testing.assert_array_equal(f.harm, [30 + 30, 15 + 60, 90])  # weights 1 and 10
    np.testing.assert_array_equal(f.population, [1000, 2000, 3000])
    # demand/21, harm/75, population/2000, mixed 0.3/0.5/0.2
    expected = [
        0.3 * 33 / 21 + 0.5 * 0.8 + 0.2 * 0.5,
        0.3 * 1 + 0.5 * 1 + 0.2 * 1,
        0.3 * 9 / 21 + 0.5 * 1.2 + 0.2 * 1.5,
    ]
    np.testing.assert_allclose(f.need, expected, rtol=1e-12)
    assert f.need.mean() == pytest.approx(1.0)
    assert t.months == (202401, 202402, 202403)
    assert any("202404" in n for n in t.notes)


def test_weights_need_not_sum_to_one(need_data: Path) -> None:
    crime, harm, pop = small(need_data)
    a = compute_need([A, B, C], crime, harm, pop, spec(0.3, 0.5, 0.2)).frame.need
    b = compute_need([A, B, C], crime, harm, pop, spec(3, 5, 2)).frame.need
    np.testing.assert_allclose(a, b)


def test_weighted_demand_by_hand(need_data: Path) -> None:
    crime, harm, pop = small(need_data)
    f = compute_need([A, B, C], crime, harm, pop, spec(weighted=True)).frame
    r10 = math.sqrt(10)
    scale = 63 / (45 * 1 + 18 * r10)  # London-wide weighted demand = plain count
    np.testing.assert_allclose(f.demand, [(30 + 3 * r10) * scale, (15 + 6 * r10) * scale, 9 * r10 * scale])
    assert f.demand.sum() == pytest.approx(63)


def test_order_and_dropped_wards(need_data: Path) -> None:
    crime, harm, pop = small(need_data)
    t = compute_need([B, A], crime, harm, pop, spec())
    assert list(t.frame.index) == [B, A]
    np.testing.assert_array_equal(t.frame.demand, [21, 33])
    assert any("dropped 2 row(s)" in n and C in n for n in t.notes)
    assert t.frame.need.mean() == pytest.approx(1.0)


def test_ward_without_crime_rows(need_data: Path) -> None:
    crime, harm, pop = small(need_data)
    pop = pd.concat([pop, pd.Series({"E05000004": 500.0})])
    with pytest.raises(DataError, match=r"1 ward\(s\) have no crime rows at all: E05000004"):
        compute_need([A, B, C, "E05000004"], crime, harm, pop, spec())
    t = compute_need([A, B, C, "E05000004"], crime, harm, pop, spec(), allow_no_crime=True)
    assert t.frame.loc["E05000004", "demand"] == 0 and t.frame.loc["E05000004", "harm"] == 0
    assert any("E05000004" in n for n in t.notes)


def test_population_none(need_data: Path) -> None:
    crime, harm, _ = small(need_data)
    with pytest.raises(ScenarioError, match=r"need\.weights\.population"):
        compute_need([A, B, C], crime, harm, None, spec())
    t = compute_need([A, B, C], crime, harm, None, spec(p=0))
    assert (t.frame.population == 0).all() and t.frame.need.mean() == pytest.approx(1.0)


def test_population_must_cover_every_ward(need_data: Path) -> None:
    crime, harm, pop = small(need_data)
    with pytest.raises(DataError, match=r"E05000003"):
        compute_need([A, B, C], crime, harm, pop.drop(C), spec())


def test_no_harm_weights_means_counts(need_data: Path) -> None:
    crime, _, pop = small(need_data)
    t = compute_need([A, B, C], crime, None, pop, spec())
    np.testing.assert_array_equal(t.frame.harm, t.frame.demand)
    assert any("plain count" in n for n in t.notes)
    with pytest.raises(ScenarioError, match="demand_weighted"):
        compute_need([A, B, C], crime, None, pop, spec(weighted=True))


def test_unknown_offence_stops_need(need_data: Path) -> None:
    crime = read_crime(need_data / "crime_unknown_offence.csv", CrimeSpec(path="x"))
    harm = read_harm_weights(HarmSpec(weights="weights.csv"), resolver(need_data))
    with pytest.raises(DataError) as err:
        compute_need([A, B], crime, harm, None, spec(p=0))
    msg = str(err.value)
    assert "'KNIFE ANGLING'" in msg and "'UNICORN THEFT'" in msg and "crime_unknown_offence.csv" in msg
    assert "NEVER RECORDED" not in msg  # no offence in the window: needs no weight


def test_major_level_weights(need_data: Path) -> None:
    crime, _, pop = small(need_data)
    harm = read_harm_weights(HarmSpec(weights="weights_major.csv", offence_level="major"), resolver(need_data))
    f = compute_need([A, B, C], crime, harm, pop, spec()).frame
    np.testing.assert_array_equal(f.harm, [30 * 2 + 3 * 20, 15 * 2 + 6 * 20, 9 * 20])


def test_zero_component_with_weight_is_an_error(need_data: Path) -> None:
    crime, _, pop = small(need_data)
    harm = HarmWeights({"shoplifting": 0.0, "violence with injury": 0.0}, None, "zeros")
    with pytest.raises(DataError, match="harm is zero for every ward"):
        compute_need([A, B, C], crime, harm, pop, spec())
    t = compute_need([A, B, C], crime, harm, pop, spec(h=0))
    assert t.frame.need.mean() == pytest.approx(1.0)


def test_duplicate_ward_codes(need_data: Path) -> None:
    crime, harm, pop = small(need_data)
    with pytest.raises(DataError, match="repeated: E05000001"):
        compute_need([A, B, A], crime, harm, pop, spec())


def test_need_from_files(need_data: Path) -> None:
    data = DataSpec.model_validate(
        {
            "source": "files",
            "wards": {"path": "w.gpkg"},
            "crime": {"path": "crime_small.csv"},
            "harm": {"weights": "weights.csv"},
            "population": {"path": "population.csv"},
        }
    )
    t = need_from_files([A, B, C], data, spec(), resolver(need_data))
    crime, harm, pop = small(need_data)
    pd.testing.assert_frame_equal(t.frame, compute_need([A, B, C], crime, harm, pop, spec()).frame)


# ------------------------------------------------------------------ properties


def window(counts: np.ndarray) -> CrimeWindow:
    wards, offences = counts.shape
    rows = [
        (f"E05{i:06d}", "MAJOR", f"OFFENCE {o}", int(counts[i, o]), f"Ward {i}", "B")
        for i in range(wards)
        for o in range(offences)
    ]
    cols = ["ward_code", "major", "minor", "count", "ward_name", "borough_label"]
    return CrimeWindow(pd.DataFrame(rows, columns=cols), (202401,), (), ())


@st.composite
def cases(draw: st.DrawFn) -> tuple[np.ndarray, HarmWeights, pd.Series, NeedSpec]:
    wards = draw(st.integers(2, 7))
    offences = draw(st.integers(1, 4))
    counts = np.array(draw(st.lists(st.integers(0, 50), min_size=wards * offences, max_size=wards * offences))).reshape(
        wards, offences
    )
    assume(counts.sum() > 0)
    weights = draw(st.lists(st.floats(0.5, 5000), min_size=offences, max_size=offences))
    harm = HarmWeights({f"offence {o}": w for o, w in enumerate(weights)}, None, "test")
    pop = pd.Series(
        draw(st.lists(st.floats(100, 30000), min_size=wards, max_size=wards)),
        index=[f"E05{i:06d}" for i in range(wards)],
    )
    w = draw(st.tuples(*[st.sampled_from([0.0, 0.1, 0.3, 1.0, 2.5])] * 3))
    assume(sum(w) > 0)
    d, h, p = w
    need = spec(d, h, p, weighted=draw(st.booleans()))
    return counts, harm, pop, need


def run(counts: np.ndarray, harm: HarmWeights, pop: pd.Series, need: NeedSpec) -> np.ndarray:
    return compute_need(list(pop.index), window(counts), harm, pop, need).array("need")


@settings(max_examples=60, deadline=None)
@given(cases())
def test_need_has_mean_one(case: tuple[np.ndarray, HarmWeights, pd.Series, NeedSpec]) -> None:
    need = run(*case)
    assert need.mean() == pytest.approx(1.0, rel=1e-9)
    assert (need >= 0).all()


@settings(max_examples=60, deadline=None)
@given(cases(), st.integers(2, 9))
def test_scaling_counts_leaves_need(case: tuple[np.ndarray, HarmWeights, pd.Series, NeedSpec], k: int) -> None:
    counts, harm, pop, need = case
    np.testing.assert_allclose(run(counts * k, harm, pop, need), run(counts, harm, pop, need), rtol=1e-9)


@settings(max_examples=60, deadline=None)
@given(cases(), st.data())
def test_need_is_monotone_in_a_wards_counts(
    case: tuple[np.ndarray, HarmWeights, pd.Series, NeedSpec], data: st.DataObject
) -> None:
    counts, harm, pop, need = case
    ward = data.draw(st.integers(0, counts.shape[0] - 1))
    offence = data.draw(st.integers(0, counts.shape[1] - 1))
    more = counts.copy()
    more[ward, offence] += data.draw(st.integers(1, 30))
    before, after = run(counts, harm, pop, need), run(more, harm, pop, need)
    assert after[ward] >= before[ward] - 1e-12
    others = np.arange(len(before)) != ward
    assert (after[others] <= before[others] + 1e-12).all()


# ------------------------------------------------------------------ population


def test_read_population(need_data: Path) -> None:
    pop = read_population(need_data / "population.csv", PopulationSpec(path="x"))
    assert pop.to_dict() == {A: 1000.0, B: 2000.0, C: 3000.0}  # the empty row is not a figure
    assert pop.index.name == "ward_code" and pop.dtype == float
    got = read_population(need_data / "population.csv", PopulationSpec(path="x"), ward_codes=[C, A])
    assert list(got.index) == [C, A]
    with pytest.raises(DataError, match=r"2 ward\(s\) have no population figure: E05009999, E05000009"):
        read_population(
            need_data / "population.csv", PopulationSpec(path="x"), ward_codes=[A, "E05009999", "E05000009"]
        )
    zero = read_population(
        need_data / "population.csv", PopulationSpec(path="x"), ward_codes=[A, "E05009999"], missing="zero"
    )
    assert zero.to_dict() == {A: 1000.0, "E05009999": 0.0}


POP_BROKEN = [
    ("population_negative.csv", ["population_negative.csv", "negative", "line 3", "'pop_total'"]),
    ("population_nonnumeric.csv", ["population_nonnumeric.csv", "not a number", "line 3", "'many'"]),
    ("population_duplicate.csv", ["population_duplicate.csv", "repeated", "E05000001 (lines 2, 4)"]),
    ("crime_empty.csv", ["crime_empty.csv", "empty"]),
    ("missing.csv", ["missing.csv", "not found"]),
    ("weights.csv", ["weights.csv", "'WD22CD'", "'pop_total'", "data.population.ward_code"]),
]


@pytest.mark.parametrize(("name", "expected"), POP_BROKEN, ids=[b[0] for b in POP_BROKEN])
def test_broken_population_names_the_fault(need_data: Path, name: str, expected: list[str]) -> None:
    with pytest.raises(DataError) as err:
        read_population(need_data / name, PopulationSpec(path=name))
    for part in expected:
        assert part in str(err.value), f"{part!r} not in {err.value}"


def test_population_from_lsoa(need_data: Path) -> None:
    pop = population_from_lsoa(need_data / "census_small.csv", need_data / "lookup_small.csv")
    assert pop.to_dict() == {A: 2700.0, B: 1800.0, C: 900.0}
    with pytest.raises(DataError, match=r"E01000002.*lost|lost.*E01000002"):
        population_from_lsoa(need_data / "census_small.csv", need_data / "lookup_short.csv")
    with pytest.raises(DataError, match="E05000009"):
        population_from_lsoa(
            need_data / "census_small.csv", need_data / "lookup_small.csv", ward_codes=[A, "E05000009"]
        )


# ------------------------------------------------------------------ real London


def met_wards(data: Path) -> list[str]:
    derived = pd.read_csv(data / "london_ward_population_census2021_derived.csv")
    return list(derived.loc[derived.LAD22CD != CITY, "WD22CD"])


@pytest.mark.london
def test_real_population(london_data_dir: Path) -> None:
    codes = met_wards(london_data_dir)
    assert len(codes) == 679
    pop = read_population(
        london_data_dir / "london_ward_population_census2021_derived.csv",
        PopulationSpec(path="x"),
        ward_codes=codes,
    )
    census = pd.read_csv(london_data_dir / "census2021_ts007a_age_lsoa_london.csv")
    london = int(census["Age: Total"].sum())
    city = int(census.loc[census.geography.str.startswith("City of London"), "Age: Total"].sum())
    assert london == 8_799_631
    assert len(pop) == 679 and (pop > 0).all()
    assert pop.sum() == london - city
    summed = population_from_lsoa(
        london_data_dir / "census2021_ts007a_age_lsoa_london.csv",
        london_data_dir / "lsoa21_to_ward_bestfit_london.csv",
        ward_codes=codes,
    )
    pd.testing.assert_series_equal(summed, pop)  # the derived file, reproduced exactly


@pytest.mark.london
@pytest.mark.parametrize(
    ("crime_file", "mapping"),
    [
        ("mps_ward_crime_2024_2026.csv", "mps_2024_minor_to_cchi.csv"),
        ("mps_ward_crime_2021_2023.csv", "mps_2021_minor_to_cchi.csv"),
    ],
    ids=["2024-26", "2021-23"],
)
def test_real_need(london_data_dir: Path, crime_file: str, mapping: str) -> None:
    data = DataSpec.model_validate(
        {
            "source": "files",
            "wards": {"path": "london_wards_2022_bng.gpkg"},
            "crime": {"path": crime_file},
            "harm": {
                "weights": "harm_weights_cchi_subgroup.csv",
                "key": "prc_offence_subgroup",
                "value": "cchi_median_days",
                "mapping": mapping,
            },
            "population": {"path": "london_ward_population_census2021_derived.csv"},
        }
    )
    codes = met_wards(london_data_dir)
    t = need_from_files(codes, data, NeedSpec(), resolver(london_data_dir, REPO / "scenarios" / "harm"))
    f = t.frame
    assert list(f.index) == codes
    assert np.isfinite(f.to_numpy()).all()
    assert (f.harm > 0).all() and (f.demand > 0).all() and (f.need > 0).all()
    assert f.need.mean() == pytest.approx(1.0)
    assert f["demand"].loc["E05013570"] > 1000  # Heathrow Villages, filed under Aviation Security (SO18)
    assert len(t.months) == 24
    assert any("EXCLUDE" in n for n in t.notes)
    if crime_file.startswith("mps_ward_crime_2024"):
        assert any("202403" in n and "dropped" in n for n in t.notes)
