"""The scenario schema under extreme values: every number finite and bounded, booleans and text refused.

Two kinds of test. A sweep over *every* numeric setting of a full scenario
(teams and finance blocks included, found by walking the schema, so a field
added later is covered too) sets it to infinity, not-a-number, 1e308, -1e308,
true and a quoted number, and expects a :class:`ScenarioError` naming that
setting. Then property-based fuzzing (hypothesis) mutates random settings with
extreme values (inf, nan, 1e308, 1e-300, huge integers, booleans, numeric
strings, nested lists and mappings, deep and aliased YAML) and checks the one
contract: a clean ScenarioError, or a valid scenario whose numbers are all
finite and bounded and which survives a YAML round trip.
"""

from __future__ import annotations

import copy
import math
import types
import typing
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from planner.errors import ScenarioError
from planner.scenario import Scenario, scenario_from_dict
from planner.scenario.base import MAX_POUNDS
from planner.scenario.yamlsafe import load_yaml_text

FULL: dict[str, Any] = Scenario.model_validate(
    {
        "name": "full",
        "rules": {"budget": 5e8, "ward_cap": {"constable": 40, "pcso": 20}},
        "teams": {"size": {"max_sergeants_per_team": 4}},
        "finance": {
            "pay": {"pcso": {"basic": 30_000.0}},
            "phasing": {
                "budget": {"2023/24": 9e8},
                "streams": [{"name": "s", "posts": 10, "budget": {"2023/24": 5e6}}],
            },
        },
    }
).to_dict()
"""A valid scenario with every block present (defaults filled in)."""


