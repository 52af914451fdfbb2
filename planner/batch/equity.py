"""The equity lens for a batch's options: who each option serves, by deprivation.

For the runs that ``report.md`` lists, :func:`batch_equity` gives officers
(constables + PCSOs, head count) per 1,000 residents and per unit of need in
the most and the least deprived IMD deciles that have wards, and London's
rates, computed with :func:`planner.report.equity.equity_table` from each
run's stored ward results and the wards of the batch's data.

The store keeps deployments, not the data, so the data is loaded again here:
the batch's base scenario from the store, its data folder as stored (or the
one given), the need of each run from the run's own settings (a run that
changes ``need.*`` or ``data.*`` gets its own wards). When the data has no
deprivation (``data.deprivation``), cannot be read here, or its wards are not
the stored ones, the figures are *not available* and :attr:`BatchEquity.reason`
says why in words; the report prints it instead of numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.batch.store import Store
from planner.batch.work import inputs_key
from planner.errors import PlannerError
from planner.inputs.data import WardData
from planner.report.equity import equity_table
from planner.scenario import Scenario

EQUITY_FIELDS = ("officers_per_1000_residents", "officers_per_need")
"""The figures given for each decile, and for London."""
DECILE_GROUPING = "imd_decile"
NO_IMD = "the batch's data has no deprivation figures (the scenario names no IMD file under data: deprivation)"


@dataclass
class BatchEquity:
    """Equity figures of a batch's listed runs, or why there are none.

    Attributes
    ----------
    available : bool
    reason : str
        Why the figures are not available ("" when they are).
    source : str
        Where the deprivation figures come from (the files, or "synthetic (illustrative, not real)").
    most, least : int
        The most and least deprived national IMD deciles that have wards (1 = most deprived).
    runs : pd.DataFrame
        One row per run: ``run_id``, then ``most_`` / ``least_`` / ``london_`` + each of
        :data:`EQUITY_FIELDS`, and ``most_wards`` / ``least_wards`` (wards in the decile).
    deciles : pd.DataFrame
        The IMD-decile rows of :func:`~planner.report.equity.equity_table` for every run, with ``run_id``.
    """

    available: bool
    reason: str = ""
    source: str = ""
    most: int = 0
    least: int = 0
    runs: pd.DataFrame = field(default_factory=pd.DataFrame)
    deciles: pd.DataFrame = field(default_factory=pd.DataFrame)


def _not(reason: str) -> BatchEquity:
    return BatchEquity(False, reason)


def _scenario_dir(row: dict[str, Any]) -> str | None:
    """The folder of the sweep's base scenario (relative data paths are looked for there too)."""
    path = row.get("sweep_path")
    if not path or not Path(path).is_file():
        return None
    from planner.batch.sweep import load_sweep

    try:
        return str(load_sweep(path).base_path.parent)
    except PlannerError:
        return str(Path(path).parent)


def _default_loader() -> Callable[..., Any]:
    import planner

    return planner.load_inputs


def _ward_results(store: Store, batch_id: str, run_ids: set[str]) -> dict[str, pd.DataFrame]:
    """``ward_code, constables, pcsos`` of each run in ``run_ids`` (read a chunk at a time)."""
    out: dict[str, list[pd.DataFrame]] = {}
    for frame in store.detail.frames("wards", [batch_id]):
        part = frame[frame["run_id"].isin(run_ids)]
        for run_id, rows in part.groupby("run_id", sort=False):
            out.setdefault(str(run_id), []).append(rows[["ward_code", "constables", "pcsos"]])
    return {k: pd.concat(v, ignore_index=True) for k, v in out.items()}


