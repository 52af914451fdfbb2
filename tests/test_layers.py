"""The package's layers, read from its folder names: no lower layer imports a higher one.

inputs -> problem -> rules -> solve -> report -> api -> features (app, batch,
teams, finance, cli), with the scenario schema, errors, ranks and tolerances
beneath everything and :mod:`geo` at the edge (it may use only that base).
Every import counts, at the top of a module, inside a function or under
``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "base",
        (
            "planner.errors",
            "planner.ranks",
            "planner.rounding",
            "planner.tolerances",
            "planner.textsafe",
            "planner.scenario",
            "planner.progress",
        ),
    ),
    ("geo", ("geo",)),
    ("inputs", ("planner.inputs",)),
    ("problem", ("planner.problem",)),
    ("rules", ("planner.rules",)),
    ("solve", ("planner.solve",)),
    ("report", ("planner.report",)),
    ("api", ("planner.api", "planner.plancache", "=planner")),
    (
        "features",
        (
            "planner.teams",
            "planner.finance",
            "planner.batch",
            "planner.backtest",
            "planner.app",
            "planner.transition",
            "planner.replan",
            "planner.cli",
            "planner.progress_bar",
        ),
    ),
]
"""Layers from the bottom up; a prefix covers its submodules, ``=name`` only the module itself."""


def layer_of(module: str) -> int:
    """Index of the layer that ``module`` belongs to (the longest matching prefix wins)."""
    best, depth = -1, -1
    for k, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            exact = prefix.startswith("=")
            prefix = prefix.lstrip("=")
            inside = module == prefix or (not exact and module.startswith(prefix + "."))
            if inside and prefix.count(".") > depth:
                best, depth = k, prefix.count(".")
    return best


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every absolute import of ``planner`` or ``geo`` in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            # ``from planner import x`` may name a submodule
            if node.module in ("planner", "geo"):
                found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return [(line, m) for line, m in found if m.split(".")[0] in ("planner", "geo")]


def _sources() -> list[Path]:
    return sorted(p for root in ("planner", "geo") for p in (REPO / root).rglob("*.py"))


def test_every_module_has_a_layer():
    unplaced = [module_name(p) for p in _sources() if layer_of(module_name(p)) < 0]
    assert not unplaced, f"modules outside every layer: {unplaced}"


@pytest.mark.parametrize("path", _sources(), ids=lambda p: module_name(p))
def test_no_lower_layer_imports_a_higher_one(path: Path):
    me = layer_of(module_name(path))
    wrong = []
    for line, target in imports_of(path):
        there = layer_of(target)
        if there > me:
            wrong.append(f"line {line}: {target} ({LAYERS[there][0]}) from the {LAYERS[me][0]} layer")
    assert not wrong, "\n".join(wrong)


def test_the_checker_catches_a_violation(tmp_path: Path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from planner.solve.pipeline import solve_allocation\n")
    (line, target), *_ = imports_of(bad)
    assert line == 2 and layer_of(target) > layer_of("planner.inputs.need")
