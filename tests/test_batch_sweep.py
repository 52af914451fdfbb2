"""Sweep files: expansion, stable run ids, and clear errors for bad files."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.batch.sweep import canonical_value, load_sweep, run_id
from planner.errors import InputError

DATA = Path(__file__).resolve().parent / "data" / "batch"


def test_grid_expands_every_combination_in_order():
    sweep = load_sweep(DATA / "tiny-sweep.yaml")
    runs = sweep.runs()
    expected = list(itertools.product([60, 100, 140], [6, 7, 8]))
    got = [(r.params["workforce.pcso.headcount"], r.params["rules.supervision.sergeant_span"]) for r in runs]
    assert got == expected
    assert sweep.n_runs == len(runs) == 9
    assert len({r.run_id for r in runs}) == 9


def test_each_run_scenario_carries_its_parameters():
    sweep = load_sweep(DATA / "tiny-sweep.yaml")
    for run in sweep.runs():
        scenario = sweep.scenario(run.params)
        assert scenario.workforce.pcso.headcount == run.params["workforce.pcso.headcount"]
        assert scenario.rules.supervision.sergeant_span == run.params["rules.supervision.sergeant_span"]
        assert scenario.workforce.constable == sweep.base.workforce.constable


def test_run_ids_are_stable_across_loads_and_key_order():
    a = load_sweep(DATA / "tiny-sweep.yaml").runs()
    b = load_sweep(DATA / "tiny-sweep.yaml").runs()
    assert [r.run_id for r in a] == [r.run_id for r in b]
    p = a[4].params
    assert run_id(dict(reversed(list(p.items())))) == a[4].run_id


def test_run_id_ignores_int_float_spelling():
    assert run_id({"rules.supervision.sergeant_span": 8}) == run_id({"rules.supervision.sergeant_span": 8.0})
    assert run_id({"x": 7.5}) != run_id({"x": 8})


def test_random_mode_is_seeded_distinct_and_within_the_grid(tmp_path):
    sweep = load_sweep(DATA / "tiny-random.yaml")
    runs = sweep.runs()
    assert len(runs) == 5 and len({r.run_id for r in runs}) == 5
    assert [r.run_id for r in runs] == [r.run_id for r in load_sweep(DATA / "tiny-random.yaml").runs()]
    pcso = set(sweep.axes["workforce.pcso.headcount"])
    span = set(sweep.axes["rules.supervision.sergeant_span"])
    for r in runs:
        assert r.params["workforce.pcso.headcount"] in pcso
        assert r.params["rules.supervision.sergeant_span"] in span
        assert r.params["solver.time_limit"] == 2  # fixed applies to every run
    raw = yaml.safe_load((DATA / "tiny-random.yaml").read_text())
    raw["seed"] = 12
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump(raw))
    (tmp_path / "tiny.yaml").write_text((DATA / "tiny.yaml").read_text())
    assert [r.run_id for r in load_sweep(other).runs()] != [r.run_id for r in runs]


def test_ranges_include_stop_and_avoid_float_noise():
    sweep = load_sweep(DATA / "tiny-random.yaml")
    assert sweep.axes["workforce.pcso.headcount"] == tuple(range(0, 201, 20))
    spans = sweep.axes["rules.supervision.sergeant_span"]
    assert spans[0] == 5.5 and spans[-1] == 9.5 and len(spans) == 9
    assert all(round(v * 2) == v * 2 for v in spans)


def test_batch_id_changes_with_the_base_scenario(tmp_path):
    base = yaml.safe_load((DATA / "tiny.yaml").read_text())
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(base))
    (tmp_path / "s.yaml").write_text((DATA / "tiny-sweep.yaml").read_text())
    first = load_sweep(tmp_path / "s.yaml").batch_id()
    assert first == load_sweep(tmp_path / "s.yaml").batch_id()
    base["workforce"]["constable"]["headcount"] = 301
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(base))
    assert load_sweep(tmp_path / "s.yaml").batch_id() != first


# ------------------------------------------------------------------ bad files


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bad-unknown-field.yaml", "axes.workforce.pcsos.headcount: unknown scenario field 'workforce.pcs"),
        ("bad-empty-axis.yaml", "axes.workforce.pcso.headcount: empty axis"),
        ("bad-empty-range.yaml", "axes.rules.supervision.sergeant_span: empty axis: range stop 6 is below"),
        ("bad-malformed.yaml", "line 4, column 34: malformed YAML"),
        ("bad-base.yaml", "base: scenario file 'no-such-scenario.yaml' not found"),
        ("bad-random.yaml", "samples: 50 asked for but the grid has only 2 combinations"),
    ],
)
def test_bad_sweep_files_name_the_fault(name, expected):
    with pytest.raises(InputError) as info:
        load_sweep(DATA / name)
    message = str(info.value)
    assert message.startswith(str(DATA / name))
    assert expected in message


def test_every_fault_is_reported_at_once():
    with pytest.raises(InputError) as info:
        load_sweep(DATA / "bad-many.yaml")
    problems = info.value.problems
    assert len(problems) == 6
    for fragment in (
        "colour: unknown key",
        "samples: only applies to mode random",
        "fixed.solver.time_limitt: unknown scenario field",
        "axes.workforce.pcso.headcount: value -5 is rejected",
        "axes.rules.supervision.sergeant_span: range needs step",
        "axes.objective.kind: value 'value' is listed twice",
    ):
        assert any(fragment in p for p in problems), fragment


def test_booleans_and_numeric_text_are_not_numbers():
    with pytest.raises(InputError) as info:
        load_sweep(DATA / "bad-bool-number.yaml")
    problems = info.value.problems
    assert len(problems) == 5
    for fragment in (
        "fixed.solver.time_limit: expected a number, got the text '5'",
        "axes.rules.supervision.sergeant_span: value True is rejected: expected a number, got true/false",
        "axes.workforce.pcso.headcount: value '1300' is rejected: expected a number, got the text '1300'",
        "axes.data.crime.drop_partial: value 1 is rejected: expected true or false",
        "axes.rules.budget: range start (True) must be numbers",
    ):
        assert any(fragment in p for p in problems), fragment


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.booleans(), st.text(alphabet="0123456789.", min_size=1, max_size=6)))
def test_no_boolean_or_text_passes_as_a_span(value):
    from planner.batch.sweep import strict_type_problem

    assert strict_type_problem("rules.supervision.sergeant_span", value) is not None
    assert strict_type_problem("workforce.pcso.headcount", value) is not None


@given(st.one_of(st.integers(1, 10**6), st.floats(1, 1e6, allow_nan=False)))
def test_numbers_pass_the_strict_check(value):
    from planner.batch.sweep import strict_type_problem

    assert strict_type_problem("rules.supervision.sergeant_span", value) is None


def test_missing_file_and_empty_file(tmp_path):
    with pytest.raises(InputError, match="sweep file not found"):
        load_sweep(tmp_path / "nope.yaml")
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(InputError, match="the file is empty"):
        load_sweep(empty)
    listed = tmp_path / "list.yaml"
    listed.write_text("- a\n- b\n")
    with pytest.raises(InputError, match="expected a mapping at the top level"):
        load_sweep(listed)


def test_invalid_base_scenario_is_reported_with_its_own_fault(tmp_path):
    (tmp_path / "base.yaml").write_text("name: x\nworkforce: {pcso: {headcount: -1, annual_cost: 1}}\n")
    (tmp_path / "s.yaml").write_text("base: base.yaml\naxes: {solver.seed: [1, 2]}\n")
    with pytest.raises(InputError, match=r"base: scenario 'base.yaml' is invalid.*headcount"):
        load_sweep(tmp_path / "s.yaml")


# ------------------------------------------------------------------ properties

_values = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.text(max_size=8),
    st.booleans(),
)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=12), _values, min_size=1, max_size=5))
def test_run_id_is_a_function_of_the_canonical_parameters(params):
    shuffled = dict(reversed(list(params.items())))
    assert run_id(params) == run_id(shuffled)
    assert run_id(params) == run_id({k: canonical_value(v) for k, v in params.items()})
    assert len(run_id(params)) == 16
