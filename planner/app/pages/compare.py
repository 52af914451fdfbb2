"""Compare page: kept plans side by side for your area, and what changes between any two (map, ranks, tables)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from planner.app import routes, state, view
from planner.app.area import ward_mask
from planner.app.layers import PlanView, change_note, hover, layer_view
from planner.app.metrics import (
    borough_difference,
    change_summary,
    compare_table,
    gains_and_losses,
    london_standard,
    same_wards,
    ward_difference,
)
from planner.textsafe import markdown_text

ss = st.session_state
MAP_LAYERS = {"change": "Constables + PCSOs", "change_constables": "Constables", "change_pcsos": "PCSOs"}


def ward_columns(a: str, b: str) -> dict[str, Any]:
    """Plain headers of the ward difference table (A and B named)."""
    n = st.column_config.NumberColumn
    return {
        "ward_code": "Ward code",
        "ward": "Ward",
        "borough": "Borough",
        "bcu": "BCU",
        "need_a": n(f"Need in {a} (average ward = 1)", format="%.2f"),
        "need_b": n(f"Need in {b} (average ward = 1)", format="%.2f"),
        "constables_a": n(f"Constables in {a}", format="%d"),
        "constables_b": n(f"Constables in {b}", format="%d"),
        "constables_change": n("Change in constables", format="%+d"),
        "pcsos_a": n(f"PCSOs in {a}", format="%d"),
        "pcsos_b": n(f"PCSOs in {b}", format="%d"),
        "pcsos_change": n("Change in PCSOs", format="%+d"),
        "total_change": n("Change in constables + PCSOs", format="%+d"),
    }


def _borough_columns(a: str, b: str) -> dict[str, Any]:
    n = st.column_config.NumberColumn
    out: dict[str, Any] = {"borough": "Borough", "bcu": "BCU"}
    for col, noun in (("constables", "Constables"), ("pcsos", "PCSOs"), ("sergeants", "Sergeants"),
                      ("inspectors", "Inspectors")):  # fmt: skip
        out[f"{col}_a"] = n(f"{noun} in {a}", format="%d")
        out[f"{col}_b"] = n(f"{noun} in {b}", format="%d")
        out[f"{col}_change"] = n(f"Change in {noun.lower() if noun != 'PCSOs' else noun}", format="%+d")
    out["cost_a"] = n(f"Pay cost in {a}, £m a year", format="%.2f")
    out["cost_b"] = n(f"Pay cost in {b}, £m a year", format="%.2f")
    out["cost_change"] = n("Change in pay cost, £m a year", format="%+.2f")
    return out


def render() -> None:
    """Draw the page."""
    s = state.session()
    view.header("Compare plans", "Kept plans side by side for your area, then what changes between any two.")
    plans = state.entries()
    if not plans:
        view.failure_box(s.failure)
        st.info("No solved plan yet.")
        st.stop()
    first_entry = next(iter(plans.values()))
    area = view.area_picker(first_entry.plan.wards)
    st.caption(
        "The current plan and every plan kept with **Keep** (sidebar, under a name you give). The scenario as filed "
        "is kept automatically when it is first solved."
    )
    order = sorted(plans, key=lambda k: plans[k] is not s.kept.get(s.reference or ""))
    chosen = st.multiselect("Plans to compare", order, default=order[:4], key="c_plans")
    if chosen:
        first = plans[chosen[0]].plan
        std = st.number_input(
            "Standard for need covered: effective officers per unit of need",
            min_value=0.1,
            value=round(london_standard(first), 2),
            step=0.1,
            key="c_standard",
            help="A ward with at least this many effective officers per unit of need counts as fully covered. "
            "The default is the average over all wards of the first plan chosen (the scenario as filed, when kept).",
        )
        table = compare_table({k: plans[k].plan for k in chosen}, standard=std, area=area)
        st.dataframe(
            table,
            width="stretch",
            height=38 + 35 * len(table),
            column_config={"_index": st.column_config.TextColumn("Figure", width="large")},
        )

    routes.link("today", "What the current plan changes from today: moved, added and removed, ward by ward")
    st.markdown("#### What changes between two plans")
    names = list(plans)
    if len(names) < 2:
        st.info("Keep a second plan (change something in the sidebar, then **Keep**) to compare two.")
        st.stop()
    c1, c2, c3 = st.columns([4, 4, 3])
    a_name = c1.selectbox("From (A)", names, index=min(1, len(names) - 1), key="c_a")
    b_name = c2.selectbox("To (B)", names, index=0, key="c_b")
    what = c3.selectbox("Map", list(MAP_LAYERS), key="c_layer", format_func=MAP_LAYERS.__getitem__)
    a, b = plans[a_name], plans[b_name]
    if not same_wards(a.plan, b.plan):
        st.warning("These two plans are on different wards (different data), so they cannot be compared ward by ward.")
        st.stop()

    inside = ward_mask(b.plan.wards, area)
    summary = change_summary(a.plan, b.plan)
    m = st.columns(4)
    m[0].metric("Constables moved (all wards)", f"{summary['constables_moved']:,}")
    m[1].metric("Constables added / removed", f"{summary['constables_gained'] - summary['constables_moved']:,} / "
                f"{summary['constables_lost'] - summary['constables_moved']:,}")  # fmt: skip
    m[2].metric("PCSOs moved (all wards)", f"{summary['pcsos_moved']:,}")
    m[3].metric("PCSOs added / removed", f"{summary['pcsos_gained'] - summary['pcsos_moved']:,} / "
                f"{summary['pcsos_lost'] - summary['pcsos_moved']:,}")  # fmt: skip

    ctx = state.context(b.plan.scenario, b.inputs)
    ref = PlanView.of(a.plan, a_name)
    lv = layer_view(what, b.plan.wards, b.plan, ref, ctx, mask=inside if not area.is_all else None)
    base = state.cached_base_map(b.inputs)
    left, right = st.columns([3.2, 1.3])
    with left:
        view.draw_map(
            base, lv, hover(b.plan.wards, b.plan, ref, ctx), area=area, selected=None, key="cmap",
            options={"boroughs": True, "bcus": True}, wards=b.plan.wards,
        )  # fmt: skip
    with right:
        view.legend(lv)
        st.caption("Blue: B has more than A. Red: B has fewer. " + markdown_text(change_note(b.plan, ref, inside)))
        st.markdown(f"**Gains and losses by rank{'' if area.is_all else ' in ' + markdown_text(area.name)}**")
        st.dataframe(gains_and_losses(a.plan, b.plan, inside), hide_index=True, width="stretch")

    tab1, tab2 = st.tabs(["Wards that change", "Boroughs"])
    with tab1:
        diff = ward_difference(a.plan, b.plan)
        keep = (diff["constables_change"].ne(0) | diff["pcsos_change"].ne(0)) & diff["ward_code"].isin(
            set(b.plan.wards.codes[inside])
        )
        st.dataframe(diff[keep], hide_index=True, width="stretch", column_config=ward_columns("A", "B"))
    with tab2:
        bd = borough_difference(a.plan, b.plan)
        if not area.is_all:
            names_in = {str(n) for n in b.plan.wards.borough_names[b.plan.wards.borough[inside]]}
            bd = bd[bd["borough"].astype(str).isin(names_in)]
        for col in ("cost_a", "cost_b", "cost_change"):
            bd[col] = bd[col] / 1e6
        st.dataframe(bd, hide_index=True, width="stretch", column_config=_borough_columns("A", "B"))
