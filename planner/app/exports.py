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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.report.outputs import commit_files, plan_writers, write_csv
from planner.report.result import Plan
from planner.scenario import Scenario
from planner.textsafe import is_formula_like, xlsx_text


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


def bundle_zip_bytes(plan: Plan, layer: Any | None, xlsx: bytes | None = None) -> bytes:
    """A zip of the plan's files.

    allocation.csv, boroughs.csv, summary.json, allocation.gpkg (given a layer), scenario.yaml and, given its bytes,
    plan.xlsx.
    """
    writers = dict(plan_writers(plan, layer))
    writers["scenario.yaml"] = lambda path: path.write_bytes(scenario_yaml_bytes(plan.scenario))
    if xlsx is not None:
        writers["plan.xlsx"] = lambda path: path.write_bytes(xlsx)
    buf = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="planner-export-") as tmp:
        paths = commit_files(tmp, writers)
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for path in paths:
                zf.write(path, arcname=path.name)
    return buf.getvalue()


def ward_sheet(plan: Plan, months: int = 12, harm_unit: str = "harm") -> pd.DataFrame:
    """The ward allocation with units in every header, crime and harm per year."""
    t = plan.ward_table()
    per_year = 12.0 / max(months, 1)
    eff = t["effective_officers"].to_numpy(dtype=float)
    need = t["need"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        opn = np.where(need > 0, eff / np.where(need > 0, need, 1.0), np.nan)
    return pd.DataFrame(
        {
            "Ward code": t["ward_code"],
            "Ward": t["ward_name"],
            "Borough": t["borough"],
            "BCU": t["bcu"],
            "Recorded crime (offences a year)": (t["demand"] * per_year).round(1),
            f"Harm ({harm_unit} a year)": (t["harm"] * per_year).round(1),
            "Residents (people)": t["population"].round(0),
            "Need (index, average ward = 1)": t["need"].round(4),
            "Constables (people)": t["constables"],
            "Ward officers (ring-fenced constables, people)": t["ward_officers"],
            "Hotspot-team constables (people)": t["hotspot_constables"],
            "PCSOs (people)": t["pcsos"],
            "Override": t["override"],
            "Reason for the override": t["override_reason"],
            "Effective officers (after abstraction)": t["effective_officers"].round(3),
            "Effective officers per unit of need": np.round(opn, 3),
        }
    )


def borough_sheet(plan: Plan) -> pd.DataFrame:
    """Every rank and the pay cost per borough, with units in every header."""
    b = plan.borough_table()
    return pd.DataFrame(
        {
            "Borough code": b["borough_code"],
            "Borough": b["borough"],
            "BCU": b["bcu"],
            "Constables (people)": b["constables"],
            "Flexible constables in hotspot teams (people)": b["flexible_constables"],
            "PCSOs (people)": b["pcsos"],
            "Sergeants (people)": b["sergeants"],
            "Inspectors (people)": b["inspectors"],
            "Pay cost (£ a year)": b["cost"].round(0),
            "Need (sum of ward indices)": b["need"].round(3),
        }
    )


def summary_sheet(plan: Plan) -> pd.DataFrame:
    """The plan's headline figures, one per row, each with its unit."""
    from planner.report.plain import certificate, status_words

    t = plan.totals
    avail = plan.workforce.headcount
    budget = plan.problem.budget
    rows = [
        ("Scenario", plan.scenario.name, ""),
        ("Status", status_words(plan.status), ""),
        ("How close to the best plan", certificate(plan.status, plan.gap), ""),
        ("Gap to the proven bound", float(plan.gap), "share (0-1)"),
        ("Constables deployed", t["constable"], "people"),
        ("Constables available", int(avail[0]), "people"),
        ("PCSOs deployed", t["pcso"], "people"),
        ("PCSOs available", int(avail[1]), "people"),
        *_tier_summary(plan),
        ("Sergeants deployed", t["sergeant"], "people"),
        ("Inspectors deployed", t["inspector"], "people"),
        ("Pay cost", round(plan.cost_annual), "£ a year"),
        ("Pay cost of everyone in post (those not deployed included)", round(plan.cost_in_post_annual), "£ a year"),
        *(
            (f"{rank.title() if rank != 'pcso' else 'PCSO'}s in post, not deployed", n, "people")
            for rank, n in plan.not_deployed.items()
        ),
        ("Budget", "none" if budget is None else round(float(budget)), "" if budget is None else "£ a year"),
        ("Wards", int(plan.wards.n_wards), "wards"),
        ("Boroughs", int(plan.wards.n_boroughs), "boroughs"),
        ("Solve time", round(float(plan.solve_seconds), 3), "seconds"),
        ("Input hash", plan.input_hash, "SHA-256 of the scenario and every input file"),
    ]
    return pd.DataFrame(rows, columns=["Figure", "Value", "Unit"])


def _xlsx_frame(frame: pd.DataFrame) -> pd.DataFrame:
    r"""Text cells an XLSX file can hold (characters the format forbids shown as escapes such as ``\x01``)."""
    out = frame.copy()
    for name in out.columns:
        if out[name].dtype == object:
            out[name] = out[name].map(lambda v: xlsx_text(v) if isinstance(v, str) else v)
    return out


def _text_not_formulas(ws: Any) -> None:
    """Store every text cell as text: a ward named ``=HYPERLINK(...)`` must not become a live formula.

    The sheets hold only data (names, numbers), never a formula of ours, so
    every cell openpyxl took for a formula is text from a file.
    """
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and (cell.data_type == "f" or is_formula_like(cell.value)):
                cell.data_type = "s"
                cell.quotePrefix = True  # and Excel keeps it text when the cell is edited


def team_sheet(plan: Plan) -> pd.DataFrame:
    """One row per hotspot team (empty without tiers), every header with its unit."""
    t = plan.hotspot_teams()
    return pd.DataFrame(
        {
            "Team": t["team"],
            "Borough": t["borough"],
            "BCU": t["bcu"],
            "Ward codes": t["wards"].astype(str).str.replace(";", "; "),
            "Wards": t["ward_names"].astype(str).str.replace(";", "; "),
            "Constables (people)": t["constables"],
            "Sergeants (people)": t["sergeants"],
            "Inspectors (people)": t["inspectors"],
        }
    )


def changes_sheet(plan: Plan) -> pd.DataFrame | None:
    """changes.csv with plain headers (people): moved, added and removed per ward from today; None without today."""
    from planner.app.today import WARD_HEADERS

    changes = plan.changes()
    if changes is None:
        return None
    w = plan.wards
    table = changes.ward_table(w.codes, w.names, w.borough_names[w.borough])
    return table.rename(columns=WARD_HEADERS)


def _tier_summary(plan: Plan) -> list[tuple[str, object, str]]:
    teams = plan.hotspot_teams()
    if not len(teams):
        return []
    hot = int(teams["constables"].sum())
    return [
        ("of the constables: ward officers (ring-fenced)", int(plan.totals["constable"]) - hot, "people"),
        ("of the constables: in hotspot teams", hot, "people"),
        ("Hotspot teams", len(teams), "teams"),
    ]


def xlsx_bytes(plan: Plan, months: int = 12, harm_unit: str = "harm") -> bytes:
    """An Excel workbook of the plan, every header with its unit.

    Summary, Boroughs and Wards sheets, then Hotspot teams and Changes from today when the plan has them.
    """
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        _xlsx_frame(summary_sheet(plan)).to_excel(xw, sheet_name="Summary", index=False)
        _xlsx_frame(borough_sheet(plan)).to_excel(xw, sheet_name="Boroughs", index=False)
        _xlsx_frame(ward_sheet(plan, months, harm_unit)).to_excel(xw, sheet_name="Wards", index=False)
        teams = team_sheet(plan)
        if len(teams):
            _xlsx_frame(teams).to_excel(xw, sheet_name="Hotspot teams", index=False)
        changes = changes_sheet(plan)
        if changes is not None:
            _xlsx_frame(changes).to_excel(xw, sheet_name="Changes from today", index=False)
        for ws in xw.book.worksheets:
            _text_not_formulas(ws)
            for col in ws.columns:
                width = max(len(str(c.value)) if c.value is not None else 0 for c in col)
                ws.column_dimensions[col[0].column_letter].width = min(max(10, width + 2), 60)
    return buf.getvalue()


@dataclass(frozen=True)
class Prepared:
    """A file made ready for download, or why it could not be made."""

    name: str
    data: bytes | None
    error: str | None = None


def prepare(name: str, make: Callable[[], bytes]) -> Prepared:
    """Make the bytes of a download now, so a failure is shown to the user instead of a silent empty file."""
    try:
        data = make()
    except Exception as exc:  # shown on the page, naming the file: a download never fails without a word
        return Prepared(name, None, f"{name} could not be made: {type(exc).__name__}: {exc}")
    if not data:
        return Prepared(name, None, f"{name} came out empty; please report this")
    return Prepared(name, data)


def write_baseline_csv(codes: np.ndarray, constables: np.ndarray, pcsos: np.ndarray, path: str | Path) -> Path:
    """Write a deployment as a baseline CSV (ward_code, constables, pcsos) for ``data.current``."""
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
