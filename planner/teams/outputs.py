"""Writing a team design: teams.csv, team_wards.csv, supervisors.csv, summary.json, allocation.gpkg.

All files are written together through :func:`planner.report.outputs.commit_files`
(a staging folder beside the output folder, swapped in with one rename), so a
failure leaves the output folder as it was; text cells are neutralised against
spreadsheet formulas. With a plan, the plan's own files are written too,
and in joint mode boroughs.csv carries the supervisors the teams need.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from planner.report.outputs import commit_files, plan_writers, write_csv, write_json
from planner.teams.report import TeamDesign

if TYPE_CHECKING:
    from planner.report.result import Plan

TEAM_COLUMNS = [
    "team_id", "borough", "bcu", "ward_codes", "wards", "need", "constables", "pcsos", "sergeants", "inspector_id",
]  # fmt: skip


def team_layer(design: TeamDesign, layer: Any) -> Any:
    """Team polygons (dissolved wards) with the team table's columns, EPSG:27700."""
    from geo.export import dissolve_groups

    group = pd.Series(np.array(design.team_ids, dtype=object)[design.team_of], index=design.wards.codes)
    shapes = dissolve_groups(layer, group, name="team_id")
    detail = design.detail_table().drop(columns=["locked"]).assign(locked=design.team_locked.astype(int))
    merged = shapes.drop(columns=["n_wards"]).merge(detail, on="team_id", how="left", validate="1:1")
    geometry = merged.pop("geometry")
    merged["geometry"] = geometry
    return merged.set_geometry("geometry")


def joint_borough_table(design: TeamDesign, plan: Plan) -> pd.DataFrame:
    """boroughs.csv with sergeants, inspectors and cost from the teams (ratio figures kept beside)."""
    table = plan.borough_table()
    sup = design.supervisor_table().set_index("borough")
    names = table["borough"]
    sgt = names.map(sup["sergeants_teams"]).fillna(0).astype(int)
    insp = names.map(sup["inspectors_teams"]).fillna(0).astype(int)
    wf = plan.scenario.workforce
    table["cost"] = (
        table["cost"]
        + (sgt - table["sergeants"]) * wf.sergeant.annual_cost
        + (insp - table["inspectors"]) * wf.inspector.annual_cost
    )
    table["sergeants_ratio"] = table["sergeants"]
    table["inspectors_ratio"] = table["inspectors"]
    table["sergeants"] = sgt
    table["inspectors"] = insp
    table["teams"] = names.map(sup["teams"]).fillna(0).astype(int)
    cols = ["borough", "bcu", "constables", "pcsos", "sergeants", "inspectors", "cost"]
    return table[[*cols, "teams", "sergeants_ratio", "inspectors_ratio"]]


def team_writers(
    design: TeamDesign, plan: Plan | None = None, layer: Any | None = None
) -> dict[str, Callable[[Path], None]]:
    """Writers for every output file of ``planner teams``."""
    metrics = design.metrics()
    table = design.table()[TEAM_COLUMNS]
    wards = design.ward_table()
    sup = design.supervisor_table()
    writers: dict[str, Callable[[Path], None]] = {}
    if plan is not None:
        writers.update(plan_writers(plan, None, extra_summary={"teams": metrics}))
        if design.spec.joint:
            boroughs = joint_borough_table(design, plan)
            writers["boroughs.csv"] = lambda p: write_csv(boroughs, p)
        ward_table = plan.ward_table().drop(columns=["effective_officers", "need_per_officer"])
    else:
        summary = {"scenario": None, "teams": metrics}
        writers["summary.json"] = lambda p: write_json(p, summary)
        ward_table = design.wards.frame().reset_index()[["ward_code", "ward_name", "borough", "bcu", "need"]]
    ward_table = ward_table.assign(team_id=wards["team_id"].to_numpy())
    writers["teams.csv"] = lambda p: write_csv(table, p)
    writers["team_wards.csv"] = lambda p: write_csv(wards, p)
    writers["supervisors.csv"] = lambda p: write_csv(sup, p)
    if layer is not None:
        teams_gdf = team_layer(design, layer)

        def gpkg(path: Path) -> None:
            from geo.export import write_layers

            write_layers(path, {"wards": (layer, ward_table.set_index("ward_code")), "teams": teams_gdf})

        writers["allocation.gpkg"] = gpkg
    return writers


def write_teams(
    design: TeamDesign,
    out_dir: str | Path,
    *,
    plan: Plan | None = None,
    layer: Any | None = None,
    scenario: str | None = None,
) -> list[Path]:
    """Write the team design (and the plan, if any) into ``out_dir``, all or nothing.

    Returns
    -------
    list of Path
        The files written.
    """
    writers = team_writers(design, plan, layer)
    if plan is None and scenario is not None:
        summary = {"scenario": scenario, "teams": design.metrics()}
        writers["summary.json"] = lambda p: write_json(p, summary)
    return commit_files(out_dir, writers)
