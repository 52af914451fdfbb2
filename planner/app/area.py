"""My borough: the area a commander looks at (London, a BCU or a borough) and its figures.

Choosing an area turns every figure the app shows into that area's: its
wards, its boroughs' sergeants and inspectors, its pay cost, its need covered
and its change from today (the reference deployment: the baseline file, or
the plan of the scenario as filed). :func:`area_figures` gives the table
shown beside the map; the masks select the area's wards and boroughs for the
other pages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.app.layers import PlanView, effective_officers
from planner.inputs.data import WardData
from planner.report.plain import money, percent, signed
from planner.report.result import Plan

LONDON = "all"


@dataclass(frozen=True)
class Area:
    """An area to look at.

    Attributes
    ----------
    key : str
        :data:`LONDON`, ``bcu:NAME`` or ``borough:NAME``.
    kind : {"all", "bcu", "borough"}
    name : str
        The BCU's or borough's name ("" for all wards).
    """

    key: str
    kind: str
    name: str

    @property
    def label(self) -> str:
        """Menu label: "All of London (all wards)", "BCU: Central North", "Borough: Camden"."""
        if self.kind == LONDON:
            return "All wards"
        return f"{'BCU' if self.kind == 'bcu' else 'Borough'}: {self.name}"

    @property
    def is_all(self) -> bool:
        """Whether the area is all of London."""
        return self.kind == LONDON


ALL_WARDS = Area(LONDON, LONDON, "")


def areas(wards: WardData) -> dict[str, Area]:
    """Key -> area: all wards, then each BCU, then each borough (alphabetical)."""
    out = {ALL_WARDS.key: ALL_WARDS}
    for b in sorted({str(b) for b in wards.borough_bcu if str(b)}):
        out[f"bcu:{b}"] = Area(f"bcu:{b}", "bcu", b)
    for name in sorted({str(n) for n in wards.borough_names}):
        out[f"borough:{name}"] = Area(f"borough:{name}", "borough", name)
    return out


def borough_mask(wards: WardData, area: Area) -> np.ndarray:
    """(B,) bool: the boroughs inside ``area``."""
    if area.is_all:
        return np.ones(wards.n_boroughs, dtype=bool)
    if area.kind == "bcu":
        return np.asarray(wards.borough_bcu).astype(str) == area.name
    return np.asarray(wards.borough_names).astype(str) == area.name


def ward_mask(wards: WardData, area: Area) -> np.ndarray:
    """(W,) bool: the wards inside ``area``."""
    return borough_mask(wards, area)[np.asarray(wards.borough)]


def _per_borough(plan: Plan) -> pd.DataFrame:
    return plan.borough_table()


@dataclass(frozen=True)
class AreaTotals:
    """What an area has in a plan (or a reference deployment): people per rank and pay cost (None: unknown)."""

    constables: int
    pcsos: int
    sergeants: int | None
    inspectors: int | None
    cost: float | None


def area_totals(plan: Plan, area: Area) -> AreaTotals:
    """People per rank and pay cost (pounds a year) of ``plan`` inside ``area``."""
    wards = ward_mask(plan.wards, area)
    table = _per_borough(plan)[borough_mask(plan.wards, area)]
    return AreaTotals(
        constables=int(np.asarray(plan.constables)[wards].sum()),
        pcsos=int(np.asarray(plan.pcsos)[wards].sum()),
        sergeants=int(table["sergeants"].sum()),
        inspectors=int(table["inspectors"].sum()),
        cost=float(table["cost"].sum()),
    )


def reference_totals(ref: PlanView, wards: WardData, area: Area) -> AreaTotals:
    """The same for a reference deployment (sergeants, inspectors and cost only when it is a solved plan)."""
    if ref.plan is not None:
        return area_totals(ref.plan, area)
    inside = ward_mask(wards, area)
    return AreaTotals(int(np.asarray(ref.constables)[inside].sum()), int(np.asarray(ref.pcsos)[inside].sum()),
                      None, None, None)  # fmt: skip


def officers_per_need(plan: Plan, mask: np.ndarray) -> float:
    """Effective officers per unit of need over the wards of ``mask``."""
    need = float(np.asarray(plan.wards.need, dtype=float)[mask].sum())
    return float(effective_officers(plan)[mask].sum() / need) if need > 0 else float("nan")


def _of(totals: AreaTotals | None, name: str) -> float | None:
    value = None if totals is None else getattr(totals, name)
    return None if value is None else float(value)


def _change(now: float | None, before: float | None, kind: str = "count") -> str:
    """The change from ``before`` to ``now`` as text ("" when either is unknown)."""
    if now is None or before is None:
        return ""
    d = now - before
    if kind == "money":
        return "no change" if abs(d) < 0.5 else ("+" if d > 0 else "-") + money(abs(d))
    return "no change" if round(d) == 0 else signed(d)


def area_figures(
    plan: Plan, area: Area, reference: PlanView | None = None, *, months: int = 12, harm_unit: str = "harm"
) -> pd.DataFrame:
    """The figures of ``area`` in ``plan``, in plain units, with the change from ``reference``.

    Returns
    -------
    pandas.DataFrame
        Columns ``Figure, Value, Change`` (text); ``Change`` is empty without a
        reference or where the reference does not say (a baseline file has no
        sergeants, inspectors or cost).
    """
    w = plan.wards
    inside = ward_mask(w, area)
    now = area_totals(plan, area)
    before = reference_totals(reference, w, area) if reference is not None else None
    per_year = 12.0 / max(months, 1)
    need = np.asarray(w.need, dtype=float)
    area_opn = officers_per_need(plan, inside)
    london_opn = officers_per_need(plan, np.ones(w.n_wards, dtype=bool))
    heads = now.constables + now.pcsos
    rows: list[tuple[str, str, str]] = [
        ("Wards", f"{int(inside.sum()):,}", ""),
        ("Residents", f"{float(np.asarray(w.population)[inside].sum()):,.0f}", ""),
        ("Recorded crime", f"{float(np.asarray(w.demand)[inside].sum()) * per_year:,.0f} offences a year", ""),
        ("Harm", f"{float(np.asarray(w.harm)[inside].sum()) * per_year:,.0f} {harm_unit} a year", ""),
        ("Share of London's need", percent(need[inside].sum() / max(need.sum(), 1e-12)), ""),
        ("Constables", f"{now.constables:,}", _change(now.constables, _of(before, "constables"))),
        ("PCSOs", f"{now.pcsos:,}", _change(now.pcsos, _of(before, "pcsos"))),
        ("Sergeants", f"{now.sergeants:,}", _change(now.sergeants, _of(before, "sergeants"))),
        ("Inspectors", f"{now.inspectors:,}", _change(now.inspectors, _of(before, "inspectors"))),
        ("Pay cost", f"{money(now.cost)} a year", _change(now.cost, _of(before, "cost"), "money")),
        (
            "Effective officers per unit of need",
            f"{area_opn:.2f} (all wards {london_opn:.2f})" if not area.is_all else f"{area_opn:.2f}",
            "",
        ),
        (
            "Constables + PCSOs per sergeant",
            f"{heads / now.sergeants:.1f}" if now.sergeants else "no sergeant",
            "",
        ),
    ]
    return pd.DataFrame(rows, columns=["Figure", "Value", "Change"])
