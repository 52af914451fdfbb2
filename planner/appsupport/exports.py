"""A plan as files a commander can send on: CSV, GeoPackage, scenario YAML, or all in one zip.

Everything is written with the engine's own writers
(:func:`planner.report.outputs.plan_writers`, :func:`planner.report.outputs.commit_files`)
into a temporary folder and returned as bytes, so the downloads are the same
files as ``planner solve --out``.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.report.outputs import commit_files, plan_writers, write_csv
from planner.report.result import Plan
from planner.scenario import Scenario


def _file_bytes(plan: Plan, layer: Any | None, name: str) -> bytes:
    writers = plan_writers(plan, layer)
    with tempfile.TemporaryDirectory(prefix="planner-export-") as tmp:
        (path,) = commit_files(tmp, {name: writers[name]})
        return path.read_bytes()


def ward_csv_bytes(plan: Plan) -> bytes:
    """allocation.csv: one row per ward (code, name, borough, BCU, need and its parts, constables, PCSOs)."""
    return _file_bytes(plan, None, "allocation.csv")


def borough_csv_bytes(plan: Plan) -> bytes:
    """boroughs.csv: one row per borough with every rank and the annual cost."""
    return _file_bytes(plan, None, "boroughs.csv")


def gpkg_bytes(plan: Plan, layer: Any) -> bytes:
    """allocation.gpkg: the ward polygons (British National Grid) with the plan's columns, layer ``wards``."""
    return _file_bytes(plan, layer, "allocation.gpkg")


def scenario_yaml_bytes(scenario: Scenario) -> bytes:
    """The scenario as YAML that ``planner solve`` reads back."""
    return scenario.to_yaml().encode("utf-8")


def bundle_zip_bytes(plan: Plan, layer: Any | None) -> bytes:
    """A zip of allocation.csv, boroughs.csv, summary.json, allocation.gpkg (given a layer) and scenario.yaml."""
    writers = dict(plan_writers(plan, layer))
    writers["scenario.yaml"] = lambda path: path.write_bytes(scenario_yaml_bytes(plan.scenario))
    buf = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="planner-export-") as tmp:
        paths = commit_files(tmp, writers)
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for path in paths:
                zf.write(path, arcname=path.name)
    return buf.getvalue()


def write_baseline_csv(codes: np.ndarray, constables: np.ndarray, pcsos: np.ndarray, path: str | Path) -> Path:
    """Write a deployment as a baseline CSV (ward_code, constables, pcsos) for ``rules.stability.baseline``."""
    target = Path(path)
    frame = pd.DataFrame({"ward_code": codes, "constables": constables, "pcsos": pcsos})
    tmp = target.with_name(f".{target.name}.tmp")
    write_csv(frame, tmp)
    tmp.replace(target)
    return target


def file_stem(label: str) -> str:
    """A safe file-name stem from a plan label."""
    keep = "".join(c if c.isalnum() or c in "-_" else "-" for c in label.lower())
    while "--" in keep:
        keep = keep.replace("--", "-")
    return keep.strip("-")[:60] or "plan"
