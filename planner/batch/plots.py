"""The report's figures: every axis of the sweep visible, human labels, no stacked dots.

Each swept parameter gets a role in every figure: the one with the most
values is the x axis (or the colour, in the cost-need scatter), the next the
line colour (or marker), the next two the columns and rows of a grid of
panels. A fifth axis and beyond cannot be drawn apart: their runs are
summarised as a median line with a shaded range, and the caption says so.
Runs that land on the same point are marked "x n" instead of hiding
behind one dot. Matplotlib is used without pyplot (Agg canvas), so no display
and no global backend are touched.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from planner.batch.binding import CATEGORIES
from planner.batch.labels import label, value_text

MAX_FACETS = 6
MAX_LINES = 10
MARKERS = "osD^vP*Xhp"
CATEGORY_COLOURS = {
    "headcount": "#4daf4a",
    "sergeants": "#e41a1c",
    "inspectors": "#984ea3",
    "budget": "#ff7f00",
    "caps": "#377eb8",
    "infeasible": "#999999",
    "failed": "#000000",
}


@dataclass(frozen=True)
class Roles:
    """Which swept parameter plays which part in a figure (None: no such axis)."""

    x: str | None
    hue: str | None
    col: str | None
    row: str | None
    rest: tuple[str, ...]

    def caption(self) -> str:
        """One sentence saying how the axes are drawn."""
        parts = []
        if self.hue:
            parts.append(f"colour: {label(self.hue)}")
        if self.col:
            parts.append(f"columns of panels: {label(self.col)}")
        if self.row:
            parts.append(f"rows of panels: {label(self.row)}")
        if self.rest:
            parts.append(f"median and range over {', '.join(label(r) for r in self.rest)}")
        return "; ".join(parts)


def roles(axes: Mapping[str, Sequence[Any]]) -> Roles:
    """Assign the swept parameters (name -> distinct values) to x, colour, columns, rows and the rest."""
    order = sorted(axes, key=lambda k: (not _numeric(axes[k]), -len(axes[k])))
    x = order[0] if order else None
    rest = order[1:]
    hue = next((k for k in rest if len(axes[k]) <= MAX_LINES), None)
    rest = [k for k in rest if k != hue]
    col = next((k for k in rest if len(axes[k]) <= MAX_FACETS), None)
    rest = [k for k in rest if k != col]
    row = next((k for k in rest if len(axes[k]) <= MAX_FACETS), None)
    rest = [k for k in rest if k != row]
    return Roles(x, hue, col, row, tuple(rest))


def _numeric(values: Sequence[Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def _grid(frame: pd.DataFrame, r: Roles) -> tuple[list[Any], list[Any]]:
    cols = sorted(frame[r.col].dropna().unique(), key=_key) if r.col else [None]
    rows = sorted(frame[r.row].dropna().unique(), key=_key) if r.row else [None]
    return cols, rows


def _key(v: Any) -> Any:
    return (0, v, "") if isinstance(v, int | float) and not isinstance(v, bool) else (1, 0, str(v))


def _panel(frame: pd.DataFrame, r: Roles, cv: Any, rv: Any) -> pd.DataFrame:
    part = frame
    if r.col:
        part = part[part[r.col] == cv]
    if r.row:
        part = part[part[r.row] == rv]
    return part


def _title(r: Roles, cv: Any, rv: Any) -> str:
    bits = []
    if r.col:
        bits.append(f"{label(r.col)}: {value_text(r.col, cv)}")
    if r.row:
        bits.append(f"{label(r.row)}: {value_text(r.row, rv)}")
    return "\n".join(bits)


def _figure(ncols: int, nrows: int, width: float = 4.2, height: float = 3.2) -> Figure:
    fig = Figure(figsize=(max(7.5, width * ncols + 1.0), height * nrows + 1.6), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


# ------------------------------------------------------------------ cost against need


def cost_vs_need(frame: pd.DataFrame, axes: Mapping[str, Sequence[Any]], path: Path) -> tuple[Path, str]:
    """Annual cost against need covered; colour, marker and panels show the sweep's axes."""
    r = roles(axes)
    colour_by, marker_by = r.x, r.hue  # here the richest axis is the colour, the next the marker
    cols, rows = _grid(frame, r)
    fig = _figure(len(cols), len(rows))
    from matplotlib import colormaps

    palette = colormaps["viridis"]
    colour_values = sorted(frame[colour_by].dropna().unique(), key=_key) if colour_by else [None]
    marker_values = sorted(frame[marker_by].dropna().unique(), key=_key) if marker_by else [None]
    for i, rv in enumerate(rows):
        for j, cv in enumerate(cols):
            ax = fig.add_subplot(len(rows), len(cols), i * len(cols) + j + 1)
            part = _panel(frame, r, cv, rv).dropna(subset=["need_pct", "cost_m"])
            for k, mv in enumerate(marker_values):
                sub = part if marker_by is None else part[part[marker_by] == mv]
                if sub.empty:
                    continue
                shade = (
                    [colour_values.index(v) / max(1, len(colour_values) - 1) for v in sub[colour_by]]
                    if colour_by
                    else 0.5
                )
                marker = MARKERS[k % len(MARKERS)]
                ax.scatter(sub["need_pct"], sub["cost_m"], c=palette(np.asarray(shade)), marker=marker, s=36,
                           edgecolors="black", linewidths=0.4, alpha=0.9)  # fmt: skip
            _frontier(ax, part)
            _stacked(ax, part)
            ax.set_title(_title(r, cv, rv), fontsize="small")
            ax.grid(True, alpha=0.3)
            if i == len(rows) - 1:
                ax.set_xlabel("Need covered (%)")
            if j == 0:
                ax.set_ylabel("Annual pay cost (£m)")
    handles: list[Any] = []
    if colour_by and len(colour_values) > MAX_LINES:  # too many for a legend: a colour bar
        from matplotlib.cm import ScalarMappable
        from matplotlib.colors import Normalize

        bar = ScalarMappable(norm=Normalize(0, len(colour_values) - 1), cmap=palette)
        cb = fig.colorbar(bar, ax=fig.axes, location="right", shrink=0.8)
        ticks = _thin(list(range(len(colour_values))))
        cb.set_ticks(ticks, labels=[value_text(colour_by, colour_values[t]) for t in ticks])
        cb.set_label(label(colour_by))
    elif colour_by:
        for k, v in enumerate(colour_values):
            colour = palette(k / max(1, len(colour_values) - 1))
            handles.append(
                Patch(facecolor=colour, edgecolor="black", label=f"{label(colour_by)}: {value_text(colour_by, v)}")
            )
    if marker_by:
        from matplotlib.lines import Line2D

        for k, v in enumerate(marker_values):
            handles.append(Line2D([], [], marker=MARKERS[k % len(MARKERS)], color="grey", linestyle="none",
                                  label=f"{label(marker_by)}: {value_text(marker_by, v)}"))  # fmt: skip
    if handles:
        fig.legend(handles=handles, loc="outside lower center", fontsize="small", ncols=2)
    fig.suptitle("Options: annual cost against need covered\n(grey line: the cheapest option for each level of need)")
    fig.savefig(path, dpi=110)
    parts = [
        f"colour: {label(colour_by)}" if colour_by else "",
        f"marker: {label(marker_by)}" if marker_by else "",
        f"columns: {label(r.col)}" if r.col else "",
        f"rows: {label(r.row)}" if r.row else "",
        f"not told apart (points marked x n): {', '.join(label(x) for x in r.rest)}" if r.rest else "",
    ]
    caption = "; ".join(p for p in parts if p)
    return path, caption


