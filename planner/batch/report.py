"""A small report of a batch: the main trade-offs as plots (``planner report``).

Three PNG figures and a Markdown page that shows them:

* ``cost_vs_need.png``: annual pay cost against need covered;
* ``pcso_vs_worst.png``: PCSO headcount against the worst-served wards' load
  (need per effective officer in the worst 10 % of wards, relative to the
  base scenario's average rate; lower is better);
* ``span_vs_sergeants.png``: the sergeant span of control against the
  sergeants the plan needs.

Runs are grouped by another swept parameter (one line per value) when that
parameter has few values. Matplotlib is used without pyplot (Agg canvas), so
no display and no global backend are touched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from planner.batch.results import runs_table
from planner.batch.store import Store
from planner.errors import InputError
from planner.textsafe import safe_frame

PCSO = "workforce.pcso.headcount"
SPAN = "rules.supervision.sergeant_span"
MAX_GROUPS = 8


def _base_value(base: dict[str, Any], dotted: str) -> Any:
    node: Any = base
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _axes(frame: pd.DataFrame) -> list[str]:
    """Swept parameter columns (dotted names with more than one value)."""
    return [c for c in frame.columns if "." in c and frame[c].nunique(dropna=True) > 1]


def _group(frame: pd.DataFrame, x: str) -> str | None:
    for col in _axes(frame):
        if col != x and frame[col].nunique() <= MAX_GROUPS:
            return col
    return None


def _plot(
    frame: pd.DataFrame,
    x: str,
    y: str,
    *,
    xlabel: str,
    ylabel: str,
    title: str,
    path: Path,
    lines: bool = True,
) -> Path:
    fig = Figure(figsize=(7, 4.5), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    group = _group(frame, x)
    if [a for a in _axes(frame) if a not in (x, group)]:
        lines = False  # a third swept parameter: lines would zig-zag between its values
    data = frame.dropna(subset=[x, y]).sort_values(x)
    if data.empty:
        ax.text(0.5, 0.5, "no finished runs with these figures", ha="center", va="center")
    elif group is None:
        ax.plot(data[x], data[y], "o-" if lines else "o", label=None)
    else:
        for value, part in data.groupby(group, sort=True):
            ax.plot(part[x], part[y], "o-" if lines else "o", label=f"{value}", alpha=0.85)
        ax.legend(title=group, fontsize="small")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    fig.savefig(path, dpi=120)
    return path


def write_report(store: Store, out_dir: str | Path, batch: str | None = None) -> list[Path]:
    """Write the plots, ``runs.csv`` and ``report.md`` of one batch into ``out_dir``.

    Parameters
    ----------
    store : Store
        The results store.
    out_dir : str or Path
        Folder to write into (created if missing).
    batch : str, optional
        The batch (default: the newest).

    Returns
    -------
    list of Path
        The files written.
    """
    batch_id = store.resolve_batch(batch)
    row = store.batch(batch_id) or {}
    base = row.get("base_scenario") or {}
    frame = runs_table(store, batch_id)
    ok = frame[frame["status"] == "ok"].copy()
    if ok.empty:
        raise InputError(f"batch {batch_id!r} has no finished runs to report on")
    for dotted in (PCSO, SPAN):
        if dotted not in ok.columns:
            ok[dotted] = _base_value(base, dotted)
    ok["cost_m"] = ok["cost_annual"] / 1e6
    ok["need_covered_pct"] = ok["need_covered"] * 100
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = [
        _plot(ok, "need_covered_pct", "cost_m", xlabel="need covered (%)", ylabel="annual pay cost (£m)",
              title="Cost against need covered", path=out / "cost_vs_need.png", lines=False),
        _plot(ok, PCSO, "worst_load", xlabel="PCSO headcount",
              ylabel="load in worst-served 10 % of wards", title="PCSO uplift against worst-served wards",
              path=out / "pcso_vs_worst.png"),
        _plot(ok, SPAN, "sergeants", xlabel="sergeant span of control (supervisees per sergeant)",
              ylabel="sergeants needed", title="Span of control against sergeants needed",
              path=out / "span_vs_sergeants.png"),
    ]  # fmt: skip
    csv = out / "runs.csv"
    safe_frame(frame).to_csv(csv, index=False)
    md = out / "report.md"
    md.write_text(_markdown(batch_id, row, frame, files), encoding="utf-8")
    return [*files, csv, md]


def _markdown(batch_id: str, row: dict[str, Any], frame: pd.DataFrame, files: list[Path]) -> str:
    counts = frame["status"].value_counts().to_dict()
    lines = [
        f"# Batch {batch_id}",
        "",
        str(row.get("description") or ""),
        "",
        f"Runs stored: {len(frame)} of {row.get('n_runs', '?')} planned "
        + "("
        + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
        + ").",
        f"Swept: {', '.join(_axes(frame)) or 'nothing'}.",
        "",
        "Need covered: share of need in wards staffed at the base scenario's average rate of effective",
        "officers per unit of need (pro rata below it). Worst-served load: need per effective officer in",
        "the worst 10 % of wards, relative to that rate (lower is better).",
        "",
    ]
    for path in files:
        lines += [f"![{path.stem}]({path.name})", ""]
    return "\n".join(lines)
