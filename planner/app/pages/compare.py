"""Compare page: solved plans side by side, and a difference map between any two."""

from __future__ import annotations

import streamlit as st

from planner.app import state, view
from planner.app.layers import PlanView, layer_view, tooltip_fields
from planner.app.metrics import (
    borough_difference,
    change_summary,
    compare_table,
    london_standard,
    same_wards,
    ward_difference,
)

ss = st.session_state


def render() -> None:
    """Draw the page."""
    s = state.session()
    view.header("Compare plans")
    plans = state.entries()
    if not plans:
        view.failure_box(s.failure)
        st.info("No solved plan yet.")
        st.stop()
    st.caption(
        "The current plan and every plan kept with **Keep for comparison** (sidebar). The scenario as filed is kept "
        "automatically when it is first solved."
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
            "The default is the London average of the first plan chosen (the scenario as filed, when kept).",
        )
        table = compare_table({k: plans[k].plan for k in chosen}, standard=std)
        st.dataframe(
            table,
            width="stretch",
            height=38 + 35 * len(table),
            column_config={"_index": st.column_config.TextColumn("Figure", width="large")},
        )

    st.markdown("#### Difference between two plans")
    names = list(plans)
    if len(names) < 2:
        st.info("Keep a second plan (change something in the sidebar, then **Keep for comparison**) to compare two.")
        st.stop()
    c1, c2, c3 = st.columns([4, 4, 3])
    a_name = c1.selectbox("From (A)", names, index=min(1, len(names) - 1), key="c_a")
    b_name = c2.selectbox("To (B)", names, index=0, key="c_b")
    MAP_LAYERS = {"change": "Constables + PCSOs", "change_constables": "Constables", "change_pcsos": "PCSOs"}
    what = c3.selectbox("Map", list(MAP_LAYERS), key="c_layer", format_func=MAP_LAYERS.__getitem__)
    a, b = plans[a_name], plans[b_name]
    if not same_wards(a.plan, b.plan):
        st.warning("These two plans are on different wards (different data), so they cannot be compared ward by ward.")
        st.stop()

    summary = change_summary(a.plan, b.plan)
    m = st.columns(4)
    m[0].metric("Constables moved", f"{summary['constables_moved']:,}")
    m[1].metric("Constables added / removed", f"{summary['constables_gained'] - summary['constables_moved']:,} / "
                f"{summary['constables_lost'] - summary['constables_moved']:,}")  # fmt: skip
    m[2].metric("PCSOs moved", f"{summary['pcsos_moved']:,}")
    m[3].metric("PCSOs added / removed", f"{summary['pcsos_gained'] - summary['pcsos_moved']:,} / "
                f"{summary['pcsos_lost'] - summary['pcsos_moved']:,}")  # fmt: skip

    ctx = state.context(b.plan.scenario, b.inputs)
    ref = PlanView(a_name, a.plan.constables, a.plan.pcsos)
    lv = layer_view(what, b.plan.wards, b.plan, ref, ctx)
    base = state.cached_base_map(b.inputs)
    left, right = st.columns([3.2, 1])
    with left:
        view.draw_map(
            base, lv, tooltip_fields(b.plan.wards, b.plan, ref, ctx), focus=view.ALL, selected=None, key="cmap",
            options={"boroughs": True, "bcus": True}, wards=b.plan.wards,
        )  # fmt: skip
    with right:
        view.legend(lv)
        st.caption("Blue: B has more than A. Red: B has fewer.")

    tab1, tab2 = st.tabs(["Wards that change", "Boroughs"])
    with tab1:
        diff = ward_difference(a.plan, b.plan)
        diff = diff[diff["constables_change"].ne(0) | diff["pcsos_change"].ne(0)]
        st.dataframe(diff, hide_index=True, width="stretch")
    with tab2:
        bd = borough_difference(a.plan, b.plan)
        for col in ("cost_a", "cost_b", "cost_change"):
            bd[col] = bd[col] / 1e6
        st.dataframe(bd, hide_index=True, width="stretch", column_config={
            "cost_a": st.column_config.NumberColumn("cost A, £m", format="%.2f"),
            "cost_b": st.column_config.NumberColumn("cost B, £m", format="%.2f"),
            "cost_change": st.column_config.NumberColumn("cost change, £m", format="%+.2f"),
        })  # fmt: skip
