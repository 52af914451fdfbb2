"""The neighbourhood model on the 2018 wards: people per ward before May 2022.

By default every 2018 ward has 2 dedicated ward officers (constables) and 1
PCSO, the model the Met completed in 2017. ``planner transition --model FILE``
changes that with a small file, either

* YAML::

      defaults: {constables: 2, pcsos: 1}   # every 2018 ward not listed below
      wards:                                # 2018 ward codes
        E05000026: {constables: 3}          # a rank left out keeps the default
      floor: {constables: 2, pcsos: 1}      # the 2022 ward floor the summary measures against

* or CSV: ``ward_code, constables, pcsos`` (either count column may be left
  out, and a blank cell keeps the default), one row per 2018 ward to change.

Every problem is reported at once: unknown keys, counts that are not whole
numbers >= 0, 2018 ward codes that are not Met wards, wards listed twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from pydantic import Field, ValidationError

from planner.errors import DataError, Problems
from planner.inputs.crime import read_csv_table
from planner.inputs.current import MAX_PEOPLE, check_regular_file
from planner.scenario.base import Strict, format_validation_error


class TeamSize(Strict):
    """People of each rank on one ward (a rank left out: see where it is used)."""

    constables: int | None = Field(None, ge=0, le=MAX_PEOPLE)
    pcsos: int | None = Field(None, ge=0, le=MAX_PEOPLE)


class FullTeam(Strict):
    """People of both ranks on one ward."""

    constables: int = Field(2, ge=0, le=MAX_PEOPLE)
    pcsos: int = Field(1, ge=0, le=MAX_PEOPLE)


class NeighbourhoodModel(Strict):
    """The 2018 model: a default team per ward, per-ward changes, and the 2022 floor to compare with."""

    defaults: FullTeam = FullTeam()
    """Dedicated ward officers and PCSOs on every 2018 ward (default 2 and 1, the 2017 model)."""
    wards: dict[str, TeamSize] = Field(default_factory=dict)
    """Per 2018 ward code: numbers that differ from the defaults."""
    floor: FullTeam = FullTeam()
    """The ward floor on the 2022 wards (default 2 and 1) the summary measures the old model against."""

    def counts(self, codes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Constables and PCSOs for the 2018 wards ``codes``, in that order.

        Raises
        ------
        planner.errors.DataError
            If a ward named in :attr:`wards` is not among ``codes`` (every one listed).
        """
        unknown = sorted(set(self.wards) - set(codes))
        if unknown:
            shown = ", ".join(unknown[:20]) + (f" and {len(unknown) - 20} more" if len(unknown) > 20 else "")
            raise DataError(
                f"{len(unknown)} ward code(s) are not among the {len(codes):,} Met wards of 2018 "
                f"(the City of London is not Met): {shown}",
                "neighbourhood model",
            )
        x = np.full(len(codes), self.defaults.constables, dtype=np.int64)
        p = np.full(len(codes), self.defaults.pcsos, dtype=np.int64)
        where = {code: k for k, code in enumerate(codes)}
        for code, team in self.wards.items():
            if team.constables is not None:
                x[where[code]] = team.constables
            if team.pcsos is not None:
                p[where[code]] = team.pcsos
        return x, p


def _from_yaml(path: Path) -> NeighbourhoodModel:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise DataError(f"{where}malformed YAML: {getattr(exc, 'problem', None) or exc}", str(path)) from None
    except UnicodeDecodeError:
        raise DataError("not a UTF-8 text file", str(path)) from None
    if raw is None:
        return NeighbourhoodModel()
    if not isinstance(raw, dict):
        raise DataError(f"expected a mapping (defaults, wards, floor), got {type(raw).__name__}", str(path))
    try:
        return NeighbourhoodModel.model_validate(raw)
    except ValidationError as exc:
        raise DataError([format_validation_error(e) for e in exc.errors()], str(path)) from None


def _from_csv(path: Path) -> NeighbourhoodModel:
    table = read_csv_table(path, "neighbourhood model file")
    source = table.source
    if "ward_code" not in table.header or not {"constables", "pcsos"} & set(table.header):
        raise DataError(
            f"header (line 1): need ward_code and constables and / or pcsos (found: {', '.join(table.header)})", source
        )
    found = Problems(source, DataError)
    codes = table.frame["ward_code"].astype(str)
    for k in np.flatnonzero((codes == "").to_numpy()):
        found.add(f"line {table.lines[k]}: column 'ward_code' is empty")
    for k in np.flatnonzero((codes.duplicated() & (codes != "")).to_numpy()):
        first = table.lines[int(np.flatnonzero((codes == codes.iloc[k]).to_numpy())[0])]
        found.add(f"line {table.lines[k]}: ward {codes.iloc[k]} is listed again (first on line {first})")
    teams: dict[str, dict[str, int]] = {}
    for column in ("constables", "pcsos"):
        if column not in table.header:
            continue
        text = table.frame[column].astype(str)
        values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
        for row, (cell, value) in enumerate(zip(text, values)):
            if cell == "":
                continue
            if not np.isfinite(value) or value != np.floor(value) or not 0 <= value <= MAX_PEOPLE:
                found.add(
                    f"line {table.lines[row]}, column {column!r}: {cell!r} is not a whole number "
                    f"from 0 to {MAX_PEOPLE:,}"
                )
            elif codes.iloc[row]:
                teams.setdefault(codes.iloc[row], {})[column] = int(value)
    found.raise_if_any()
    return NeighbourhoodModel(wards={code: TeamSize(**team) for code, team in teams.items()})


def read_model(path: str | Path | None) -> NeighbourhoodModel:
    """Read a ``--model`` file (YAML or CSV, by its suffix); None: the 2017 model, 2 + 1 per ward.

    Raises
    ------
    planner.errors.DataError
        If the file is missing or not a regular file, has another suffix, or
        breaks the format (every problem listed, with its line for a CSV).
    """
    if path is None:
        return NeighbourhoodModel()
    path = check_regular_file(path, "neighbourhood model file")
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return _from_yaml(path)
    if suffix == ".csv":
        return _from_csv(path)
    raise DataError(f"unknown kind of file {suffix or '(no suffix)'!r}; give a .yaml or a .csv", str(path))