def _frontier(ax: Any, part: pd.DataFrame) -> None:
    """The cheapest option at each level of need covered (the efficient frontier)."""
    pts = part[["need_pct", "cost_m"]].drop_duplicates().sort_values(["need_pct", "cost_m"], ascending=[False, True])
    best, keep = math.inf, []
    for need, cost in pts.itertuples(index=False):
        if cost < best:
            best = cost
            keep.append((need, cost))
    if len(keep) > 1:
        xs, ys = zip(*sorted(keep))
        ax.plot(xs, ys, "-", color="grey", linewidth=1, zorder=0)


def _stacked(ax: Any, part: pd.DataFrame) -> None:
    """Mark points shared by several runs with their count."""
    counts = part.groupby([part["need_pct"].round(2), part["cost_m"].round(2)]).size()
    for key, n in counts.items():
        if n > 1:
            point: tuple[Any, ...] = tuple(key)  # type: ignore[arg-type]
            ax.annotate(f"x{n}", point, textcoords="offset points", xytext=(5, 5), fontsize="x-small")


# ------------------------------------------------------------------ measures against the axes

MEASURE_ROWS = (
    ("need_pct", "Need covered (%)"),
    ("worst_load", "Worst-served wards' load\n(x the London rate)"),
    ("cost_m", "Annual pay cost (£m)"),
    ("sergeants_used_pct", "Sergeants deployed\n(% of those available)"),
)


