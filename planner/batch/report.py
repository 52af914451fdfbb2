"""A batch's options for planners (``planner report``).

``report.md`` lists the options: for each run its settings in words, the
annual pay cost, the share of need covered, the worst-served wards and what
limits the plan ("700 sergeants cap the deployment at a span of 6 officers
per sergeant: 680 constables and 620 PCSOs stay undeployed", derived from the
stored deployed and available headcounts and the budget, see
:mod:`planner.batch.binding`); then the infeasible runs with the solver's
reasons and the failed runs with their errors. Three figures show every axis
of the sweep (:mod:`planner.batch.plots`): ``cost_vs_need.png``,
``measures.png`` (need covered, worst-served load, cost and the share of
sergeants deployed against the settings) and ``binding.png`` (what limits
each option). ``options.csv`` has every run with the same human headings.
The equity lens (:mod:`planner.batch.equity`) adds, for the listed options,
officers per 1,000 residents and per unit of need in the most and least
deprived IMD deciles (``equity.csv``: every decile of every listed run), or
says plainly why the batch's data cannot give them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.batch import plots
from planner.batch.binding import binding_rule, first_reason
from planner.batch.equity import BatchEquity, batch_equity
from planner.batch.labels import describe_params, label, money_m, value_text
from planner.batch.results import runs_table
from planner.batch.store import Store
from planner.errors import InputError
from planner.textsafe import safe_frame

TABLE_ROWS = 40
"""Options listed in report.md; with more, the efficient ones (all are in options.csv)."""


def _dotted(tree: Mapping[str, Any], dotted: str) -> Any:
    node: Any = tree
    for key in dotted.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def _setting(base: Mapping[str, Any], params: Mapping[str, Any], dotted: str) -> Any:
    return params[dotted] if dotted in params else _dotted(base, dotted)


def swept_axes(sweep: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Axes with more than one value, in sweep order (name -> values)."""
    return {k: list(v) for k, v in (sweep.get("axes") or {}).items() if len(v) > 1}


def add_measures(frame: pd.DataFrame, base: Mapping[str, Any]) -> pd.DataFrame:
    """Plot-ready columns and what limits each run (category and sentence)."""
    out = frame.copy()
    out["need_pct"] = pd.to_numeric(out["need_covered"], errors="coerce") * 100
    out["cost_m"] = pd.to_numeric(out["cost_annual"], errors="coerce") / 1e6
    used = pd.to_numeric(out["sergeants"], errors="coerce")
    have = pd.to_numeric(out["available_sergeants"], errors="coerce").replace(0, np.nan)
    out["sergeants_used_pct"] = 100 * used / have
    params_cols = [c for c in out.columns if "." in c or c == "description"]
    categories, texts = [], []
    for raw in out.to_dict("records"):
        rec = {str(k): v for k, v in raw.items()}
        params = {k: rec[k] for k in params_cols if rec.get(k) is not None and rec.get(k) == rec.get(k)}
        pay = [_setting(base, params, f"workforce.{r}.annual_cost") for r in ("constable", "pcso")]
        category, text = binding_rule(
            rec,
            sergeant_span=_setting(base, params, "rules.supervision.sergeant_span"),
            inspector_span=_setting(base, params, "rules.supervision.inspector_span"),
            cheapest_officer=min((float(p) for p in pay if p is not None), default=None),
        )
        categories.append(category)
        texts.append(text)
    out["binding_category"] = categories
    out["binding"] = texts
    return out


def efficient(frame: pd.DataFrame) -> pd.DataFrame:
    """Runs no other run beats on both cost (lower) and need covered (higher)."""
    pts = frame[["cost_m", "need_pct"]].to_numpy(float)
    keep = []
    for cost, need in pts:
        better = (pts[:, 0] <= cost) & (pts[:, 1] >= need) & ((pts[:, 0] < cost) | (pts[:, 1] > need))
        keep.append(not better.any())
    return frame[np.asarray(keep, bool)]