# ------------------------------------------------------------------ schema walking
def _unwrap(tp: Any) -> list[Any]:
    """The concrete types a field annotation may hold (Optional, Union and Annotated removed)."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(tp) for t in _unwrap(arg)]
    return [tp]


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def field_types(model: type[BaseModel], path: list[str]) -> list[Any]:
    """The types a dotted path of ``FULL`` may hold, read from the schema."""
    types_here: list[Any] = [model]
    for key in path:
        nxt: list[Any] = []
        for tp in types_here:
            if _is_model(tp):
                fields = {f.alias or name: f for name, f in tp.model_fields.items()}
                if key in fields:
                    nxt += _unwrap(fields[key].annotation)
            elif typing.get_origin(tp) in (dict, tuple, list):
                args = typing.get_args(tp)
                nxt += _unwrap(args[-1] if typing.get_origin(tp) is dict else args[0])
        types_here = nxt
    return types_here


def leaves(data: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every (path, value) of plain data whose value is not a mapping or a list."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield from leaves(v, (*path, str(k)))
    elif isinstance(data, list):
        for k, v in enumerate(data):
            yield from leaves(v, (*path, str(k)))
    else:
        yield path, data


def numeric_paths() -> list[tuple[str, ...]]:
    """Every setting of ``FULL`` that holds (or may hold) a number, bools excluded."""
    out = []
    for path, _ in leaves(FULL):
        kinds = field_types(Scenario, list(path))
        if any(t in (int, float) for t in kinds) and bool not in kinds:
            out.append(path)
    return out


def with_value(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    raw = copy.deepcopy(FULL)
    node: Any = raw
    for key in path[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if isinstance(node, list):
        node[int(path[-1])] = value
    else:
        node[path[-1]] = value
    return raw


NUMERIC = numeric_paths()


def test_the_walk_finds_the_numbers_of_every_block() -> None:
    dotted = {".".join(p) for p in NUMERIC}
    for expected in (
        "rules.supervision.sergeant_span",
        "rules.budget",
        "objective.saturation",
        "workforce.constable.annual_cost",
        "solver.time_limit",
        "teams.tolerance",
        "teams.size.max_sergeants_per_team",
        "finance.pay.constable.scale.0",
        "finance.phasing.ranks.pcso.attrition",
        "finance.phasing.streams.0.budget.2023/24",
        "finance.inflation.2023/24",
        "data.synthetic.wards",
    ):
        assert expected in dotted, expected
    assert len(NUMERIC) > 100


BAD = [math.inf, -math.inf, math.nan, 1e308, -1e308, 10**30, True, "8"]


@pytest.mark.parametrize("path", NUMERIC, ids=lambda p: ".".join(p))
def test_every_number_is_finite_bounded_and_a_number(path: tuple[str, ...]) -> None:
    Scenario.model_validate(FULL)  # the base is valid
    for value in BAD:
        with pytest.raises(ScenarioError) as err:
            scenario_from_dict(with_value(path, value), source="s.yaml")
        assert ".".join(path[:2]) in str(err.value), (path, value, str(err.value))


# ------------------------------------------------------------------ fuzzing
EXTREMES = st.one_of(
    st.sampled_from([math.inf, -math.inf, math.nan, 1e308, -1e308, 1e-300, -1e-300, 0.0, -0.0, 5e-324]),
    st.sampled_from([2**31, 2**53 + 1, 2**63, 2**64, 10**18, 10**30, -(2**63)]),
    st.booleans(),
    st.sampled_from(["8", "1e3", "inf", "nan", "", "0x10", "\x1b[2J", "=1+1"]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(),
    st.none(),
)
ANY_VALUE = st.recursive(
    EXTREMES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)
ALL_PATHS = [p for p, _ in leaves(FULL)]


def assert_finite_and_bounded(scenario: Scenario) -> None:
    for path, value in leaves(scenario.to_dict()):
        if isinstance(value, float):
            assert math.isfinite(value), path
        if isinstance(value, int | float) and not isinstance(value, bool):
            assert abs(value) <= MAX_POUNDS, (path, value)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=st.lists(st.tuples(st.sampled_from(ALL_PATHS), ANY_VALUE), min_size=1, max_size=4))
def test_fuzz_schema_clean_error_or_valid_bounded_scenario(changes: list[tuple[tuple[str, ...], Any]]) -> None:
    raw = copy.deepcopy(FULL)
    for path, value in changes:
        raw = _set(raw, path, value)
    refused: ScenarioError | None = None
    try:
        scenario = scenario_from_dict(raw, source="fuzz.yaml")
    except ScenarioError as exc:
        refused = exc
    if refused is not None:
        assert str(refused).startswith("fuzz.yaml")
        return
    assert_finite_and_bounded(scenario)
    again = scenario_from_dict(load_yaml_text(scenario.to_yaml(), "again.yaml"), source="again.yaml")
    assert again == scenario and again.digest() == scenario.digest()


def _set(raw: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(raw)
    node: Any = out
    for key in path[:-1]:
        node = node[int(key)] if isinstance(node, list) else node.get(key) if isinstance(node, dict) else None
        if not isinstance(node, dict | list):
            return out
    if isinstance(node, list):
        node[int(path[-1])] = value
    else:
        node[path[-1]] = value
    return out


# YAML documents with anchors, aliases and nesting: the loader either reads them or refuses them cleanly
def _yaml_doc() -> st.SearchStrategy[str]:
    scalar = st.sampled_from(["1", ".inf", ".nan", "1e308", "true", "'8'", "x", "null", "-0"])

    def build(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        seq = st.lists(children, min_size=1, max_size=5).map(lambda xs: "[" + ", ".join(xs) + "]")
        mapping = st.lists(st.tuples(st.sampled_from("abcde"), children), min_size=1, max_size=5).map(
            lambda kv: "{" + ", ".join(f"{k}: {v}" for k, v in kv) + "}"
        )
        return seq | mapping

    body = st.recursive(scalar, build, max_leaves=30)
    return st.tuples(body, st.integers(1, 12), st.integers(1, 12)).map(
        lambda t: (
            f"name: x\nbase: &a {t[0]}\n"
            + "".join(f"l{k}: &l{k} [{', '.join(['*a' if k == 0 else f'*l{k - 1}'] * t[2])}]\n" for k in range(t[1]))
        )
    )


@settings(max_examples=80, deadline=None)
@given(text=_yaml_doc())
def test_fuzz_aliased_and_nested_yaml(text: str) -> None:
    refused: ScenarioError | None = None
    try:
        data = load_yaml_text(text, "fuzz.yaml")
    except ScenarioError as exc:
        refused = exc
    if refused is not None:
        assert str(refused).startswith("fuzz.yaml")
        return
    assert isinstance(data, dict)
    with pytest.raises(ScenarioError):  # "base" and "l0".. are not scenario keys: refused, never expanded
        scenario_from_dict(data, source="fuzz.yaml")
