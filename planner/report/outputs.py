"""Writing a plan to disk: CSV tables, a GeoPackage and a JSON summary, all or nothing.

Every file is first written into a temporary folder beside the output folder;
only when all of them are complete are they moved into place. A failure
leaves the output folder as it was.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from planner.report.equity import equity_outputs
from planner.report.fairness import price_of_fairness
from planner.report.result import Plan

WARD_COLUMNS = [
    "ward_code", "ward_name", "borough", "bcu", "demand", "harm", "population", "need", "constables",
    "ward_officers", "hotspot_constables", "pcsos",
]  # fmt: skip
"""allocation.csv: ``ward_officers + hotspot_constables == constables`` (without tiers every constable is a ward
officer)."""
BOROUGH_COLUMNS = [
    "borough", "bcu", "constables", "flexible_constables", "pcsos", "sergeants", "inspectors", "cost",
]  # fmt: skip
"""boroughs.csv: ``flexible_constables`` is the borough's hotspot-team constables (0 without tiers)."""


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


def commit_files(out_dir: str | Path, writers: Mapping[str, Callable[[Path], None]]) -> list[Path]:
    """Write every file with its writer into a temporary folder, then move all into ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        Created if missing.
    writers : mapping of file name -> function(path) that writes that file

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".planner-tmp-", dir=out))
    try:
        for name, write in writers.items():
            write(tmp / name)
        done = []
        for name in writers:
            os.replace(tmp / name, out / name)
            done.append(out / name)
        return done
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def plan_writers(plan: Plan, layer: Any | None, extra_summary: Mapping[str, Any] | None = None):
    """Writers for allocation.csv, boroughs.csv, summary.json, equity.csv (given equity data), changes.csv (with a
    current deployment), hotspot_teams.csv (with tiers) and (given a ward layer) allocation.gpkg with a ``wards``
    layer and, with a current deployment, a ``changes`` layer."""
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
        wards[WARD_COLUMNS].to_csv(path, index=False)

    def borough_csv(path: Path) -> None:
        boroughs[BOROUGH_COLUMNS].to_csv(path, index=False)

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
            change_table.to_csv(path, index=False)

        writers["changes.csv"] = changes_csv
    if equity_csv is not None:
        writers["equity.csv"] = equity_csv
    if "tiers" in summary:
        teams = plan.hotspot_teams()

        def teams_csv(path: Path) -> None:
            teams.to_csv(path, index=False)

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
    return pd.read_csv(path, dtype={"ward_code": str})
