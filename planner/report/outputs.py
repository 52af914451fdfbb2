"""Writing a plan to disk: CSV tables, a GeoPackage and a JSON summary, all or nothing.

Every file is first written into a staging folder beside the output folder,
with whatever else the output folder held; only when all of them are complete
is the staged folder swapped in, with one atomic rename
(:mod:`planner.report.staging`). A failure, or a killed process, leaves the
output folder as it was. Text cells that a spreadsheet would run as formulas
are neutralised (:func:`planner.textsafe.safe_frame`).
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from planner.files import read_bytes
from planner.report.equity import equity_outputs
from planner.report.fairness import price_of_fairness
from planner.report.result import Plan
from planner.report.staging import check_out_dir, commit_folder
from planner.textsafe import safe_frame

__all__ = ["check_out_dir", "commit_files", "plan_writers", "read_allocation", "write_csv", "write_json", "write_plan"]

WARD_COLUMNS = [
    "ward_code", "ward_name", "borough", "bcu", "demand", "harm", "population", "need", "constables",
    "ward_officers", "hotspot_constables", "pcsos", "override", "override_reason",
]  # fmt: skip
"""allocation.csv: ``ward_officers + hotspot_constables == constables`` (without tiers every constable is a ward
officer); ``override`` is the ward's override in plain words and ``override_reason`` its reason (both blank
for a ward without one, see ``data.overrides``)."""
BOROUGH_COLUMNS = [
    "borough", "bcu", "constables", "flexible_constables", "pcsos", "sergeants", "inspectors", "sergeant_span",
    "inspector_span", "cost",
]  # fmt: skip
"""boroughs.csv: ``flexible_constables`` is the borough's hotspot-team constables (0 without tiers);
``sergeant_span`` and ``inspector_span`` the spans that held there (``rules.supervision.per_bcu``)."""


def _json_safe(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_json_safe(v) for v in obj]
    if hasattr(obj, "item"):
        return _json_safe(obj.item())
    return obj


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    """Write ``data`` as indented JSON (NaN and infinity as null)."""
    path.write_text(json.dumps(_json_safe(dict(data)), indent=2, sort_keys=False) + "\n", encoding="utf-8")


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a table as CSV (no index), its text cells neutralised against spreadsheet formulas."""
    safe_frame(frame).to_csv(path, index=False)


def commit_files(out_dir: str | Path, writers: Mapping[str, Callable[[Path], None]]) -> list[Path]:
    """Write every file with its writer into a staging folder beside ``out_dir``, then swap it in.

    All or nothing: the output folder holds either its old files or every new
    one (see :func:`planner.report.staging.commit_folder`); files it held that
    are not rewritten are kept.

    Parameters
    ----------
    out_dir : str or Path
        Created (with its parents) if missing.
    writers : mapping of file name -> function(path) that writes that file

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    planner.errors.InputError
        If ``out_dir`` cannot receive outputs (it is a file, cannot be written...).
    """

    def write(folder: Path) -> list[str]:
        for name, writer in writers.items():
            writer(folder / name)
        return list(writers)

    return commit_folder(out_dir, write)


def plan_writers(plan: Plan, layer: Any | None, extra_summary: Mapping[str, Any] | None = None):
    """Writers of the plan's files.

    allocation.csv, boroughs.csv, summary.json, equity.csv (given equity data), changes.csv (with a current deployment),
    hotspot_teams.csv (with tiers) and (given a ward layer) allocation.gpkg with a ``wards`` layer and, with a current
    deployment, a ``changes`` layer.
    """
    wards = plan.ward_table()
    boroughs = plan.borough_table()
    summary = plan.summary()
    summary["equity"], equity_csv = equity_outputs(plan.wards, plan.constables, plan.pcsos)
    price = price_of_fairness(plan)  # the plan solved again without the fairness rule (only when it is on)
    if price is not None:
        summary["equity"]["fairness"] = price.summary()
    if extra_summary:
        summary.update(extra_summary)

    def ward_csv(path: Path) -> None:
        write_csv(wards[WARD_COLUMNS], path)

    def borough_csv(path: Path) -> None:
        write_csv(boroughs[BOROUGH_COLUMNS], path)

    def summary_json(path: Path) -> None:
        write_json(path, summary)

    writers: dict[str, Callable[[Path], None]] = {
        "allocation.csv": ward_csv,
        "boroughs.csv": borough_csv,
        "summary.json": summary_json,
    }
    changes = plan.changes()
    change_table = None
    if changes is not None:
        w = plan.wards
        change_table = changes.ward_table(w.codes, w.names, w.borough_names[w.borough])

        def changes_csv(path: Path) -> None:
            write_csv(change_table, path)

        writers["changes.csv"] = changes_csv
    if equity_csv is not None:
        writers["equity.csv"] = equity_csv
    if "tiers" in summary:
        teams = plan.hotspot_teams()

        def teams_csv(path: Path) -> None:
            write_csv(teams, path)

        writers["hotspot_teams.csv"] = teams_csv
    if layer is not None:

        def gpkg(path: Path) -> None:
            from geo.export import write_layers

            layers: dict[str, Any] = {"wards": (layer, wards.set_index("ward_code"))}
            if change_table is not None:
                layers["changes"] = (layer, change_table.set_index("ward_code"))
            write_layers(path, layers)

        writers["allocation.gpkg"] = gpkg
    return writers


def write_plan(plan: Plan, out_dir: str | Path, layer: Any | None = None) -> list[Path]:
    """Write a plan's output files into ``out_dir`` (all or nothing)."""
    return commit_files(out_dir, plan_writers(plan, layer))


def read_allocation(path: str | Path) -> pd.DataFrame:
    """Read an allocation.csv back (for checks and comparisons)."""
    data = read_bytes(path, "allocation file")
    return pd.read_csv(io.BytesIO(data), dtype={"ward_code": str})
