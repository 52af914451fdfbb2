"""The one YAML loader: expansion, depth, size and duplicate keys refused with the line; every reader uses it."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest
import yaml

from planner.errors import InputError, ScenarioError
from planner.scenario import load_scenario
from planner.scenario.yamlsafe import MAX_ALIASES, MAX_YAML_BYTES, load_yaml_text

REPO = Path(__file__).resolve().parents[1]


def laughs(levels: int, width: int = 10) -> str:
    """A "billion laughs" document under the free-form-looking ``teams`` block: width**levels values."""
    lines = ["name: x", "teams:", f"  l0: &l0 [{', '.join(['lol'] * width)}]"]
    for k in range(1, levels):
        lines.append(f"  l{k}: &l{k} [{', '.join([f'*l{k - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def test_alias_expansion_is_refused_before_anything_expands_it() -> None:
    text = laughs(7, 8)  # 8**7 = 2 million values from 48 aliases in 400 bytes
    assert len(text.encode()) < 500
    with pytest.raises(ScenarioError, match=r"s\.yaml: line \d+, column \d+: expands to more than .* values"):
        load_yaml_text(text, "s.yaml")
    with pytest.raises(ScenarioError, match=r"more than \d+ aliases"):
        load_yaml_text(laughs(9), "s.yaml")  # 10**9 values from 600 bytes


def test_too_many_aliases_are_refused() -> None:
    body = "\n".join(f"  k{k}: *a" for k in range(MAX_ALIASES + 1))
    with pytest.raises(ScenarioError, match=f"more than {MAX_ALIASES} aliases"):
        load_yaml_text(f"name: x\nbase: &a 1\nmore:\n{body}\n", "s.yaml")


def test_a_few_aliases_and_merge_keys_still_work() -> None:
    text = (
        "name: m\nworkforce:\n  pcso: &p {headcount: 5, annual_cost: 7}\n  constable:\n    <<: *p\n    headcount: 9\n"
    )
    data = load_yaml_text(text, "s.yaml")
    assert data["workforce"]["constable"] == {"headcount": 9, "annual_cost": 7}


def test_recursive_document_is_refused() -> None:
    with pytest.raises(ScenarioError, match="refers to its own anchor"):
        load_yaml_text("name: &a [1, *a]\n", "s.yaml")


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(ScenarioError, match="nested more than"):
        load_yaml_text("name: " + "[" * 5000 + "]" * 5000 + "\n", "s.yaml")


def test_duplicate_keys_are_reported_with_both_lines() -> None:
    text = (
        "name: a\nworkforce:\n  pcso: {headcount: 1, annual_cost: 5}\n  pcso: {headcount: 2, annual_cost: 5}\nname: b\n"
    )
    with pytest.raises(ScenarioError) as err:
        load_yaml_text(text, "s.yaml")
    assert err.value.problems == (
        "line 4: key 'pcso' repeats the key of line 3: each key may appear once in a block",
        "line 5: key 'name' repeats the key of line 1: each key may appear once in a block",
    )
    # plain YAML keeps the last one silently: that is what is refused
    assert yaml.safe_load(text)["name"] == "b"


def test_keys_equal_as_values_are_duplicates() -> None:
    with pytest.raises(ScenarioError, match="repeats the key of line 1"):
        load_yaml_text("1: a\n1.0: b\n", "s.yaml")


def test_huge_integer_is_a_clean_error() -> None:
    with pytest.raises(ScenarioError, match="a value cannot be read"):
        load_yaml_text("name: x\nsolver: {seed: " + "9" * 5000 + "}\n", "s.yaml")


def test_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("name: x\ndescription: " + "a" * MAX_YAML_BYTES + "\n")
    with pytest.raises(ScenarioError, match="over the 1 MB limit"):
        load_scenario(path)


def test_not_utf8_and_empty(tmp_path: Path) -> None:
    bad = tmp_path / "latin.yaml"
    bad.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ScenarioError, match="not a UTF-8 text file"):
        load_scenario(bad)
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing\n")
    with pytest.raises(ScenarioError, match="the file is empty"):
        load_scenario(empty)


def test_a_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "s.yaml"
    os.mkfifo(fifo)  # nobody writes: reading it would block for ever
    with pytest.raises(ScenarioError, match="is a pipe"):
        load_scenario(fifo)
    with pytest.raises(ScenarioError, match="is a folder"):
        load_scenario(tmp_path)


def test_sweep_files_use_the_loader(tmp_path: Path) -> None:
    from planner.batch.sweep import load_sweep

    (tmp_path / "sweep.yaml").write_text("name: s\nbase: base.yaml\nname: t\n")
    with pytest.raises(InputError, match="line 3: key 'name' repeats the key of line 1"):
        load_sweep(tmp_path / "sweep.yaml")
    (tmp_path / "bomb.yaml").write_text(laughs(7, 8).replace("teams:", "axes:"))
    with pytest.raises(InputError, match="expands to more than"):
        load_sweep(tmp_path / "bomb.yaml")


def test_every_yaml_reader_goes_through_the_loader() -> None:
    """No module but the loader calls PyYAML's readers (safe_load, load, full_load...)."""
    readers = {"safe_load", "load", "full_load", "unsafe_load", "load_all", "safe_load_all", "compose"}
    offenders = []
    for root in ("planner", "geo"):
        for path in sorted((REPO / root).rglob("*.py")):
            if path.name == "yamlsafe.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Attribute)
                    and node.attr in readers
                    and isinstance(node.value, ast.Name)
                    and node.value.id == "yaml"
                ):
                    offenders.append(f"{path.relative_to(REPO)}:{node.lineno}: yaml.{node.attr}")
    assert not offenders, offenders


@pytest.mark.parametrize(
    ("text", "value"),
    [("460.0e6", 460e6), ("1e6", 1e6), ("-2.5E-3", -2.5e-3), ("+7e+2", 700.0), (".5e1", 5.0), ("1_000e3", 1e6)],
)
def test_numbers_with_an_unsigned_exponent_are_numbers(text: str, value: float) -> None:
    # YAML 1.1 (PyYAML) reads 460.0e6 as the text "460.0e6"; a budget written that way is a number here
    assert yaml.safe_load(f"a: {text}")["a"] in (text, value)
    assert load_yaml_text(f"a: {text}", "x.yaml") == {"a": value}


@pytest.mark.parametrize("text", ["e6", "1e", "1e6x", "'1e6'", '"460.0e6"', "1.2.3e4"])
def test_text_that_only_looks_like_an_exponent_stays_text(text: str) -> None:
    assert isinstance(load_yaml_text(f"a: {text}", "x.yaml")["a"], str)