def write_report(
    store: Store,
    out_dir: str | Path,
    batch: str | None = None,
    *,
    data_dir: str | Path | None = None,
    load: Callable[..., Any] | None = None,
) -> list[Path]:
    """Write the figures, ``options.csv``, ``equity.csv`` and ``report.md`` of one batch into ``out_dir``.

    Parameters
    ----------
    store : Store
    out_dir : str or Path
    batch : str, optional
        The batch (default: the newest).
    data_dir : str or Path, optional
        Data folder for the equity figures (default: the one the batch was run with).
    load : callable, optional
        Stand-in for ``planner.load_inputs``, as given to ``run_batch``.

    Returns
    -------
    list of Path
        The files written.
    """
    batch_id = store.resolve_batch(batch)
    row = store.batch(batch_id) or {}
    base, sweep = row.get("base_scenario") or {}, row.get("sweep") or {}
    frame = runs_table(store, batch_id)
    if frame.empty or not (frame["status"] == "ok").any():
        raise InputError(f"batch {batch_id!r} has no finished runs to report on")
    axes = swept_axes(sweep)
    frame = add_measures(frame, base)
    ok = frame[frame["status"] == "ok"]
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out: {out} is a file; give a folder")
    out.mkdir(parents=True, exist_ok=True)
    figures = [
        plots.cost_vs_need(ok, axes, out / "cost_vs_need.png"),
        plots.measures(ok, axes, out / "measures.png"),
        plots.binding_grid(frame[frame["status"].isin(["ok", "infeasible"])], axes, out / "binding.png"),
    ]
    csv = out / "options.csv"
    safe_frame(options_table(frame, list(axes) or _fixed(sweep))).to_csv(csv, index=False)
    shown = listed(frame)
    params_cols = [c for c in frame.columns if "." in c or c == "description"]
    params = {
        str(r["run_id"]): {k: r[k] for k in params_cols if r.get(k) is not None and r.get(k) == r.get(k)}
        for r in shown.to_dict("records")
    }
    equity = batch_equity(store, batch_id, list(params), params, data_dir=data_dir, load=load)
    written = [*(f for f, _ in figures), csv]
    if equity.available:
        equity_csv = out / "equity.csv"
        safe_frame(equity.deciles).to_csv(equity_csv, index=False, float_format="%.10g")
        written.append(equity_csv)
    md = out / "report.md"
    md.write_text(markdown(batch_id, row, frame, axes, figures, equity), encoding="utf-8")
    return [*written, md]


def listed(frame: pd.DataFrame) -> pd.DataFrame:
    """The finished runs report.md lists: all, cheapest first, or the efficient ones when there are many."""
    ok = frame[frame["status"] == "ok"].sort_values(["cost_m", "need_pct"], ascending=[True, False])
    return efficient(ok).head(TABLE_ROWS) if len(ok) > TABLE_ROWS else ok


def _fixed(sweep: Mapping[str, Any]) -> list[str]:
    return list((sweep.get("axes") or {}).keys())


def options_table(frame: pd.DataFrame, axes: Sequence[str]) -> pd.DataFrame:
    """One row per run with human headings: settings, outcome, cost, need, worst-served wards, what limits it."""
    table = pd.DataFrame({label(a): [value_text(a, v) for v in frame[a]] for a in axes if a in frame.columns})
    table[label("status")] = frame["status"].to_numpy()
    table[label("cost_annual")] = frame["cost_m"].round(1).to_numpy()
    table[label("need_covered")] = frame["need_pct"].round(1).to_numpy()
    table[label("worst_wards")] = frame["worst_wards"].to_numpy()
    table[label("binding")] = frame["binding"].to_numpy()
    table["Run id"] = frame["run_id"].to_numpy()
    return table


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    def cell(text: str) -> str:
        return str(text).replace("|", "/").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows]
    return lines