def _row_of(run_id: str, table: pd.DataFrame, most: int, least: int, wards: WardData) -> dict[str, Any]:
    part = table[table["grouping"] == DECILE_GROUPING]
    by_decile: dict[int, dict[Any, Any]] = {int(r["group"]): r for r in part.to_dict("records")}
    officers = float(part["officers"].sum())
    out: dict[str, Any] = {"run_id": run_id}
    for name, key in (("most", most), ("least", least)):
        out[f"{name}_wards"] = int(by_decile[key]["wards"])
        for f in EQUITY_FIELDS:
            out[f"{name}_{f}"] = float(by_decile[key][f])
    out["london_officers_per_1000_residents"] = 1000.0 * officers / float(wards.population.sum())
    out["london_officers_per_need"] = officers / float(wards.need.sum())
    return out


def batch_equity(
    store: Store,
    batch_id: str,
    run_ids: Sequence[str],
    params: dict[str, dict[str, Any]],
    *,
    data_dir: str | Path | None = None,
    load: Callable[..., Any] | None = None,
) -> BatchEquity:
    """Officers per 1,000 residents and per unit of need in the most and least deprived deciles, per run.

    Parameters
    ----------
    store : Store
    batch_id : str
    run_ids : sequence of str
        The runs to give figures for (finished, ``ok``).
    params : dict
        Each run's settings (dotted field -> value), as stored.
    data_dir : str or Path, optional
        The data folder; default: the one the batch was run with.
    load : callable, optional
        Stand-in for ``planner.load_inputs`` (what the batch was run with).

    Returns
    -------
    BatchEquity
        The figures, or ``available=False`` with the reason in words.
    """
    row = store.batch(batch_id) or {}
    try:
        base = Scenario.model_validate(row.get("base_scenario") or {})
    except ValueError as exc:
        return _not(f"the batch's base scenario cannot be read again ({str(exc).splitlines()[0]})")
    if base.data.source == "files" and base.data.deprivation is None:
        return _not(NO_IMD)
    if base.data.source == "synthetic" and not base.data.synthetic.equity:
        return _not("the batch's synthetic city was made without deprivation figures (its equity setting is off)")
    folder = data_dir if data_dir is not None else row.get("data_dir")
    loader, where = load or _default_loader(), _scenario_dir(row)
    loaded: dict[str, WardData] = {}
    stored = _ward_results(store, batch_id, set(run_ids))
    rows, deciles = [], []
    most = least = 0
    for run_id in run_ids:
        try:
            scenario = base.with_changes(params.get(run_id, {}))
            key = inputs_key(scenario)
            if key not in loaded:
                loaded[key] = loader(scenario, folder, scenario_dir=where).wards
        except (PlannerError, OSError) as exc:
            return _not(f"the batch's data cannot be loaded here ({str(exc).splitlines()[0]}); give --data-dir")
        wards = loaded[key]
        eq = wards.equity
        if eq is None or not eq.has_deprivation:
            return _not(NO_IMD)
        if run_id not in stored:
            return _not(f"run {run_id} has no ward results in the store")
        allocation = stored[run_id].set_index(stored[run_id]["ward_code"].astype(str))
        if set(allocation.index) != set(wards.codes):
            return _not("the stored ward results are not for the wards of the data found here")
        rows_of = allocation.loc[wards.codes]
        table = equity_table(wards, rows_of["constables"].to_numpy(), rows_of["pcsos"].to_numpy())
        if table is None:  # pragma: no cover - equity is present (checked above)
            return _not("the batch's data has no deprivation figures")
        part = table[table["grouping"] == DECILE_GROUPING]
        present = part.loc[part["wards"] > 0, "group"].to_numpy()
        most, least = int(np.min(present)), int(np.max(present))
        rows.append(_row_of(run_id, table, most, least, wards))
        deciles.append(part.assign(run_id=run_id))
        source = eq.source
    if not rows:
        return _not("no finished runs to give figures for")
    frame = pd.concat(deciles, ignore_index=True)
    frame = frame[["run_id", *[c for c in frame.columns if c != "run_id"]]]
    return BatchEquity(True, "", source, most, least, pd.DataFrame(rows), frame)
