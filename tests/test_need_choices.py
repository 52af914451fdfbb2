"""The need choices of the neighbourhood model: offence filters, excluded crime, visitors.

Hand-computed examples on a four-ward file (tests/data/need_choices), hypothesis
properties recomputing the components from the counts, and real London.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from planner.errors import DataError, ScenarioError
from planner.inputs.crime import CrimeWindow, read_crime
from planner.inputs.harm import HarmWeights, read_harm_weights
from planner.inputs.need import combine, compute_need
from planner.inputs.population import read_population
from planner.scenario import CrimeSpec, HarmSpec, NeedSpec, PopulationSpec

A, B, C, D = "E05000001", "E05000002", "E05000003", "E05000004"
CODES = [A, B, C, D]
BOROUGH = np.array([0, 0, 1, 1])
SO18 = "Aviation Security (SO18)"


@pytest.fixture
def folder(test_data_dir: Path) -> Path:
    return test_data_dir / "need_choices"


def crime(folder: Path, labels: tuple[str, ...] = ()) -> CrimeWindow:
    return read_crime(folder / "crime.csv", CrimeSpec(path="crime.csv", exclude_labels=labels))


def harm(
    folder: Path, mapping: str = "mapping.csv", weights: str = "weights.csv", value: str = "weight"
) -> HarmWeights:
    spec = HarmSpec(weights=weights, value=value, mapping=mapping)
    out = read_harm_weights(spec, lambda name: folder / name)
    assert out is not None
    return out


def population(folder: Path) -> pd.Series:
    return read_population(folder / "population.csv", PopulationSpec(path="population.csv"))


def need(**kw: object) -> NeedSpec:
    return NeedSpec.model_validate(kw)


def frame(
    folder: Path, spec: NeedSpec, *, visitors: np.ndarray | None = None, exclude: np.ndarray | None = None
) -> pd.DataFrame:
    table = compute_need(
        CODES,
        crime(folder),
        harm(folder),
        population(folder),
        spec,
        borough=BOROUGH,
        visitors=visitors,
        exclude=exclude,
    )
    return table.frame


# ------------------------------------------------------------------ by hand


def test_all_offences_by_hand(folder: Path) -> None:
    f = frame(folder, need())
    np.testing.assert_array_equal(f.demand, [15, 22, 2, 12])
    np.testing.assert_array_equal(f.harm, [10 + 100 + 8, 20 + 4, 200, 6 + 12])  # weights 1, 100, 2


def test_neighbourhood_offences_only(folder: Path) -> None:
    t = compute_need(CODES, crime(folder), harm(folder), population(folder), need(offences="neighbourhood"))
    np.testing.assert_array_equal(t.frame.demand, [10, 20, 0, 6])  # shoplifting only
    np.testing.assert_array_equal(t.frame.harm, [10, 20, 0, 6])
    note = next(n for n in t.notes if n.startswith("need.offences"))
    assert "2 offence categories" in note and "RAPE" in note and "15 offences" in note


def test_domestic_and_sexual_offences_excluded(folder: Path) -> None:
    f = frame(folder, need(domestic_sexual="exclude"))
    np.testing.assert_array_equal(f.demand, [14, 22, 0, 12])
    np.testing.assert_array_equal(f.harm, [10 + 8, 20 + 4, 0, 6 + 12])


def test_both_filters(folder: Path) -> None:
    f = frame(folder, need(offences="neighbourhood", domestic_sexual="exclude"))
    np.testing.assert_array_equal(f.demand, [10, 20, 0, 6])


def test_excluded_ward_gets_its_boroughs_rate(folder: Path) -> None:
    # A (1,000 residents) in borough 0, whose other ward B has 2,000 residents:
    # A's crime = B's crime x 1000 / 2000, offence by offence
    mask = np.array([1, 0, 0, 0], bool)
    t = compute_need(CODES, crime(folder), harm(folder), population(folder), need(), exclude=mask, borough=BOROUGH)
    np.testing.assert_allclose(t.frame.demand, [11, 22, 2, 12])
    np.testing.assert_allclose(t.frame.harm, [10 + 0 + 2, 24, 200, 18])
    np.testing.assert_array_equal(t.frame.population, [1000, 2000, 1000, 2000])  # residents kept
    np.testing.assert_array_equal(t.excluded, [True, False, False, False])
    assert any("borough_rate" in n and A in n for n in t.notes)


def test_excluded_crime_zero(folder: Path) -> None:
    f = frame(folder, need(excluded_crime="zero"), exclude=np.array([1, 0, 0, 0], bool))
    np.testing.assert_array_equal(f.demand, [0, 22, 2, 12])
    np.testing.assert_array_equal(f.harm, [0, 24, 200, 18])


def test_label_excluded_ward_is_a_residential_ward(folder: Path) -> None:
    # Gamma's rows are filed under SO18: dropped, and Gamma gets borough 1's rate (Delta's, x 1000/2000)
    t = compute_need(CODES, crime(folder, (SO18,)), harm(folder), population(folder), need(), borough=BOROUGH)
    np.testing.assert_allclose(t.frame.demand, [15, 22, 6, 12])
    np.testing.assert_allclose(t.frame.harm, [118, 24, 3 + 6, 18])
    np.testing.assert_array_equal(t.excluded, [False, False, True, False])


def test_whole_borough_excluded_uses_londons_rate(folder: Path) -> None:
    mask = np.array([1, 1, 0, 0], bool)
    t = compute_need(CODES, crime(folder), harm(folder), population(folder), need(), exclude=mask, borough=BOROUGH)
    per_resident = np.array([0 + 6, 2 + 0, 0 + 6]) / 3000  # (C + D) / their residents, per offence
    np.testing.assert_allclose(t.frame.demand[:2], [1000 * per_resident.sum(), 2000 * per_resident.sum()])
    assert any("London's rate" in n for n in t.notes)


def test_visitors_component_by_hand(folder: Path) -> None:
    visitors = np.array([0.0, 100.0, 300.0, 0.0])
    spec = need(weights={"demand": 0.3, "harm": 0.5, "population": 0.2, "visitors": 1.0})
    f = frame(folder, spec, visitors=visitors)
    np.testing.assert_array_equal(f.visitors, visitors)
    d, h, p = np.array([15, 22, 2, 12.0]), np.array([118, 24, 200, 18.0]), np.array([1000, 2000, 1000, 2000.0])
    expected = (0.3 * d / d.mean() + 0.5 * h / h.mean() + 0.2 * p / p.mean() + visitors / visitors.mean()) / 2.0
    np.testing.assert_allclose(f.need, expected, rtol=1e-12)


def test_visitors_with_weight_zero_change_nothing(folder: Path) -> None:
    a = frame(folder, need())
    b = frame(folder, need(), visitors=np.array([5.0, 0.0, 1e9, 3.0]))
    np.testing.assert_array_equal(a.need, b.need)


# ------------------------------------------------------------------ errors


def test_visitors_weight_needs_visitors(folder: Path) -> None:
    with pytest.raises(ScenarioError, match=r"need.weights.visitors is 0.5 but no station footfall"):
        frame(folder, need(weights={"visitors": 0.5}))


def test_visitors_zero_everywhere_is_an_error(folder: Path) -> None:
    with pytest.raises(DataError, match="visitors is zero for every ward"):
        frame(folder, need(weights={"visitors": 0.5}), visitors=np.zeros(4))


def test_filter_needs_a_mapping_column(folder: Path) -> None:
    h = harm(folder, mapping="mapping_no_classes.csv")
    with pytest.raises(
        ScenarioError, match=r"need.offences: neighbourhood needs a harm mapping file .* 'neighbourhood'"
    ):
        compute_need(CODES, crime(folder), h, population(folder), need(offences="neighbourhood"))


def test_filter_without_weights(folder: Path) -> None:
    with pytest.raises(ScenarioError, match=r"need.domestic_sexual: exclude needs a harm mapping file"):
        compute_need(CODES, crime(folder), None, population(folder), need(domestic_sexual="exclude"))


def test_unclassified_offence_is_named(folder: Path) -> None:
    h = harm(folder, mapping="mapping_partial.csv", weights="weights_direct.csv")
    with pytest.raises(DataError, match=r"not classified in column 'neighbourhood'.*'POSSESSION OF DRUGS'"):
        compute_need(CODES, crime(folder), h, population(folder), need(offences="neighbourhood"))


def test_blank_class_cells_name_the_line(folder: Path) -> None:
    with pytest.raises(DataError) as err:
        harm(folder, mapping="mapping_blank_class.csv")
    assert "line 3: column 'neighbourhood' is ''" in str(err.value)
    assert "line 4: column 'neighbourhood' is 'perhaps'" in str(err.value)


def test_exclude_mask_of_the_wrong_length(folder: Path) -> None:
    with pytest.raises(DataError, match="exclude has 3 entries for 4 wards"):
        frame(folder, need(), exclude=np.zeros(3, bool))


def test_all_weights_zero_is_refused() -> None:
    with pytest.raises(ValueError, match=r"at least one of demand, harm, population must be positive \(or visitors\)"):
        need(weights={"demand": 0, "harm": 0, "population": 0})
    assert need(weights={"demand": 0, "harm": 0, "population": 0, "visitors": 1}).weights.total == 1


# ------------------------------------------------------------------ properties


def window(counts: np.ndarray) -> CrimeWindow:
    rows = [
        (f"E05{i:06d}", "MAJOR", f"OFFENCE {o}", int(counts[i, o]), f"Ward {i}", "B")
        for i in range(counts.shape[0])
        for o in range(counts.shape[1])
    ]
    cols = ["ward_code", "major", "minor", "count", "ward_name", "borough_label"]
    return CrimeWindow(pd.DataFrame(rows, columns=cols), (202401,), (), ())


@dataclass(frozen=True)
class Case:
    counts: np.ndarray
    harm: HarmWeights
    pop: pd.Series
    visitors: np.ndarray
    borough: np.ndarray
    exclude: np.ndarray
    weights: tuple[float, float, float, float]

    @property
    def codes(self) -> list[str]:
        return list(self.pop.index)

    def spec(self, **kw: object) -> NeedSpec:
        d, h, p, v = self.weights
        return need(weights={"demand": d, "harm": h, "population": p, "visitors": v}, **kw)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    wards = draw(st.integers(3, 8))
    offences = draw(st.integers(1, 4))
    cells = st.lists(st.integers(0, 10**6), min_size=wards * offences, max_size=wards * offences)
    weights = draw(st.lists(st.floats(0.5, 5000), min_size=offences, max_size=offences))
    w = draw(st.tuples(*[st.sampled_from([0.0, 0.1, 0.3, 1.0])] * 4))
    assume(sum(w) > 0)
    return Case(
        counts=np.array(draw(cells)).reshape(wards, offences),
        harm=HarmWeights({f"offence {o}": x for o, x in enumerate(weights)}, None, "test"),
        pop=pd.Series(
            draw(st.lists(st.floats(1.0, 50000), min_size=wards, max_size=wards)),
            index=[f"E05{i:06d}" for i in range(wards)],
        ),
        visitors=np.array(draw(st.lists(st.floats(0.0, 3e8), min_size=wards, max_size=wards))),
        borough=np.array(draw(st.lists(st.integers(0, 2), min_size=wards, max_size=wards))),
        exclude=np.array(draw(st.lists(st.booleans(), min_size=wards, max_size=wards))),
        weights=w,
    )


@settings(max_examples=80, deadline=None)
@given(cases())
def test_need_is_recomputed_from_its_components(case: Case) -> None:
    spec = case.spec()
    w = spec.weights
    parts = {"demand": w.demand, "harm": w.harm, "population": w.population, "visitors": w.visitors}
    refused: DataError | None = None
    try:
        t = compute_need(case.codes, window(case.counts), case.harm, case.pop, spec, visitors=case.visitors)
    except DataError as exc:
        refused = exc
    if refused is not None:  # a component with a weight that is zero everywhere: said so
        assert "is zero for every ward" in str(refused)
        return
    f = t.frame
    weights = np.array([case.harm.weights[f"offence {o}"] for o in range(case.counts.shape[1])])
    np.testing.assert_allclose(f.demand, case.counts.sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(f.harm, case.counts @ weights, rtol=1e-9)
    np.testing.assert_array_equal(f.visitors, case.visitors)
    np.testing.assert_array_equal(f.population, case.pop.to_numpy())
    expected = combine({k: (f[k].to_numpy(), parts[k]) for k in parts})
    np.testing.assert_allclose(f.need, expected, rtol=1e-12)
    total = sum(parts[k] * f[k].to_numpy() / f[k].mean() for k in parts if parts[k] > 0) / w.total
    np.testing.assert_allclose(f.need, total, rtol=1e-9)
    assert f.need.mean() == pytest.approx(1.0, rel=1e-9)


@settings(max_examples=80, deadline=None)
@given(cases())
def test_excluded_wards_follow_their_boroughs_rate(case: Case) -> None:
    counts, exclude, borough = case.counts, case.exclude, case.borough
    assume(exclude.any() and not exclude.all() and counts[~exclude].sum() > 0)
    spec = need(weights={"demand": 1.0, "harm": 0.0, "population": 0.0})
    t = compute_need(case.codes, window(counts), case.harm, case.pop, spec, exclude=exclude, borough=borough)
    base = compute_need(case.codes, window(counts), case.harm, case.pop, spec)
    people = case.pop.to_numpy()
    kept = ~exclude
    np.testing.assert_array_equal(t.frame.demand[kept], base.frame.demand[kept])  # others untouched
    for i in np.flatnonzero(exclude):
        peers = kept & (borough == borough[i])
        if not peers.any():
            peers = kept  # no other ward in its borough: London's rate
        rate = counts[peers].sum() / people[peers].sum()
        assert t.frame.demand.iloc[i] == pytest.approx(people[i] * rate, rel=1e-9, abs=1e-9)
    zero = compute_need(case.codes, window(counts), case.harm, case.pop, need(excluded_crime="zero"), exclude=exclude)
    assert (zero.frame.demand[exclude] == 0).all() and (zero.frame.harm[exclude] == 0).all()


@settings(max_examples=40, deadline=None)
@given(cases())
def test_visitors_weight_zero_never_moves_need(case: Case) -> None:
    d, h, p, _ = case.weights
    assume(d + h + p > 0 and case.counts.sum() > 0)
    spec = need(weights={"demand": d, "harm": h, "population": p, "visitors": 0.0})
    a = compute_need(case.codes, window(case.counts), case.harm, case.pop, spec)
    b = compute_need(case.codes, window(case.counts), case.harm, case.pop, spec, visitors=case.visitors)
    np.testing.assert_array_equal(a.frame.need, b.frame.need)


# ------------------------------------------------------------------ real London


@pytest.mark.slow
def test_real_london_heathrow_and_west_end(london_data_dir: Path, scenarios_dir: Path) -> None:
    from planner.inputs.loader import load_inputs
    from planner.scenario import load_scenario

    scenario = load_scenario(scenarios_dir / "london-2022.yaml")
    inputs = load_inputs(scenario, london_data_dir, scenario_dir=scenarios_dir)
    w = inputs.wards
    names = list(w.names)
    hv, we = names.index("Heathrow Villages"), names.index("West End")
    assert w.crime_excluded is not None and np.flatnonzero(w.crime_excluded).tolist() == [hv]
    # Heathrow Villages: Hillingdon's crime per resident times its residents
    hill = (w.borough == w.borough[hv]) & ~w.crime_excluded
    assert w.demand[hv] == pytest.approx(w.population[hv] * w.demand[hill].sum() / w.population[hill].sum())
    assert w.need[hv] < 1.0 < w.need[we]
    assert w.visitors is not None and w.visitors[we] > 1.5e8 and w.visitors[hv] < 5e6  # terminals left out
    plain = scenario.with_changes({"data.crime.exclude_labels": []})
    before = load_inputs(plain, london_data_dir, scenario_dir=scenarios_dir)
    assert before.wards.need[hv] > 3 * w.need[hv]