def markdown(
    batch_id: str,
    row: Mapping[str, Any],
    frame: pd.DataFrame,
    axes: Mapping[str, Sequence[Any]],
    figures: Sequence[tuple[Path, str]],
    equity: BatchEquity | None = None,
) -> str:
    """The text of report.md."""
    counts = frame["status"].value_counts().to_dict()
    words = {"ok": "planned", "infeasible": "infeasible", "failed": "failed", "lost": "lost (their workers died)"}
    told = ", ".join(f"{counts[k]:,} {w}" for k, w in words.items() if counts.get(k))
    lines = [f"# Options of batch {batch_id}", "", str(row.get("description") or "").strip(), ""]
    lines.append(f"{len(frame):,} of {int(row.get('n_runs') or len(frame)):,} runs stored: {told}.")
    if axes:
        lines.append("Varied: " + "; ".join(f"{label(a)} ({', '.join(value_text(a, v) for v in vals)})"
                                            for a, vals in axes.items()) + ".")  # fmt: skip
    lines += ["", "## Options", ""]
    ok = frame[frame["status"] == "ok"]
    shown = listed(frame)
    if len(ok) > TABLE_ROWS:
        lines += [f"{len(ok):,} options; listed: the {len(shown)} efficient ones (no other option covers more need "
                  "for less money). Every option is in options.csv.", ""]  # fmt: skip
    header = [label(a) for a in axes] + [
        "Annual pay cost",
        "Need covered",
        "Worst-served wards",
        "What limits the plan",
    ]
    body = [
        [value_text(a, r[a]) for a in axes]
        + [money_m(r["cost_annual"]), f"{r['need_pct']:.1f} %", str(r["worst_wards"] or "-"), str(r["binding"])]
        for r in shown.to_dict("records")
    ]
    lines += _md_table(header, body)
    if equity is not None:
        lines += equity_section(shown, list(axes), equity)
    lines += _problem_sections(frame, list(axes))
    lines += ["", "## Figures", ""]
    for path, caption in figures:
        lines += [f"![{path.stem}]({path.name})", "", f"*{caption}*" if caption else "", ""]
    lines += [
        "## How to read the measures",
        "",
        "Need covered: the share of need in wards staffed at least at the base scenario's average rate of "
        "effective officers per unit of need (pro rata below it). Worst-served wards: the wards with the "
        "highest need per effective officer. What limits the plan: read from the deployed and available "
        "headcounts and the budget of each run; every constable and PCSO deployed means more officers "
        "would cover more need.",
        "",
    ]
    return "\n".join(lines)


def _problem_sections(frame: pd.DataFrame, axes: list[str]) -> list[str]:
    lines: list[str] = []
    for status, title, head in (
        ("infeasible", "Infeasible runs", "Why no plan exists"),
        ("failed", "Failed runs", "Error"),
        ("lost", "Lost runs", "What happened"),
    ):
        part = frame[frame["status"] == status]
        if part.empty:
            continue
        lines += ["", f"## {title}", ""]
        rows = [[describe_params({a: r[a] for a in axes if a in r}), first_reason(r.get("error"))]
                for r in part.to_dict("records")]  # fmt: skip
        lines += _md_table(["Settings", head], rows)
    return lines


def equity_section(shown: pd.DataFrame, axes: list[str], equity: BatchEquity) -> list[str]:
    """report.md's part on who the listed options serve, by deprivation (or why it cannot say)."""
    lines = ["", "## Who the options serve: deprivation", ""]
    if not equity.available:
        return [*lines, f"Not available: {equity.reason}."]
    most, least = equity.most, equity.least
    figures = equity.runs.set_index("run_id")
    lines += [
        f"Officers (constables and PCSOs, head count) per 1,000 residents and per unit of need in the most "
        f"deprived wards (national IMD decile {most}) and the least deprived (decile {least}), against London "
        f"as a whole. Deprivation: {equity.source}. Every decile of every listed option is in equity.csv.",
        "",
    ]
    header = [label(a) for a in axes] + [
        f"Officers per 1,000 residents: decile {most}",
        f"decile {least}",
        "London",
        f"Officers per unit of need: decile {most}",
        f"decile {least}",
        "London",
    ]
    body = []
    for r in shown.to_dict("records"):
        f = figures.loc[str(r["run_id"])]
        body.append(
            [value_text(a, r[a]) for a in axes]
            + [f"{f[f'{k}_officers_per_1000_residents']:.2f}" for k in ("most", "least", "london")]
            + [f"{f[f'{k}_officers_per_need']:.3f}" for k in ("most", "least", "london")]
        )
    return [*lines, *_md_table(header, body)]
