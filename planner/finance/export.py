"""Finance exports: an XLSX workbook, CSV files and PNG charts, written atomically.

Everything is written into a staging folder beside the output folder and
swapped in only once every file is complete
(:func:`planner.report.staging.commit_folder`), so a failure leaves nothing
half-written. Text is never a formula: CSV cells that a spreadsheet would run
get a leading apostrophe, XLSX cells are typed as text
(:mod:`planner.textsafe`). Money is in pounds, to the penny.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.finance.band import assumptions, bands_table
from planner.finance.compare import Comparison, OptionCost
from planner.finance.costing import rank_breakdown
from planner.finance.phasing_result import PhasingResult
from planner.report.outputs import write_csv
from planner.report.staging import commit_folder
from planner.scenario import RANKS
from planner.textsafe import is_formula_like, xlsx_text

_MONEY = "#,##0.00"
_MONEY_WORDS = ("cost", "cash", "real", "budget", "total", "marginal_cost", "basic", "allowance", "weighting")


def slug(name: str) -> str:
    """A file-name-safe version of an option name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "option"


def _sheet_name(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "-", xlsx_text(name)).strip("'")[:31] or "Sheet"
    out, n = base, 2
    while out.lower() in used:
        suffix = f" ({n})"
        out, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(out.lower())
    return out


def _cell(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        value = float(value)
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, str):
        return xlsx_text(value)
    return value


