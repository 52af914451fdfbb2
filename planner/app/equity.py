"""The equity lens as the app shows it: ward layers (deprivation, ethnicity, public confidence) and group tables.

The figures come from the scenario's data (:class:`planner.inputs.equity.WardEquity`,
:class:`planner.inputs.confidence.WardConfidence`); the per-group table is
:func:`planner.report.equity.plan_equity`. Where the data has no such
figures, or they are generated (the demo city), :func:`data_notes` says so
in plain words: nothing is shown as if it were real when it is not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.app.layers import SEQ_BLUE, SEQ_HEAT, LayerSpec, LayerView, Legend, painted, sequential_classes
from planner.inputs.data import WardData
from planner.report.equity import plan_equity
from planner.report.result import Plan

#: Most deprived (dark red) to least deprived (dark blue): ColorBrewer RdYlBu, 10 classes, one per IMD decile.
DECILE_COLOURS: tuple[tuple[int, int, int], ...] = (
    (165, 0, 38), (215, 48, 39), (244, 109, 67), (253, 174, 97), (254, 224, 144),
    (224, 243, 248), (171, 217, 233), (116, 173, 209), (69, 117, 180), (49, 54, 149),
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class EquityLayer:
    """One figure per ward of the equity lens.

    Attributes
    ----------
    key, label, unit : str
        Menu key, short name and unit (for the legend).
    values : np.ndarray of float, shape (W,)
        NaN where the figure is missing (e.g. suppressed survey cells).
    kind : {"decile", "share", "score", "percent"}
    """

    key: str
    label: str
    unit: str
    values: np.ndarray
    kind: str


def equity_layers(wards: WardData) -> dict[str, EquityLayer]:
    """The equity layers the data has, by key (empty when it has none)."""
    out: dict[str, EquityLayer] = {}
    eq = wards.equity
    made = " (generated for the demo city, not real)" if eq is not None and eq.synthetic else ""
    if eq is not None and eq.has_deprivation:
        out["imd_decile"] = EquityLayer(
            "imd_decile", "Deprivation (IMD decile)",
            f"national decile of the Index of Multiple Deprivation, 1 = most deprived tenth of England{made}",
            eq.imd_decile.astype(float), "decile",
        )  # fmt: skip
        out["imd_score"] = EquityLayer(
            "imd_score", "Deprivation (IMD score)",
            f"IMD score, residents-weighted over the ward's small areas; higher = more deprived{made}",
            eq.imd_score.astype(float), "score",
        )  # fmt: skip
    if eq is not None and eq.has_ethnicity:
        for g, key in enumerate(eq.groups):
            out[f"share_{key}"] = EquityLayer(
                f"share_{key}", f"Residents: {eq.group_labels[g]}",
                f"% of the ward's residents ({'Census 2021' if not made else 'generated'}){made}",
                100.0 * eq.shares[:, g], "share",
            )  # fmt: skip
    conf = wards.confidence
    if conf is not None:
        shown = np.where(conf.imputed, np.nan, conf.confidence)
        out["confidence"] = EquityLayer(
            "confidence", "Public confidence", f"{conf.label}, Public Attitude Survey; grey: suppressed (small sample)",
            shown.astype(float), "percent",
        )  # fmt: skip
    return out


def data_notes(wards: WardData) -> list[str]:
    """What the equity figures are and what is missing, in plain words (one sentence each)."""
    eq = wards.equity
    notes: list[str] = []
    if eq is None:
        notes.append(
            "This data has no deprivation or ethnicity figures (the scenario names no deprivation or ethnicity "
            "files), so there is no equity table and no deprivation or ethnicity map."
        )
    else:
        if eq.synthetic:
            notes.append(
                "The demo city's deprivation and ethnicity figures are generated for illustration: they are not "
                "real. Open a London scenario with the data folder for the real figures (IMD 2025, Census 2021)."
            )
        if not eq.has_deprivation:
            notes.append("This data has no deprivation (IMD) figures.")
        if not eq.has_ethnicity:
            notes.append("This data has no ethnicity figures.")
    conf = wards.confidence
    if conf is None:
        where = "the demo city has none" if eq is not None and eq.synthetic else "the scenario names no survey file"
        notes.append(f"No public confidence figures (MOPAC Public Attitude Survey): {where}.")
    else:
        missing = int(np.sum(conf.imputed))
        if missing:
            notes.append(
                f"Public confidence: the survey suppressed the figures of {missing:,} wards' neighbourhoods (small "
                "samples); they are shown grey, never as zero."
            )
    return notes


def equity_view(layer: EquityLayer, mask: np.ndarray | None = None) -> LayerView:
    """Colours and legend of an equity layer (classes fitted to the wards of ``mask``; deciles one class each)."""
    v = layer.values
    spec = LayerSpec(layer.key, layer.label, False, False, layer.unit)
    if layer.kind == "decile":
        breaks = np.arange(1.5, 10.5)
        labels = [f"{d}" + {1: " (most deprived)", 10: " (least deprived)"}.get(d, "") for d in range(1, 11)]
        legend = Legend(layer.label, layer.unit, DECILE_COLOURS, tuple(labels))
        text = [f"decile {int(x)}" if np.isfinite(x) else "–" for x in v]
        return painted(spec, v, breaks, legend, text)
    basis = v if mask is None or not np.any(mask) else v[np.asarray(mask, dtype=bool)]
    palette = SEQ_HEAT if layer.kind == "score" else SEQ_BLUE
    breaks, cols, labels = sequential_classes(basis, palette, False)
    suffix = " %" if layer.kind in ("share", "percent") else ""
    legend = Legend(
        layer.label, layer.unit, tuple(cols), tuple(label + suffix for label in labels),
        "Each class holds about the same number of wards.",
    )  # fmt: skip
    text = [f"{x:.1f}{suffix}" if np.isfinite(x) else "no data" for x in v]
    return painted(spec, v, breaks, legend, text)


def groupings(plan: Plan) -> dict[str, str]:
    """Grouping key -> its title in words ("national IMD decile of the ward", ...); empty without equity data."""
    eq = plan.wards.equity
    return {} if eq is None else {g.name: g.title for g in eq.groupings()}


def group_table(plan: Plan, grouping: str, months: int = 12, harm_unit: str = "harm") -> pd.DataFrame:
    """One row per group of ``grouping`` (all wards): wards, residents, need, officers and their rates, with units.

    Harm rates are per 100,000 units of harm a year (harm a year is large: CCHI days run to about 100,000 a ward).

    Officers are constables + PCSOs (head count); the rows add up to the totals of all wards.
    """
    table = plan_equity(plan)
    if table is None:
        return pd.DataFrame()
    t = table[table["grouping"] == grouping]
    per_year = 12.0 / max(months, 1)
    return pd.DataFrame(
        {
            "Group": t["label"].astype(str),
            "Wards": t["wards"].astype(np.int64),
            "Residents (people)": t["residents"].round(0).astype(np.int64),
            "Need (sum of ward indices)": t["need"].round(1),
            "Constables (people)": t["constables"],
            "PCSOs (people)": t["pcsos"],
            "Officers per 1,000 residents": t["officers_per_1000_residents"].round(2),
            "Officers per unit of need": t["officers_per_need"].round(2),
            f"Officers per 100,000 {harm_unit} a year": (100.0 * t["officers_per_1000_harm"] / per_year).round(2),
            "Officers per unit of need against all wards (1.00 = same)": t["need_index"].round(2),
            "Officers per resident against all wards (1.00 = same)": t["residents_index"].round(2),
        }
    ).reset_index(drop=True)
