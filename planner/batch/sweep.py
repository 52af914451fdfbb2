"""Sweep files: a base scenario plus axes, expanded into runs with stable ids.

A sweep is a YAML file::

    name: demo-uplift                 # optional, default: the file name
    description: PCSO uplift against sergeant spans
    base: ../demo.yaml                # a scenario, relative to this file
    mode: grid                        # grid (every combination) or random
    samples: 20                       # random mode only: how many combinations
    seed: 7                           # random mode only (default 0)
    fixed:                            # optional: set in every run
      solver.time_limit: 10
    axes:                             # dotted scenario field -> values
      workforce.pcso.headcount: [1300, 1700, 2100, 2900]
      rules.supervision.sergeant_span: {start: 6, stop: 10, step: 1}

A range ``{start, stop, step}`` includes ``stop`` when the steps land on it.
Every axis and every value is checked against the real scenario schema (by
applying it to the base with :meth:`Scenario.with_changes`) before anything
runs, and every fault is reported at once. Numbers are strict: a numeric field
takes only a YAML number (``true`` or ``"8"`` is refused, where the schema
alone would read them as 1 and 8), and a yes/no field only ``true``/``false``. Each run's id is a hash of its
canonical parameters, so the same combination always has the same id.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from planner.errors import InputError, PlannerError, Problems
from planner.scenario import Scenario, load_scenario
from planner.scenario.yamlsafe import load_yaml_file

MODES = ("grid", "random")
TOP_KEYS = ("name", "description", "base", "mode", "samples", "seed", "fixed", "axes")
RANGE_KEYS = ("start", "stop", "step")
MAX_RUNS = 1_000_000
"""A sweep larger than this is refused (it is almost certainly a typo in a range)."""


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep.

    Parameters
    ----------
    run_id : str
        Stable id: a hash of the canonical parameters.
    params : dict
        Dotted scenario field -> value (the fixed fields and one value per axis).
    """

    run_id: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Sweep:
    """A validated sweep.

    Use :func:`load_sweep` to read one; :meth:`runs` expands it.
    """

    name: str
    description: str
    path: Path
    base_path: Path
    base: Scenario
    mode: str
    samples: int | None
    seed: int
    fixed: dict[str, Any]
    axes: dict[str, tuple[Any, ...]]

    @property
    def grid_size(self) -> int:
        """Number of combinations in the full grid."""
        return math.prod(len(v) for v in self.axes.values())

    @property
    def n_runs(self) -> int:
        """Number of runs the sweep expands to."""
        return self.samples if self.mode == "random" and self.samples else self.grid_size

    def canonical(self) -> dict[str, Any]:
        """The sweep as plain canonical data (what the batch id hashes)."""
        return {
            "name": self.name,
            "base_digest": self.base.digest(),
            "mode": self.mode,
            "samples": self.samples,
            "seed": self.seed,
            "fixed": {k: canonical_value(v) for k, v in self.fixed.items()},
            "axes": {k: [canonical_value(v) for v in vals] for k, vals in self.axes.items()},
        }

    def batch_id(self) -> str:
        """Default batch id: the sweep name plus a hash of its content and base scenario."""
        return f"{self.name}-{_hash(self.canonical())[:8]}"

    def runs(self) -> list[RunSpec]:
        """Expand into runs, in a fixed order (grid order, or the seeded sample's order)."""
        return list(self.iter_runs())

    def iter_runs(self) -> Iterator[RunSpec]:
        """Yield the runs one by one (see :meth:`runs`)."""
        names = list(self.axes)
        values = [self.axes[n] for n in names]
        if self.mode == "grid":
            combos: Iterator[tuple[Any, ...]] = itertools.product(*values)
        else:
            combos = (_decode(int(i), values) for i in self._sample_indices())
        for combo in combos:
            params = dict(self.fixed)
            params.update(zip(names, combo))
            yield RunSpec(run_id=run_id(params), params=params)

    def _sample_indices(self) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        return rng.choice(self.grid_size, size=self.samples or 0, replace=False)

    def scenario(self, params: Mapping[str, Any]) -> Scenario:
        """The scenario of one run: the base with ``params`` applied."""
        return self.base.with_changes(params)