def _put(ws: Any, row: int, column: int, value: Any) -> Any:
    """Write one cell; text is always stored as text, never as a formula (``=HYPERLINK(...)`` stays inert)."""
    cell = ws.cell(row=row, column=column)
    value = _cell(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl would otherwise store a leading "=" as a live formula
        if is_formula_like(value):
            cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
    return cell


def _write_block(ws: Any, title: str | None, frame: pd.DataFrame, start_row: int) -> int:
    """Write a titled table from ``start_row`` (1-based); return the next free row."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    row = start_row
    if title:
        _put(ws, row, 1, title).font = Font(bold=True)
        row += 1
    for j, col in enumerate(frame.columns, start=1):
        _put(ws, row, j, str(col)).font = Font(bold=True)
    money = [any(w in str(c) for w in _MONEY_WORDS) for c in frame.columns]
    for values in frame.itertuples(index=False):
        row += 1
        for j, v in enumerate(values, start=1):
            cell = _put(ws, row, j, v)
            if money[j - 1] and isinstance(cell.value, float):
                cell.number_format = _MONEY
    for j, col in enumerate(frame.columns, start=1):
        dim = ws.column_dimensions[get_column_letter(j)]
        dim.width = max(dim.width or 0, min(40, len(str(col)) + 4))
    return row + 2


def _with_total(frame: pd.DataFrame, label_col: str) -> pd.DataFrame:
    total: dict[str, Any] = {}
    for c in frame.columns:
        if c == label_col:
            total[c] = "Total"
        elif pd.api.types.is_numeric_dtype(frame[c]) and c not in ("months", "quarters"):
            total[c] = frame[c].sum()
        else:
            total[c] = None
    return pd.concat([frame, pd.DataFrame([total])], ignore_index=True)


def _workbook(path: Path, sheets: Iterable[tuple[str, list[tuple[str | None, pd.DataFrame]]]]) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for name, blocks in sheets:
        ws = wb.create_sheet(_sheet_name(name, used))
        row = 1
        for title, frame in blocks:
            row = _write_block(ws, title, frame, row)
    wb.save(path)


def _atomic_dir(out_dir: Path, write: Callable[[Path], list[str]]) -> list[Path]:
    return commit_folder(out_dir, write)


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


# ------------------------------------------------------------- comparison


def option_blocks(opt: OptionCost) -> list[tuple[str | None, pd.DataFrame]]:
    """The tables of one option's sheet: boroughs (with total), years, unit costs, variants."""
    boroughs = _with_total(borough_rows(opt), "borough")
    years = _with_total(opt.years, "fy")
    units = rank_breakdown(opt.scenario).reset_index()
    blocks: list[tuple[str | None, pd.DataFrame]] = [
        (f"{opt.name}: annual cost by borough and of those in post but not deployed (pounds, {opt.costs.source})",
         boroughs),
        ("Cost of everyone in post per financial year (cash and real terms)", years),
        ("Cost per person per rank (pounds a year)", units),
        ("Effectiveness figures: source, or labelled an assumption", pd.DataFrame(assumptions(opt.scenario))),
    ]  # fmt: skip
    variants = [v for v in (opt.fewer_pcsos, opt.constables_instead) if v is not None]
    if variants:
        rows = [
            {"variant": v.label, "annual_cost": v.cost, "need_served": v.need, "harm_served": v.harm,
             **{f"heads_{r}": v.heads.get(r) for r in RANKS}, "note": v.error or ""}
            for v in variants
        ]  # fmt: skip
        blocks.append(("Re-solved variants (annual cost of everyone in post)", pd.DataFrame(rows)))
    if opt.band:
        blocks.append(
            ("How the conclusion moves with each assumption (re-solved at each value)", bands_table(opt.band))
        )
    return blocks


def borough_rows(opt: OptionCost) -> pd.DataFrame:
    """The borough cost table plus a row for the people in post but not deployed (London-wide).

    Its total is then the cost of everyone in post.
    """
    table = opt.costs.borough_table()
    return pd.concat([table, pd.DataFrame([opt.costs.idle_row()])], ignore_index=True)


def _comparison_charts(comp: Comparison, folder: Path) -> list[str]:
    plt = _plt()
    names = [o.name for o in comp.options]
    years = sorted({str(fy) for o in comp.options for fy in o.years["fy"]})
    fig, ax = plt.subplots(figsize=(8, 4.5))
    width = 0.8 / max(1, len(names))
    for i, o in enumerate(comp.options):
        cash = o.years.set_index("fy")["cash"].reindex(years).to_numpy() / 1e6
        ax.bar(np.arange(len(years)) + i * width, cash, width, label=o.name)
    ax.set_xticks(np.arange(len(years)) + width * (len(names) - 1) / 2, years)
    ax.set_ylabel("£ million (cash)")
    ax.set_title("Cost per financial year by option")
    ax.legend()
    fig.tight_layout()
    fig.savefig(folder / "cost-by-year.png", dpi=120)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    bottom = np.zeros(len(names))
    for r in RANKS:
        vals = np.array([o.heads[r] for o in comp.options], dtype=float)
        ax.bar(names, vals, bottom=bottom, label=r)
        bottom += vals
    ax.set_ylabel("people deployed")
    ax.set_title("Headcount by option")
    ax.legend()
    fig.tight_layout()
    fig.savefig(folder / "headcount.png", dpi=120)
    plt.close(fig)
    return ["cost-by-year.png", "headcount.png"]


def write_comparison(comp: Comparison, out_dir: str | Path, *, charts: bool = True) -> list[Path]:
    """Write ``finance.xlsx`` (a summary sheet and one sheet per option), CSVs and charts.

    Files: ``finance.xlsx``, ``summary.csv``, ``<option>-boroughs.csv`` (with a row for those in
    post but not deployed), ``<option>-wards.csv``, ``<option>-years.csv``, ``band.csv`` (when
    assumptions were varied), ``cost-by-year.png``, ``headcount.png``. Returns the paths written.
    """

    def write(tmp: Path) -> list[str]:
        summary = comp.summary()
        sheets: list[tuple[str, list[tuple[str | None, pd.DataFrame]]]] = [
            ("Summary", [("Options compared (pounds a year unless stated)", summary)])
        ]
        sheets += [(o.name, option_blocks(o)) for o in comp.options]
        _workbook(tmp / "finance.xlsx", sheets)
        names = ["finance.xlsx", "summary.csv"]
        write_csv(summary, tmp / "summary.csv")
        for o in comp.options:
            s = slug(o.name)
            write_csv(borough_rows(o), tmp / f"{s}-boroughs.csv")
            write_csv(o.costs.ward_table(), tmp / f"{s}-wards.csv")
            write_csv(o.years, tmp / f"{s}-years.csv")
            names += [f"{s}-boroughs.csv", f"{s}-wards.csv", f"{s}-years.csv"]
        bands = bands_table([b for o in comp.options for b in o.band])
        if not bands.empty:
            bands.insert(0, "option", [o.name for o in comp.options for b in o.band for _ in b.points])
            write_csv(bands, tmp / "band.csv")
            names.append("band.csv")
        if charts:
            names += _comparison_charts(comp, tmp)
        return names

    return _atomic_dir(Path(out_dir), write)


# ----------------------------------------------------------------- phasing


def _phasing_charts(res: PhasingResult, folder: Path) -> list[str]:
    plt = _plt()
    pb = res.problem
    x = np.arange(pb.n_periods)
    fig, ax = plt.subplots(figsize=(9, 4.5))
    bottom = np.zeros(pb.n_periods)
    for j, pool in enumerate(pb.pools):
        vals = res.cost_pence[j] / 100 / 1e6
        ax.bar(x, vals, bottom=bottom, label=pool.name if pool.is_stream else f"{pool.name} (base)")
        bottom += vals
    ax.set_xticks(x, pb.labels, rotation=45)
    ax.set_ylabel("£ million (cash) per quarter")
    ax.set_title("Cost over time by rank and funding stream")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(folder / "phasing-cost.png", dpi=120)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(9, 4.5))
    stock = res.rank_stock()
    for k, r in enumerate(RANKS):
        ax.plot(x, stock[k], marker="o", label=f"{r} in post")
    for j, pool in enumerate(pb.pools):
        if pool.is_stream:
            ax.plot(x, res.flows.stock[j], linestyle="--", label=f"{pool.name} stream")
    ax.set_xticks(x, pb.labels, rotation=45)
    ax.set_ylabel("people")
    ax.set_title("Headcount over time")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(folder / "phasing-headcount.png", dpi=120)
    plt.close(fig)
    return ["phasing-cost.png", "phasing-headcount.png"]


def write_phasing(res: PhasingResult, out_dir: str | Path, *, charts: bool = True) -> list[Path]:
    """Write ``phasing.xlsx`` and CSVs (periods, streams, boroughs, years) and two charts."""

    def write(tmp: Path) -> list[str]:
        tables = {
            "periods": res.period_table(),
            "streams": res.stream_table(),
            "boroughs": res.borough_table(),
            "years": res.fy_table(),
        }
        summary = pd.DataFrame([{"key": k, "value": str(v)} for k, v in res.summary().items()])
        sheets: list[tuple[str, list[tuple[str | None, pd.DataFrame]]]] = [("Summary", [(None, summary)])]
        sheets += [(k.capitalize(), [(None, v)]) for k, v in tables.items()]
        _workbook(tmp / "phasing.xlsx", sheets)
        names = ["phasing.xlsx"]
        for k, v in tables.items():
            write_csv(v, tmp / f"phasing-{k}.csv")
            names.append(f"phasing-{k}.csv")
        if charts:
            names += _phasing_charts(res, tmp)
        return names

    return _atomic_dir(Path(out_dir), write)