def measures(frame: pd.DataFrame, axes: Mapping[str, Sequence[Any]], path: Path) -> tuple[Path, str]:
    """Each measure (rows of panels) against the richest axis, one line per value of the next."""
    r = roles(axes)
    lines_by = r.hue
    cols, _ = _grid(frame, r)
    fig = _figure(len(cols), len(MEASURE_ROWS), height=2.6)
    from matplotlib import colormaps

    palette = colormaps["tab10"]
    line_values = sorted(frame[lines_by].dropna().unique(), key=_key) if lines_by else [None]
    groups = [g for g in (r.row, *r.rest) if g]
    for i, (measure, ylabel) in enumerate(MEASURE_ROWS):
        for j, cv in enumerate(cols):
            ax = fig.add_subplot(len(MEASURE_ROWS), len(cols), i * len(cols) + j + 1)
            part = _panel(frame, Roles(r.x, r.hue, r.col, None, ()), cv, None).dropna(subset=[measure])
            for k, lv in enumerate(line_values):
                sub = part if lines_by is None else part[part[lines_by] == lv]
                if sub.empty or r.x is None:
                    continue
                stats = sub.groupby(r.x)[measure].agg(["median", "min", "max"]).sort_index()
                colour = palette(k % 10)
                text = f"{label(lines_by)}: {value_text(lines_by, lv)}" if lines_by else None
                ax.plot(stats.index, stats["median"], "-", marker=MARKERS[k % len(MARKERS)], color=colour, label=text,
                        markersize=4)  # fmt: skip
                if groups:
                    ax.fill_between(stats.index, stats["min"], stats["max"], color=colour, alpha=0.15)
            if i == 0:
                ax.set_title(f"{label(r.col)}: {value_text(r.col, cv)}" if r.col else "", fontsize="small")
            if i == len(MEASURE_ROWS) - 1 and r.x:
                ax.set_xlabel(label(r.x))
            if j == 0:
                ax.set_ylabel(ylabel, fontsize="small")
            ax.grid(True, alpha=0.3)
    if lines_by:
        handles, labels = fig.axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", fontsize="small", ncols=min(3, len(labels)))
    fig.suptitle("What each setting changes")
    fig.savefig(path, dpi=110)
    caption = f"x: {label(r.x)}" if r.x else ""
    if lines_by:
        caption += f"; lines: {label(lines_by)}"
    if r.col:
        caption += f"; columns: {label(r.col)}"
    if groups:
        caption += f"; median line and shaded range over {', '.join(label(g) for g in groups)}"
    return path, caption


# ------------------------------------------------------------------ what binds


def binding_grid(frame: pd.DataFrame, axes: Mapping[str, Sequence[Any]], path: Path) -> tuple[Path, str]:
    """A grid of the sweep coloured by what limits each plan, with need covered written in each cell."""
    r = roles(axes)
    cols, rows = _grid(frame, r)
    fig = _figure(len(cols), len(rows), width=4.6, height=3.4)
    xs = sorted(frame[r.x].dropna().unique(), key=_key) if r.x else [None]
    ys = sorted(frame[r.hue].dropna().unique(), key=_key) if r.hue else [None]
    for i, rv in enumerate(rows):
        for j, cv in enumerate(cols):
            ax = fig.add_subplot(len(rows), len(cols), i * len(cols) + j + 1)
            part = _panel(frame, r, cv, rv)
            for a, xv in enumerate(xs):
                for b, yv in enumerate(ys):
                    cell = part
                    if r.x:
                        cell = cell[cell[r.x] == xv]
                    if r.hue:
                        cell = cell[cell[r.hue] == yv]
                    if cell.empty:
                        continue
                    category = cell["binding_category"].mode().iloc[0]
                    ax.add_patch(_cell(a, b, CATEGORY_COLOURS.get(category, "#cccccc")))
                    if len(xs) * len(ys) <= 60:  # room to write in the cells
                        need = cell["need_pct"].dropna()
                        text = f"{need.median():.0f}%" if len(need) else "-"
                        if len(cell) > 1:
                            text += f"\n{len(cell)} runs"
                        ax.text(a, b, text, ha="center", va="center", fontsize="x-small")
            ax.set_xlim(-0.5, len(xs) - 0.5)
            ax.set_ylim(-0.5, len(ys) - 0.5)
            xt, yt = _thin(list(range(len(xs)))), _thin(list(range(len(ys))))
            ax.set_xticks(xt, [value_text(r.x, xs[t]) if r.x else "" for t in xt], rotation=45, ha="right",
                          fontsize="x-small")  # fmt: skip
            ax.set_yticks(yt, [value_text(r.hue, ys[t]) if r.hue else "" for t in yt], fontsize="x-small")
            ax.set_title(_title(r, cv, rv), fontsize="small")
            if i == len(rows) - 1 and r.x:
                ax.set_xlabel(label(r.x))
            if j == 0 and r.hue:
                ax.set_ylabel(label(r.hue))
    present = [c for c in CATEGORIES if c in set(frame["binding_category"])]
    handles = [Patch(facecolor=CATEGORY_COLOURS[c], label=CATEGORIES[c]) for c in present]
    fig.legend(handles=handles, loc="outside lower center", fontsize="small", title="What limits the plan",
               ncols=min(3, len(handles)))  # fmt: skip
    fig.suptitle("What limits each option\n(in each cell: need covered)")
    fig.savefig(path, dpi=110)
    caption = Roles(r.x, r.hue, r.col, r.row, r.rest).caption().replace("colour", "rows of cells")
    caption = "; ".join(filter(None, [f"columns of cells: {label(r.x)}" if r.x else "", caption]))
    if r.rest:
        caption += "; a cell shows the most common limit over its runs"
    return path, caption


def _thin(ticks: list[int], most: int = 12) -> list[int]:
    """At most about ``most`` evenly spaced ticks (always the first and the last)."""
    if len(ticks) <= most:
        return ticks
    step = -(-len(ticks) // most)
    kept = ticks[::step]
    return kept if kept[-1] == ticks[-1] else [*kept, ticks[-1]]


def _cell(a: int, b: int, colour: str) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((a - 0.5, b - 0.5), 1, 1, facecolor=colour, edgecolor="white", alpha=0.75)