def _decode(index: int, values: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    """Mixed-radix decode of a grid index into one value per axis (last axis fastest)."""
    out = []
    for vals in reversed(values):
        index, r = divmod(index, len(vals))
        out.append(vals[r])
    return tuple(reversed(out))


def canonical_value(value: Any) -> Any:
    """A value in canonical form: floats rounded to 12 significant digits, integral ones as ints."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        v = float(value)
        if not math.isfinite(v):
            return str(v)
        v = float(f"{v:.12g}")
        return int(v) if v.is_integer() else v
    if isinstance(value, list | tuple):
        return [canonical_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): canonical_value(v) for k, v in sorted(value.items())}
    return str(value)


def _hash(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def run_id(params: Mapping[str, Any]) -> str:
    """Stable id of a run: 16 hex digits of a hash of its canonical parameters.

    ``{"a": 8}`` and ``{"a": 8.0}`` give the same id; key order does not matter.
    """
    return _hash({k: canonical_value(v) for k, v in params.items()})[:16]


# ------------------------------------------------------------------ loading


def load_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep file, reporting every fault at once.

    Parameters
    ----------
    path : str or Path
        The sweep YAML file.

    Returns
    -------
    Sweep
        The validated sweep.

    Raises
    ------
    InputError
        If the file is missing or malformed, a key is unknown, the base scenario
        is invalid, an axis names an unknown scenario field, is empty, or holds a
        value the scenario schema rejects. Every problem names its key.
    """
    path = Path(path)
    raw = _read_yaml(path)
    return sweep_from_dict(raw, path)


def _read_yaml(path: Path) -> dict[str, Any]:
    source = str(path)
    raw = load_yaml_file(path, "sweep file", InputError, missing="sweep file not found")
    if raw is None:
        raise InputError("the file is empty", source=source)
    if not isinstance(raw, dict):
        raise InputError(f"expected a mapping at the top level, got {type(raw).__name__}", source=source)
    return raw


def sweep_from_dict(raw: Mapping[str, Any], path: Path) -> Sweep:
    """Validate plain sweep data; ``path`` is where it came from (``base`` is relative to it)."""
    found = Problems(str(path), InputError)
    for key in raw:
        if key not in TOP_KEYS:
            found.add(f"{key}: unknown key (expected one of {', '.join(TOP_KEYS)})")
    name = _text(raw.get("name", path.stem), "name", found) or path.stem
    description = _text(raw.get("description", ""), "description", found)
    mode, samples, seed = _mode(raw, found)
    base_path, base = _base(raw, path, found)
    fixed = _fixed(raw.get("fixed"), base, found)
    axes = _axes(raw.get("axes"), base, found)
    for key in set(fixed) & set(axes):
        found.add(f"axes.{key}: also set under 'fixed'; keep it in one place")
    if axes and not found:
        size = math.prod(len(v) for v in axes.values())
        if size > MAX_RUNS:
            found.add(f"axes: the grid has {size:,} combinations, more than the limit of {MAX_RUNS:,}")
        if mode == "random" and samples is not None and samples > size:
            found.add(f"samples: {samples} asked for but the grid has only {size} combinations")
    found.raise_if_any()
    assert base is not None
    assert base_path is not None
    return Sweep(name, description or "", path, base_path, base, mode, samples, seed, fixed, axes)


def _text(value: Any, key: str, found: Problems) -> str:
    if not isinstance(value, str):
        found.add(f"{key}: expected text, got {value!r}")
        return ""
    return value


def _mode(raw: Mapping[str, Any], found: Problems) -> tuple[str, int | None, int]:
    mode = raw.get("mode", "grid")
    if mode not in MODES:
        found.add(f"mode: expected one of {', '.join(MODES)}, got {mode!r}")
        mode = "grid"
    samples = raw.get("samples")
    if mode == "random":
        if samples is None:
            found.add("samples: required in mode random (how many combinations to draw)")
        elif not _is_int(samples) or samples < 1:
            found.add(f"samples: expected a whole number of at least 1, got {samples!r}")
            samples = None
    elif samples is not None:
        found.add("samples: only applies to mode random; remove it or set 'mode: random'")
        samples = None
    seed = raw.get("seed", 0)
    if not _is_int(seed) or seed < 0:
        found.add(f"seed: expected a whole number of at least 0, got {seed!r}")
        seed = 0
    return str(mode), samples, int(seed)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _base(raw: Mapping[str, Any], path: Path, found: Problems) -> tuple[Path | None, Scenario | None]:
    base = raw.get("base")
    if base is None:
        found.add("base: required: the scenario file to sweep, relative to this sweep file")
        return None, None
    if not isinstance(base, str) or not base:
        found.add(f"base: expected a file path, got {base!r}")
        return None, None
    base_path = (path.parent / base).resolve()
    if not base_path.is_file():
        found.add(f"base: scenario file {base!r} not found (looked for {base_path})")
        return None, None
    try:
        return base_path, load_scenario(base_path)
    except PlannerError as exc:
        found.add(f"base: scenario {base!r} is invalid: {exc}")
        return None, None


def _fixed(fixed: Any, base: Scenario | None, found: Problems) -> dict[str, Any]:
    if fixed is None:
        return {}
    if not isinstance(fixed, dict):
        found.add(f"fixed: expected a mapping of dotted scenario fields to values, got {fixed!r}")
        return {}
    out: dict[str, Any] = {}
    for key, value in fixed.items():
        if not isinstance(key, str):
            found.add(f"fixed: key {key!r} is not a dotted scenario field name")
            continue
        out[key] = value
        if base is not None:
            problem = _check_change(base, key, value)
            if problem:
                found.add(f"fixed.{key}: {problem}")
    return out


def _axes(axes: Any, base: Scenario | None, found: Problems) -> dict[str, tuple[Any, ...]]:
    if axes is None:
        found.add("axes: required: a mapping of dotted scenario fields to lists or {start, stop, step}")
        return {}
    if not isinstance(axes, dict) or not axes:
        found.add("axes: expected a non-empty mapping of dotted scenario fields to values")
        return {}
    out: dict[str, tuple[Any, ...]] = {}
    for key, spec in axes.items():
        if not isinstance(key, str):
            found.add(f"axes: key {key!r} is not a dotted scenario field name")
            continue
        values = _axis_values(key, spec, found)
        if values is None:
            continue
        if base is not None and not _axis_fits(base, key, values, found):
            continue
        out[key] = values
    return out


def _axis_values(key: str, spec: Any, found: Problems) -> tuple[Any, ...] | None:
    where = f"axes.{key}"
    if isinstance(spec, dict):
        return _range_values(where, spec, found)
    if not isinstance(spec, list):
        found.add(f"{where}: expected a list of values or {{start, stop, step}}, got {spec!r}")
        return None
    if not spec:
        found.add(f"{where}: empty axis: give at least one value")
        return None
    seen: set[str] = set()
    for value in spec:
        text = json.dumps(canonical_value(value), sort_keys=True)
        if text in seen:
            found.add(f"{where}: value {value!r} is listed twice")
            return None
        seen.add(text)
    return tuple(spec)


def _range_values(where: str, spec: dict[str, Any], found: Problems) -> tuple[Any, ...] | None:
    bad = [k for k in spec if k not in RANGE_KEYS]
    missing = [k for k in RANGE_KEYS if k not in spec]
    if bad:
        found.add(f"{where}: unknown range key(s) {', '.join(map(str, bad))} (expected start, stop, step)")
    if missing:
        found.add(f"{where}: range needs {', '.join(missing)}")
    if bad or missing:
        return None
    start, stop, step = spec["start"], spec["stop"], spec["step"]
    nums = {"start": start, "stop": stop, "step": step}
    wrong = [f"{k} ({v!r})" for k, v in nums.items() if not _is_number(v)]
    if wrong:
        found.add(f"{where}: range {', '.join(wrong)} must be numbers")
        return None
    if step <= 0:
        found.add(f"{where}: range step must be positive, got {step!r}")
        return None
    if stop < start:
        found.add(f"{where}: empty axis: range stop {stop!r} is below start {start!r}")
        return None
    count = math.floor((stop - start) / step + 1e-9) + 1
    if count > MAX_RUNS:
        found.add(f"{where}: range has {count:,} values, more than the limit of {MAX_RUNS:,}")
        return None
    ints = all(_is_int(v) for v in (start, stop, step))
    if ints:
        return tuple(start + i * step for i in range(count))
    return tuple(round(start + i * step, 10) for i in range(count))


def _axis_fits(base: Scenario, key: str, values: tuple[Any, ...], found: Problems) -> bool:
    """Apply each value to the base scenario; record what the schema rejects."""
    ok = True
    for value in values:
        problem = _check_change(base, key, value)
        if problem is None:
            continue
        ok = False
        if problem.startswith("unknown scenario field"):
            found.add(f"axes.{key}: {problem}")
            break
        found.add(f"axes.{key}: value {value!r} is rejected: {problem}")
    return ok


def _check_change(base: Scenario, key: str, value: Any) -> str | None:
    problem = strict_type_problem(key, value)
    if problem is not None:
        return problem
    try:
        base.with_changes({key: value})
    except InputError as exc:
        return "; ".join(exc.problems)
    except (TypeError, AttributeError) as exc:
        return f"cannot set {key!r}: {exc}"
    return None


# ------------------------------------------------------------ strict numbers


def _leaf_types(annotation: Any) -> list[Any]:
    """The member types of ``X | Y | None`` (or ``[annotation]``), without None."""
    args = typing.get_args(annotation) if typing.get_origin(annotation) in (typing.Union, types.UnionType) else ()
    members = list(args) if args else [annotation]
    return [m for m in members if m is not type(None)]


def field_types(dotted: str) -> list[Any] | None:
    """The Python types a dotted scenario field accepts, or None when it is not a plain field.

    ``field_types("rules.supervision.sergeant_span") == [float]``;
    ``field_types("rules.budget") == [float]`` (None allowed too).
    """
    model: Any = Scenario
    parts = dotted.split(".")
    for k, part in enumerate(parts):
        fields = getattr(model, "model_fields", None)
        if fields is None or part not in fields:
            return None
        members = _leaf_types(fields[part].annotation)
        if k == len(parts) - 1:
            return members
        models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
        if len(models) != 1:
            return None
        model = models[0]
    return None


def strict_type_problem(dotted: str, value: Any) -> str | None:
    """Why ``value`` is refused for a numeric or yes/no field (booleans and text are not numbers)."""
    kinds = field_types(dotted)
    if not kinds or value is None:
        return None
    numeric = any(k in (int, float) for k in kinds)
    boolean = bool in kinds
    if numeric and not boolean and isinstance(value, bool | str):
        shown = "true/false" if isinstance(value, bool) else f"the text {value!r}"
        return f"expected a number, got {shown} (write the number itself, without quotes)"
    if numeric and not boolean and isinstance(value, float) and not math.isfinite(value):
        return f"expected a finite number, got {value!r}"
    if boolean and not numeric and not isinstance(value, bool):
        return f"expected true or false, got {value!r}"
    return None
