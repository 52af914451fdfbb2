"""The equity lens: who a deployment serves, by deprivation and by ethnicity.

For any deployment (constables and PCSOs per ward) and the ward groupings of
:class:`planner.inputs.equity.WardEquity` (national IMD decile; quintile of
each ethnic group's share of residents), :func:`equity_table` gives one row
per group: wards, residents, need, harm, constables, PCSOs and officers
(constables + PCSOs, head count), and officers per 1,000 residents, per unit
of need and per 1,000 units of harm, each also as an index against London
(1.00 = London's rate; 0.90 = a tenth fewer officers per unit than London).

Each grouping puts every ward in exactly one group, so within a grouping the
rows' wards, residents, officers, need and harm add up to the London totals
(residents are the plan's own ward populations, as in ``allocation.csv``).

Use it for any plan or allocation: a solved :class:`~planner.report.result.Plan`
(:func:`plan_equity`), the rows of an ``allocation.csv`` or a batch run
(:func:`equity_from_allocation`), or bare arrays (:func:`equity_table`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.errors import DataError
from planner.inputs.data import WardData
from planner.report.result import Plan

EQUITY_COLUMNS: list[str] = [
    "grouping", "group", "label", "wards", "residents", "need", "harm", "constables", "pcsos", "officers",
    "officers_per_1000_residents", "officers_per_need", "officers_per_1000_harm",
    "residents_index", "need_index", "harm_index", "mean_imd_score", "group_share",
]  # fmt: skip
"""Columns of ``equity.csv``. The ``*_index`` columns are the group's officers per resident, per unit
of need and per unit of harm divided by London's; ``mean_imd_score`` is the residents-weighted IMD
score of the group's wards; ``group_share`` the share of the group's residents in the ethnic group
the grouping is about (empty for IMD deciles)."""

UNAVAILABLE = "the scenario has no deprivation or ethnicity data (set data.deprivation or data.ethnicity)"


def _ratio(num: np.ndarray | float, den: np.ndarray | float, scale: float = 1.0) -> np.ndarray:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den > 0, scale * num / np.where(den > 0, den, 1.0), np.nan)
    return np.asarray(out, dtype=float)


def equity_table(wards: WardData, constables: np.ndarray, pcsos: np.ndarray) -> pd.DataFrame | None:
    """One row per group of every equity grouping, for a deployment.

    Parameters
    ----------
    wards : WardData
        The plan's wards, with :attr:`~planner.inputs.data.WardData.equity`.
    constables, pcsos : np.ndarray of int, shape (W,)
        The deployment, in ward order.

    Returns
    -------
    pd.DataFrame or None
        :data:`EQUITY_COLUMNS`; None when the wards carry no equity data.
    """
    eq = wards.equity
    if eq is None:
        return None
    x = np.asarray(constables, dtype=float)
    p = np.asarray(pcsos, dtype=float)
    n = wards.n_wards
    if x.shape != (n,) or p.shape != (n,):
        raise DataError(f"the deployment has {x.shape[0]} and {p.shape[0]} entries for {n} wards", "equity table")
    officers = x + p
    pop = wards.population
    weight = np.where(np.isfinite(eq.residents) & (eq.residents > 0), eq.residents, pop)
    london = {
        "residents": _ratio(officers.sum(), pop.sum(), 1000.0),
        "need": _ratio(officers.sum(), wards.need.sum()),
        "harm": _ratio(officers.sum(), wards.harm.sum(), 1000.0),
    }
    parts: dict[str, list[Any]] = {c: [] for c in EQUITY_COLUMNS}
    for grouping in eq.groupings():
        k = len(grouping.keys)
        idx = grouping.index

        def total(values: np.ndarray, idx: np.ndarray = idx, k: int = k) -> np.ndarray:
            return np.bincount(idx, weights=values, minlength=k)

        g: dict[str, Any] = {
            "grouping": [grouping.name] * k,
            "group": list(grouping.keys),
            "label": list(grouping.labels),
            "wards": np.bincount(idx, minlength=k),
            "residents": total(pop),
            "need": total(wards.need),
            "harm": total(wards.harm),
            "constables": total(x).round().astype(np.int64),
            "pcsos": total(p).round().astype(np.int64),
        }
        g["officers"] = g["constables"] + g["pcsos"]
        g["officers_per_1000_residents"] = _ratio(g["officers"], g["residents"], 1000.0)
        g["officers_per_need"] = _ratio(g["officers"], g["need"])
        g["officers_per_1000_harm"] = _ratio(g["officers"], g["harm"], 1000.0)
        g["residents_index"] = _ratio(g["officers_per_1000_residents"], london["residents"])
        g["need_index"] = _ratio(g["officers_per_need"], london["need"])
        g["harm_index"] = _ratio(g["officers_per_1000_harm"], london["harm"])
        g["mean_imd_score"] = (
            _ratio(total(weight * eq.imd_score), total(weight)) if eq.has_deprivation else np.full(k, np.nan)
        )
        share = np.full(k, np.nan)
        if grouping.name.endswith("_share_quintile"):
            column = eq.groups.index(grouping.name.removesuffix("_share_quintile"))
            share = _ratio(total(weight * eq.shares[:, column]), total(weight))
        g["group_share"] = share
        for col in EQUITY_COLUMNS:
            parts[col].extend(list(g[col]))
    if not parts["grouping"]:
        return None
    return pd.DataFrame(parts, columns=EQUITY_COLUMNS).astype(
        {"group": np.int64, "wards": np.int64, "constables": np.int64, "pcsos": np.int64, "officers": np.int64}
    )


def equity_block(
    wards: WardData, constables: np.ndarray, pcsos: np.ndarray, table: pd.DataFrame | None = None
) -> dict[str, Any]:
    """The ``equity`` block of ``summary.json``: London's rates and every grouping's rows.

    ``largest_need_index_gap`` gives, per grouping, the largest distance of a
    group's officers-per-need index from 1 (0.12: some group has 12 % more or
    fewer officers per unit of need than London), the figure a fairness rule
    bounds. ``table`` is :func:`equity_table`'s result if already computed.
    """
    if table is None:
        table = equity_table(wards, constables, pcsos)
    if table is None:
        return {"available": False, "reason": UNAVAILABLE}
    eq = wards.equity
    assert eq is not None
    x = np.asarray(constables, dtype=float)
    p = np.asarray(pcsos, dtype=float)
    officers = float(x.sum() + p.sum())
    groupings: dict[str, Any] = {}
    gaps: dict[str, float] = {}
    columns = {c: table[c].to_numpy() for c in EQUITY_COLUMNS}
    fields = EQUITY_COLUMNS[1:]
    for grouping in eq.groupings():
        at = np.flatnonzero(columns["grouping"] == grouping.name)
        rows = [{f: columns[f][k].item() if hasattr(columns[f][k], "item") else columns[f][k] for f in fields}
                for k in at]  # fmt: skip
        groupings[grouping.name] = {"title": grouping.title, "rows": rows}
        gap = np.abs(columns["need_index"][at].astype(float) - 1.0)
        gaps[grouping.name] = float(np.max(gap[np.isfinite(gap)])) if np.isfinite(gap).any() else float("nan")
    return {
        "available": True,
        "source": eq.source,
        "synthetic": eq.synthetic,
        "officers": "constables + PCSOs (head count)",
        "london": {
            "wards": int(wards.n_wards),
            "residents": float(wards.population.sum()),
            "need": float(wards.need.sum()),
            "harm": float(wards.harm.sum()),
            "constables": int(x.sum()),
            "pcsos": int(p.sum()),
            "officers": int(officers),
            "officers_per_1000_residents": float(_ratio(officers, wards.population.sum(), 1000.0)),
            "officers_per_need": float(_ratio(officers, wards.need.sum())),
            "officers_per_1000_harm": float(_ratio(officers, wards.harm.sum(), 1000.0)),
        },
        "largest_need_index_gap": gaps,
        "groupings": groupings,
        "notes": list(eq.notes),
    }


def plan_equity(plan: Plan) -> pd.DataFrame | None:
    """:func:`equity_table` of a solved plan (None without equity data)."""
    return equity_table(plan.wards, plan.constables, plan.pcsos)


def equity_from_allocation(wards: WardData, allocation: pd.DataFrame) -> pd.DataFrame | None:
    """:func:`equity_table` of an allocation given as rows (``ward_code, constables, pcsos``).

    For batch runs and finance options that keep allocations as tables. Every
    ward of ``wards`` must have a row; rows are matched by ward code.
    """
    frame = allocation.set_index(allocation["ward_code"].astype(str))
    missing = sorted(set(wards.codes) - set(frame.index))
    if missing:
        raise DataError(f"{len(missing)} ward(s) have no allocation row: {', '.join(missing[:10])}", "equity table")
    rows = frame.loc[wards.codes]
    return equity_table(wards, rows["constables"].to_numpy(), rows["pcsos"].to_numpy())


def write_equity_csv(table: pd.DataFrame, path: Path) -> None:
    """Write :func:`equity_table`'s result as ``equity.csv`` (whole numbers stay exact)."""
    table.to_csv(path, index=False, float_format="%.10g")


def equity_outputs(
    wards: WardData, constables: np.ndarray, pcsos: np.ndarray
) -> tuple[dict[str, Any], Callable[[Path], None] | None]:
    """The ``equity`` summary block and a writer of ``equity.csv`` (None without equity data).

    For :func:`planner.report.outputs.commit_files` and the other writers of
    plans (batches, finance, backtests): one table, computed once.
    """
    table = equity_table(wards, constables, pcsos)
    block = equity_block(wards, constables, pcsos, table)
    if table is None:
        return block, None
    return block, lambda path: write_equity_csv(table, path)
